// Package enginetest gives tests every compute engine that starts here, so that each parity test runs on all
// of them.
package enginetest

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"

	"github.com/bellingcat/smart-image-sorter/models/engine"
)

// RequireONNXEnv, set to 1, makes Backends fail when ONNX Runtime does not start (scripts/test.sh sets it for
// its ONNX Runtime run), so that a run meant to test that engine cannot pass without it.
const RequireONNXEnv = "CLIP_REQUIRE_ONNX"

var (
	once     sync.Once
	backends map[string]compute.Backend
	errs     []string
)

// Backends returns the pure-Go engine and, where it starts, ONNX Runtime, by name; started once per test
// binary and shared.
func Backends(t testing.TB) map[string]compute.Backend {
	t.Helper()
	once.Do(func() {
		backends = map[string]compute.Backend{}
		for _, name := range []string{"go", "onnx"} {
			b, err := engine.Start(name)
			if err != nil {
				errs = append(errs, name+": "+err.Error())
				continue
			}
			backends[name] = b
		}
	})
	if len(backends) == 0 {
		t.Fatalf("no compute engine started: %s", strings.Join(errs, "; "))
	}
	if _, ok := backends["onnx"]; !ok && os.Getenv(RequireONNXEnv) == "1" {
		t.Fatalf("%s=1 but ONNX Runtime did not start (set ONNXRUNTIME_SHARED_LIBRARY_PATH): %s", RequireONNXEnv, strings.Join(errs, "; "))
	}
	return backends
}

// Go returns the pure-Go engine, which starts everywhere.
func Go(t testing.TB) compute.Backend {
	t.Helper()
	b, ok := Backends(t)["go"]
	if !ok {
		t.Fatalf("the pure-Go engine did not start: %s", strings.Join(errs, "; "))
	}
	return b
}
