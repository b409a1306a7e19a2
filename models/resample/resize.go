// Package resample is Pillow's Image.resize for 8-bit RGB images with the BILINEAR and BICUBIC
// filters: ImagingResample of Pillow's src/libImaging/Resample.c (bilinear_filter,
// bicubic_filter, precompute_coeffs, normalize_coeffs_8bpc, ImagingResampleHorizontal_8bpc,
// ImagingResampleVertical_8bpc, ImagingResampleInner), reproduced bit-exactly: double-precision
// weights rounded to 22-bit fixed point, integer sums, an 8-bit intermediate image between the
// horizontal and the vertical pass. Hugging Face's PIL-based image processors (CLIP's, SigLIP's)
// resize with Pillow, so every model family's preprocessing resizes with this package.
//
// Unlike Pillow, only the output pixels inside a requested region are computed (each output
// pixel depends only on its own weights, so the values are the same); a 1000x50 image resized
// to 4480x224 and cropped to 224x224 costs 224 columns, not 4480. The horizontal pass runs only on
// the input rows the kept output rows read, one row at a time into a small ring that the vertical
// pass reads, and each finished row goes straight to the caller (which normalises it into its
// CHW planes): no whole intermediate image. The per-row kernels are scalar Go here and AVX2 in
// resize_avx2.go; all compute the same integer sums (TestResizeMatchesReference checks them against
// a direct transcription of Resample.c, resize_ref_test.go).
package resample

import (
	"fmt"
	"image"
	"math"
	"sync"
)

const (
	precisionBits = 32 - 8 - 2 // PRECISION_BITS in Resample.c
	fixedHalf     = 1 << (precisionBits - 1)
	fixedOne      = 1 << precisionBits
)

// axisWeights holds the fixed-point filter taps for output indices [first, first+len(xmin)) of
// one axis: output index first+i reads input indices xmin[i] .. xmin[i]+n[i]-1 with weights
// k[i*ksize : i*ksize+n[i]] (2^22 = 1.0).
type axisWeights struct {
	first int
	ksize int
	xmin  []int
	n     []int
	k     []int32

	// The same taps in fixed-width windows, for vector kernels (resampleKernels.prepare):
	// output index first+i reads input indices vstart[i] .. vstart[i]+vwin-1, all inside the input,
	// with weights laid out as the kernel wants them in vk, vkLen values per output index (zero
	// outside the real taps). vwin is 0 when the input is narrower than a window.
	vwin   int
	vstart []int
	vk     []int16
	vkLen  int
}

// newAxisWeights is precompute_coeffs followed by normalize_coeffs_8bpc, for an axis of inSize
// input pixels resampled to outSize with filter k, restricted to the output indices [first, last).
func newAxisWeights(k kernel, inSize, outSize, first, last int) axisWeights {
	// scale = (double)(in1 - in0) / outSize, with in0 = 0 and in1 = inSize held as C floats.
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := k.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	ss := 1.0 / filterscale

	count := last - first
	w := axisWeights{
		first: first,
		ksize: ksize,
		xmin:  make([]int, count),
		n:     make([]int, count),
		k:     make([]int32, count*ksize),
	}
	pre := make([]float64, ksize)
	for i := range count {
		center := (float64(first+i) + 0.5) * scale
		// C's (int) truncates toward zero, as Go's conversion does.
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		n := xmax - xmin
		if n > ksize { // cannot happen with the bounds above; keeps the slices safe
			n = ksize
		}
		ww := 0.0
		for x := range n {
			v := k.weight((float64(x+xmin) - center + 0.5) * ss)
			pre[x] = v
			ww += v
		}
		fixed := w.k[i*ksize : i*ksize+n]
		for x := range n {
			v := pre[x]
			if ww != 0 {
				v /= ww
			}
			// normalize_coeffs_8bpc: round half away from zero at 2^22.
			if v < 0 {
				fixed[x] = int32(float64(v*fixedOne) - 0.5)
			} else {
				fixed[x] = int32(float64(v*fixedOne) + 0.5)
			}
		}
		w.xmin[i] = xmin
		w.n[i] = n
	}
	return w
}

