// config.go mirrors Hugging Face transformers' CLIPConfig, CLIPTextConfig and CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py): the same JSON keys and the same defaults, so both the verbose
// files of 2021 (every PretrainedConfig field, text_config_dict) and the compact files current transformers
// writes (only non-default fields) load to the same values.
package clip

import (
	"encoding/json"
	"fmt"

	"github.com/bellingcat/smart-image-sorter/models/hfconfig"
	"github.com/bellingcat/smart-image-sorter/models/transformer"
)

// Config is CLIPConfig: the two towers and the shared projection.
type Config struct {
	ModelType           string        `json:"model_type"`
	ProjectionDim       int           `json:"projection_dim"`
	LogitScaleInitValue float64       `json:"logit_scale_init_value"` // only an initialiser: the stored logit_scale weight counts
	TextConfig          *TextConfig   `json:"text_config"`
	VisionConfig        *VisionConfig `json:"vision_config"`
	// Files written by transformers < 4.19 may carry the sub-configs under these names instead.
	TextConfigDict   *TextConfig   `json:"text_config_dict"`
	VisionConfigDict *VisionConfig `json:"vision_config_dict"`
}

// TextConfig is CLIPTextConfig.
type TextConfig struct {
	// TowerConfig: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, hidden_act,
	// layer_norm_eps.
	transformer.TowerConfig
	VocabSize             int `json:"vocab_size"`
	ProjectionDim         int `json:"projection_dim"` // unused: the top-level projection_dim counts
	MaxPositionEmbeddings int `json:"max_position_embeddings"`
	PadTokenID            int `json:"pad_token_id"`
	BosTokenID            int `json:"bos_token_id"`
	// EosTokenID selects the pooled position. The legacy value 2 (configs written before transformers 4.31) means
	// "argmax of the input ids", which finds the first <|endoftext|> because it is the largest id.
	EosTokenID int `json:"eos_token_id"`
}

// VisionConfig is CLIPVisionConfig.
type VisionConfig struct {
	// TowerConfig: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, hidden_act,
	// layer_norm_eps.
	transformer.TowerConfig
	ProjectionDim int `json:"projection_dim"` // unused: the top-level projection_dim counts
	NumChannels   int `json:"num_channels"`
	ImageSize     int `json:"image_size"`
	PatchSize     int `json:"patch_size"`
}

// defaultTextConfig returns CLIPTextConfig's defaults.
func defaultTextConfig() *TextConfig {
	return &TextConfig{
		TowerConfig: transformer.TowerConfig{
			HiddenSize: 512, IntermediateSize: 2048, NumHiddenLayers: 12, NumAttentionHeads: 8,
			HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		},
		VocabSize: 49408, ProjectionDim: 512, MaxPositionEmbeddings: 77,
		PadTokenID: 1, BosTokenID: 49406, EosTokenID: 49407,
	}
}

// defaultVisionConfig returns CLIPVisionConfig's defaults.
func defaultVisionConfig() *VisionConfig {
	return &VisionConfig{
		TowerConfig: transformer.TowerConfig{
			HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
			HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		},
		ProjectionDim: 512, NumChannels: 3, ImageSize: 224, PatchSize: 32,
	}
}

// legacyArgmaxEosTokenID is the eos_token_id of old configs that means "pool at argmax(input_ids)".
const legacyArgmaxEosTokenID = 2

// LoadConfig reads a CLIP config.json. Missing keys take Hugging Face's defaults; keys that have no default
// (model_type, the two sub-configs) and impossible values are errors naming the key.
func LoadConfig(path string) (*Config, error) {
	return hfconfig.Load(path, ParseConfig)
}

// ParseConfig parses the contents of a CLIP config.json; see LoadConfig.
func ParseConfig(data []byte) (*Config, error) {
	// Probe which sub-config keys are present before decoding into pre-filled defaults: json.Unmarshal keeps
	// the defaults for missing keys, which is exactly Hugging Face's behaviour.
	present, err := hfconfig.Keys(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{ProjectionDim: 512, LogitScaleInitValue: 2.6592}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("config has a field of the wrong type: %w", err)
	}
	switch cfg.ModelType {
	case "clip":
	case "":
		return nil, fmt.Errorf(`config has no "model_type"; this does not look like a Hugging Face CLIP checkpoint`)
	default: // models.Open picks the family from model_type: another family's config reaching here is a caller's mistake
		return nil, fmt.Errorf(`model_type is %q, expected "clip" (CLIPModel); open checkpoints with models.Open, which picks the family`, cfg.ModelType)
	}
	// Files written by transformers < 4.19 may carry the sub-configs under their legacy names.
	text, err := hfconfig.SubConfig(present, "CLIP", defaultTextConfig, "text_config", "text_config_dict")
	if err != nil {
		return nil, err
	}
	vision, err := hfconfig.SubConfig(present, "CLIP", defaultVisionConfig, "vision_config", "vision_config_dict")
	if err != nil {
		return nil, err
	}
	cfg.TextConfig, cfg.VisionConfig = text, vision
	cfg.TextConfigDict, cfg.VisionConfigDict = nil, nil
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (cfg *Config) validate() error {
	t, v := cfg.TextConfig, cfg.VisionConfig
	if err := hfconfig.CheckPositive(
		hfconfig.Positive{Key: "projection_dim", Value: cfg.ProjectionDim},
		hfconfig.Positive{Key: "text_config.vocab_size", Value: t.VocabSize},
		hfconfig.Positive{Key: "text_config.max_position_embeddings", Value: t.MaxPositionEmbeddings},
		hfconfig.Positive{Key: "vision_config.num_channels", Value: v.NumChannels},
		hfconfig.Positive{Key: "vision_config.image_size", Value: v.ImageSize},
		hfconfig.Positive{Key: "vision_config.patch_size", Value: v.PatchSize},
	); err != nil {
		return err
	}
	if err := hfconfig.CheckTowers(t.TowerConfig, v.TowerConfig); err != nil {
		return err
	}
	if v.ImageSize%v.PatchSize != 0 {
		return fmt.Errorf("config vision_config.image_size %d is not a multiple of patch_size %d", v.ImageSize, v.PatchSize)
	}
	return nil
}

// NumPatches is the number of image patches (grid side squared).
func (v *VisionConfig) NumPatches() int {
	side := v.ImageSize / v.PatchSize
	return side * side
}
