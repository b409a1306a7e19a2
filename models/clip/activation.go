// activation.go implements the hidden_act values of Hugging Face's ACT2FN (transformers/activations.py) that
// CLIP checkpoints use. config.go's supportedActivations lists them.
package clip

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// activate applies the named activation.
func activate(x *graph.Node, name string) *graph.Node {
	switch name {
	case "quick_gelu":
		// QuickGELUActivation: x * sigmoid(1.702 * x), what OpenAI trained CLIP with.
		return graph.Mul(x, graph.Sigmoid(graph.MulScalar(x, 1.702)))
	case "gelu":
		return activation.Gelu(x) // exact, erf based
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		// All three are the tanh approximation 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))), written differently.
		return activation.GeluApproximate(x)
	case "relu":
		return graph.Max(x, graph.ZerosLike(x))
	}
	// Unreachable: config validation rejects other names.
	panic("clip: unsupported activation " + name)
}
