package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
)

// TestNewBackendOverride checks that $GOMLX_BACKEND is obeyed, and that a name not compiled in is a clear error
// rather than the panic GoMLX raises.
func TestNewBackendOverride(t *testing.T) {
	goName := goEngine(t).Name() // before changing GOMLX_BACKEND, which the onnx engine also reads
	t.Setenv("GOMLX_BACKEND", "go")
	b, err := New(nil)
	if err != nil || b.Name() != goName {
		t.Fatalf("GOMLX_BACKEND=go: backend %v, err %v", b, err)
	}
	t.Setenv("GOMLX_BACKEND", "tpu-of-dreams")
	if _, err := New(nil); err == nil || !strings.Contains(err.Error(), "available: ") || !strings.Contains(err.Error(), "go") {
		t.Errorf("unknown backend: err = %v, want the list of available engines", err)
	}
}

// TestNewBackendFallsBack runs the real XLA path offline in a child process (the HTTP proxy settings are read once
// per process): the PJRT plugin installer cannot reach its server, once because the connection is refused and once
// because the server accepts and never answers. Both must fall back to the pure-Go engine with one notice line.
func TestNewBackendFallsBack(t *testing.T) {
	if os.Getenv("CLIP_BACKEND_CHILD") != "" {
		installerStallTimeout = time.Second
		var notes []string
		b, err := New(func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("backend=%q notes=%d", b.Name(), len(notes))
		for _, n := range notes {
			t.Logf("note: %s", n)
		}
		return
	}
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close() // nothing listens there any more: connections are refused

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn // accept and never answer
		for {
			c, err := silent.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()

	for name, proxy := range map[string]string{"refused": refusedAddr, "silent": silent.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestNewBackendFallsBack$", "-test.v")
			cmd.Env = append(os.Environ(),
				"CLIP_BACKEND_CHILD=1", "GOMLX_BACKEND=",
				"HOME="+t.TempDir(), "PJRT_PLUGIN_LIBRARY_PATH="+t.TempDir(),
				"HTTPS_PROXY=http://"+proxy, "HTTP_PROXY=http://"+proxy, "NO_PROXY=",
				"ONNXRUNTIME_SHARED_LIBRARY_PATH="+os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child failed: %v\n%s", err, out)
			}
			s := string(out)
			if !strings.Contains(s, "XLA is not available") {
				t.Errorf("no fallback notice for XLA:\n%s", s)
			}
			if !strings.Contains(s, fmt.Sprintf("backend=%q", goEngine(t).Name())) && !strings.Contains(s, "backend=\"onnx") {
				t.Errorf("did not fall back to a working engine:\n%s", s)
			}
		})
	}
}

// TestShortReason: an engine installer's nested error comes down to its innermost cause.
func TestShortReason(t *testing.T) {
	for msg, want := range map[string]string{
		`backend "xla": failed to auto-install "cpu": failed to fetch release data from "https://x": Get "https://x": dial tcp: lookup api.github.com: no such host`:                                          "could not download it: no such host",
		`failed to automatically install ONNX Runtime library: failed to fetch latest onnxruntime release from GitHub: Head "https://github.com/x": dial tcp: lookup github.com on 10.0.0.1:53: no such host`: "could not download it: no such host",
		"no plugins found for backend \"xla\"\nstack trace": `no plugins found for backend "xla"`,
	} {
		if got := shortReason(errors.New(msg)); got != want {
			t.Errorf("shortReason(%q) = %q, want %q", msg, got, want)
		}
	}
}

// goEngine starts the pure-Go engine, which starts everywhere.
func goEngine(t *testing.T) compute.Backend {
	t.Helper()
	b, err := Start("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBatchSize checks each engine's default batch size by the name the engine really reports (ONNX Runtime where
// it starts; the test run with CLIP_REQUIRE_ONNX=1 requires it).
func TestBatchSize(t *testing.T) {
	for name, want := range map[string]int{"go": 16, "onnx": 8} {
		b, err := Start(name)
		if err != nil {
			if name == "onnx" && os.Getenv("CLIP_REQUIRE_ONNX") != "1" {
				continue
			}
			t.Fatal(err)
		}
		if got := BatchSize(b); got != want {
			t.Errorf("%s: BatchSize %d, want %d", name, got, want)
		}
	}
}
