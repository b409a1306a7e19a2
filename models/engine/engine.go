// Package engine chooses the compute engine that runs the model graphs of every family.
//
// engine.go chooses the compute engine that runs the model graphs: XLA (PJRT, CPU or CUDA) first, then ONNX
// Runtime (GoMLX's "onnx" backend, compiled in with -tags onnx), then GoMLX's pure-Go backend, which always
// works. $GOMLX_BACKEND overrides the choice (go, xla:cpu, xla:cuda, onnx:cpu, ...).
package engine

import (
	"context"
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

// New returns the fastest compute backend that starts on this machine. Every fallback is announced
// with one line through logf (which may be nil). An explicit $GOMLX_BACKEND is used as given: if it does not
// start, that is an error, not a silent fallback.
func New(logf func(format string, args ...any)) (compute.Backend, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if config := os.Getenv(compute.ConfigEnvVar); config != "" {
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
		reasons = append(reasons, candidate.title+": "+shortReason(err))
		if next := nextAvailable(i + 1); next != "" {
			logf("%s is not available (%s); using %s instead", candidate.title, shortReason(err), next)
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

// Start starts the backend config names (go, onnx, xla:cpu, ...) with no fallback; its error is one line.
func Start(config string) (compute.Backend, error) {
	b, err := newBackend(config)
	if err != nil {
		return nil, fmt.Errorf("%s", firstLine(err))
	}
	return b, nil
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

// shortReason says in a few words why a backend did not start. Installer errors nest five levels of context
// ("backend ... failed to auto-install ...: failed to fetch release data from URL: Get URL: dial tcp: ...", or
// ONNX Runtime's "failed to automatically install ONNX Runtime library: ...");
// the innermost cause is what tells a person what is wrong.
func shortReason(err error) string {
	msg := firstLine(err)
	if !strings.Contains(msg, "auto-install") && !strings.Contains(msg, "automatically install") {
		return msg
	}
	parts := strings.Split(msg, ": ")
	return "could not download it: " + parts[len(parts)-1]
}

// firstLine keeps an error to one line: backend errors can carry stack traces.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// installerStallTimeout is how long the engine installers' downloads may go without receiving a byte
// (tests shorten it).
var installerStallTimeout = 30 * time.Second

// boundInstallerHTTP makes http.DefaultTransport give up on silent servers. The XLA and ONNX Runtime
// auto-installers use http.DefaultClient, which has no timeout at all: behind a proxy that accepts connections and
// never answers they hung for a minute (Go's own limit on a proxy CONNECT) or forever. A whole-request timeout
// would break large plugin downloads on slow links, so instead every connection errors out when no byte arrives
// for installerStallTimeout, and dialing and TLS handshakes are bounded.
func boundInstallerHTTP() {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return
	}
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	stall := installerStallTimeout
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: c, stall: stall}, nil
	}
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ResponseHeaderTimeout = stall
}

// stallConn fails a Read that waits longer than stall for data.
type stallConn struct {
	net.Conn
	stall time.Duration
}

func (c *stallConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.stall)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}
