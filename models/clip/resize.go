// Mirrors Pillow's ImagingResample for 8-bit images with the BICUBIC filter
// (src/libImaging/Resample.c: bicubic_filter, precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc, ImagingResampleVertical_8bpc, ImagingResampleInner),
// reproduced bit-exactly: double-precision weights rounded to 22-bit fixed point, integer sums,
// an 8-bit intermediate image between the horizontal and the vertical pass.
//
// Unlike Pillow, only the output pixels inside a requested region are computed (each output
// pixel depends only on its own weights, so the values are the same); a 1000x50 image resized
// to 4480x224 and cropped to 224x224 costs 224 columns, not 4480.

package clip

import (
	"image"
	"math"
)

const (
	bicubicSupport = 2.0        // bicubic_filter's support, in input pixels at scale 1
	precisionBits  = 32 - 8 - 2 // PRECISION_BITS in Resample.c
	fixedHalf      = 1 << (precisionBits - 1)
	fixedOne       = 1 << precisionBits
)

// bicubicFilter is Pillow's bicubic_filter: Keys cubic convolution with a = -0.5. The explicit
// float64 conversions keep Go from fusing multiply-adds, so every step rounds as in C.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		// ((a + 2.0) * x - (a + 3.0)) * x * x + 1
		t := float64((a+2)*x) - (a + 3)
		t = float64(t * x)
		return float64(t*x) + 1
	}
	if x < 2 {
		// (((x - 5) * x + 8) * x - 4) * a
		t := float64((x-5)*x) + 8
		t = float64(t*x) - 4
		return t * a
	}
	return 0
}

// axisWeights holds the fixed-point filter taps for output indices [first, first+len(xmin)) of
// one axis: output index first+i reads input indices xmin[i] .. xmin[i]+n[i]-1 with weights
// k[i*ksize : i*ksize+n[i]] (2^22 = 1.0).
type axisWeights struct {
	first int
	ksize int
	xmin  []int
	n     []int
	k     []int32
}

// newAxisWeights is precompute_coeffs followed by normalize_coeffs_8bpc, for an axis of inSize
// input pixels resampled to outSize, restricted to the output indices [first, last).
func newAxisWeights(inSize, outSize, first, last int) axisWeights {
	// scale = (double)(in1 - in0) / outSize, with in0 = 0 and in1 = inSize held as C floats.
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := bicubicSupport * filterscale
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
			v := bicubicFilter((float64(x+xmin) - center + 0.5) * ss)
			pre[x] = v
			ww += v
		}
		k := w.k[i*ksize : i*ksize+n]
		for x := range n {
			v := pre[x]
			if ww != 0 {
				v /= ww
			}
			// normalize_coeffs_8bpc: round half away from zero at 2^22.
			if v < 0 {
				k[x] = int32(float64(v*fixedOne) - 0.5)
			} else {
				k[x] = int32(float64(v*fixedOne) + 0.5)
			}
		}
		w.xmin[i] = xmin
		w.n[i] = n
	}
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

func newRGBView(w, h int) rgbView {
	return rgbView{pix: make([]uint8, 4*w*h), stride: 4 * w, w: w, h: h}
}

// sub returns the pixels of r (in v's coordinates) without copying.
func (v rgbView) sub(r image.Rectangle) rgbView {
	if r.Empty() {
		return rgbView{}
	}
	return rgbView{pix: v.pix[r.Min.Y*v.stride+4*r.Min.X:], stride: v.stride, w: r.Dx(), h: r.Dy()}
}

func (v rgbView) toRGBA() *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, v.w, v.h))
	for y := range v.h {
		copy(m.Pix[y*m.Stride:y*m.Stride+4*v.w], v.pix[y*v.stride:])
	}
	return m
}

