package engine

import "github.com/gomlx/compute"

// BatchSize is how many images an engine embeds per call when the user does not say: the fastest size that keeps a
// sort's memory in bounds, measured per engine on a full-size ViT-B/32 on a 2-core Intel Xeon (2026-12-05).
//
//   - ONNX Runtime: 8. Its image tower is no faster at 32 (27.6 img/s) than at 8 (28.0), and its own allocations
//     grow with the batch size (a 200-photo sort at 8 peaks at 1.1 GB).
//   - The pure-Go engine: 16. 5.9 img/s at 8, 6.2 at 16, 6.3 at 32; 16 keeps progress reports twice as frequent as
//     32 for the same speed.
//   - XLA and anything else: 32. Not measurable here (its plugin cannot be installed on these machines); a GPU
//     gains most from large batches.
func BatchSize(b compute.Backend) int {
	switch b.String() {
	case "onnxruntime": // what GoMLX's "onnx" backend calls itself
		return 8
	case "go":
		return 16
	}
	return 32
}
