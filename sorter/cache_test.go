package sorter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	bolt "go.etcd.io/bbolt"
)

// logLines collects Logf output.
func logLines(o *Options) *[]string {
	var lines []string
	o.Logf = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	return &lines
}

func TestCacheSecondRunWithOtherLabels(t *testing.T) {
	src := colourTree(t)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "first"), "red", "green", "blue")
	first := newFake()
	runSort(t, first, o)
	if first.embedded.Load() != 8 {
		t.Fatalf("first run embedded %d images, want 8", first.embedded.Load())
	}
	o.Destination = filepath.Join(t.TempDir(), "second")
	o.Labels = []string{"something red", "something blue", "a cat"}
	second := newFake()
	s := runSort(t, second, o)
	if n := second.embedCalls.Load(); n != 0 {
		t.Errorf("second run called EmbedImages %d times, want 0", n)
	}
	if n := second.preprocess.Load(); n != 0 {
		t.Errorf("second run preprocessed %d images, want 0", n)
	}
	if second.textCalls.Load() != 1 || len(second.texts) != 3 || second.texts[2] != "This is a photo of a cat." {
		t.Errorf("second run embedded texts %q in %d calls; want the 3 new prompts once", second.texts, second.textCalls.Load())
	}
	if s.CacheHits != 8 || s.CacheMisses != 0 || s.Sorted != 8 {
		t.Errorf("hits %d misses %d sorted %d", s.CacheHits, s.CacheMisses, s.Sorted)
	}
	if !strings.Contains(s.String(), "Embedding cache: 8 reused, 0 computed") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestCacheInvalidation(t *testing.T) {
	src := colourTree(t)
	o := testOptions(t, src, "", "red", "green", "blue")
	o.DryRun = true
	o.Destination = t.TempDir()
	runSort(t, newFake(), o)

	other := newFake()
	other.key = "fake/v2" // another model or preprocessing
	if s := runSort(t, other, o); s.CacheMisses != 8 || s.CacheHits != 0 {
		t.Errorf("after a CacheKey change: %d hits, %d misses; want all 8 recomputed", s.CacheHits, s.CacheMisses)
	}
	writeImage(t, filepath.Join(src, "apple.png"), "png", green, 1234) // content changed, same name
	m := newFake()
	s := runSort(t, m, o)
	if s.CacheMisses != 1 || s.CacheHits != 7 || m.embedded.Load() != 1 {
		t.Errorf("after changing one file: %d hits, %d misses, %d embedded; want 7, 1, 1", s.CacheHits, s.CacheMisses, m.embedded.Load())
	}
	// The new content is scored as what it now is.
	rows := csvtest.Read(t, filepath.Join(o.Destination, "output.dry-run.csv"))
	for i, n := range column(t, rows, "image_name") {
		if filepath.Base(n) == "apple.png" && column(t, rows, "label")[i] != "green" {
			t.Errorf("apple.png (now green) labelled %s", column(t, rows, "label")[i])
		}
	}
}

