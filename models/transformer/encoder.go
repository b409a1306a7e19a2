// encoder.go mirrors Hugging Face's CLIPEncoderLayer, CLIPAttention and CLIPMLP
// (transformers/models/clip/modeling_clip.py), which SiglipEncoderLayer, SiglipAttention and SiglipMLP copy
// (modeling_siglip.py, "Copied from transformers.models.clip"): the pre-LayerNorm encoder of every tower of
// every family here. Scopes are named after the checkpoint keys (self_attn/q_proj, layer_norm1, mlp/fc1, ...),
// so the weight of a node is the checkpoint tensor of that name.
package transformer

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// EncoderConfig is what an encoder needs from a tower's config.
type EncoderConfig struct {
	Hidden, Heads, Layers int
	Activation            string  // hidden_act, one of Activations
	Eps                   float64 // layer_norm_eps
	Causal                bool    // CLIP's text tower: each position attends only to itself and earlier positions
}

// Param returns the node of the weight called name in scope.
func Param(scope *model.Scope, g *graph.Graph, name string) *graph.Node {
	v := scope.GetVariable(name)
	if v == nil {
		// Unreachable after weights.Load succeeded: it checks every key the graph reads.
		panic("transformer: weight " + scope.Scope() + "/" + name + " not loaded")
	}
	return v.ValueGraph(g)
}

// Linear is nn.Linear: x @ weight.T + bias, weight stored [out, in] as in the checkpoint. x: [..., in] -> [..., out].
func Linear(scope *model.Scope, x *graph.Node) *graph.Node {
	g := x.Graph()
	var b *graph.Node
	if scope.GetVariable("bias") != nil {
		b = Param(scope, g, "bias")
	}
	return dense(x, Param(scope, g, "weight"), b)
}

// dense is x @ w.T + b (b may be nil), w [out, in]. x: [..., in] -> [..., out].
//
// Inputs of rank > 2 are flattened to [rows, in] around the product. Workaround for compute-onnx v0.1.5, which
// emits an ONNX MatMul only for rank <= 2 operands and an Einsum ("abc,dc->abd") otherwise: ONNX Runtime runs that
// Einsum ~240 ms slower per ViT-B/32 call than the same product as MatMul (batch 1: 3.7 -> 15.5 img/s). The
// reshapes are free on every engine. It can go when compute-onnx lowers batched Dense to MatMul/Gemm: then
// BenchmarkImageTower on GOMLX_BACKEND=onnx is as fast without them.
func dense(x, w, b *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	if len(dims) <= 2 {
		return nn.Dense(x, w, b, compute.DenseLayoutOutputsInput)
	}
	in := dims[len(dims)-1]
	y := nn.Dense(graph.Reshape(x, -1, in), w, b, compute.DenseLayoutOutputsInput) // [rows, out]
	outDims := append(append([]int{}, dims[:len(dims)-1]...), w.Shape().Dimensions[0])
	return graph.Reshape(y, outDims...)
}

// LayerNorm is nn.LayerNorm over the last axis.
func LayerNorm(scope *model.Scope, x *graph.Node, eps float64) *graph.Node {
	g := x.Graph()
	return nn.LayerNorm(x, []int{-1}, eps, Param(scope, g, "weight"), Param(scope, g, "bias"), nil)
}

// Encoder is CLIPEncoder (SiglipEncoder): cfg.Layers pre-LayerNorm transformer layers. x: [batch, seq, hidden].
func Encoder(scope *model.Scope, x *graph.Node, cfg EncoderConfig) *graph.Node {
	plan := planFor(x)
	chains := plan.split(x)
	encoderLayers(scope.In("layers"), chains, cfg.Layers, cfg, plan)
	return plan.join(chains)
}

// encoderLayers applies the first n layers under layers to each chain (plan.split), in place.
func encoderLayers(layers *model.Scope, chains []*graph.Node, n int, cfg EncoderConfig, plan plan) {
	for i := 0; i < n; i++ {
		layer := layers.In("%d", i)
		for c, x := range chains {
			chains[c] = encoderLayer(layer.ResetVisited(), x, cfg, plan)
		}
	}
}

// firstPosition is x's position 0: [batch, seq, ...] -> [batch, 1, ...].
func firstPosition(x *graph.Node) *graph.Node {
	return graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, 1))
}

// EncoderFirstToken is Encoder followed by taking position 0 of its output (CLIP's vision tower pools its class
// token), without computing the last layer for positions nobody reads: there the keys and values still come
// from every position, but the query, the attention output, the residuals and the MLP only from the first. The
// same numbers as Encoder (each output row of a product or a LayerNorm depends only on its own input row), a
// twelfth of ViT-B/32's last layer's work. x: [batch, seq, hidden] -> [batch, hidden].
func EncoderFirstToken(scope *model.Scope, x *graph.Node, cfg EncoderConfig) *graph.Node {
	if cfg.Causal {
		// A causal first position attends only to itself: no tower of any family here pools that way.
		panic("transformer: EncoderFirstToken of a causal encoder")
	}
	dims := x.Shape().Dimensions
	batch, hidden := dims[0], dims[2]
	if cfg.Layers == 0 {
		return graph.Reshape(firstPosition(x), batch, hidden)
	}
	plan := planFor(x)
	chains := plan.split(x)
	layers := scope.In("layers")
	encoderLayers(layers, chains, cfg.Layers-1, cfg, plan)
	last := layers.In("%d", cfg.Layers-1)
	for c, x := range chains {
		layer := last.ResetVisited()
		normed := LayerNorm(layer.In("layer_norm1"), x, cfg.Eps)
		x = graph.Add(firstPosition(x), attend(layer.In("self_attn"), normed, true, cfg, plan)) // [batch, 1, hidden]
		chains[c] = mlpBlock(layer, x, cfg, plan)
	}
	return graph.Reshape(plan.join(chains), batch, hidden)
}

