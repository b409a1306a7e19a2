// text.go mirrors Hugging Face's SiglipTextEmbeddings and SiglipTextTransformer (transformers/models/siglip/
// modeling_siglip.py).

package siglip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// textTower maps input_ids [batch, seq] (int32, every row padded to seq = max_position_embeddings) to
// text_features [batch, projection_size] (SiglipModel's text_embeds before L2 normalisation).
//
// Unlike CLIP's, this encoder is not causal and the zero-shot pipeline passes no attention mask: every position
// attends to every other, padding included, so each prompt's embedding depends on the padding after it and the
// sequence cannot be trimmed. The embedding is taken at the last position whatever token is there (the
// pipeline pads to max_length, so it is padding or, for a truncated prompt, EOS).
func textTower(root *model.Scope, ids *graph.Node, cfg *Config) *graph.Node {
	t := cfg.TextConfig
	g := ids.Graph()
	batch, seq := ids.Shape().Dimensions[0], ids.Shape().Dimensions[1]
	scope := root.In("text_model")
	emb := scope.In("embeddings")

	x := graph.Gather(transformer.Param(emb.In("token_embedding"), g, "weight"), graph.ExpandAxes(ids, -1)) // [batch, seq, hidden]
	positions := graph.Slice(transformer.Param(emb.In("position_embedding"), g, "weight"), graph.AxisRange(0, seq))
	x = graph.Add(x, graph.ExpandAxes(positions, 0))

	x = transformer.Encoder(scope.In("encoder"), x, t.Encoder())
	// last_hidden_state[:, -1, :] after final_layer_norm: LayerNorm acts per position, so normalising only the
	// pooled row is the same.
	pooled := graph.Reshape(graph.Slice(x, graph.AxisRange(), graph.AxisRange(seq-1, seq)), batch, t.HiddenSize) // [batch, hidden]
	pooled = transformer.LayerNorm(scope.In("final_layer_norm"), pooled, t.LayerNormEps)
	return transformer.Linear(scope.In("head"), pooled) // [batch, projection_size]; a Linear with bias
}