func TestCorruptCache(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "a.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "b.png"), "png", blue, 2)

	// run sorts src as a dry run with a fresh fake and returns the fake and the log.
	run := func(t *testing.T, cache string) (*fakeModel, []string) {
		o := testOptions(t, src, t.TempDir(), "red", "blue")
		o.DryRun, o.CachePath = true, cache
		lines := logLines(&o)
		m := newFake()
		runSort(t, m, o)
		return m, *lines
	}
	expectAside := func(t *testing.T, cache, kind, content string) {
		matches, _ := filepath.Glob(cache + "." + kind + "-*")
		if len(matches) != 1 {
			t.Fatalf("want the old file moved aside as %s.%s-<time>, found %q", cache, kind, matches)
		}
		if content != "" && readFile(t, matches[0]) != content {
			t.Errorf("the moved-aside file was altered")
		}
	}
	expectRebuilt := func(t *testing.T, cache string) {
		if m, _ := run(t, cache); m.embedCalls.Load() != 0 {
			t.Errorf("the rebuilt cache was not used by the next run")
		}
	}

	t.Run("not a database", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
		writeFile(t, cache, []byte("my notes, saved here by mistake\n"))
		m, log := run(t, cache)
		if m.embedded.Load() != 2 || !containsLine(log, "is not a valid cache file (invalid database); moved it aside") {
			t.Errorf("embedded %d; log %q", m.embedded.Load(), log)
		}
		expectAside(t, cache, "unreadable", "my notes, saved here by mistake\n")
		expectRebuilt(t, cache)
	})
	t.Run("damaged database", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
		run(t, cache)
		data, _ := os.ReadFile(cache)
		for i := 0; i < 2*4096 && i < len(data); i++ { // both meta pages
			data[i] ^= 0x5A
		}
		writeFile(t, cache, data)
		m, log := run(t, cache)
		if m.embedded.Load() != 2 || !containsLine(log, "moved it aside") {
			t.Errorf("embedded %d; log %q", m.embedded.Load(), log)
		}
		expectAside(t, cache, "unreadable", "")
		expectRebuilt(t, cache)
	})
	t.Run("another program's database", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
		db, err := bolt.Open(cache, 0o600, nil)
		must(t, err)
		must(t, db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("invoices")); return err }))
		db.Close()
		m, log := run(t, cache)
		if m.embedded.Load() != 2 || !containsLine(log, "belongs to another program; moved it aside") {
			t.Errorf("embedded %d; log %q", m.embedded.Load(), log)
		}
		expectAside(t, cache, "foreign", "")
		expectRebuilt(t, cache)
	})
	t.Run("our cache, other version", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
		run(t, cache)
		db, err := bolt.Open(cache, 0o600, nil)
		must(t, err)
		must(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put([]byte("version"), []byte("0")) }))
		db.Close()
		m, log := run(t, cache)
		if m.embedded.Load() != 2 || !containsLine(log, "written by another version of this sorter; deleted it") {
			t.Errorf("embedded %d; log %q", m.embedded.Load(), log)
		}
		if matches, _ := filepath.Glob(cache + ".*"); len(matches) != 0 {
			t.Errorf("our own old cache should be deleted, not kept: %q", matches)
		}
		expectRebuilt(t, cache)
	})
	t.Run("entry of the wrong length", func(t *testing.T) {
		cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
		run(t, cache)
		sum, err := hashFile(filepath.Join(src, "a.png"))
		must(t, err)
		db, err := bolt.Open(cache, 0o600, nil)
		must(t, err)
		must(t, db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketModels).Bucket([]byte("fake/v1")).Put(sum[:], []byte{1, 2, 3, 4, 5, 6, 7, 8})
		}))
		db.Close()
		m, log := run(t, cache)
		if m.embedded.Load() != 1 || !containsLine(log, "holds an entry of 8 bytes where 32 were expected; not trusted, recomputing") {
			t.Errorf("embedded %d (want 1: the bad entry); log %q", m.embedded.Load(), log)
		}
		expectRebuilt(t, cache) // the bad entry was overwritten
	})
}

func containsLine(lines []string, part string) bool {
	for _, l := range lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

// A second process using the same cache gets a clear error, quickly, and nothing is created.
func TestCacheInUse(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "embeddings.bbolt")
	_, lines, stdin := startChild(t, "holdcache", "SORTER_TEST_CACHE="+cache)
	select {
	case l := <-lines:
		if l != "ready" {
			t.Fatalf("child said %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child never opened the cache")
	}
	defer stdin.Close()
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "blue")
	o.CachePath, o.CacheTimeout = cache, 200*time.Millisecond
	start := time.Now()
	_, err := Run(context.Background(), newFake(), o)
	if !errors.Is(err, ErrCacheInUse) || !strings.Contains(err.Error(), "in use by another sorter process") || !strings.Contains(Hint(err), "--cache") {
		t.Errorf("err = %v (hint %q); want ErrCacheInUse with a hint", err, Hint(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the destination was created although the run could not start")
	}
	if err := ClearCache(cache); !errors.Is(err, ErrCacheInUse) || !strings.Contains(Hint(err), "wait for the other sort to finish") {
		t.Errorf("ClearCache of a cache in use: %v (hint %q)", err, Hint(err))
	}
}

func TestClearCache(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "embeddings.bbolt")
	must(t, ClearCache(cache)) // nothing there: fine
	src := colourTree(t)
	o := testOptions(t, src, t.TempDir(), "red", "blue")
	o.CachePath, o.DryRun = cache, true
	runSort(t, newFake(), o)
	must(t, ClearCache(cache))
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("cache still there after ClearCache")
	}
	notes := filepath.Join(dir, "notes.txt")
	writeFile(t, notes, []byte("precious"))
	if err := ClearCache(notes); err == nil || !strings.Contains(err.Error(), "not deleted") || !strings.Contains(Hint(err), "delete it yourself") {
		t.Errorf("ClearCache(a text file) = %v (hint %q); want a refusal with a hint", err, Hint(err))
	}
	if readFile(t, notes) != "precious" {
		t.Errorf("ClearCache touched a file that is not a cache")
	}

	t.Run("read-only folder", func(t *testing.T) {
		dir := t.TempDir()
		cache := filepath.Join(dir, "embeddings.bbolt")
		o := testOptions(t, colourTree(t), t.TempDir(), "red", "blue")
		o.CachePath, o.DryRun = cache, true
		runSort(t, newFake(), o)
		must(t, os.Chmod(dir, 0o555))
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		if f, err := os.Create(filepath.Join(dir, "probe")); err == nil {
			f.Close()
			t.Skip("a read-only folder is still writable here (running as root), so the deletion cannot fail")
		}
		err := ClearCache(cache)
		if err == nil || !strings.Contains(err.Error(), "cannot delete the embedding cache") || !strings.Contains(Hint(err), "delete the file yourself") {
			t.Errorf("ClearCache in a read-only folder = %v (hint %q); want an error with a hint", err, Hint(err))
		}
	})
}