// encoderLayer is CLIPEncoderLayer.
func encoderLayer(scope *model.Scope, x *graph.Node, cfg EncoderConfig, plan plan) *graph.Node {
	normed := LayerNorm(scope.In("layer_norm1"), x, cfg.Eps)
	x = graph.Add(x, attend(scope.In("self_attn"), normed, false, cfg, plan))
	return mlpBlock(scope, x, cfg, plan)
}

// mlpBlock is the second half of CLIPEncoderLayer: x + CLIPMLP(layer_norm2(x)), computed in plan.mlpParts
// independent row ranges (the MLP treats every row on its own).
func mlpBlock(scope *model.Scope, x *graph.Node, cfg EncoderConfig, plan plan) *graph.Node {
	mlp := scope.In("mlp")
	h := LayerNorm(scope.In("layer_norm2"), x, cfg.Eps)
	dims := h.Shape().Dimensions
	rows := h.Shape().Size() / cfg.Hidden
	h = graph.Reshape(h, rows, cfg.Hidden)
	parts := min(plan.mlpParts, rows)
	outs := make([]*graph.Node, parts)
	fc1, fc2 := mlp.In("fc1"), mlp.In("fc2")
	for i := range parts {
		part := graph.Slice(h, graph.AxisRange(i*rows/parts, (i+1)*rows/parts))
		part = Linear(fc1, part)
		part = Activate(part, cfg.Activation)
		outs[i] = Linear(fc2, part)
	}
	h = outs[0]
	if parts > 1 {
		h = graph.Concatenate(outs, 0)
	}
	return graph.Add(x, graph.Reshape(h, dims...))
}

// attend is CLIPAttention: multi-head scaled dot-product attention with separate q/k/v projections over x, the
// queries from every position, or only from the first when firstOnly (keys and values always from every position).
// x: [batch, seq, hidden] -> [batch, seq or 1, hidden].
func attend(scope *model.Scope, x *graph.Node, firstOnly bool, cfg EncoderConfig, plan plan) *graph.Node {
	dims := x.Shape().Dimensions
	batch, seq := dims[0], dims[1]
	qSeq := seq
	if firstOnly {
		qSeq = 1
	}
	headDim := cfg.Hidden / cfg.Heads
	split := func(n *graph.Node, seq int) *graph.Node { return graph.Reshape(n, batch, seq, cfg.Heads, headDim) } // [batch, seq, heads, headDim]
	qScope, kScope, vScope := scope.In("q_proj"), scope.In("k_proj"), scope.In("v_proj")
	var q, k, v *graph.Node
	if plan.fuseProjections {
		// One product, queries of every position included: a separate query product would be a second product
		// ready at once in each chain (see plan).
		qkv := linears([]*model.Scope{qScope, kScope, vScope}, x)
		q, k, v = qkv[0], qkv[1], qkv[2]
		if firstOnly {
			q = firstPosition(q)
		}
	} else {
		queries := x
		if firstOnly {
			queries = firstPosition(x)
		}
		q, k, v = Linear(qScope, queries), Linear(kScope, x), Linear(vScope, x)
	}
	out, _ := attention.Core(split(q, qSeq), split(k, seq), split(v, seq), attention.LayoutBSHD,
		attention.CoreOptions{UseCausalMask: cfg.Causal})
	out = graph.Reshape(out, batch, qSeq, cfg.Hidden)
	return Linear(scope.In("out_proj"), out)
}

// LinearWeights adds the keys of a Linear with bias at key to w: weight [out, in] and bias [out].
func LinearWeights(w map[string][]int, key string, out, in int) {
	w[key+".weight"] = []int{out, in}
	w[key+".bias"] = []int{out}
}

// LayerNormWeights adds the keys of a LayerNorm over hidden features at key to w.
func LayerNormWeights(w map[string][]int, key string, hidden int) {
	w[key+".weight"] = []int{hidden}
	w[key+".bias"] = []int{hidden}
}

// EncoderWeights adds to w every key Encoder reads under prefix ("text_model", "vision_model"), with its shape:
// what a family's weights.Spec lists for its towers.
func EncoderWeights(w map[string][]int, prefix string, layers, hidden, intermediate int) {
	for i := 0; i < layers; i++ {
		l := fmt.Sprintf("%s.encoder.layers.%d.", prefix, i)
		for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			LinearWeights(w, l+"self_attn."+proj, hidden, hidden)
		}
		LayerNormWeights(w, l+"layer_norm1", hidden)
		LayerNormWeights(w, l+"layer_norm2", hidden)
		LinearWeights(w, l+"mlp.fc1", intermediate, hidden)
		LinearWeights(w, l+"mlp.fc2", hidden, intermediate)
	}
}
