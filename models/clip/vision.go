// vision.go mirrors Hugging Face's CLIPVisionEmbeddings and CLIPVisionTransformer plus CLIPModel's
// visual_projection (transformers/models/clip/modeling_clip.py).
package clip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// visionTower maps pixel_values [batch, channels, size, size] to L2-normalised image_embeds [batch, projection_dim].
func visionTower(root *model.Scope, pixels *graph.Node, cfg *Config) *graph.Node {
	v := cfg.VisionConfig
	g := pixels.Graph()
	batch, hidden, p, c := pixels.Shape().Dimensions[0], v.HiddenSize, v.PatchSize, v.NumChannels
	grid := v.ImageSize / p
	pixels.AssertDims(batch, c, v.ImageSize, v.ImageSize)
	scope := root.In("vision_model")
	emb := scope.In("embeddings")

	// patch_embedding is a Conv2d with kernel = stride = patch_size and no bias. Written as patch extraction plus a
	// matmul, which is the same arithmetic and 10-28x faster than Convolve on the pure-Go backend (NOTES.md).
	// Patches are ordered row by row, as Hugging Face's conv output flatten(2) orders them.
	x := graph.Reshape(pixels, batch, c, grid, p, grid, p) // [batch, c, gridY, pY, gridX, pX]
	x = graph.TransposeAllAxes(x, 0, 2, 4, 1, 3, 5)        // [batch, gridY, gridX, c, pY, pX]
	x = graph.Reshape(x, batch, grid*grid, c*p*p)          // [batch, patches, c*p*p]
	w := graph.Reshape(transformer.Param(emb.In("patch_embedding"), g, "weight"), hidden, c*p*p)
	x = nn.Dense(graph.Reshape(x, batch*grid*grid, c*p*p), w, nil, compute.DenseLayoutOutputsInput) // [batch*patches, hidden] (2-D: see linear)
	x = graph.Reshape(x, batch, grid*grid, hidden)                                                  // [batch, patches, hidden]

	cls := graph.BroadcastToDims(graph.Reshape(transformer.Param(emb, g, "class_embedding"), 1, 1, hidden), batch, 1, hidden)
	x = graph.Concatenate([]*graph.Node{cls, x}, 1)                                                     // [batch, 1+patches, hidden]
	x = graph.Add(x, graph.ExpandAxes(transformer.Param(emb.In("position_embedding"), g, "weight"), 0)) // position_ids are 0..patches

	x = transformer.LayerNorm(scope.In("pre_layrnorm"), x, v.LayerNormEps)
	x = transformer.Encoder(scope.In("encoder"), x, transformer.EncoderConfig{
		Hidden: hidden, Heads: v.NumAttentionHeads, Layers: v.NumHiddenLayers,
		Activation: v.HiddenAct, Eps: v.LayerNormEps,
	})
	pooled := graph.Reshape(graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, 1)), batch, hidden) // class token: [batch, hidden]
	pooled = transformer.LayerNorm(scope.In("post_layernorm"), pooled, v.LayerNormEps)
	features := transformer.Linear(root.In("visual_projection"), pooled) // image_features: [batch, projection_dim]
	return graph.L2Normalize(features, 1)
}
