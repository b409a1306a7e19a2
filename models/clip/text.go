// text.go mirrors Hugging Face's CLIPTextEmbeddings and CLIPTextTransformer plus CLIPModel's text_projection
// (transformers/models/clip/modeling_clip.py).
package clip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// textTower maps input_ids [batch, seq] (int32) and the pooled position of each row [batch] (int32) to
// L2-normalised text_embeds [batch, projection_dim].
//
// The causal mask means no position sees a later one, so the state at the end-of-text token is the same
// whatever follows it: batches are padded to a common length and trimmed to the longest prompt (not 77)
// without changing any embedding.
func textTower(root *model.Scope, ids, pooledAt *graph.Node, cfg *Config) *graph.Node {
	t := cfg.TextConfig
	g := ids.Graph()
	batch, seq := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	pooledAt.AssertDims(batch)
	scope := root.In("text_model")
	emb := scope.In("embeddings")

	x := graph.Gather(transformer.Param(emb.In("token_embedding"), g, "weight"), graph.ExpandAxes(ids, -1)) // [batch, seq, hidden]
	positions := graph.Slice(transformer.Param(emb.In("position_embedding"), g, "weight"), graph.AxisRange(0, seq))
	x = graph.Add(x, graph.ExpandAxes(positions, 0))

	encoder := t.Encoder()
	encoder.Causal = true // CLIP's text encoder is causal (see above)
	x = transformer.Encoder(scope.In("encoder"), x, encoder)
	// Pool before final_layer_norm: LayerNorm acts per position, so normalising only the pooled row is the same.
	pooled := graph.Einsum("bs,bsh->bh", graph.OneHot(pooledAt, seq, dtypes.Float32), x) // [batch, hidden]
	pooled = transformer.LayerNorm(scope.In("final_layer_norm"), pooled, t.LayerNormEps)
	features := transformer.Linear(root.In("text_projection"), pooled) // text_features: [batch, projection_dim]
	return graph.L2Normalize(features, 1)
}
