package siglip

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/transformer"
)

// TestLoadConfigFixtures: what the fixtures' compact config.json files write, and SigLIP's defaults (not CLIP's)
// for what they leave out (README, "The two checkpoints").
func TestLoadConfigFixtures(t *testing.T) {
	v1, err := LoadConfig(filepath.Join(fixturesDir, "siglip-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tc, vc := v1.TextConfig, v1.VisionConfig
	// Written in the file:
	if tc.HiddenSize != 32 || tc.IntermediateSize != 48 || tc.NumHiddenLayers != 3 || tc.NumAttentionHeads != 2 || tc.VocabSize != 3000 ||
		vc.HiddenSize != 32 || vc.IntermediateSize != 80 || vc.NumHiddenLayers != 2 || vc.NumAttentionHeads != 4 || vc.PatchSize != 16 {
		t.Errorf("siglip-tiny written values: %+v %+v", tc, vc)
	}
	// SigLIP defaults for what siglip-tiny omits: image_size, max_position_embeddings, hidden_act, layer_norm_eps,
	// projection_size (= text hidden_size).
	if vc.ImageSize != 224 || tc.MaxPositionEmbeddings != 64 || tc.HiddenAct != "gelu_pytorch_tanh" || vc.HiddenAct != "gelu_pytorch_tanh" ||
		tc.LayerNormEps != 1e-6 || vc.LayerNormEps != 1e-6 || tc.ProjectionSize != 32 || vc.NumChannels != 3 {
		t.Errorf("siglip-tiny defaults: %+v %+v", tc, vc)
	}
	if vc.GridSize() != 14 || vc.NumPatches() != 196 {
		t.Errorf("siglip-tiny grid %d, patches %d, want 14 and 196", vc.GridSize(), vc.NumPatches())
	}

	v2, err := LoadConfig(filepath.Join(fixturesDir, "siglip2-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tc, vc = v2.TextConfig, v2.VisionConfig
	if tc.HiddenAct != "gelu" || vc.HiddenAct != "gelu_pytorch_tanh" || tc.ProjectionSize != 48 || tc.HiddenSize != 40 ||
		tc.NumAttentionHeads != 5 || vc.ImageSize != 112 || vc.NumPatches() != 49 || tc.LayerNormEps != 1e-6 || tc.MaxPositionEmbeddings != 64 {
		t.Errorf("siglip2-tiny: %+v %+v", tc, vc)
	}
}

// TestParseConfigDefaults: with (almost) nothing written, every value is SiglipTextConfig's and
// SiglipVisionConfig's default; null counts as absent, as in Hugging Face.
func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"model_type":"siglip","text_config":{"projection_size":null,"hidden_act":null},
		"vision_config":{"model_type":"siglip_vision_model"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{ModelType: "siglip", TextConfig: &TextConfig{
		TowerConfig: transformer.TowerConfig{
			HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
			HiddenAct: "gelu_pytorch_tanh", LayerNormEps: 1e-6,
		},
		VocabSize: 32000, MaxPositionEmbeddings: 64, ProjectionSize: 768,
	}, VisionConfig: &VisionConfig{
		TowerConfig: transformer.TowerConfig{
			HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12,
			HiddenAct: "gelu_pytorch_tanh", LayerNormEps: 1e-6,
		},
		NumChannels: 3, ImageSize: 224, PatchSize: 16,
	}}
	if *cfg.TextConfig != *want.TextConfig || *cfg.VisionConfig != *want.VisionConfig {
		t.Errorf("defaults:\n got %+v %+v\nwant %+v %+v", cfg.TextConfig, cfg.VisionConfig, want.TextConfig, want.VisionConfig)
	}
	use := true
	if cfg, err = ParseConfig([]byte(`{"model_type":"siglip","text_config":{},"vision_config":{"vision_use_head":true}}`)); err != nil ||
		*cfg.VisionConfig.VisionUseHead != use {
		t.Errorf("vision_use_head true: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string]string{
		`not json`:                              "not valid JSON",
		`{"text_config":{},"vision_config":{}}`: `no "model_type"`,
		`{"model_type":"siglip2","text_config":{},"vision_config":{}}`:                       `SigLIP2 NaFlex checkpoint (Siglip2Model, variable resolution and aspect ratio), which is not supported; fixed-resolution SigLIP2 checkpoints such as google/siglip2-base-patch16-224 (model_type "siglip") work`,
		`{"model_type":"clip","text_config":{},"vision_config":{}}`:                          `model_type is "clip", expected "siglip"`,
		`{"model_type":"siglip_vision_model"}`:                                               "single SigLIP tower",
		`{"model_type":7}`:                                                                   "model_type",
		`{"model_type":"siglip","vision_config":{}}`:                                         `no "text_config"`,
		`{"model_type":"siglip","text_config":{},"vision_config":null}`:                      `no "vision_config"`,
		`{"model_type":"siglip","text_config":{"hidden_size":"big"},"vision_config":{}}`:     `"text_config"`,
		`{"model_type":"siglip","text_config":{"projection_size":"big"},"vision_config":{}}`: `"text_config"`,
		`{"model_type":"siglip","text_config":{"hidden_act":"swish"},"vision_config":{}}`:    `text_config.hidden_act "swish" is not supported`,
		`{"model_type":"siglip","text_config":{},"vision_config":{"hidden_act":"silu"}}`:     `vision_config.hidden_act "silu" is not supported`,
		`{"model_type":"siglip","text_config":{"num_attention_heads":7},"vision_config":{}}`: "text_config.hidden_size 768 is not divisible by num_attention_heads 7",
		`{"model_type":"siglip","text_config":{},"vision_config":{"num_attention_heads":5}}`: "vision_config.hidden_size 768 is not divisible",
		`{"model_type":"siglip","text_config":{},"vision_config":{"patch_size":0}}`:          "vision_config.patch_size is 0, must be positive",
		`{"model_type":"siglip","text_config":{"vocab_size":-1},"vision_config":{}}`:         "text_config.vocab_size is -1",
		`{"model_type":"siglip","text_config":{"projection_size":0},"vision_config":{}}`:     "text_config.projection_size is 0",
		`{"model_type":"siglip","text_config":{"projection_size":512},"vision_config":{}}`:   "text_config.projection_size 512 (hidden_size when absent) differs from vision_config.hidden_size 768",
		`{"model_type":"siglip","text_config":{"hidden_size":576},"vision_config":{}}`:       "text_config.projection_size 576",
		`{"model_type":"siglip","text_config":{},"vision_config":{"image_size":8}}`:          "vision_config.patch_size 16 is larger than image_size 8",
		`{"model_type":"siglip","text_config":{},"vision_config":{"num_channels":1}}`:        "vision_config.num_channels is 1",
		`{"model_type":"siglip","text_config":{"layer_norm_eps":0},"vision_config":{}}`:      "layer_norm_eps must be positive",
		`{"model_type":"siglip","text_config":{},"vision_config":{"vision_use_head":false}}`: "vision_config.vision_use_head is false",
	}
	for input, want := range cases {
		if _, err := ParseConfig([]byte(input)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%s): err = %v, want it to contain %q", input, err, want)
		}
	}
}

// TestHubConfigs parses config.json files as the Hub's SigLIP checkpoints write them (sizes as published) and
// checks the shapes the loader will expect; nothing may be sized by assumption (heads = width/64, MLP = 4x).
func TestHubConfigs(t *testing.T) {
	cases := []struct {
		name, config           string
		grid, textHeads, embed int
		headMLP                int
	}{
		{"google/siglip-base-patch16-224",
			`{"model_type":"siglip","text_config":{"model_type":"siglip_text_model"},"vision_config":{"model_type":"siglip_vision_model","patch_size":16}}`,
			14, 12, 768, 3072},
		{"google/siglip-so400m-patch14-384",
			`{"model_type":"siglip","text_config":{"hidden_size":1152,"intermediate_size":4304,"num_attention_heads":16,"num_hidden_layers":27},
			  "vision_config":{"hidden_size":1152,"image_size":384,"intermediate_size":4304,"num_attention_heads":16,"num_hidden_layers":27,"patch_size":14}}`,
			27, 16, 1152, 4304},
		{"google/siglip2-base-patch16-224",
			`{"model_type":"siglip","text_config":{"hidden_act":"gelu_pytorch_tanh","vocab_size":256000},"vision_config":{"patch_size":16}}`,
			14, 12, 768, 3072},
		{"google/siglip-large-patch16-256",
			`{"model_type":"siglip","text_config":{"hidden_size":1024,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24},
			  "vision_config":{"hidden_size":1024,"image_size":256,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24,"patch_size":16}}`,
			16, 16, 1024, 4096},
	}
	for _, c := range cases {
		cfg, err := ParseConfig([]byte(c.config))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		w := expectedWeights(cfg)
		if got := w["vision_model.embeddings.position_embedding.weight"][0]; got != c.grid*c.grid || cfg.VisionConfig.GridSize() != c.grid {
			t.Errorf("%s: %d vision positions, grid %d, want %d", c.name, got, cfg.VisionConfig.GridSize(), c.grid)
		}
		if cfg.TextConfig.NumAttentionHeads != c.textHeads {
			t.Errorf("%s: %d text heads, want %d", c.name, cfg.TextConfig.NumAttentionHeads, c.textHeads)
		}
		if got := w["text_model.head.weight"]; got[0] != c.embed || got[1] != cfg.TextConfig.HiddenSize {
			t.Errorf("%s: text head %v", c.name, got)
		}
		if got := w["vision_model.head.mlp.fc1.weight"]; got[0] != c.headMLP || got[1] != c.embed {
			t.Errorf("%s: pooling head fc1 %v", c.name, got)
		}
		if got := w["vision_model.head.attention.in_proj_weight"]; got[0] != 3*c.embed {
			t.Errorf("%s: in_proj_weight %v", c.name, got)
		}
	}
}
