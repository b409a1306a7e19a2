//go:build goexperiment.simd && amd64

package similarity

// AVX-512 versions of the kernels in kernels.go, written with the
// simd/archsimd package (GOEXPERIMENT=simd, Go 1.26). They are installed at
// init only when the CPU has AVX-512 (F+CD+BW+DQ+VL, archsimd.X86.AVX512),
// because executing them elsewhere would fault.

import (
	"simd/archsimd"
	"unsafe"
)

func init() {
	if !archsimd.X86.AVX512() {
		return
	}
	dot = dotAVX512
	scoreRows = scoreRowsAVX512
	filterTile = filterTileAVX512
	project = projectAVX512
	kernelName = "avx512"
}

// useSIMDKernels installs the AVX-512 kernels if the CPU has them and
// reports whether it did. For tests.
func useSIMDKernels() (restore func(), ok bool) {
	d, s, f, p, n := dot, scoreRows, filterTile, project, kernelName
	restore = func() { dot, scoreRows, filterTile, project, kernelName = d, s, f, p, n }
	if !archsimd.X86.AVX512() {
		return restore, false
	}
	dot, scoreRows, filterTile, project, kernelName = dotAVX512, scoreRowsAVX512, filterTileAVX512, projectAVX512, "avx512"
	return restore, true
}

// Every kernel ends with archsimd.ClearAVXUpperBits (VZEROUPPER) before
// returning to ordinary Go code: Go's scalar float code uses legacy SSE
// encodings, and running them with dirty upper halves of the vector
// registers costs a false dependency per instruction. Without it the
// 512-float dot product measured 210 ns instead of ~25.

// load16 loads the 16 floats at p.
func load16(p *float32) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16((*[16]float32)(unsafe.Pointer(p)))
}

// at returns &s[0] advanced by i elements, without a bounds check; callers
// guarantee i < len(s) (or i+16 <= len(s) for a 16-wide load).
func at(s []float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), uintptr(i)*4))
}

// hsum adds the 16 lanes of v. It also ends the vector section of the
// caller: see clearUpper.
func hsum(v archsimd.Float32x16) float32 {
	var t [16]float32
	v.Store(&t)
	archsimd.ClearAVXUpperBits()
	return ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7])) +
		((t[8] + t[9]) + (t[10] + t[11])) + ((t[12] + t[13]) + (t[14] + t[15]))
}

func dotAVX512(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1 archsimd.Float32x16
	i := 0
	for ; i+32 <= n; i += 32 {
		s0 = load16(at(a, i)).MulAdd(load16(at(b, i)), s0)
		s1 = load16(at(a, i+16)).MulAdd(load16(at(b, i+16)), s1)
	}
	if i+16 <= n {
		s0 = load16(at(a, i)).MulAdd(load16(at(b, i)), s0)
		i += 16
	}
	if i < n {
		// The tail goes through a local copy rather than
		// archsimd.LoadFloat32x16SlicePart: that masked load converts the
		// slice to a *[16]float32 reaching past its end, which -race's
		// pointer checks (checkptr) reject.
		var ta, tb [16]float32
		copy(ta[:], a[i:])
		copy(tb[:], b[i:])
		s1 = archsimd.LoadFloat32x16(&ta).MulAdd(archsimd.LoadFloat32x16(&tb), s1)
	}
	return hsum(s0.Add(s1))
}

func scoreRowsAVX512(data []float32, q []float32, out []float32) {
	dim := len(q)
	_ = data[:len(out)*dim]
	for i := range out {
		out[i] = dotAVX512(q, data[i*dim:(i+1)*dim])
	}
}

