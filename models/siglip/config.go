// config.go mirrors Hugging Face transformers' SiglipConfig, SiglipTextConfig and SiglipVisionConfig
// (transformers/models/siglip/configuration_siglip.py): the same JSON keys and the same defaults, which are not
// CLIP's (gelu_pytorch_tanh, layer_norm_eps 1e-6, 64 text positions, patch 16, ...). Real config.json files
// write little: google/siglip-base-patch16-224's vision_config holds only model_type and patch_size.

package siglip

import (
	"encoding/json"
	"fmt"

	"github.com/bellingcat/smart-image-sorter/models/hfconfig"
	"github.com/bellingcat/smart-image-sorter/models/transformer"
)

// Config is SiglipConfig: the two towers. Unlike CLIP there is no shared projection (each tower ends in its own
// head) and logit_scale and logit_bias are weights, not config values.
type Config struct {
	ModelType    string        `json:"model_type"`
	TextConfig   *TextConfig   `json:"text_config"`
	VisionConfig *VisionConfig `json:"vision_config"`
}

// TextConfig is SiglipTextConfig.
type TextConfig struct {
	// TowerConfig: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, hidden_act,
	// layer_norm_eps.
	transformer.TowerConfig
	VocabSize             int `json:"vocab_size"`
	MaxPositionEmbeddings int `json:"max_position_embeddings"` // also the length every prompt is padded to
	// ProjectionSize is the output width of text_model.head; absent or null in the file means HiddenSize.
	ProjectionSize int `json:"-"`
}

// VisionConfig is SiglipVisionConfig.
type VisionConfig struct {
	// TowerConfig: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, hidden_act,
	// layer_norm_eps.
	transformer.TowerConfig
	NumChannels int `json:"num_channels"`
	ImageSize   int `json:"image_size"`
	PatchSize   int `json:"patch_size"`
	// VisionUseHead is false only in vision towers built for other models (PaliGemma); SiglipModel's image
	// embedding is the head's output, so it must be absent or true here.
	VisionUseHead *bool `json:"vision_use_head"`
}

// siglipTower is what SiglipTextConfig and SiglipVisionConfig default to for their encoders.
var siglipTower = transformer.TowerConfig{
	HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
	HiddenAct: "gelu_pytorch_tanh", LayerNormEps: 1e-6,
}

// defaultTextConfig returns SiglipTextConfig's defaults.
func defaultTextConfig() *TextConfig {
	return &TextConfig{TowerConfig: siglipTower, VocabSize: 32000, MaxPositionEmbeddings: 64}
}

// defaultVisionConfig returns SiglipVisionConfig's defaults.
func defaultVisionConfig() *VisionConfig {
	return &VisionConfig{TowerConfig: siglipTower, NumChannels: 3, ImageSize: 224, PatchSize: 16}
}

// LoadConfig reads a SigLIP config.json. Missing (or null) keys take Hugging Face's SigLIP defaults; keys that
// have no default (model_type, the two sub-configs) and impossible values are errors naming the key.
func LoadConfig(path string) (*Config, error) {
	return hfconfig.Load(path, ParseConfig)
}

// ParseConfig parses the contents of a SigLIP config.json; see LoadConfig.
func ParseConfig(data []byte) (*Config, error) {
	present, err := hfconfig.Keys(data)
	if err != nil {
		return nil, err
	}
	var head struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("config model_type: %w", err)
	}
	switch head.ModelType {
	case "siglip":
	case "":
		return nil, fmt.Errorf(`config has no "model_type"; this does not look like a Hugging Face SigLIP checkpoint`)
	case "siglip2":
		return nil, fmt.Errorf(`model_type "siglip2" is a SigLIP2 NaFlex checkpoint (Siglip2Model, variable resolution and ` +
			`aspect ratio), which is not supported; fixed-resolution SigLIP2 checkpoints such as ` +
			`google/siglip2-base-patch16-224 (model_type "siglip") work`)
	case "siglip_vision_model", "siglip_text_model":
		return nil, fmt.Errorf(`model_type %q is a single SigLIP tower; zero-shot classification needs a whole `+
			`SiglipModel (model_type "siglip")`, head.ModelType)
	default:
		return nil, fmt.Errorf(`model_type is %q, expected "siglip"; this package runs SigLIP and SigLIP2 checkpoints (SiglipModel)`, head.ModelType)
	}
	text, err := hfconfig.SubConfig(present, "SigLIP", defaultTextConfig, "text_config")
	if err != nil {
		return nil, err
	}
	vision, err := hfconfig.SubConfig(present, "SigLIP", defaultVisionConfig, "vision_config")
	if err != nil {
		return nil, err
	}
	// projection_size: None means hidden_size (SiglipTextConfig.__init__); a pointer tells null from absent from 0.
	var projection struct {
		ProjectionSize *int `json:"projection_size"`
	}
	if err := json.Unmarshal(present["text_config"], &projection); err != nil {
		return nil, fmt.Errorf(`config "text_config": %w`, err)
	}
	text.ProjectionSize = text.HiddenSize
	if projection.ProjectionSize != nil {
		text.ProjectionSize = *projection.ProjectionSize
	}
	cfg := &Config{ModelType: head.ModelType, TextConfig: text, VisionConfig: vision}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (cfg *Config) validate() error {
	t, v := cfg.TextConfig, cfg.VisionConfig
	if err := hfconfig.CheckPositive(
		hfconfig.Positive{Key: "text_config.vocab_size", Value: t.VocabSize},
		hfconfig.Positive{Key: "text_config.max_position_embeddings", Value: t.MaxPositionEmbeddings},
		hfconfig.Positive{Key: "text_config.projection_size", Value: t.ProjectionSize},
		hfconfig.Positive{Key: "vision_config.image_size", Value: v.ImageSize},
		hfconfig.Positive{Key: "vision_config.patch_size", Value: v.PatchSize},
	); err != nil {
		return err
	}
	if err := hfconfig.CheckTowers(t.TowerConfig, v.TowerConfig); err != nil {
		return err
	}
	if v.NumChannels != 3 {
		return fmt.Errorf("config vision_config.num_channels is %d; images are preprocessed to RGB, 3 channels", v.NumChannels)
	}
	// image_size need not be a multiple of patch_size (so400m-patch14-384: 27 patches of 14 cover 378 of 384
	// pixels), but must hold one patch.
	if v.PatchSize > v.ImageSize {
		return fmt.Errorf("config vision_config.patch_size %d is larger than image_size %d", v.PatchSize, v.ImageSize)
	}
	if t.ProjectionSize != v.HiddenSize {
		return fmt.Errorf("config text_config.projection_size %d (hidden_size when absent) differs from vision_config.hidden_size %d; "+
			"the text and image embeddings must have the same size to be compared", t.ProjectionSize, v.HiddenSize)
	}
	if v.VisionUseHead != nil && !*v.VisionUseHead {
		return fmt.Errorf("config vision_config.vision_use_head is false: this vision tower has no attention-pooling head " +
			"(a PaliGemma-style tower), so it gives no image embedding to compare with texts")
	}
	return nil
}

// GridSize is the number of patches along each side: image_size // patch_size. When patch_size does not divide
// image_size, the convolution's last image_size - GridSize()*patch_size rows and columns are never read.
func (v *VisionConfig) GridSize() int { return v.ImageSize / v.PatchSize }

// NumPatches is the number of image tokens (and of position embeddings): GridSize() squared.
func (v *VisionConfig) NumPatches() int { return v.GridSize() * v.GridSize() }
