package transformer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestEncoderFirstToken checks that the encoder pooled at its first position gives what the whole encoder gives
// there, on every engine, with random weights big enough to tell positions apart (a last layer computed only for
// the first position with the wrong keys, residual or MLP input would differ by far more than rounding); and that
// the pure-Go engine's plan (batch halves with fused projections; a single image's MLP in row halves) gives what
// ONNX Runtime's plain encoder gives. Batches of 1 and 3 take both plans and an uneven split.
func TestEncoderFirstToken(t *testing.T) {
	for _, batch := range []int{1, 3} {
		testEncoderFirstToken(t, batch)
	}
}

func testEncoderFirstToken(t *testing.T, batch int) {
	const seq, hidden, heads, layers, intermediate = 7, 16, 4, 3, 32
	cfg := EncoderConfig{Hidden: hidden, Heads: heads, Layers: layers, Activation: "quick_gelu", Eps: 1e-5}
	shapes := map[string][]int{}
	EncoderWeights(shapes, "m", layers, hidden, intermediate)
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = scale * float32(rng.NormFloat64())
		}
		return v
	}
	values := map[string]*tensors.Tensor{}
	for key, dims := range shapes {
		n := 1
		for _, d := range dims {
			n *= d
		}
		values[key] = tensors.FromFlatDataAndDimensions(random(n, 0.3), dims...)
	}
	x := random(batch*seq*hidden, 1)

	wholeBy := map[string][]float32{}
	for engine, backend := range enginetest.Backends(t) {
		store := model.NewStore()
		for key, v := range values {
			scope, name := model.SplitPath(weights.VariablePath(key))
			clone, err := v.LocalClone()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Scope(scope).CreateVariable(name, clone); err != nil {
				t.Fatal(err)
			}
		}
		run := func(fn func(scope *model.Scope, x *graph.Node) *graph.Node) []float32 {
			exec, err := model.NewExec(backend, store, fn)
			if err != nil {
				t.Fatal(err)
			}
			defer exec.Finalize()
			out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, batch, seq, hidden))
			if err != nil {
				t.Fatal(err)
			}
			return tensors.MustCopyFlatData[float32](out[0])
		}
		whole := run(func(scope *model.Scope, x *graph.Node) *graph.Node {
			return Encoder(scope.In("m").In("encoder"), x, cfg)
		})
		first := run(func(scope *model.Scope, x *graph.Node) *graph.Node {
			return EncoderFirstToken(scope.In("m").In("encoder"), x, cfg)
		})
		wholeBy[engine] = whole
		if len(first) != batch*hidden {
			t.Fatalf("%s: %d values, want %d", engine, len(first), batch*hidden)
		}
		for b := 0; b < batch; b++ {
			for h := 0; h < hidden; h++ {
				got, want := first[b*hidden+h], whole[b*seq*hidden+h]
				if d := math.Abs(float64(got - want)); d > 1e-5*math.Max(1, math.Abs(float64(want))) {
					t.Errorf("%s, batch %d: image %d, feature %d: %g, whole encoder %g", engine, batch, b, h, got, want)
				}
			}
		}
		store.Finalize()
	}
	// The pure-Go engine computes the MLP in parts (mlpParts), ONNX Runtime in one: both are the same encoder.
	if goOut, onnxOut := wholeBy["go"], wholeBy["onnx"]; goOut != nil && onnxOut != nil {
		for i := range goOut {
			if d := math.Abs(float64(goOut[i] - onnxOut[i])); d > 1e-5*math.Max(1, math.Abs(float64(onnxOut[i]))) {
				t.Fatalf("batch %d, value %d: pure Go %g, ONNX Runtime %g", batch, i, goOut[i], onnxOut[i])
			}
		}
	}
}

// TestLinears checks that q, k and v as one product (plan.fuseProjections) are the three Linears, and that
// projections without a bias fall back to one product each.
func TestLinears(t *testing.T) {
	const rows, in, out = 5, 8, 6
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(dims ...int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	x := random(1, rows, in)
	backend := enginetest.Go(t)
	for _, withBias := range []bool{true, false} {
		store := model.NewStore()
		for _, name := range []string{"a", "b", "c"} {
			if _, err := store.Scope("/"+name).CreateVariable("weight", random(out, in)); err != nil {
				t.Fatal(err)
			}
			if withBias {
				if _, err := store.Scope("/"+name).CreateVariable("bias", random(out)); err != nil {
					t.Fatal(err)
				}
			}
		}
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
			a, b, c := scope.In("a"), scope.In("b"), scope.In("c")
			fused := linears([]*model.Scope{a, b, c}, x)
			return append(fused, Linear(a.ResetVisited(), x), Linear(b.ResetVisited(), x), Linear(c.ResetVisited(), x))
		})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			got, want := tensors.MustCopyFlatData[float32](outs[i]), tensors.MustCopyFlatData[float32](outs[i+3])
			if len(got) != rows*out || !outs[i].Shape().Equal(outs[i+3].Shape()) {
				t.Fatalf("bias %v, output %d: shape %s, want %s", withBias, i, outs[i].Shape(), outs[i+3].Shape())
			}
			for j := range got {
				if d := math.Abs(float64(got[j] - want[j])); d > 1e-5 {
					t.Errorf("bias %v, output %d, value %d: %g, Linear %g", withBias, i, j, got[j], want[j])
				}
			}
		}
		exec.Finalize()
		store.Finalize()
	}
}
