// activation.go implements the hidden_act values of Hugging Face's ACT2FN (transformers/activations.py) that
// CLIP and SigLIP checkpoints use; Activations lists them.
package transformer

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
)

// Activations lists the hidden_act values Activate implements.
var Activations = []string{"quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu"}

// CheckActivation says, naming the config key, when act is not one of Activations.
func CheckActivation(key, act string) error {
	if slices.Contains(Activations, act) {
		return nil
	}
	return fmt.Errorf("%s %q is not supported; supported: %s", key, act, strings.Join(Activations, ", "))
}

// Activate applies the named activation, one of Activations.
func Activate(x *graph.Node, name string) *graph.Node {
	slowExp := slowExpEngine(x.Graph())
	switch name {
	case "quick_gelu":
		// QuickGELUActivation: x * sigmoid(1.702 * x), what OpenAI trained CLIP with.
		if slowExp {
			return xSigmoidOfNeg(x, graph.MulScalar(x, -1.702))
		}
		return graph.Mul(x, graph.Sigmoid(graph.MulScalar(x, 1.702)))
	case "gelu":
		// GELUActivation, exact: 0.5x(1 + erf(x/sqrt(2))).
		if slowExp {
			return graph.Mul(x, graph.MulScalar(graph.AddScalar(erfWithoutExp(graph.MulScalar(x, 1/math.Sqrt2)), 1), 0.5))
		}
		return activation.Gelu(x)
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
		// All three are the tanh approximation 0.5x(1+tanh(u)), u = sqrt(2/pi)(x+0.044715x^3), written differently.
		if slowExp {
			// 0.5(1+tanh(u)) = sigmoid(2u).
			negTwoU := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(graph.Mul(x, x), x), 0.044715)), -2*math.Sqrt(2/math.Pi))
			return xSigmoidOfNeg(x, negTwoU)
		}
		return activation.GeluApproximate(x)
	case "relu":
		return graph.Max(x, graph.ZerosLike(x))
	}
	// Unreachable: config validation rejects other names.
	panic("clip: unsupported activation " + name)
}

// Workaround for an upstream bug of GoMLX's pure-Go engine (github.com/gomlx/compute v0.1.6, Go 1.26, amd64).
//
// Its AVX-512 matmul kernels never clear the upper halves of the ZMM registers (no VZEROUPPER; archsimd's
// ClearAVXUpperBits is never called), and Go's math.Exp on amd64 is assembly mixing VEX and legacy SSE
// instructions. On Intel CPUs every math.Exp on a thread that ran a matmul then pays a state-transition penalty:
// ~800 ns a call instead of ~7 ns (AMD CPUs have no such penalty). The engine's Logistic (so Sigmoid), Erf, Tanh
// and its fused GELU all call math.Exp per element, which took the ViT-B/32 image tower from 10.7 to 2.8 img/s at
// batch 8 on a 2-core Xeon (profile: 48% in math.archExp). math.Expm1 is pure Go on amd64 and unaffected, and so
// is the engine's fused softmax, so on that engine the activations are written with those; other engines keep the
// reference formulas.
//
// It can go when the engine clears the upper ZMM state after its kernels (or stops calling math.Exp): then
// BenchmarkImageTower with GOMLX_BACKEND=go is as fast with slowExpEngine returning false.
func slowExpEngine(g *graph.Graph) bool {
	return g.Backend().String() == "go"
}

// xSigmoidOfNeg is x * sigmoid(z) given negZ = -z (callers fold the sign into their scale), with no call to
// math.Exp: sigmoid(z) = 1 / (1 + exp(-z)) is the first entry of softmax([0, -z]), and the engine's fused softmax
// computes its exponentials with its own pure-Go expf (compute's fastmath.Exp32), a few ns each. It is 6-8% faster
// on the ViT-B/32 image tower at batch 16 than x / (2 + expm1(-z)) (math.Expm1, pure Go but ~30 ns a value), in
// alternating runs on a 2-core Xeon. Tails: for large z the softmax gives [1, 0] or [0, 1] exactly, so x * 1 and
// x * 0 (-0 or +0), as x * sigmoid(z) rounds.
func xSigmoidOfNeg(x, negZ *graph.Node) *graph.Node {
	dims := negZ.Shape().Dimensions
	flat := graph.Reshape(negZ, 1, -1)
	pair := graph.Concatenate([]*graph.Node{graph.ZerosLike(flat), flat}, 0) // [2, n]: softmax over axis 0
	sigmoid := graph.Reshape(graph.Slice(graph.Softmax(pair, 0), graph.AxisRange(0, 1)), dims...)
	return graph.Mul(x, sigmoid)
}

// erfWithoutExp is erf(x) from the complementary error function's Chebyshev fit (Numerical Recipes, erfcc:
// fractional error below 1.2e-7 everywhere), with exp(v) computed as expm1(v) + 1 (v <= -0.8 here, so nothing
// is lost to cancellation).
func erfWithoutExp(x *graph.Node) *graph.Node {
	z := graph.Abs(x)
	t := graph.Inverse(graph.AddScalar(graph.MulScalar(z, 0.5), 1))
	coeffs := []float64{0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
		0.09678418, 0.37409196, 1.00002368, -1.26551223}
	poly := graph.MulScalar(t, coeffs[0])
	for _, c := range coeffs[1 : len(coeffs)-1] {
		poly = graph.Mul(t, graph.AddScalar(poly, c))
	}
	poly = graph.AddScalar(poly, coeffs[len(coeffs)-1])
	exponent := graph.Sub(poly, graph.Mul(z, z))                    // -z^2 - 1.26551223 + t(...)
	erfc := graph.Mul(t, graph.AddScalar(graph.Expm1(exponent), 1)) // erfc(|x|)
	return graph.Mul(graph.Sign(x), graph.OneMinus(erfc))
}
