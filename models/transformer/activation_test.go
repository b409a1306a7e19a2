package transformer

import (
	"math"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/gomlx/compute"
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
	if len(want) != len(Activations) {
		t.Fatalf("Activations has %d entries, this test checks %d", len(Activations), len(want))
	}
	// Every engine: the pure-Go one uses the Expm1 forms of activation.go's workaround, the others the reference
	// formulas. Far tails included: no NaN, and the right limits (0 below, x above).
	xs = append(xs, -90, -40, -12, -6, -0.84, 0.84, 3.3, 6, 12, 40, 90)
	for engine, backend := range enginetest.Backends(t) {
		for _, name := range Activations {
			got := runElementwise(t, backend, func(x *graph.Node) *graph.Node { return Activate(x, name) }, xs)
			for i, x := range xs {
				w := want[name](float64(x))
				if d := math.Abs(float64(got[i]) - w); !(d <= 1e-5*math.Max(1, math.Abs(w))) {
					t.Errorf("%s: %s(%g) = %g, want %g", engine, name, x, got[i], w)
				}
			}
		}
	}
}

// TestErfWithoutExp checks the erf used by the pure-Go engine's GELU against math.Erf over a dense grid.
func TestErfWithoutExp(t *testing.T) {
	var xs []float32
	for x := -6.0; x <= 6; x += 0.01 {
		xs = append(xs, float32(x))
	}
	got := runElementwise(t, enginetest.Backends(t)["go"], erfWithoutExp, xs)
	worst := 0.0
	for i, x := range xs {
		worst = math.Max(worst, math.Abs(float64(got[i])-math.Erf(float64(x))))
	}
	if worst > 3e-7 {
		t.Errorf("largest difference from math.Erf %g, want <= 3e-7", worst)
	}
}

// runElementwise runs fn on xs on backend and returns its output.
func runElementwise(t *testing.T, backend compute.Backend, fn func(*graph.Node) *graph.Node, xs []float32) []float32 {
	t.Helper()
	exec, err := graph.NewExec(backend, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(xs)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out[0])
}