// Weights are the same for every image of the same size (a folder of photos from one camera),
// and making them costs about 3% of a photo's resize: the last ones made are kept, up to
// weightsCacheBytes. Cached weights are never modified.
const weightsCacheBytes = 4 << 20

type weightsKey struct {
	kernels                      string
	filter                       Filter
	horizontal                   bool
	inSize, outSize, first, last int
}

var weightsCache struct {
	sync.Mutex
	m     map[weightsKey]*axisWeights
	bytes int
}

// cachedAxisWeights returns newAxisWeights for filter f, prepared for kern's horizontal kernel if
// horizontal.
func cachedAxisWeights(kern *resampleKernels, f Filter, horizontal bool, inSize, outSize, first, last int) *axisWeights {
	key := weightsKey{kern.name, f, horizontal, inSize, outSize, first, last}
	c := &weightsCache
	c.Lock()
	w, ok := c.m[key]
	c.Unlock()
	if ok {
		return w
	}
	nw := newAxisWeights(mustKernel(f), inSize, outSize, first, last)
	w = &nw
	if horizontal && kern.prepare != nil {
		kern.prepare(w, inSize)
	}
	size := 8*(len(w.xmin)+len(w.n)+len(w.vstart)) + 4*len(w.k) + 2*len(w.vk)
	c.Lock()
	if c.m == nil || c.bytes+size > weightsCacheBytes {
		c.m, c.bytes = map[weightsKey]*axisWeights{}, 0
	}
	if size <= weightsCacheBytes/4 {
		c.m[key] = w
		c.bytes += size
	}
	c.Unlock()
	return w
}

// clip8 is Resample.c's clip8: the fixed-point sum shifted down to 8 bits and clamped.
func clip8(v int32) uint8 {
	v >>= precisionBits // arithmetic shift: floor
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// rgbView is a rectangle of RGBA pixels (4 bytes each, alpha ignored) with its own origin.
type rgbView struct {
	pix    []uint8
	stride int
	w, h   int
}

func viewOf(m *image.RGBA) rgbView {
	b := m.Bounds()
	if b.Empty() {
		return rgbView{}
	}
	return rgbView{pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], stride: m.Stride, w: b.Dx(), h: b.Dy()}
}

// row returns the 4*w bytes of row y.
func (v rgbView) row(y int) []uint8 {
	return v.pix[y*v.stride : y*v.stride+4*v.w]
}