// filterTileAVX512 is filterTileGeneric with 8 accumulator registers: 4
// blocks of the i side times 2 rows of the j side per pass over the L
// coordinates, 8 passes per tile. (Measured alternatives: 3x3 is as fast,
// larger tiles spill; the compiler's FMA overwrites a multiplicand, so
// every reuse costs a register copy.)
func filterTileAVX512(a, b []float32, L int, hi *[tileRows]float32, hj *[blockRows]float32, out *tileMasks) bool {
	_ = a[tileBlocks*L*blockRows-1]
	_ = b[L*blockRows-1]
	stride := uintptr(L * blockRows * 4)
	var or uint16
	for j := 0; j < blockRows; j += 2 {
		var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
		// Pointers are recomputed from the base each step rather than
		// advanced, so none ever points past the end of its slice (which
		// -race's pointer checks reject).
		base := unsafe.Pointer(unsafe.SliceData(a))
		bbase := unsafe.Pointer(unsafe.SliceData(b))
		for d := 0; d < L; d++ {
			pa := unsafe.Add(base, d*blockRows*4)
			bb := (*[2]float32)(unsafe.Add(bbase, (d*blockRows+j)*4))
			s0 := archsimd.BroadcastFloat32x16(bb[0])
			s1 := archsimd.BroadcastFloat32x16(bb[1])
			x0 := archsimd.LoadFloat32x16((*[16]float32)(pa))
			c00 = x0.MulAdd(s0, c00)
			c01 = x0.MulAdd(s1, c01)
			x1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pa, stride)))
			c10 = x1.MulAdd(s0, c10)
			c11 = x1.MulAdd(s1, c11)
			x2 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pa, 2*stride)))
			c20 = x2.MulAdd(s0, c20)
			c21 = x2.MulAdd(s1, c21)
			x3 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pa, 3*stride)))
			c30 = x3.MulAdd(s0, c30)
			c31 = x3.MulAdd(s1, c31)
		}
		// Loaded here rather than once per tile: the compiler only uses 15
		// vector registers and keeping these live spills the loop above.
		h0 := archsimd.LoadFloat32x16((*[16]float32)(hi[0:16]))
		h1 := archsimd.LoadFloat32x16((*[16]float32)(hi[16:32]))
		h2 := archsimd.LoadFloat32x16((*[16]float32)(hi[32:48]))
		h3 := archsimd.LoadFloat32x16((*[16]float32)(hi[48:64]))
		var zero archsimd.Float32x16
		t0 := archsimd.BroadcastFloat32x16(hj[j])
		t1 := archsimd.BroadcastFloat32x16(hj[j+1])
		m00 := c00.Add(h0).Add(t0).GreaterEqual(zero).ToBits()
		m01 := c01.Add(h0).Add(t1).GreaterEqual(zero).ToBits()
		m10 := c10.Add(h1).Add(t0).GreaterEqual(zero).ToBits()
		m11 := c11.Add(h1).Add(t1).GreaterEqual(zero).ToBits()
		m20 := c20.Add(h2).Add(t0).GreaterEqual(zero).ToBits()
		m21 := c21.Add(h2).Add(t1).GreaterEqual(zero).ToBits()
		m30 := c30.Add(h3).Add(t0).GreaterEqual(zero).ToBits()
		m31 := c31.Add(h3).Add(t1).GreaterEqual(zero).ToBits()
		out[0][j], out[0][j+1] = m00, m01
		out[1][j], out[1][j+1] = m10, m11
		out[2][j], out[2][j+1] = m20, m21
		out[3][j], out[3][j+1] = m30, m31
		or |= m00 | m01 | m10 | m11 | m20 | m21 | m30 | m31
	}
	archsimd.ClearAVXUpperBits()
	return or != 0
}

func projectAVX512(x []float32, basis []float32, out []float32) {
	K := len(out)
	dim := len(x)
	_ = basis[:dim*K]
	if K%16 != 0 {
		projectGeneric(x, basis, out)
		return
	}
	// Four output registers at a time: 64 coordinates per sweep over x.
	k := 0
	for ; k+64 <= K; k += 64 {
		var a0, a1, a2, a3 archsimd.Float32x16
		for d, xv := range x {
			s := archsimd.BroadcastFloat32x16(xv)
			p := d*K + k
			a0 = load16(at(basis, p)).MulAdd(s, a0)
			a1 = load16(at(basis, p+16)).MulAdd(s, a1)
			a2 = load16(at(basis, p+32)).MulAdd(s, a2)
			a3 = load16(at(basis, p+48)).MulAdd(s, a3)
		}
		a0.Store((*[16]float32)(out[k : k+16]))
		a1.Store((*[16]float32)(out[k+16 : k+32]))
		a2.Store((*[16]float32)(out[k+32 : k+48]))
		a3.Store((*[16]float32)(out[k+48 : k+64]))
	}
	for ; k < K; k += 16 {
		var a0 archsimd.Float32x16
		for d, xv := range x {
			a0 = load16(at(basis, d*K+k)).MulAdd(archsimd.BroadcastFloat32x16(xv), a0)
		}
		a0.Store((*[16]float32)(out[k : k+16]))
	}
	archsimd.ClearAVXUpperBits()
}
