package similarity

import (
	"math"
	"slices"
	"sort"
	"testing"
)

func bruteTop(m Matrix, q []float32, k int) []Hit {
	var all []Hit
	for i := 0; i < m.Len(); i++ {
		all = append(all, Hit{i, float32(dotF64(m.Row(i), q))})
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Score > all[b].Score })
	return all[:min(k, len(all))]
}

func TestTop(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, c := range []struct{ n, dim, k int }{{1, 5, 1}, {100, 37, 10}, {3000, 512, 25}, {2000, 1152, 2000}, {600, 64, 5000}} {
			m := clipLike(c.n, c.dim, 3, nil, 0)
			q := randomMatrix(1, c.dim, 9).Data
			got := Top(m, q, c.k)
			want := bruteTop(m, q, c.k)
			if len(got) != len(want) {
				t.Fatalf("n=%d k=%d: %d hits, want %d", c.n, c.k, len(got), len(want))
			}
			for i := range got {
				if i > 0 && !better(got[i-1], got[i]) {
					t.Fatalf("not ordered at %d: %v %v", i, got[i-1], got[i])
				}
				// Rounding may swap near-equal scores; compare scores.
				if math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
					t.Fatalf("n=%d k=%d rank %d: %v, want %v", c.n, c.k, i, got[i], want[i])
				}
				if s := dotF64(m.Row(got[i].Index), q); math.Abs(s-float64(got[i].Score)) > 1e-5 {
					t.Fatalf("score of row %d is %v, exact %v", got[i].Index, got[i].Score, s)
				}
			}
		}
	})
}

func TestTopEdgeCases(t *testing.T) {
	m := randomMatrix(10, 8, 1)
	q := m.Row(3)
	if got := Top(m, q, 0); got != nil {
		t.Fatalf("k=0: %v", got)
	}
	if got := Top(m, q, -1); got != nil {
		t.Fatalf("k<0: %v", got)
	}
	if got := Top(Matrix{Dim: 8}, q, 5); got != nil {
		t.Fatalf("empty: %v", got)
	}
	if got := Top(m, q, 100); len(got) != 10 || got[0].Index != 3 {
		t.Fatalf("k>n: %v", got)
	}
	// Ties: identical rows get identical scores and come out by index,
	// also across the parallel split (large matrix).
	for _, n := range []int{20, 5000} {
		dim := 64
		one := randomMatrix(1, dim, 2).Data
		tie := Matrix{Dim: dim}
		for range n {
			tie.Data = append(tie.Data, one...)
		}
		got := Top(tie, one, 7)
		idx := make([]int, len(got))
		for i, h := range got {
			idx[i] = h.Index
		}
		if !slices.Equal(idx, []int{0, 1, 2, 3, 4, 5, 6}) {
			t.Fatalf("n=%d ties: %v", n, idx)
		}
		// A better row late in the matrix still wins.
		copy(tie.Row(n-1), one)
		tie.Row(n - 2)[0] += 0.5
		got = Top(tie, one, 2)
		if got[0].Index != n-2 || got[1].Index != 0 {
			t.Fatalf("n=%d: %v", n, got)
		}
	}
	// NaN scores rank last.
	nan := randomMatrix(5, 4, 3)
	nan.Row(1)[0] = float32(math.NaN())
	got := Top(nan, nan.Row(2), 5)
	if got[0].Index != 2 || got[4].Index != 1 {
		t.Fatalf("NaN: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("dimension mismatch did not panic")
		}
	}()
	Top(m, q[:3], 1)
}