// toRGBA copies v into a new image; an empty v becomes a w x h image of zeros (Resize of an empty
// image).
func (v rgbView) toRGBA(w, h int) *image.RGBA {
	if v.w == 0 || v.h == 0 {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	m := image.NewRGBA(image.Rect(0, 0, v.w, v.h))
	for y := range v.h {
		copy(m.Pix[y*m.Stride:y*m.Stride+4*v.w], v.row(y))
	}
	return m
}

// The two passes work on one row at a time; resize_avx2.go replaces them with vector
// versions when the CPU has them. Both compute the same integer sums, so the bytes are identical.
type resampleKernels struct {
	name string
	// horizontal is ImagingResampleHorizontal_8bpc for one row: dst (4 bytes per output index of
	// wx) from src (4 bytes per input pixel, the whole input row). Alpha bytes of dst are undefined.
	horizontal func(dst, src []uint8, wx *axisWeights)
	// vertical is ImagingResampleVertical_8bpc for one row: dst[i] filters rows[j][i] with
	// weights k[j] (len(rows) == len(k), every row at least len(dst) bytes). Alpha bytes of dst
	// are undefined.
	vertical func(dst []uint8, rows [][]uint8, k []int32)
	// horizontal2, if set, is horizontal for two rows at once.
	horizontal2 func(dst0, dst1, src0, src1 []uint8, wx *axisWeights)
	// prepare, if set, adds what horizontal needs to weights newly made for an axis of inSize.
	prepare func(wx *axisWeights, inSize int)
}

var scalarKernels = resampleKernels{name: "scalar", horizontal: horizontalScalar, vertical: verticalScalar}

// kernels is what resampling uses: scalarKernels, or vector kernels chosen at init.
var kernels = scalarKernels

// The scalar kernels multiply red and green together in one 64-bit product: with
// rg = red + green<<32 and weights k, sum(rg*k) = R + G<<32 where R and G, the two channel sums,
// each fit in an int32 (|sum| < 255 * 1.3 * 2^22 < 2^31: a window's absolute weights add up to at
// most 1 for bilinear, under 1.3 for bicubic). The low 32 bits are then R exactly and
// the rest G (wrap-around in the partial sums cancels out). Two multiplications per pixel and tap
// instead of three: scalar multiplication throughput is what limits these loops.
const rgHalf = int64(fixedHalf) | int64(fixedHalf)<<32

// splitRG returns R and G from the 64-bit sum R + G<<32.
func splitRG(rg int64) (int32, int32) {
	r := int32(rg)
	return r, int32((rg - int64(r)) >> 32)
}

// dotRGB is one output pixel of the horizontal pass: the fixed-point sums of the pixels of p
// (4 bytes each) weighted by k.
func dotRGB(p []uint8, k []int32) (r, g, b int32) {
	p = p[:4*len(k)]
	rg, bb := rgHalf, int32(fixedHalf)
	for j, kw := range k {
		q := p[4*j : 4*j+3 : 4*j+3]
		rg += int64(uint64(q[0])|uint64(q[1])<<32) * int64(kw)
		bb += int32(q[2]) * kw
	}
	r, g = splitRG(rg)
	return r, g, bb
}

// horizontalScalar: per output pixel, the taps of its window.
func horizontalScalar(dst, src []uint8, wx *axisWeights) {
	ks := wx.ksize
	dst = dst[:4*len(wx.xmin)]
	for xx, xmin := range wx.xmin {
		n := wx.n[xx]
		r, g, b := dotRGB(src[4*xmin:], wx.k[xx*ks:xx*ks+n])
		d := dst[4*xx : 4*xx+3 : 4*xx+3]
		d[0], d[1], d[2] = clip8(r), clip8(g), clip8(b)
	}
}

// verticalScalar: per output pixel, the same column of every row of the window.
func verticalScalar(dst []uint8, rows [][]uint8, k []int32) {
	verticalScalarFrom(dst, rows, k, 0)
}

// verticalScalarFrom is verticalScalar for the bytes of dst from offset x0 (a multiple of 4) on.
func verticalScalarFrom(dst []uint8, rows [][]uint8, k []int32, x0 int) {
	rows = rows[:len(k)]
	for x := x0; x+3 < len(dst); x += 4 {
		rg, bb := rgHalf, int32(fixedHalf)
		for j, kw := range k {
			q := rows[j][x : x+3 : x+3]
			rg += int64(uint64(q[0])|uint64(q[1])<<32) * int64(kw)
			bb += int32(q[2]) * kw
		}
		r, g := splitRG(rg)
		d := dst[x : x+3 : x+3]
		d[0], d[1], d[2] = clip8(r), clip8(g), clip8(bb)
	}
}

// Region computes region r (in output coordinates) of src resized to outW x outH as Pillow's
// Image.resize((outW, outH), f) computes it for an RGB image, and hands it to emit one row at a
// time: emit(y, row) gets row r.Min.Y+y as 4*r.Dx() bytes (RGB then a byte to ignore, as in
// image.RGBA), valid only during the call. The alpha of src is ignored. As in Pillow, the
// horizontal pass runs only if the width changes and the vertical pass only if the height changes;
// nothing is emitted when r does not meet the output or src is empty. f must be Implemented.
//
// Rows of the horizontal pass are kept in a ring just large enough for one vertical window, and
// each is computed once, when the first output row that needs it is reached: the intermediate
// image is never whole in memory.
func Region(src *image.RGBA, outW, outH int, r image.Rectangle, f Filter, emit func(y int, row []uint8)) {
	resampleRegionWith(&kernels, f, viewOf(src), outW, outH, r, emit)
}

// resize returns src resized to w x h as Pillow's img.resize((w, h), f) on an RGB image, alpha 255.
// f must be Implemented.
func resize(src *image.RGBA, w, h int, f Filter) *image.RGBA {
	return resizeRegionWith(&kernels, f, viewOf(src), w, h, image.Rect(0, 0, w, h)).toRGBA(w, h)
}

// mustKernel is f's kernel; an unimplemented filter is a programming error (callers check
// Implemented when they read a config).
func mustKernel(f Filter) kernel {
	k, ok := kernelOf(f)
	if !ok {
		panic(fmt.Sprintf("resample: filter %d (%s) is not implemented", int(f), f))
	}
	return k
}

func resampleRegionWith(kern *resampleKernels, f Filter, src rgbView, outW, outH int, r image.Rectangle, emit func(y int, row []uint8)) {
	mustKernel(f)
	r = r.Intersect(image.Rect(0, 0, outW, outH))
	if r.Empty() || src.w == 0 || src.h == 0 {
		return
	}
	needH := outW != src.w
	needV := outH != src.h
	rowBytes := 4 * r.Dx()
	var wx *axisWeights
	if needH {
		wx = cachedAxisWeights(kern, f, true, src.w, outW, r.Min.X, r.Max.X)
	}
	if !needV {
		if !needH {
			for y := range r.Dy() {
				emit(y, src.row(r.Min.Y + y)[4*r.Min.X:][:rowBytes])
			}
			return
		}
		buf := make([]uint8, 2*rowBytes)
		buf0, buf1 := buf[:rowBytes], buf[rowBytes:]
		for y := 0; y < r.Dy(); y++ {
			if kern.horizontal2 != nil && y+1 < r.Dy() {
				kern.horizontal2(buf0, buf1, src.row(r.Min.Y+y), src.row(r.Min.Y+y+1), wx)
				emit(y, buf0)
				y++
				emit(y, buf1)
				continue
			}
			kern.horizontal(buf0, src.row(r.Min.Y+y), wx)
			emit(y, buf0)
		}
		return
	}

	wy := cachedAxisWeights(kern, f, false, src.h, outH, r.Min.Y, r.Max.Y)
	window := 0 // most rows any output row reads
	for _, n := range wy.n {
		window = max(window, n)
	}
	rows := make([][]uint8, window)
	out := make([]uint8, rowBytes)

	// The ring holds the last rows of the horizontal pass made, slot = row % slots: one more
	// than a window so that rows can be made two at a time (the second for a later output row).
	slots := window + 1
	var ring []uint8
	slot := func(y int) []uint8 {
		i := y % slots
		return ring[i*rowBytes : (i+1)*rowBytes]
	}
	last := len(wy.xmin) - 1
	rowEnd := wy.xmin[last] + wy.n[last] // input rows the vertical pass reads end here
	next := 0                            // first row of the horizontal pass not yet made
	if needH {
		ring = make([]uint8, slots*rowBytes)
	}
	for yy, ymin := range wy.xmin {
		n := wy.n[yy]
		if needH {
			next = max(next, ymin)
			for next < ymin+n {
				if kern.horizontal2 != nil && next+1 < rowEnd {
					kern.horizontal2(slot(next), slot(next+1), src.row(next), src.row(next+1), wx)
					next += 2
				} else {
					kern.horizontal(slot(next), src.row(next), wx)
					next++
				}
			}
			for j := range n {
				rows[j] = slot(ymin + j)
			}
		} else {
			for j := range n {
				rows[j] = src.row(ymin + j)[4*r.Min.X:][:rowBytes]
			}
		}
		kern.vertical(out, rows[:n], wy.k[yy*wy.ksize:yy*wy.ksize+n])
		emit(yy, out)
	}
}

// resizeRegionWith returns region r (in output coordinates, inside outW x outH) of src resized to
// outW x outH with f, computed by kern, alpha 255.
func resizeRegionWith(kern *resampleKernels, f Filter, src rgbView, outW, outH int, r image.Rectangle) rgbView {
	r = r.Intersect(image.Rect(0, 0, outW, outH))
	if r.Empty() || src.w == 0 || src.h == 0 {
		return rgbView{}
	}
	out := rgbView{pix: make([]uint8, 4*r.Dx()*r.Dy()), stride: 4 * r.Dx(), w: r.Dx(), h: r.Dy()}
	resampleRegionWith(kern, f, src, outW, outH, r, func(y int, row []uint8) {
		d := out.row(y)
		copy(d, row)
		for i := 3; i < len(d); i += 4 {
			d[i] = 255
		}
	})
	return out
}
