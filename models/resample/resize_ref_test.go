// The resize as first written (a direct transcription of Resample.c's two passes over whole
// intermediate images, and of precompute_coeffs and normalize_coeffs_8bpc for the whole axis as
// Pillow computes it), kept as the reference that resize.go's region-restricted weights and fast
// kernels are compared with on random images.

package resample

import (
	"image"
	"math"
)

// refAxisWeights is precompute_coeffs (ImagingResample's call with in0 = 0, in1 = inSize) then
// normalize_coeffs_8bpc, for every output index as Pillow computes them, then the outputs
// [first, last) kept.
func refAxisWeights(f Filter, inSize, outSize, first, last int) axisWeights {
	filter := mustKernel(f)
	var in0, in1 float32 = 0, float32(inSize)
	scale := float64(in1-in0) / float64(outSize)
	filterscale := scale
	if filterscale < 1.0 {
		filterscale = 1.0
	}
	support := filter.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	bounds := make([]int, 2*outSize)
	prekk := make([]float64, outSize*ksize)
	for xx := range outSize {
		center := float64(in0) + (float64(xx)+0.5)*scale
		ww := 0.0
		ss := 1.0 / filterscale
		xmin := int(center - support + 0.5) // (int) truncates toward zero
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		k := prekk[xx*ksize : (xx+1)*ksize]
		for x := range xmax {
			w := filter.weight((float64(x+xmin) - center + 0.5) * ss)
			k[x] = w
			ww += w
		}
		for x := range xmax {
			if ww != 0.0 {
				k[x] /= ww
			}
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	kk := make([]int32, len(prekk))
	for x, v := range prekk {
		if v < 0 {
			kk[x] = int32(-0.5 + v*(1<<precisionBits))
		} else {
			kk[x] = int32(0.5 + v*(1<<precisionBits))
		}
	}
	w := axisWeights{first: first, ksize: ksize, k: kk[first*ksize : last*ksize]}
	for xx := first; xx < last; xx++ {
		w.xmin = append(w.xmin, bounds[2*xx])
		w.n = append(w.n, bounds[2*xx+1])
	}
	return w
}

func refNewRGBView(w, h int) rgbView {
	return rgbView{pix: make([]uint8, 4*w*h), stride: 4 * w, w: w, h: h}
}

// sub returns the pixels of r (in v's coordinates) without copying.
func (v rgbView) sub(r image.Rectangle) rgbView {
	if r.Empty() {
		return rgbView{}
	}
	return rgbView{pix: v.pix[r.Min.Y*v.stride+4*r.Min.X:], stride: v.stride, w: r.Dx(), h: r.Dy()}
}

// refResampleHorizontal is ImagingResampleHorizontal_8bpc: dst row y is src row y0+y filtered along
// x with wx (dst.w == len(wx.xmin)).
func refResampleHorizontal(dst, src rgbView, y0 int, wx *axisWeights) {
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

// refResampleVertical is ImagingResampleVertical_8bpc: dst row yy filters src rows
// wy.xmin[yy]-y0 .. along y. Sums are accumulated a whole row at a time (integer addition, so the
// order does not change the result) to read memory sequentially.
func refResampleVertical(dst, src rgbView, y0 int, wy *axisWeights, acc []int32) {
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

// refResizeRegion returns region r (in output coordinates, inside outW x outH) of src resized to
// outW x outH as Pillow's Image.resize((outW, outH), f) would compute it. As in Pillow,
// the horizontal pass runs only if the width changes and the vertical pass only if the height
// changes; when neither does, the result shares src's pixels.
func refResizeRegion(f Filter, src rgbView, outW, outH int, r image.Rectangle) rgbView {
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
		wy = refAxisWeights(f, src.h, outH, r.Min.Y, r.Max.Y)
		last := len(wy.xmin) - 1
		rowFirst, rowLast = wy.xmin[0], wy.xmin[last]+wy.n[last]
	}

	var mid rgbView // [rowFirst, rowLast) x r's columns, 8-bit as in Pillow's imTemp
	if needH {
		wx := refAxisWeights(f, src.w, outW, r.Min.X, r.Max.X)
		mid = refNewRGBView(r.Dx(), rowLast-rowFirst)
		refResampleHorizontal(mid, src, rowFirst, &wx)
	} else {
		mid = src.sub(image.Rect(r.Min.X, rowFirst, r.Max.X, rowLast))
	}
	if !needV {
		return mid
	}
	out := refNewRGBView(r.Dx(), r.Dy())
	refResampleVertical(out, mid, rowFirst, &wy, make([]int32, 3*r.Dx()))
	return out
}
