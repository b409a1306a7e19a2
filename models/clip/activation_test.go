package clip

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestActivations compares each hidden_act with its formula in transformers/activations.py.
func TestActivations(t *testing.T) {
	xs := []float32{-3, -1.5, -0.5, 0, 0.25, 1, 2.5}
	tanhGelu := func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
	want := map[string]func(float64) float64{
		"quick_gelu":        func(x float64) float64 { return x / (1 + math.Exp(-1.702*x)) },
		"gelu":              func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
		"gelu_new":          tanhGelu,
		"gelu_pytorch_tanh": tanhGelu,
		"gelu_fast":         tanhGelu,
		"relu":              func(x float64) float64 { return math.Max(x, 0) },
	}
	if len(want) != len(supportedActivations) {
		t.Fatalf("supportedActivations has %d entries, this test checks %d", len(supportedActivations), len(want))
	}
	backend := testBackends(t)["go"]
	for _, name := range supportedActivations {
		exec, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node { return activate(x, name) })
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(xs)
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		for i, x := range xs {
			if d := math.Abs(float64(got[i]) - want[name](float64(x))); d > 1e-5 {
				t.Errorf("%s(%g) = %g, want %g", name, x, got[i], want[name](float64(x)))
			}
		}
	}
}
