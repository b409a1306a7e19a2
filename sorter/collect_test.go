package sorter

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func testFolder(t testing.TB, src string) Folder {
	f := DefaultFolder()
	f.Source = src
	f.CachePath = filepath.Join(t.TempDir(), "cache", "embeddings.bbolt")
	f.BatchSize, f.Workers = 2, 2
	f.Logf = func(format string, args ...any) { t.Logf("sorter: "+format, args...) }
	return f
}

func TestCollect(t *testing.T) {
	src := colourTree(t)
	m := newFake()
	f := testFolder(t, src)
	first, err := Collect(context.Background(), m, f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, im := range first.Images {
		names = append(names, im.Rel)
		data, err := os.ReadFile(im.Path)
		if err != nil {
			t.Fatal(err)
		}
		if im.SHA256 != sha256.Sum256(data) || im.Size != int64(len(data)) {
			t.Errorf("%s: wrong hash or size", im.Rel)
		}
		if im.Width != 8 || im.Height != 6 {
			t.Errorf("%s: %dx%d, want 8x6", im.Rel, im.Width, im.Height)
		}
		want, _ := m.EmbedImages([][]float32{mustPreprocess(t, m, im.Path)})
		if !slices.Equal(first.Vector(i), want[0]) {
			t.Errorf("%s: vector differs from the model's", im.Rel)
		}
	}
	wantNames := []string{"apple.png", "brick.jpg", "fog.png", "leaf.bmp", "sea.png", "sky", filepath.Join("sub", "cherry.gif"), filepath.Join("sub", "grass.tiff")}
	if !slices.Equal(names, wantNames) {
		t.Errorf("images %q, want %q", names, wantNames)
	}
	if first.Computed != 8 || first.CacheHits != 0 || len(first.Skipped) != 2 {
		t.Errorf("computed %d, hits %d, skipped %v", first.Computed, first.CacheHits, first.Skipped)
	}

	// Again: everything from the cache, and through the file index no file is even opened for hashing; the
	// model decodes nothing.
	before := m.preprocess.Load()
	second, err := Collect(context.Background(), m, f)
	if err != nil {
		t.Fatal(err)
	}
	if second.CacheHits != 8 || second.Computed != 0 || m.preprocess.Load() != before {
		t.Errorf("second run: hits %d, computed %d, decoded %d", second.CacheHits, second.Computed, m.preprocess.Load()-before)
	}
	if !slices.Equal(second.Vectors, first.Vectors) || !slices.EqualFunc(second.Images, first.Images, func(a, b Image) bool { return a == b }) {
		t.Error("second run differs from the first")
	}
}

func mustPreprocess(t *testing.T, m Model, path string) []float32 {
	t.Helper()
	px, err := m.PreprocessImage(path, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// A file changed after it was indexed is hashed again, even when its size and modification time were put back:
// the change time (or inode, when the file is replaced) gives it away on Linux and macOS.
func TestCollectNoticesChangedFiles(t *testing.T) {
	src := colourTree(t)
	m := newFake()
	f := testFolder(t, src)
	if _, err := Collect(context.Background(), m, f); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(src, "apple.png")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, path, "png", green, 1) // same size (8x6 PNG of one colour), other content
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	again, err := Collect(context.Background(), m, f)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, im := range again.Images {
		if im.Rel == "apple.png" && im.SHA256 != sha256.Sum256(data) {
			t.Fatalf("apple.png changed but the old SHA-256 was kept")
		}
	}
	if again.Computed != 1 {
		t.Errorf("computed %d, want 1 (the changed file)", again.Computed)
	}
}

// sort fills the file index too: a search after a sort reads nothing.
func TestSortFillsFileIndex(t *testing.T) {
	src := colourTree(t)
	m := newFake()
	o := testOptions(t, src, filepath.Join(t.TempDir(), "out"), "red", "green")
	runSort(t, m, o)
	f := o.Folder
	before := m.preprocess.Load()
	start := time.Now()
	col, err := Collect(context.Background(), m, f)
	if err != nil {
		t.Fatal(err)
	}
	if col.CacheHits != 8 || m.preprocess.Load() != before {
		t.Errorf("after a sort: hits %d, decoded %d (%v)", col.CacheHits, m.preprocess.Load()-before, time.Since(start))
	}
}
