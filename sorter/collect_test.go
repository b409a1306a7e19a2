package sorter

import (
	"context"
	"crypto/sha256"
	"fmt"
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

// lookupAll over thousands of files, read by two goroutines: each file's row is its own embedding, in file order;
// files without a record, with a changed stamp, or whose embedding is missing or of another length are not found.
func TestLookupAll(t *testing.T) {
	const n, dim = 3000, 4
	c, err := openCache(filepath.Join(t.TempDir(), "c.bbolt"), "fake/v1", time.Second, t.Logf)
	must(t, err)
	defer c.close()
	files := make([]candidate, n)
	stamps := make([]*stamp, n)
	var sums [][32]byte
	var vecs [][]float32
	var entries []fileEntry
	var raw []rawEntry
	for i := range files {
		files[i] = candidate{Path: fmt.Sprintf("/folder/%05d.jpg", i)}
		s := stamp{Size: int64(i + 1), ModTime: int64(i)}
		stamps[i] = &s
		sum := sha256.Sum256([]byte(files[i].Path))
		switch i % 7 {
		case 1: // no record
			continue
		case 2: // a record, no embedding
		case 3: // an embedding of another length
			raw = append(raw, rawEntry{sum, make([]byte, 4*dim+4)})
		default:
			sums, vecs = append(sums, sum), append(vecs, []float32{float32(i), 1, 2, 3})
		}
		entries = append(entries, fileEntry{files[i].Path, fileRecord{stamp: s, Sum: sum}})
	}
	stamps[4] = &stamp{Size: 99} // changed since it was recorded
	stamps[5] = nil              // could not be read
	c.put(sums, vecs, raw, entries, nil)
	res := c.lookupAll(files, stamps, dim, 2)
	found := 0
	for i := range files {
		want := i%7 != 1 && i%7 != 2 && i%7 != 3 && i != 4 && i != 5
		k := res.at[i]
		if (k >= 0) != want {
			t.Fatalf("file %d: found %v, want %v", i, k >= 0, want)
		}
		if k < 0 {
			continue
		}
		if k != found || res.vectors[k*dim] != float32(i) || res.recs[k].Size != int64(i+1) {
			t.Fatalf("file %d: row %d holds %v (record size %d)", i, k, res.vectors[k*dim:(k+1)*dim], res.recs[k].Size)
		}
		found++
	}
	if len(res.recs) != found || len(res.vectors) != found*dim {
		t.Errorf("%d records, %d values for %d found", len(res.recs), len(res.vectors), found)
	}
}
