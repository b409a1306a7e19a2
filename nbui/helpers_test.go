package nbui

// Test helpers: golden files (rewritten with -update), a recording Output, machine paths replaced by
// placeholders, and the fixture checkpoint with a private cache.

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update. The shared CSS is left out.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, string(styleTag), "<style>…</style>")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./nbui/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// placeholders replaces machine paths by names such as $SRC, longest first.
func placeholders(s string, paths map[string]string) string {
	type kv struct{ k, v string }
	var list []kv
	for k, v := range paths {
		list = append(list, kv{k, v})
	}
	for i := range list {
		for j := i + 1; j < len(list); j++ {
			if len(list[j].k) > len(list[i].k) {
				list[i], list[j] = list[j], list[i]
			}
		}
	}
	for _, p := range list {
		s = strings.ReplaceAll(s, p.k, p.v)
	}
	return s
}

// recorder is an Output that keeps every block; updates replace the block's content.
type recorder struct {
	mu      sync.Mutex
	blocks  []block
	updates map[string]int // block id -> index in blocks
	count   map[string]int // updates received per id
	history []string       // the text of every update, in order
}

type block struct{ id, html, text string }

func (r *recorder) Display(html, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocks = append(r.blocks, block{"", html, text})
}

func (r *recorder) Update(id, html, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.updates == nil {
		r.updates, r.count = map[string]int{}, map[string]int{}
	}
	r.count[id]++
	r.history = append(r.history, text)
	if i, ok := r.updates[id]; ok {
		r.blocks[i] = block{id, html, text}
		return
	}
	r.updates[id] = len(r.blocks)
	r.blocks = append(r.blocks, block{id, html, text})
}

func (r *recorder) html() string {
	var b strings.Builder
	for _, bl := range r.blocks {
		b.WriteString(bl.html + "\n")
	}
	return b.String()
}

func (r *recorder) text() string {
	var b strings.Builder
	for _, bl := range r.blocks {
		b.WriteString(bl.text + "\n")
	}
	return b.String()
}

// repoDir is the repository root (this file is in <repo>/nbui).
func repoDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// fixtureModel is the tiny random CLIP checkpoint: deterministic, meaningless labels.
func fixtureModel(t *testing.T) string {
	return filepath.Join(repoDir(t), "testdata", "fixtures", "clip-tiny")
}

// isolate gives the test its own user cache folder (embedding cache, last-run record) and the pure-Go
// compute engine (no XLA install attempt).
func isolate(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("GOMLX_BACKEND", "go")
	t.Setenv(ModelEnv, "")
	t.Setenv(RepoEnv, "")
}

// copyDir copies the regular files of src (not recursively) into a new folder.
func copyDir(t *testing.T, src string) string {
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// countImages counts the files in the label folders of a destination (reports and hidden files excluded).
func countImages(t *testing.T, dest string) map[string]int {
	counts := map[string]int{}
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dest, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		counts[e.Name()] = len(files)
	}
	return counts
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