// resampleHorizontal is ImagingResampleHorizontal_8bpc: dst row y is src row y0+y filtered along
// x with wx (dst.w == len(wx.xmin)).
func resampleHorizontal(dst, src rgbView, y0 int, wx *axisWeights) {
	for y := range dst.h {
		srow := src.pix[(y0+y)*src.stride : (y0+y)*src.stride+4*src.w]
		drow := dst.pix[y*dst.stride : y*dst.stride+4*dst.w]
		for xx := range dst.w {
			xmin, n := wx.xmin[xx], wx.n[xx]
			k := wx.k[xx*wx.ksize : xx*wx.ksize+n]
			p := srow[4*xmin : 4*(xmin+n)]
			ss0, ss1, ss2 := int32(fixedHalf), int32(fixedHalf), int32(fixedHalf)
			for j, kw := range k {
				q := p[4*j : 4*j+3]
				ss0 += int32(q[0]) * kw
				ss1 += int32(q[1]) * kw
				ss2 += int32(q[2]) * kw
			}
			d := drow[4*xx : 4*xx+4]
			d[0], d[1], d[2], d[3] = clip8(ss0), clip8(ss1), clip8(ss2), 255
		}
	}
}

// resampleVertical is ImagingResampleVertical_8bpc: dst row yy filters src rows
// wy.xmin[yy]-y0 .. along y. Sums are accumulated a whole row at a time (integer addition, so the
// order does not change the result) to read memory sequentially.
func resampleVertical(dst, src rgbView, y0 int, wy *axisWeights, acc []int32) {
	w := dst.w
	acc = acc[:3*w]
	for yy := range dst.h {
		ymin, n := wy.xmin[yy]-y0, wy.n[yy]
		k := wy.k[yy*wy.ksize : yy*wy.ksize+n]
		for i := range acc {
			acc[i] = fixedHalf
		}
		for j, kw := range k {
			row := src.pix[(ymin+j)*src.stride : (ymin+j)*src.stride+4*w]
			for x := range w {
				p := row[4*x : 4*x+3]
				a := acc[3*x : 3*x+3]
				a[0] += int32(p[0]) * kw
				a[1] += int32(p[1]) * kw
				a[2] += int32(p[2]) * kw
			}
		}
		drow := dst.pix[yy*dst.stride : yy*dst.stride+4*w]
		for x := range w {
			a := acc[3*x : 3*x+3]
			d := drow[4*x : 4*x+4]
			d[0], d[1], d[2], d[3] = clip8(a[0]), clip8(a[1]), clip8(a[2]), 255
		}
	}
}

// resizeBicubicRegion returns region r (in output coordinates, inside outW x outH) of src resized
// to outW x outH as Pillow's Image.resize((outW, outH), BICUBIC) would compute it. As in Pillow,
// the horizontal pass runs only if the width changes and the vertical pass only if the height
// changes; when neither does, the result shares src's pixels.
func resizeBicubicRegion(src rgbView, outW, outH int, r image.Rectangle) rgbView {
	r = r.Intersect(image.Rect(0, 0, outW, outH))
	if r.Empty() || src.w == 0 || src.h == 0 {
		return rgbView{}
	}
	needH := outW != src.w
	needV := outH != src.h
	if !needH && !needV {
		return src.sub(r)
	}

	// Input rows that the vertical pass reads (all of r's rows when there is no vertical pass).
	rowFirst, rowLast := r.Min.Y, r.Max.Y
	var wy axisWeights
	if needV {
		wy = newAxisWeights(src.h, outH, r.Min.Y, r.Max.Y)
		last := len(wy.xmin) - 1
		rowFirst, rowLast = wy.xmin[0], wy.xmin[last]+wy.n[last]
	}

	var mid rgbView // [rowFirst, rowLast) x r's columns, 8-bit as in Pillow's imTemp
	if needH {
		wx := newAxisWeights(src.w, outW, r.Min.X, r.Max.X)
		mid = newRGBView(r.Dx(), rowLast-rowFirst)
		resampleHorizontal(mid, src, rowFirst, &wx)
	} else {
		mid = src.sub(image.Rect(r.Min.X, rowFirst, r.Max.X, rowLast))
	}
	if !needV {
		return mid
	}
	out := newRGBView(r.Dx(), r.Dy())
	resampleVertical(out, mid, rowFirst, &wy, make([]int32, 3*r.Dx()))
	return out
}

// resizeBicubic resizes the whole image: Pillow's img.resize((w, h), Image.BICUBIC) on an RGB
// image. The alpha of the result is 255.
func resizeBicubic(src *image.RGBA, w, h int) *image.RGBA {
	v := resizeBicubicRegion(viewOf(src), w, h, image.Rect(0, 0, w, h))
	if v.w == 0 || v.h == 0 {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	m := v.toRGBA()
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i] = 255
	}
	return m
}
