// weights.go lists the weights of a Hugging Face SiglipModel (transformers/models/siglip/modeling_siglip.py) with
// their shapes, from config.json alone; models/weights loads them by their Hugging Face keys, widening BF16 and F16
// files (SigLIP2 ships bfloat16) to float32 exactly.

package siglip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/bellingcat/smart-image-sorter/models/weights"
)

// ignoredWeights are checkpoint keys deliberately not loaded. SiglipModel's position_ids buffers are not
// persistent, so Hub files do not have them; a conversion that saved them anyway still loads (positions are
// always 0..n-1).
var ignoredWeights = []string{
	"text_model.embeddings.position_ids",
	"vision_model.embeddings.position_ids",
}

// expectedWeights returns every weight a SiglipModel with this config has, with its shape.
func expectedWeights(cfg *Config) map[string][]int {
	w := map[string][]int{}
	t, v := cfg.TextConfig, cfg.VisionConfig
	linear := func(key string, out, in int) { transformer.LinearWeights(w, key, out, in) }
	layerNorm := func(key string, hidden int) { transformer.LayerNormWeights(w, key, hidden) }
	encoder := func(prefix string, layers, hidden, intermediate int) { // SiglipEncoder
		transformer.EncoderWeights(w, prefix, layers, hidden, intermediate)
	}

	// SiglipModel: both are shape [1], not 0-d as CLIP's logit_scale.
	w["logit_scale"] = []int{1}
	w["logit_bias"] = []int{1}

	// SiglipTextTransformer
	w["text_model.embeddings.token_embedding.weight"] = []int{t.VocabSize, t.HiddenSize}
	w["text_model.embeddings.position_embedding.weight"] = []int{t.MaxPositionEmbeddings, t.HiddenSize}
	encoder("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize)
	layerNorm("text_model.final_layer_norm", t.HiddenSize)
	linear("text_model.head", t.ProjectionSize, t.HiddenSize)

	// SiglipVisionTransformer: no class token and no pre-LayerNorm, unlike CLIP; the patch convolution has a bias.
	d := v.HiddenSize
	w["vision_model.embeddings.patch_embedding.weight"] = []int{d, v.NumChannels, v.PatchSize, v.PatchSize} // Conv2d kernel
	w["vision_model.embeddings.patch_embedding.bias"] = []int{d}
	w["vision_model.embeddings.position_embedding.weight"] = []int{v.NumPatches(), d}
	encoder("vision_model", v.NumHiddenLayers, d, v.IntermediateSize)
	layerNorm("vision_model.post_layernorm", d)

	// SiglipMultiheadAttentionPoolingHead: torch's nn.MultiheadAttention keeps q, k and v in one matrix.
	w["vision_model.head.probe"] = []int{1, 1, d}
	w["vision_model.head.attention.in_proj_weight"] = []int{3 * d, d}
	w["vision_model.head.attention.in_proj_bias"] = []int{3 * d}
	linear("vision_model.head.attention.out_proj", d, d)
	layerNorm("vision_model.head.layernorm", d)
	linear("vision_model.head.mlp.fc1", v.IntermediateSize, d)
	linear("vision_model.head.mlp.fc2", d, v.IntermediateSize)
	return w
}

// weightSpec is what models/weights checks a SigLIP checkpoint against.
func weightSpec(cfg *Config) weights.Spec {
	return weights.Spec{Architecture: "SiglipModel", Expected: expectedWeights(cfg), Ignored: ignoredWeights}
}
