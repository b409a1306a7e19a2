//go:build cgo && linux && amd64 && !noonnx

package engine

// ONNX Runtime is compiled into the default build wherever cgo is on (GoMLX's backends/default includes it only
// with -tags onnx): measured here it runs the ViT-B/32 image tower 2-3x faster than the pure-Go engine, so by
// backendOrder's rule (the fastest engine that starts) it must be the default after XLA. It downloads its library
// on first use (~/.local/lib/onnxruntime, or ONNXRUNTIME_SHARED_LIBRARY_PATH); when it cannot, New says so
// in one line and falls back to the pure-Go engine. Build with -tags noonnx to leave it out. Linux/amd64 only, as
// in GoMLX: compute-onnx v0.1.5 is tested there.
import _ "github.com/gomlx/compute-onnx" // registers "onnx"
