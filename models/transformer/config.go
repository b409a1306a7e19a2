// config.go mirrors the keys of Hugging Face's CLIPTextConfig and CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py) that size a tower's encoder, which SiglipTextConfig and
// SiglipVisionConfig copy (configuration_siglip.py): the same JSON keys in every family's text_config and
// vision_config. Each family embeds TowerConfig in its tower configs and gives its own defaults.

package transformer

import "fmt"

// TowerConfig is the part of a tower's config (text_config, vision_config) that sizes its encoder.
type TowerConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
}

// Encoder is the EncoderConfig of this tower, without a causal mask.
func (c TowerConfig) Encoder() EncoderConfig {
	return EncoderConfig{
		Hidden: c.HiddenSize, Heads: c.NumAttentionHeads, Layers: c.NumHiddenLayers,
		Activation: c.HiddenAct, Eps: c.LayerNormEps,
	}
}

// Check says, naming the keys under key ("text_config"), what in c the encoder cannot run: a size that is not
// positive, heads that do not divide the width, a layer_norm_eps that is not positive, an activation it does not
// implement.
func (c TowerConfig) Check(key string) error {
	for _, p := range []struct {
		name  string
		value int
	}{
		{"hidden_size", c.HiddenSize},
		{"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads},
	} {
		if p.value <= 0 {
			return fmt.Errorf("%s.%s is %d, must be positive", key, p.name, p.value)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("%s.hidden_size %d is not divisible by num_attention_heads %d", key, c.HiddenSize, c.NumAttentionHeads)
	}
	if !(c.LayerNormEps > 0) {
		return fmt.Errorf("%s.layer_norm_eps must be positive, got %g", key, c.LayerNormEps)
	}
	return CheckActivation(key+".hidden_act", c.HiddenAct)
}
