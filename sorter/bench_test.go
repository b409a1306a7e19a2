package sorter

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkCachedRerun times `sorter sort --dry-run` with new labels over a
// folder of 10,000 tiny images whose embeddings are all cached: discovery,
// reading and hashing every file, cache look-ups, scoring and the reports.
// Target: under 1 s per run (see the speed section).
func BenchmarkCachedRerun(b *testing.B) {
	const n = 10000
	root := b.TempDir()
	src := filepath.Join(root, "src")
	for i := range n {
		writeImage(b, filepath.Join(src, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("img%05d.png", i)), "png", red, i)
	}
	o := DefaultOptions()
	o.Source, o.Destination, o.DryRun = src, filepath.Join(root, "labelled"), true
	o.CachePath = filepath.Join(root, "cache.bbolt")
	o.Labels = []string{"red", "green", "blue"}
	if _, err := Run(context.Background(), newFake(), o); err != nil { // fills the cache
		b.Fatal(err)
	}
	o.Labels = []string{"weapon", "a meme", "screenshot of a newspaper article", "a picture of a person"}
	m := newFake()
	for b.Loop() {
		s, err := Run(context.Background(), m, o)
		if err != nil {
			b.Fatal(err)
		}
		if s.CacheHits != n || s.Sorted != n {
			b.Fatalf("%d cache hits, %d sorted; want %d", s.CacheHits, s.Sorted, n)
		}
	}
	if m.embedCalls.Load() != 0 {
		b.Fatalf("EmbedImages called %d times on a cached folder", m.embedCalls.Load())
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
