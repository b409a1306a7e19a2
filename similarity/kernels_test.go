package similarity

import (
	"math"
	"testing"
)

// TestKernelsAgree runs the SIMD kernels (when the CPU has them) against
// the portable ones on the same inputs, including lengths that are not
// multiples of the vector width.
func TestKernelsAgree(t *testing.T) {
	restore, ok := useSIMDKernelsIfAny()
	defer restore()
	if !ok {
		t.Skip("no SIMD kernels on this build/CPU")
	}
	for _, n := range []int{1, 7, 15, 16, 17, 31, 32, 33, 37, 64, 100, 512, 1152} {
		x := randomMatrix(2, n, uint64(n))
		a, b := x.Row(0), x.Row(1)
		got, want := dot(a, b), dotGeneric(a, b)
		if math.Abs(float64(got-want)) > 1e-6 || math.Abs(float64(got)-dotF64(a, b)) > 1e-6 {
			t.Errorf("dot n=%d: simd %v generic %v exact %v", n, got, want, dotF64(a, b))
		}
	}
	// scoreRows
	m := randomMatrix(50, 37, 3)
	q := m.Row(4)
	s1, s2 := make([]float32, 50), make([]float32, 50)
	scoreRows(m.Data, q, s1)
	scoreRowsGeneric(m.Data, q, s2)
	for i := range s1 {
		if math.Abs(float64(s1[i]-s2[i])) > 1e-6 {
			t.Fatalf("scoreRows row %d: %v vs %v", i, s1[i], s2[i])
		}
	}
	// project, with K a multiple of 16 (vector path) and not (fallback).
	for _, K := range []int{16, 48, 64, 80, 128, 20} {
		dim := 77
		basis := randomMatrix(dim, K, uint64(K)).Data
		x := randomMatrix(1, dim, 5).Data
		p1, p2 := make([]float32, K), make([]float32, K)
		project(x, basis, p1)
		projectGeneric(x, basis, p2)
		for k := range p1 {
			if math.Abs(float64(p1[k]-p2[k])) > 1e-5 {
				t.Fatalf("project K=%d coord %d: %v vs %v", K, k, p1[k], p2[k])
			}
		}
	}
	// filterTile: masks must agree except where the tested sum is within
	// rounding of zero; offsets chosen so about half the pairs pass.
	for _, L := range []int{1, 9, 33, 65} {
		a := randomMatrix(tileRows, L, uint64(L)).Data
		bb := randomMatrix(blockRows, L, uint64(L+1)).Data
		var hi [tileRows]float32
		var hj [blockRows]float32
		for i := range hi {
			hi[i] = float32(i%5) * 0.01
		}
		for j := range hj {
			hj[j] = -float32(j%3) * 0.02
		}
		var o1, o2 tileMasks
		r1 := filterTile(a, bb, L, &hi, &hj, &o1)
		r2 := filterTileGeneric(a, bb, L, &hi, &hj, &o2)
		set := 0
		for k := 0; k < tileBlocks; k++ {
			for j := 0; j < blockRows; j++ {
				for r := 0; r < blockRows; r++ {
					i := k*blockRows + r
					var s float64
					for d := 0; d < L; d++ {
						s += float64(a[(k*L+d)*blockRows+r]) * float64(bb[d*blockRows+j])
					}
					s += float64(hi[i]) + float64(hj[j])
					b1, b2 := o1[k][j]>>r&1 == 1, o2[k][j]>>r&1 == 1
					if b1 {
						set++
					}
					if (b1 != b2 || b1 != (s >= 0)) && math.Abs(s) > 1e-5 {
						t.Fatalf("L=%d pair (%d,%d): simd %v generic %v exact %v", L, i, j, b1, b2, s)
					}
				}
			}
		}
		if r1 != (set > 0) || r2 != (set > 0) {
			t.Fatalf("L=%d: return values %v %v with %d bits set", L, r1, r2, set)
		}
		if set == 0 || set == tileRows*blockRows {
			t.Fatalf("L=%d: degenerate test, %d bits set", L, set)
		}
	}
}