func TestNoCache(t *testing.T) {
	src := colourTree(t)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "blue")
	o.NoCache = true
	s := runSort(t, newFake(), o)
	if _, err := os.Stat(o.CachePath); !os.IsNotExist(err) {
		t.Errorf("a cache file was created with NoCache")
	}
	if s.CachePath != "" || !strings.Contains(s.String(), "Embedding cache: off") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestDefaultCachePath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	p, err := DefaultCachePath()
	must(t, err)
	if p != filepath.Join(dir, "smart-image-sorter", "embeddings.bbolt") && !strings.HasSuffix(p, filepath.Join("smart-image-sorter", "embeddings.bbolt")) {
		t.Errorf("DefaultCachePath() = %s", p)
	}
}

// TestModelBatchesAreFullWithPartialCache: with every other image already cached, each model call still gets
// BatchSize images (but the last), so an engine compiles one graph instead of one per number of misses.
func TestModelBatchesAreFullWithPartialCache(t *testing.T) {
	src, _ := manyImages(t, t.TempDir(), 24)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "first"), "red", "green", "blue")
	o.BatchSize = 4
	// Fill the cache with half of the images: sort a copy of the folder holding every other one.
	half := filepath.Join(t.TempDir(), "half")
	i := 0
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".png" {
			return err
		}
		i++
		if i%2 == 0 {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			writeFile(t, filepath.Join(half, filepath.Base(filepath.Dir(p))+"-"+filepath.Base(p)), data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	oh := o
	oh.Source, oh.Destination, oh.Recursive = half, filepath.Join(t.TempDir(), "half-out"), false
	runSort(t, newFake(), oh)

	m := newFake()
	var sizes []int
	m.onEmbed = func(call, n int) { sizes = append(sizes, n) }
	o.Recursive = true
	runSort(t, m, o)
	if len(sizes) != 3 || sizes[0] != 4 || sizes[1] != 4 || sizes[2] != 4 {
		t.Errorf("model calls of %v images, want 3 calls of 4 (12 misses, batch size 4)", sizes)
	}
}

// batchSizedFake is a model whose engine prefers a batch size, as models.Model reports it.
type batchSizedFake struct {
	*fakeModel
	preferred int
}

func (f batchSizedFake) BatchSize() int { return f.preferred }

// TestBatchSizeFromModel: BatchSize 0 uses the model's engine's choice, else DefaultBatchSize; a BatchSize given
// wins over both.
func TestBatchSizeFromModel(t *testing.T) {
	src, _ := manyImages(t, t.TempDir(), 12)
	for _, tc := range []struct {
		asked, preferred int // preferred 0: a model without BatchSize
		want             []int
	}{
		{0, 5, []int{5, 5, 2}},
		{0, 0, []int{12}}, // DefaultBatchSize 32
		{3, 5, []int{3, 3, 3, 3}},
	} {
		o := testOptions(t, src, filepath.Join(t.TempDir(), "out"), "red", "green", "blue")
		o.BatchSize = tc.asked
		fake := newFake()
		var sizes []int
		fake.onEmbed = func(call, n int) { sizes = append(sizes, n) }
		var m Model = fake
		if tc.preferred > 0 {
			m = batchSizedFake{fake, tc.preferred}
		}
		runSort(t, m, o)
		if !slices.Equal(sizes, tc.want) {
			t.Errorf("asked %d, engine's %d: model calls of %v images, want %v", tc.asked, tc.preferred, sizes, tc.want)
		}
	}
}
