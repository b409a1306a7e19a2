// checkpoint.go gives tests the fixture checkpoints: copies of their files for a test to change, and models loaded
// once per test binary and engine for the tests that only read them.

package goldentest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
)

// CopyFiles copies the named files of the checkpoint folder from into a new temporary directory and returns it.
func CopyFiles(t testing.TB, from string, files ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range files {
		copyFile(t, filepath.Join(from, name), filepath.Join(dst, name))
	}
	return dst
}

// CopyCheckpoint copies every file of the checkpoint folder from (not its goldens) into a new temporary directory,
// leaving out the named files, and returns it.
func CopyCheckpoint(t testing.TB, from string, leaveOut ...string) string {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, "golden.") || slices.Contains(leaveOut, name) {
			continue
		}
		copyFile(t, filepath.Join(from, name), filepath.Join(dst, name))
	}
	return dst
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Models loads a family's fixture checkpoints with Load, once per test binary and engine: tests share them, so
// they must not close them.
type Models[M any] struct {
	Load func(dir string, backend compute.Backend) (M, error)

	mu     sync.Mutex
	loaded map[string]M
}

// Get returns the checkpoint in dir loaded on the named engine of enginetest.Backends.
func (ms *Models[M]) Get(t testing.TB, dir, engine string) M {
	t.Helper()
	key := dir + "@" + engine
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if m, ok := ms.loaded[key]; ok {
		return m
	}
	m, err := ms.Load(dir, enginetest.Backends(t)[engine])
	if err != nil {
		t.Fatal(err)
	}
	if ms.loaded == nil {
		ms.loaded = map[string]M{}
	}
	ms.loaded[key] = m
	return m
}
