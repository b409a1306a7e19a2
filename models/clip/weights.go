// weights.go lists the weights of a Hugging Face CLIPModel (transformers/models/clip/modeling_clip.py) with
// their shapes, from config.json alone; models/weights loads them by their Hugging Face keys.
package clip

import (
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/bellingcat/smart-image-sorter/models/weights"
)

// ignoredWeights are checkpoint keys deliberately not loaded: position_ids are int64 buffers that older
// transformers versions saved; positions are always 0..n-1.
var ignoredWeights = []string{
	"text_model.embeddings.position_ids",
	"vision_model.embeddings.position_ids",
}

// expectedWeights returns every weight a CLIPModel with this config has, with its shape.
func expectedWeights(cfg *Config) map[string][]int {
	w := map[string][]int{}
	t, v, p := cfg.TextConfig, cfg.VisionConfig, cfg.ProjectionDim
	encoder := func(prefix string, layers, hidden, intermediate int) { // CLIPEncoder
		transformer.EncoderWeights(w, prefix, layers, hidden, intermediate)
	}
	layerNorm := func(key string, hidden int) { transformer.LayerNormWeights(w, key, hidden) }

	w["logit_scale"] = []int{}
	w["text_projection.weight"] = []int{p, t.HiddenSize}
	w["visual_projection.weight"] = []int{p, v.HiddenSize}

	w["text_model.embeddings.token_embedding.weight"] = []int{t.VocabSize, t.HiddenSize}
	w["text_model.embeddings.position_embedding.weight"] = []int{t.MaxPositionEmbeddings, t.HiddenSize}
	encoder("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize)
	layerNorm("text_model.final_layer_norm", t.HiddenSize)

	w["vision_model.embeddings.class_embedding"] = []int{v.HiddenSize}
	w["vision_model.embeddings.patch_embedding.weight"] = []int{v.HiddenSize, v.NumChannels, v.PatchSize, v.PatchSize}
	w["vision_model.embeddings.position_embedding.weight"] = []int{v.NumPatches() + 1, v.HiddenSize}
	layerNorm("vision_model.pre_layrnorm", v.HiddenSize) // sic: Hugging Face's key has the typo
	encoder("vision_model", v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize)
	layerNorm("vision_model.post_layernorm", v.HiddenSize)
	return w
}

// weightSpec is what models/weights checks a CLIP checkpoint against.
func weightSpec(cfg *Config) weights.Spec {
	return weights.Spec{Architecture: "CLIPModel", Expected: expectedWeights(cfg), Ignored: ignoredWeights}
}
