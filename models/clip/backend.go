// backend.go chooses the compute engine that runs the model graphs: XLA (PJRT, CPU or CUDA) first, then ONNX
// Runtime (GoMLX's "onnx" backend, compiled in with -tags onnx), then GoMLX's pure-Go backend, which always
// works. $GOMLX_BACKEND overrides the choice (go, xla:cpu, xla:cuda, onnx:cpu, ...).
package clip

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/gomlx/backends/default" // registers "xla", "go" and, with -tags onnx, "onnx"
)

// backendOrder is the fallback order, fastest first.
var backendOrder = []struct{ name, title string }{
	{"xla", "XLA"},
	{"onnx", "ONNX Runtime"},
	{"go", "the pure-Go engine"},
}

// NewBackend returns the fastest compute backend that starts on this machine. Every fallback is announced
// with one line through logf (which may be nil). An explicit $GOMLX_BACKEND is used as given: if it does not
// start, that is an error, not a silent fallback.
func NewBackend(logf func(format string, args ...any)) (compute.Backend, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if config, ok := os.LookupEnv(compute.ConfigEnvVar); ok && config != "" {
		name, _, _ := strings.Cut(config, ":")
		if !slices.Contains(compute.List(), name) {
			return nil, fmt.Errorf("%s=%q: this build has no %q engine; available: %s (ONNX Runtime needs a build with -tags onnx)",
				compute.ConfigEnvVar, config, name, strings.Join(sortedBackends(), ", "))
		}
		b, err := newBackend(config)
		if err != nil {
			return nil, fmt.Errorf("%s=%q failed to start: %s; unset it to pick an engine automatically",
				compute.ConfigEnvVar, config, firstLine(err))
		}
		return b, nil
	}
	boundInstallerHTTP()
	var reasons []string
	for i, candidate := range backendOrder {
		if !slices.Contains(compute.List(), candidate.name) {
			continue
		}
		b, err := newBackend(candidate.name)
		if err == nil {
			return b, nil
		}
		reasons = append(reasons, candidate.title+": "+firstLine(err))
		if next := nextAvailable(i + 1); next != "" {
			logf("%s is not available (%s); using %s instead", candidate.title, firstLine(err), next)
		}
	}
	return nil, fmt.Errorf("no compute engine could start: %s", strings.Join(reasons, "; "))
}

// nextAvailable is the title of the first compiled-in backend from position i of backendOrder.
func nextAvailable(i int) string {
	for _, c := range backendOrder[i:] {
		if slices.Contains(compute.List(), c.name) {
			return c.title
		}
	}
	return ""
}

// newBackend turns the panics some backends raise for bad configurations into errors.
func newBackend(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return compute.NewWithConfig(config)
}

func sortedBackends() []string {
	names := compute.List()
	slices.Sort(names)
	return names
}

// firstLine keeps an error to one line: backend errors can carry stack traces.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// boundInstallerHTTP puts connect and response-header timeouts on http.DefaultTransport. The XLA and ONNX Runtime
// auto-installers use http.DefaultClient, which has no timeout at all: behind a proxy that accepts connections and
// never answers they hung for minutes. Bounding only the connection and the wait for headers keeps large plugin
// downloads working.
func boundInstallerHTTP() {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return
	}
	if t.ResponseHeaderTimeout == 0 {
		t.ResponseHeaderTimeout = 30 * time.Second
	}
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = dialer.DialContext
	if t.TLSHandshakeTimeout == 0 {
		t.TLSHandshakeTimeout = 15 * time.Second
	}
}
