package similarity

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Benchmarks. Run, e.g.:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench . -benchtime 1x ./similarity/
//
// Each Groups benchmark reports the pruning statistics and the peak Go
// heap in use (sampled) as extra metrics.

var benchData sync.Map // cached generated matrices

func benchMatrix(kind string, n, dim int) Matrix {
	key := fmt.Sprintf("%s/%d/%d", kind, n, dim)
	if m, ok := benchData.Load(key); ok {
		return m.(Matrix)
	}
	var m Matrix
	switch kind {
	case "clip":
		m = clipLike(n, dim, 42, []float32{0.8, 0.9, 0.95, 0.99}, 3e-5)
	case "random":
		m = randomMatrix(n, dim, 42)
	case "identical":
		one := randomMatrix(1, dim, 42)
		m = Matrix{Dim: dim, Data: make([]float32, 0, n*dim)}
		for range n {
			m.Data = append(m.Data, one.Data...)
		}
	case "tight": // every pair within the bound, none identical
		m = clipLike(n, dim, 42, nil, 0)
		base := m.Row(0)
		for i := 1; i < n; i++ {
			row := m.Row(i)
			for d := range row {
				row[d] = base[d] + 0.01*row[d]
			}
			normalize(row)
		}
	}
	benchData.Store(key, m)
	return m
}

// peakHeap samples the heap while f runs and returns the largest
// HeapInuse seen minus the value before.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	peak := base
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var s runtime.MemStats
				runtime.ReadMemStats(&s)
				peak = max(peak, s.HeapInuse)
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	return max(peak, ms.HeapInuse) - base
}

func BenchmarkGroups(b *testing.B) {
	for _, c := range []struct {
		kind   string
		n, dim int
		bound  float32
	}{
		{"clip", 10000, 512, 0.9},
		{"clip", 100000, 512, 0.9},
		{"clip", 100000, 512, 0.95},
		{"clip", 100000, 768, 0.9},
		{"clip", 100000, 1152, 0.9},
		{"identical", 100000, 512, 0.9},
		{"tight", 100000, 512, 0.9},
		{"random", 10000, 512, 0.9},
	} {
		b.Run(fmt.Sprintf("%s/n=%d/dim=%d/bound=%v", c.kind, c.n, c.dim, c.bound), func(b *testing.B) {
			m := benchMatrix(c.kind, c.n, c.dim)
			b.ResetTimer()
			var st groupStats
			var mem uint64
			for b.Loop() {
				mem = peakHeap(func() {
					var err error
					_, st, err = groups(context.Background(), m, c.bound, nil, indexOptions{})
					if err != nil {
						b.Fatal(err)
					}
				})
			}
			pairs := float64(c.n) * float64(c.n-1) / 2
			b.ReportMetric(float64(st.K), "K")
			b.ReportMetric(float64(st.candidates)/pairs, "pass-rate")
			b.ReportMetric(float64(st.checks), "checks")
			b.ReportMetric(float64(mem)/(1<<20), "peak-MiB")
		})
	}
}

// BenchmarkGroupsGeneric is the portable path (other CPUs, other
// architectures, GOEXPERIMENT unset) for comparison.
func BenchmarkGroupsGeneric(b *testing.B) {
	restore := useGenericKernels()
	defer restore()
	m := benchMatrix("clip", 10000, 512)
	for b.Loop() {
		if _, err := Groups(context.Background(), m, 0.9, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTop(b *testing.B) {
	for _, c := range []struct{ n, dim, k int }{{100000, 512, 20}, {100000, 1152, 20}, {100000, 512, 100000}} {
		b.Run(fmt.Sprintf("n=%d/dim=%d/k=%d", c.n, c.dim, c.k), func(b *testing.B) {
			m := benchMatrix("clip", c.n, c.dim)
			q := m.Row(7)
			for b.Loop() {
				Top(m, q, c.k)
			}
		})
	}
}

// BenchmarkFilterTile measures the pruning kernel alone on L1-resident
// data and reports GFLOP/s (2 flops per multiply-add).
func BenchmarkFilterTile(b *testing.B) {
	for _, L := range []int{33, 65} {
		a := randomMatrix(tileRows, L, 1).Data
		bb := randomMatrix(blockRows, L, 2).Data
		var hi [tileRows]float32
		var hj [blockRows]float32
		var out tileMasks
		run := func(b *testing.B) {
			for b.Loop() {
				filterTile(a, bb, L, &hi, &hj, &out)
			}
			b.ReportMetric(float64(b.N)*float64(tileRows*blockRows*L*2)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(fmt.Sprintf("%s/L=%d", kernelName, L), run)
		restore := useGenericKernels()
		b.Run(fmt.Sprintf("generic/L=%d", L), run)
		restore()
	}
}

func BenchmarkDot(b *testing.B) {
	x := randomMatrix(2, 512, 1)
	run := func(b *testing.B) {
		for b.Loop() {
			dot(x.Row(0), x.Row(1))
		}
		b.ReportMetric(float64(b.N)*512*2/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run(kernelName, run)
	restore := useGenericKernels()
	b.Run("generic", run)
	restore()
}
