// config.go mirrors Hugging Face transformers' CLIPConfig, CLIPTextConfig and CLIPVisionConfig
// (transformers/models/clip/configuration_clip.py): the same JSON keys and the same defaults, so both the verbose
// files of 2021 (every PretrainedConfig field, text_config_dict) and the compact files current transformers
// writes (only non-default fields) load to the same values.
package clip

import (
	"encoding/json"
	"fmt"
	"os"

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
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	IntermediateSize      int     `json:"intermediate_size"`
	ProjectionDim         int     `json:"projection_dim"` // unused: the top-level projection_dim counts
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	PadTokenID            int     `json:"pad_token_id"`
	BosTokenID            int     `json:"bos_token_id"`
	// EosTokenID selects the pooled position. The legacy value 2 (configs written before transformers 4.31) means
	// "argmax of the input ids", which finds the first <|endoftext|> because it is the largest id.
	EosTokenID int `json:"eos_token_id"`
}

// VisionConfig is CLIPVisionConfig.
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	ProjectionDim     int     `json:"projection_dim"` // unused: the top-level projection_dim counts
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	NumChannels       int     `json:"num_channels"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
}

// defaultTextConfig returns CLIPTextConfig's defaults.
func defaultTextConfig() *TextConfig {
	return &TextConfig{
		VocabSize: 49408, HiddenSize: 512, IntermediateSize: 2048, ProjectionDim: 512,
		NumHiddenLayers: 12, NumAttentionHeads: 8, MaxPositionEmbeddings: 77,
		HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
		PadTokenID: 1, BosTokenID: 49406, EosTokenID: 49407,
	}
}

// defaultVisionConfig returns CLIPVisionConfig's defaults.
func defaultVisionConfig() *VisionConfig {
	return &VisionConfig{
		HiddenSize: 768, IntermediateSize: 3072, ProjectionDim: 512,
		NumHiddenLayers: 12, NumAttentionHeads: 12, NumChannels: 3,
		ImageSize: 224, PatchSize: 32, HiddenAct: "quick_gelu", LayerNormEps: 1e-5,
	}
}

// legacyArgmaxEosTokenID is the eos_token_id of old configs that means "pool at argmax(input_ids)".
const legacyArgmaxEosTokenID = 2

// LoadConfig reads a CLIP config.json. Missing keys take Hugging Face's defaults; keys that have no default
// (model_type, the two sub-configs) and impossible values are errors naming the key.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading model config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses the contents of a CLIP config.json; see LoadConfig.
func ParseConfig(data []byte) (*Config, error) {
	// Probe which sub-config keys are present before decoding into pre-filled defaults: json.Unmarshal keeps
	// the defaults for missing keys, which is exactly Hugging Face's behaviour.
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return nil, fmt.Errorf("config is not valid JSON: %w", err)
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
	text, err := subConfig(present, "text_config", "text_config_dict", defaultTextConfig)
	if err != nil {
		return nil, err
	}
	vision, err := subConfig(present, "vision_config", "vision_config_dict", defaultVisionConfig)
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

// subConfig decodes the sub-config under key (or legacyKey when key is absent or null) over its defaults.
func subConfig[T any](present map[string]json.RawMessage, key, legacyKey string, defaults func() *T) (*T, error) {
	raw, ok := present[key]
	if !ok || string(raw) == "null" {
		raw, ok = present[legacyKey]
		if ok && string(raw) != "null" {
			key = legacyKey
		} else {
			// Hugging Face would silently build a default-sized tower here; every real checkpoint states its
			// sizes, so a missing sub-config means a broken or foreign file.
			return nil, fmt.Errorf("config has no %q; a CLIP config.json describes both towers", key)
		}
	}
	sub := defaults()
	if err := json.Unmarshal(raw, sub); err != nil {
		return nil, fmt.Errorf("config %q: %w", key, err)
	}
	return sub, nil
}

func (cfg *Config) validate() error {
	t, v := cfg.TextConfig, cfg.VisionConfig
	positive := []struct {
		key   string
		value int
	}{
		{"projection_dim", cfg.ProjectionDim},
		{"text_config.vocab_size", t.VocabSize},
		{"text_config.hidden_size", t.HiddenSize},
		{"text_config.intermediate_size", t.IntermediateSize},
		{"text_config.num_hidden_layers", t.NumHiddenLayers},
		{"text_config.num_attention_heads", t.NumAttentionHeads},
		{"text_config.max_position_embeddings", t.MaxPositionEmbeddings},
		{"vision_config.hidden_size", v.HiddenSize},
		{"vision_config.intermediate_size", v.IntermediateSize},
		{"vision_config.num_hidden_layers", v.NumHiddenLayers},
		{"vision_config.num_attention_heads", v.NumAttentionHeads},
		{"vision_config.num_channels", v.NumChannels},
		{"vision_config.image_size", v.ImageSize},
		{"vision_config.patch_size", v.PatchSize},
	}
	for _, p := range positive {
		if p.value <= 0 {
			return fmt.Errorf("config %s is %d, must be positive", p.key, p.value)
		}
	}
	if t.HiddenSize%t.NumAttentionHeads != 0 {
		return fmt.Errorf("config text_config.hidden_size %d is not divisible by num_attention_heads %d", t.HiddenSize, t.NumAttentionHeads)
	}
	if v.HiddenSize%v.NumAttentionHeads != 0 {
		return fmt.Errorf("config vision_config.hidden_size %d is not divisible by num_attention_heads %d", v.HiddenSize, v.NumAttentionHeads)
	}
	if v.ImageSize%v.PatchSize != 0 {
		return fmt.Errorf("config vision_config.image_size %d is not a multiple of patch_size %d", v.ImageSize, v.PatchSize)
	}
	if !(t.LayerNormEps > 0) || !(v.LayerNormEps > 0) {
		return fmt.Errorf("config layer_norm_eps must be positive (text %g, vision %g)", t.LayerNormEps, v.LayerNormEps)
	}
	if err := transformer.CheckActivation("text_config.hidden_act", t.HiddenAct); err != nil {
		return fmt.Errorf("config %w", err)
	}
	if err := transformer.CheckActivation("vision_config.hidden_act", v.HiddenAct); err != nil {
		return fmt.Errorf("config %w", err)
	}
	return nil
}

// NumPatches is the number of image patches (grid side squared).
func (v *VisionConfig) NumPatches() int {
	side := v.ImageSize / v.PatchSize
	return side * side
}
