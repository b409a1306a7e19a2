package siglip

import (
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/tower/towertest"
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
	towertest.BenchmarkImageTower(b, "SIGLIP_BENCH_CHECKPOINT", func(dir string) (*Model, error) { return Load(dir, Options{}) })
}
