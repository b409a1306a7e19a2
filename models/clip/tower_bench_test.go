package clip

import (
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/tower/towertest"
)

// BenchmarkImageTower times the image tower of a full-size checkpoint named by $CLIP_BENCH_CHECKPOINT (for example
// the random ViT-B/32 that scripts/bench-common.sh makes) at batch 1, 8 and 32, on the engine $GOMLX_BACKEND picks.
// It reports images/s. Skipped without the variable: speed is measured by benchmarks, never asserted by tests.
//
//	CLIP_BENCH_CHECKPOINT=/tmp/sorter-bench/clip-vit-base-patch32 GOEXPERIMENT=simd \
//	  go test -run '^$' -bench ImageTower -benchtime 3x ./models/clip
func BenchmarkImageTower(b *testing.B) {
	towertest.BenchmarkImageTower(b, "CLIP_BENCH_CHECKPOINT", func(dir string) (*Model, error) { return Load(dir, Options{}) })
}
