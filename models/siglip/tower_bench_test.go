package siglip

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkImageTower times the image tower of a full-size checkpoint named by $SIGLIP_BENCH_CHECKPOINT (for example
// a random google/siglip-base-patch16-224 made by shared/bench/make_random_siglip.py with
// configs/siglip-base-patch16-224.json) at batch 1, 8 and 32, on the engine $GOMLX_BACKEND picks. It reports
// images/s. Skipped without the variable: speed is measured by benchmarks, never asserted by tests.
//
//	python3 make_random_siglip.py configs/siglip-base-patch16-224.json 1 /tmp/sorter-bench/siglip-base-patch16-224
//	SIGLIP_BENCH_CHECKPOINT=/tmp/sorter-bench/siglip-base-patch16-224 GOEXPERIMENT=simd \
//	  go test -run '^$' -bench ImageTower -benchtime 3x ./models/siglip
func BenchmarkImageTower(b *testing.B) {
	dir := os.Getenv("SIGLIP_BENCH_CHECKPOINT")
	if dir == "" {
		b.Skip("set SIGLIP_BENCH_CHECKPOINT to a full-size checkpoint folder")
	}
	m, err := Load(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	size := m.ImageSize()
	for _, batch := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			pixels := make([][]float32, batch)
			for i := range pixels {
				pixels[i] = make([]float32, 3*size*size)
				for j := range pixels[i] {
					pixels[i][j] = float32((i+j)%255)/127.5 - 1
				}
			}
			if _, err := m.EmbedImages(pixels); err != nil { // compile the graph for this batch size
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.EmbedImages(pixels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
