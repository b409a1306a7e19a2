//go:build goexperiment.simd && amd64

// AVX2 versions of the two resampling passes (resize.go), used when the CPU has AVX2. They
// compute the very same integer sums as the scalar kernels, then the same shift and clamp, so the
// bytes are identical: products of 8-bit pixels and fixed-point weights added in 32-bit lanes,
// in whatever order (integer addition is exact, and wrap-around in partial sums cancels out since
// every final sum fits in an int32). TestResizeMatchesReference compares them with the scalar
// kernels and with a direct transcription of Resample.c on random images; the golden tests run
// them on the fixtures.
//
// The four bytes of a pixel are processed together (alpha included, and thrown away), as the
// images are RGBA. The horizontal pass, most of the work, multiplies with VPMADDWD on 16-bit
// values (the weights split in two halves, see weightShift); the vertical pass with VPMULLD.
// Vector registers are cleared (VZEROUPPER) before returning, so that SSE code running later on
// the thread (math.Exp, for one) pays no AVX-SSE transition penalty.

package resample

import (
	"encoding/binary"
	"simd/archsimd"
)

func init() {
	if archsimd.X86.AVX2() {
		kernels = resampleKernels{
			name:        "avx2",
			horizontal:  horizontalAVX2,
			vertical:    verticalAVX2,
			prepare:     prepareAVX2,
			horizontal2: horizontal2AVX2,
		}
	}
}

// spread[q] (VPSHUFB, per 128-bit half) widens pixel q of each half of 32 loaded bytes to four
// 32-bit lanes: pixels q and q+4 of 8 consecutive pixels.
var spread = func() (m [4][32]int8) {
	for q := range 4 {
		for i := range 32 {
			m[q][i] = -1 // zero
		}
		for c := range 4 {
			m[q][4*c] = int8(4*q + c)
			m[q][16+4*c] = int8(4*q + c)
		}
	}
	return m
}()

// lowBytes gathers the low byte of each of eight 16-bit lanes into bytes 0..7 (lowBytes[0]) or
// 8..15 (lowBytes[1]) of each 128-bit half, zeroing the others.
var lowBytes = func() (m [2][32]int8) {
	for h := range 2 {
		for i := range 32 {
			m[h][i] = -1
		}
		for half := range 2 {
			for i := range 8 {
				m[h][16*half+8*h+i] = int8(2 * i)
			}
		}
	}
	return m
}()

// pairs[h] (VPSHUFB, per 128-bit half) widens pixels 2h and 2h+1 of each half of 32 loaded bytes
// to 16-bit lanes, interleaved per channel (r r g g b b a a) for VPMADDWD: pixels (0,1) and (4,5)
// of 8 consecutive pixels, or (2,3) and (6,7).
var pairs = func() (m [2][32]int8) {
	for h := range 2 {
		for i := range 32 {
			m[h][i] = -1 // zero
		}
		for half := range 2 {
			for c := range 4 {
				m[h][16*half+4*c] = int8(8*h + c)       // pixel 2h, channel c
				m[h][16*half+4*c+2] = int8(8*h + 4 + c) // pixel 2h+1, channel c
			}
		}
	}
	return m
}()

// Splitting the weights: VPMADDWD multiplies 16-bit values, and the 22-bit fixed-point weights
// do not fit. With k = hi<<weightShift + lo (hi = k>>weightShift, arithmetic, so 0 <= lo <
// 1<<weightShift and -2^15 < hi < 2^15), sum(p*k) = sum(p*hi)<<weightShift + sum(p*lo): computed
// in wrapping 32-bit arithmetic, this is exact because the true sum fits in an int32.
const weightShift = 11

