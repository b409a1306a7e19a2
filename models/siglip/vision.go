// vision.go mirrors Hugging Face's SiglipVisionEmbeddings, SiglipVisionTransformer and
// SiglipMultiheadAttentionPoolingHead (transformers/models/siglip/modeling_siglip.py).

package siglip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// visionTower maps pixel_values [batch, channels, size, size] to image_features [batch, hidden]: the pooling
// head's output (SiglipModel's image_embeds before L2 normalisation).
func visionTower(root *model.Scope, pixels *graph.Node, cfg *Config) *graph.Node {
	v := cfg.VisionConfig
	g := pixels.Graph()
	pixels.AssertDims(pixels.Shape().Dimensions[0], v.NumChannels, v.ImageSize, v.ImageSize)
	scope := root.In("vision_model")
	emb := scope.In("embeddings")

	// With a bias; when patch_size does not divide image_size, the last rows and columns are never read.
	x := transformer.PatchEmbedding(emb.In("patch_embedding"), pixels, v.PatchSize) // [batch, GridSize()^2, hidden]
	// No class token: the position table has one row per patch (position_ids 0..patches-1).
	x = graph.Add(x, graph.ExpandAxes(transformer.Param(emb.In("position_embedding"), g, "weight"), 0))

	x = transformer.Encoder(scope.In("encoder"), x, v.Encoder())
	x = transformer.LayerNorm(scope.In("post_layernorm"), x, v.LayerNormEps) // every token, not a pooled one
	return poolingHead(scope.In("head"), x, v)
}

// poolingHead is SiglipMultiheadAttentionPoolingHead: a learned probe attends over every token (torch's
// nn.MultiheadAttention with the vision tower's head count, q, k and v projections stacked in that order in
// in_proj_weight), then a LayerNorm + MLP block with a residual. x: [batch, patches, hidden] -> [batch, hidden].
func poolingHead(scope *model.Scope, x *graph.Node, v *VisionConfig) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, seq, hidden := dims[0], dims[1], dims[2]
	heads := v.NumAttentionHeads
	headDim := hidden / heads
	attn := scope.In("attention")
	inWeight := transformer.Param(attn, g, "in_proj_weight") // [3*hidden, hidden]
	inBias := transformer.Param(attn, g, "in_proj_bias")     // [3*hidden]
	// project applies rows [i*hidden, (i+1)*hidden) of the stacked projection: i = 0 for q, 1 for k, 2 for v.
	project := func(i int, x *graph.Node) *graph.Node {
		rows := graph.AxisRange(i*hidden, (i+1)*hidden)
		return nn.Dense(x, graph.Slice(inWeight, rows), graph.Slice(inBias, rows), compute.DenseLayoutOutputsInput)
	}

	// The probe is the same for every image: one query, projected once and broadcast.
	probe := graph.Reshape(transformer.Param(scope, g, "probe"), 1, hidden) // [1, hidden]
	q := graph.Reshape(project(0, probe), 1, 1, heads, headDim)
	q = graph.BroadcastToDims(q, batch, 1, heads, headDim) // [batch, 1, heads, headDim]
	flat := graph.Reshape(x, batch*seq, hidden)            // 2-D: see transformer.Linear
	k := graph.Reshape(project(1, flat), batch, seq, heads, headDim)
	val := graph.Reshape(project(2, flat), batch, seq, heads, headDim) // [batch, patches, heads, headDim]
	// softmax(q k^T / sqrt(headDim)) v per head, no mask.
	out, _ := attention.Core(q, k, val, attention.LayoutBSHD, attention.CoreOptions{}) // [batch, 1, heads, headDim]
	out = graph.Reshape(out, batch, hidden)
	out = transformer.Linear(attn.In("out_proj"), out) // [batch, hidden]

	residual := out
	out = transformer.LayerNorm(scope.In("layernorm"), out, v.LayerNormEps)
	mlp := scope.In("mlp")
	out = transformer.Linear(mlp.In("fc1"), out)
	out = transformer.Activate(out, v.HiddenAct)
	out = transformer.Linear(mlp.In("fc2"), out)
	return graph.Add(residual, out) // [batch, hidden]
}
