// vision.go mirrors Hugging Face's CLIPVisionEmbeddings and CLIPVisionTransformer plus CLIPModel's
// visual_projection (transformers/models/clip/modeling_clip.py).
package clip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// visionTower maps pixel_values [batch, channels, size, size] to L2-normalised image_embeds [batch, projection_dim].
func visionTower(root *model.Scope, pixels *graph.Node, cfg *Config) *graph.Node {
	v := cfg.VisionConfig
	g := pixels.Graph()
	batch, hidden := pixels.Shape().Dimensions[0], v.HiddenSize
	pixels.AssertDims(batch, v.NumChannels, v.ImageSize, v.ImageSize)
	scope := root.In("vision_model")
	emb := scope.In("embeddings")

	x := transformer.PatchEmbedding(emb.In("patch_embedding"), pixels, v.PatchSize) // no bias: [batch, patches, hidden]

	cls := graph.BroadcastToDims(graph.Reshape(transformer.Param(emb, g, "class_embedding"), 1, 1, hidden), batch, 1, hidden)
	x = graph.Concatenate([]*graph.Node{cls, x}, 1)                                                     // [batch, 1+patches, hidden]
	x = graph.Add(x, graph.ExpandAxes(transformer.Param(emb.In("position_embedding"), g, "weight"), 0)) // position_ids are 0..patches

	x = transformer.LayerNorm(scope.In("pre_layrnorm"), x, v.LayerNormEps)
	pooled := transformer.EncoderFirstToken(scope.In("encoder"), x, v.Encoder()) // class token: [batch, hidden]
	pooled = transformer.LayerNorm(scope.In("post_layernorm"), pooled, v.LayerNormEps)
	features := transformer.Linear(root.In("visual_projection"), pooled) // image_features: [batch, projection_dim]
	return graph.L2Normalize(features, 1)
}