// prepareAVX2 lays out the horizontal weights for horizontal2AVX2: every output pixel reads a
// window of vwin input pixels (its longest tap count rounded up to 4), moved left at the right
// edge so that it stays inside the row, with zero weights around its real taps. For each block of
// 8 taps there are four vectors of 16 int16: taps (0,1 | 4,5) as hi, then lo, taps (2,3 | 6,7) as
// hi, then lo, each pair repeated for the four channels; a final block of 4 taps has four vectors
// of 8: (0,1) hi, lo, (2,3) hi, lo.
func prepareAVX2(wx *axisWeights, inSize int) {
	maxn := 0
	for _, n := range wx.n {
		maxn = max(maxn, n)
	}
	win := (maxn + 3) &^ 3
	if win == 0 || win > inSize {
		return // vwin 0: horizontal2AVX2 falls back to the scalar kernel
	}
	count := len(wx.xmin)
	wx.vwin = win
	wx.vkLen = 8 * win
	wx.vstart = make([]int, count)
	wx.vk = make([]int16, count*wx.vkLen)
	taps := make([]int32, win)
	// put writes taps t0 and t1, split, as four channel pairs at vk[o:], hi then lo at vk[o+gap:].
	put := func(vk []int16, o, gap, t0, t1 int) {
		for c := range 4 {
			vk[o+2*c], vk[o+2*c+1] = int16(taps[t0]>>weightShift), int16(taps[t1]>>weightShift)
			vk[o+gap+2*c] = int16(taps[t0] & (1<<weightShift - 1))
			vk[o+gap+2*c+1] = int16(taps[t1] & (1<<weightShift - 1))
		}
	}
	for i, xmin := range wx.xmin {
		s := min(xmin, inSize-win)
		wx.vstart[i] = s
		clear(taps)
		copy(taps[xmin-s:], wx.k[i*wx.ksize:i*wx.ksize+wx.n[i]])
		vk := wx.vk[i*wx.vkLen : (i+1)*wx.vkLen]
		b := 0
		for ; b+8 <= win; b += 8 {
			o := 8 * b
			put(vk, o, 16, b, b+1)
			put(vk, o+8, 16, b+4, b+5)
			put(vk, o+32, 16, b+2, b+3)
			put(vk, o+40, 16, b+6, b+7)
		}
		if b < win {
			o := 8 * b
			put(vk, o, 8, b, b+1)
			put(vk, o+16, 8, b+2, b+3)
		}
	}
}

// horizontalAVX2 is one row alone (at most one a resize: rows otherwise go in pairs).
func horizontalAVX2(dst, src []uint8, wx *axisWeights) {
	horizontal2AVX2(dst, make([]uint8, len(dst)), src, src, wx)
}

// horizontal2AVX2 is the horizontal pass (ImagingResampleHorizontal_8bpc) of two rows at once,
// which share the weights' loads and the loop's bookkeeping. Per output pixel, 8 taps at a time:
// one 32-byte load per row, two VPSHUFB to 16-bit channel pairs, four VPMADDWD with the hi and lo
// halves of the weights.
func horizontal2AVX2(dst0, dst1, src0, src1 []uint8, wx *axisWeights) {
	win := wx.vwin
	if win == 0 {
		horizontalScalar(dst0, src0, wx)
		horizontalScalar(dst1, src1, wx)
		return
	}
	ma := archsimd.LoadInt8x32(&pairs[0])
	mb := archsimd.LoadInt8x32(&pairs[1])
	ma4, mb4 := ma.GetLo(), mb.GetLo()
	tail := win&4 != 0
	kl := wx.vkLen
	dst0 = dst0[:4*len(wx.vstart)]
	dst1 = dst1[:4*len(wx.vstart)]
	for xx, s := range wx.vstart {
		p0 := src0[4*s : 4*(s+win)]
		p1 := src1[4*s : 4*(s+win)]
		k := wx.vk[kl*xx : kl*(xx+1)]
		var hi0, lo0, hi1, lo1 archsimd.Int32x8
		for len(k) >= 64 {
			v0 := archsimd.LoadUint8x32Slice(p0)
			v1 := archsimd.LoadUint8x32Slice(p1)
			a0, a1 := v0.PermuteOrZeroGrouped(ma).AsInt16x16(), v1.PermuteOrZeroGrouped(ma).AsInt16x16()
			w := archsimd.LoadInt16x16Slice(k[0:16])
			hi0, hi1 = hi0.Add(a0.DotProductPairs(w)), hi1.Add(a1.DotProductPairs(w))
			w = archsimd.LoadInt16x16Slice(k[16:32])
			lo0, lo1 = lo0.Add(a0.DotProductPairs(w)), lo1.Add(a1.DotProductPairs(w))
			b0, b1 := v0.PermuteOrZeroGrouped(mb).AsInt16x16(), v1.PermuteOrZeroGrouped(mb).AsInt16x16()
			w = archsimd.LoadInt16x16Slice(k[32:48])
			hi0, hi1 = hi0.Add(b0.DotProductPairs(w)), hi1.Add(b1.DotProductPairs(w))
			w = archsimd.LoadInt16x16Slice(k[48:64])
			lo0, lo1 = lo0.Add(b0.DotProductPairs(w)), lo1.Add(b1.DotProductPairs(w))
			p0, p1, k = p0[32:], p1[32:], k[64:]
		}
		h0, l0 := hi0.GetLo().Add(hi0.GetHi()), lo0.GetLo().Add(lo0.GetHi())
		h1, l1 := hi1.GetLo().Add(hi1.GetHi()), lo1.GetLo().Add(lo1.GetHi())
		if tail {
			v0 := archsimd.LoadUint8x16Slice(p0)
			v1 := archsimd.LoadUint8x16Slice(p1)
			a0, a1 := v0.PermuteOrZero(ma4).AsInt16x8(), v1.PermuteOrZero(ma4).AsInt16x8()
			w := archsimd.LoadInt16x8Slice(k[0:8])
			h0, h1 = h0.Add(a0.DotProductPairs(w)), h1.Add(a1.DotProductPairs(w))
			w = archsimd.LoadInt16x8Slice(k[8:16])
			l0, l1 = l0.Add(a0.DotProductPairs(w)), l1.Add(a1.DotProductPairs(w))
			b0, b1 := v0.PermuteOrZero(mb4).AsInt16x8(), v1.PermuteOrZero(mb4).AsInt16x8()
			w = archsimd.LoadInt16x8Slice(k[16:24])
			h0, h1 = h0.Add(b0.DotProductPairs(w)), h1.Add(b1.DotProductPairs(w))
			w = archsimd.LoadInt16x8Slice(k[24:32])
			l0, l1 = l0.Add(b0.DotProductPairs(w)), l1.Add(b1.DotProductPairs(w))
		}
		// Both rows' sums in one vector: row 0 in the lower half, row 1 in the upper.
		sum := archsimd.Int32x8{}.SetLo(h0).SetHi(h1).ShiftAllLeft(weightShift).
			Add(archsimd.Int32x8{}.SetLo(l0).SetHi(l1)).
			Add(archsimd.BroadcastInt32x8(fixedHalf)).ShiftAllRight(precisionBits)
		px := sum.SaturateToUint16ConcatGrouped(sum).Min(archsimd.BroadcastUint16x16(255)).
			AsUint8x32().PermuteOrZeroGrouped(archsimd.LoadInt8x32(&lowBytes[0]))
		binary.LittleEndian.PutUint32(dst0[4*xx:], px.GetLo().AsUint32x4().GetElem(0))
		binary.LittleEndian.PutUint32(dst1[4*xx:], px.GetHi().AsUint32x4().GetElem(0))
	}
	archsimd.ClearAVXUpperBits()
}

