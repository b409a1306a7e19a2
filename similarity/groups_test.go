package similarity

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

// refTol is the tolerance band of the exactness guarantee (EdgeTolerance
// doc): pairs within it of the bound may go either way.
const refTol = 1e-5

var testBounds = []float32{0.8, 0.9, 0.95, 0.99, 1.0}

// forEachKernel runs f with the portable kernels and, where the CPU has
// them, the SIMD ones.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	t.Run("generic", func(t *testing.T) {
		restore := useGenericKernels()
		defer restore()
		f(t)
	})
	restore, ok := useSIMDKernelsIfAny()
	defer restore()
	if ok {
		t.Run(kernelName, f)
	}
}

func TestGroupsMatchesBruteForce(t *testing.T) {
	type tc struct {
		name string
		m    Matrix
	}
	cases := []tc{
		{"random-37", randomMatrix(300, 37, 1)},
		{"random-512", randomMatrix(200, 512, 2)},
		{"clip-37", clipLike(400, 37, 3, testBounds, 3e-5)},
		{"clip-512", clipLike(700, 512, 4, testBounds, 3e-5)},
		{"clip-768", clipLike(300, 768, 5, testBounds, 3e-5)},
		{"clip-1152", clipLike(300, 1152, 6, testBounds, 3e-5)},
	}
	if raceEnabled {
		cases = cases[:3] // random-37, random-512, clip-37: the same code paths, smaller
	}
	forEachKernel(t, func(t *testing.T) {
		for _, c := range cases {
			for _, b := range testBounds {
				got, err := Groups(context.Background(), c.m, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				above := checkGroups(t, c.m, b, got, refTol)
				if c.name[:4] == "clip" && b < 1 && above == 0 {
					t.Errorf("%s bound %v: no decisive pair above the bound; test data too weak", c.name, b)
				}
			}
		}
	})
}

// TestGroupsAnyK checks exactness does not depend on how many principal
// coordinates the pruning keeps (the cost model only picks one).
func TestGroupsAnyK(t *testing.T) {
	m := clipLike(500, 64, 9, testBounds, 3e-5)
	forEachKernel(t, func(t *testing.T) {
		for _, K := range []int{1, 8, 16, 33, 64} {
			for _, b := range []float32{0.8, 0.95, 0.99} {
				got, st, err := groups(context.Background(), m, b, nil, indexOptions{forceK: K})
				if err != nil {
					t.Fatal(err)
				}
				if st.K != min(K, 64) {
					t.Fatalf("K = %d, want %d", st.K, K)
				}
				checkGroups(t, m, b, got, refTol)
			}
		}
	})
}

// TestPruningBoundIsSound checks the inequality the pruning rests on, pair
// by pair, with a margin: the index's test value must exceed the true
// similarity minus the threshold even after giving back half of the
// rounding slack. Includes data whose residual after K coordinates is
// (nearly) zero, where the square root of a cancelled difference is the
// risk.
func TestPruningBoundIsSound(t *testing.T) {
	lowRank := func(n, dim, rank int) Matrix {
		base := randomMatrix(rank, dim, 21)
		coef := randomMatrix(n, rank, 22)
		m := Matrix{Dim: dim, Data: make([]float32, n*dim)}
		for i := 0; i < n; i++ {
			row := m.Row(i)
			for k, c := range coef.Row(i) {
				for d, v := range base.Row(k) {
					row[d] += c * v
				}
			}
			normalize(row)
		}
		return m
	}
	cases := map[string]Matrix{
		"random":   randomMatrix(200, 96, 1),
		"clip":     clipLike(300, 512, 2, testBounds, 3e-5),
		"lowrank8": lowRank(200, 128, 8),
		"lowrank1": lowRank(100, 64, 1),
	}
	forEachKernel(t, func(t *testing.T) {
		for name, m := range cases {
			for _, K := range []int{4, 8, 32} {
				threshold := float32(0.5)
				ix, err := buildIndex(context.Background(), m, threshold, indexOptions{forceK: K})
				if err != nil {
					t.Fatal(err)
				}
				aug := func(i int) []float64 {
					v := make([]float64, ix.L)
					b, lane := i/blockRows, i%blockRows
					for d := range v {
						v[d] = float64(ix.aug[(b*ix.L+d)*blockRows+lane])
					}
					return v
				}
				n := m.Len()
				worst := math.Inf(1)
				for i := 0; i < n; i++ {
					ai := aug(i)
					for j := i + 1; j < n; j++ {
						aj := aug(j)
						u := float64(ix.h[i]) + float64(ix.h[j])
						for d := range ai {
							u += ai[d] * aj[d]
						}
						// u = (bound - threshold) + slack, computed in float32;
						// need = similarity - threshold, in float64. Sound
						// means u >= need; demand it with half the slack
						// given back, so rounding has plenty of headroom.
						slack := rowSlack * (dotF64(m.Row(i), m.Row(i)) + dotF64(m.Row(j), m.Row(j)))
						need := dotF64(m.Row(i), m.Row(j)) - float64(threshold)
						worst = min(worst, u-slack-need)
						if u-slack/2 < need {
							t.Fatalf("%s K=%d: pair (%d,%d): bound-threshold %g (without slack) < similarity-threshold %g", name, K, i, j, u-slack, need)
						}
					}
				}
				t.Logf("%s K=%d: min over pairs of bound - similarity (without slack) = %.3g", name, K, worst)
			}
		}
	})
}

func TestGroupsSmallAndDegenerate(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1} {
		got, err := Groups(ctx, randomMatrix(n, 8, 1), 0.9, nil)
		if err != nil || len(got) != 0 {
			t.Fatalf("n=%d: %v, %v", n, got, err)
		}
	}
	if got, err := Groups(ctx, Matrix{}, 0.9, nil); err != nil || got != nil {
		t.Fatalf("empty matrix: %v %v", got, err)
	}
	// n = 2: one pair, just above and just below.
	two := randomMatrix(2, 16, 3)
	plantPair(two, 0, 1, 0.9+3e-5, newTestRand())
	if got, _ := Groups(ctx, two, 0.9, nil); !slices.EqualFunc(got, [][]int{{0, 1}}, slices.Equal) {
		t.Fatalf("n=2 above: %v", got)
	}
	plantPair(two, 0, 1, 0.9-3e-5, newTestRand())
	if got, _ := Groups(ctx, two, 0.9, nil); len(got) != 0 {
		t.Fatalf("n=2 below: %v", got)
	}

	forEachKernel(t, func(t *testing.T) {
		// Identical rows (zero variance): one group of everything, at any
		// bound including 1.
		for _, dim := range []int{37, 512} {
			m := randomMatrix(1, dim, 5)
			same := Matrix{Dim: dim}
			for range 300 {
				same.Data = append(same.Data, m.Data...)
			}
			for _, b := range testBounds {
				got, err := Groups(ctx, same, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || len(got[0]) != 300 {
					t.Fatalf("identical rows, dim %d bound %v: %d groups", dim, b, len(got))
				}
			}
		}
		// Half the rows identical, interleaved with random ones.
		m := randomMatrix(400, 64, 6)
		for i := 0; i < 400; i += 2 {
			copy(m.Row(i), m.Row(0))
		}
		got, err := Groups(ctx, m, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkGroups(t, m, 1, got, refTol)
		if len(got) != 1 || len(got[0]) != 200 {
			t.Fatalf("interleaved duplicates: %d groups", len(got))
		}
		// All-zero rows: similarity 0, never grouped.
		zero := Matrix{Dim: 10, Data: make([]float32, 50)}
		if got, err := Groups(ctx, zero, 0.5, nil); err != nil || len(got) != 0 {
			t.Fatalf("zero rows: %v %v", got, err)
		}
	})
}

func TestGroupsBoundValidation(t *testing.T) {
	m := randomMatrix(10, 8, 1)
	for _, b := range []float32{0, -0.5, 1.0001, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		if _, err := Groups(context.Background(), m, b, nil); !errors.Is(err, ErrBound) {
			t.Errorf("bound %v: err = %v, want ErrBound", b, err)
		}
	}
	bad := randomMatrix(10, 8, 1)
	bad.Data[17] = float32(math.NaN())
	if _, err := Groups(context.Background(), bad, 0.9, nil); err == nil {
		t.Error("NaN data accepted")
	}
	if _, err := Groups(context.Background(), Matrix{Dim: 3, Data: make([]float32, 7)}, 0.9, nil); err == nil {
		t.Error("ragged matrix accepted")
	}
}

func TestGroupsCancellation(t *testing.T) {
	m := clipLike(6000, 64, 7, nil, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Groups(ctx, m, 0.9, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("pre-cancelled: err = %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	_, err := Groups(ctx, m, 0.9, func(done, total int) {
		calls++
		if done > 0 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled midway: err = %v after %d progress calls", err, calls)
	}
}

func TestGroupsProgress(t *testing.T) {
	m := clipLike(20000, 16, 8, nil, 0)
	var calls, last, lastTotal int
	_, err := Groups(context.Background(), m, 0.99, func(done, total int) {
		calls++
		if done < last || total <= 0 || done > total {
			t.Errorf("progress(%d, %d) after %d", done, total, last)
		}
		last, lastTotal = done, total
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls > 102 || last != lastTotal {
		t.Fatalf("%d progress calls, last %d/%d", calls, last, lastTotal)
	}
}

// TestPruningPrunes guards the speed of Groups without timing it: on
// CLIP-like data the first test must reject the vast majority of pairs and
// the second most of the rest. (A sign error in the offsets, for instance,
// keeps results exact but checks every pair.)
func TestPruningPrunes(t *testing.T) {
	m := clipLike(4000, 512, 10, nil, 0)
	_, st, err := groups(context.Background(), m, 0.9, nil, indexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pairs := float64(4000*3999) / 2
	t.Logf("%+v", st)
	if float64(st.candidates) > 0.05*pairs || float64(st.checks) > 0.005*pairs {
		t.Fatalf("pruning ineffective: %d candidates, %d full checks of %.0f pairs", st.candidates, st.checks, pairs)
	}
}