// verticalAVX2 is the vertical pass (ImagingResampleVertical_8bpc) of one output row, 8 pixels
// at a time: per input row, one 32-byte load, four VPSHUFB widening a pixel to 32-bit lanes and
// four VPMULLD by the row's weight. The last pixels, if fewer than 8, are done by the scalar code.
func verticalAVX2(dst []uint8, rows [][]uint8, k []int32) {
	rows = rows[:len(k)]
	m0 := archsimd.LoadInt8x32(&spread[0])
	m1 := archsimd.LoadInt8x32(&spread[1])
	m2 := archsimd.LoadInt8x32(&spread[2])
	m3 := archsimd.LoadInt8x32(&spread[3])
	half := archsimd.BroadcastInt32x8(fixedHalf)
	top := archsimd.BroadcastUint16x16(255)
	x := 0
	for ; x+32 <= len(dst); x += 32 {
		a0, a1, a2, a3 := half, half, half, half
		for j, kw := range k {
			v := archsimd.LoadUint8x32Slice(rows[j][x : x+32])
			w := archsimd.BroadcastInt32x8(kw)
			a0 = a0.Add(v.PermuteOrZeroGrouped(m0).AsInt32x8().Mul(w))
			a1 = a1.Add(v.PermuteOrZeroGrouped(m1).AsInt32x8().Mul(w))
			a2 = a2.Add(v.PermuteOrZeroGrouped(m2).AsInt32x8().Mul(w))
			a3 = a3.Add(v.PermuteOrZeroGrouped(m3).AsInt32x8().Mul(w))
		}
		// a0..a3 hold pixels (0,4), (1,5), (2,6), (3,7); packing pairs per 128-bit half gives
		// 0,1 | 4,5 and 2,3 | 6,7 as 16-bit values, then bytes 0,1,2,3 | 4,5,6,7.
		u01 := a0.ShiftAllRight(precisionBits).SaturateToUint16ConcatGrouped(a1.ShiftAllRight(precisionBits)).Min(top)
		u23 := a2.ShiftAllRight(precisionBits).SaturateToUint16ConcatGrouped(a3.ShiftAllRight(precisionBits)).Min(top)
		lo := u01.AsUint8x32().PermuteOrZeroGrouped(archsimd.LoadInt8x32(&lowBytes[0]))
		hi := u23.AsUint8x32().PermuteOrZeroGrouped(archsimd.LoadInt8x32(&lowBytes[1]))
		lo.Or(hi).StoreSlice(dst[x : x+32])
	}
	archsimd.ClearAVXUpperBits()
	if x < len(dst) {
		verticalScalarFrom(dst, rows, k, x)
	}
}
