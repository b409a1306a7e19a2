package clip

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigBothStyles(t *testing.T) {
	verbose, err := LoadConfig(filepath.Join(fixturesDir, "clip-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if verbose.ProjectionDim != 16 || verbose.TextConfig.EosTokenID != legacyArgmaxEosTokenID ||
		verbose.TextConfig.NumAttentionHeads != 4 || verbose.VisionConfig.PatchSize != 32 ||
		verbose.TextConfig.HiddenAct != "quick_gelu" {
		t.Errorf("clip-tiny config: %+v %+v %+v", verbose, verbose.TextConfig, verbose.VisionConfig)
	}
	compact, err := LoadConfig(filepath.Join(fixturesDir, "clip-tiny-gelu-f16", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tc, vc := compact.TextConfig, compact.VisionConfig
	// Written in the file:
	if compact.ProjectionDim != 24 || tc.HiddenSize != 40 || tc.NumAttentionHeads != 5 || tc.HiddenAct != "gelu" ||
		vc.ImageSize != 64 || vc.PatchSize != 16 || vc.NumAttentionHeads != 6 || vc.NumHiddenLayers != 3 {
		t.Errorf("clip-tiny-gelu-f16 written values: %+v %+v %+v", compact, tc, vc)
	}
	// Hugging Face defaults for what the compact file leaves out:
	if tc.VocabSize != 49408 || tc.MaxPositionEmbeddings != 77 || tc.EosTokenID != 49407 || vc.NumChannels != 3 ||
		tc.ProjectionDim != 512 {
		t.Errorf("clip-tiny-gelu-f16 defaults: %+v %+v", tc, vc)
	}
}

func TestParseConfigLegacyDicts(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"model_type":"clip","text_config":null,"vision_config":null,
		"text_config_dict":{"hidden_size":64,"num_attention_heads":2},"vision_config_dict":{"patch_size":16}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TextConfig.HiddenSize != 64 || cfg.TextConfig.NumAttentionHeads != 2 || cfg.VisionConfig.PatchSize != 16 ||
		cfg.VisionConfig.HiddenSize != 768 {
		t.Errorf("legacy dicts: %+v %+v", cfg.TextConfig, cfg.VisionConfig)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string]string{
		`not json`:                              "not valid JSON",
		`{"text_config":{},"vision_config":{}}`: `no "model_type"`,
		`{"model_type":"siglip","text_config":{},"vision_config":{}}`: `expected "clip" (CLIPModel)`,
		`{"model_type":"bert"}`:                                                            `expected "clip"`,
		`{"model_type":"clip","vision_config":{}}`:                                         `no "text_config"`,
		`{"model_type":"clip","text_config":{}}`:                                           `no "vision_config"`,
		`{"model_type":"clip","text_config":{"hidden_size":"big"},"vision_config":{}}`:     "wrong type",
		`{"model_type":"clip","text_config":{"hidden_act":"swish"},"vision_config":{}}`:    `text_config.hidden_act "swish" is not supported`,
		`{"model_type":"clip","text_config":{"num_attention_heads":7},"vision_config":{}}`: "not divisible",
		`{"model_type":"clip","text_config":{},"vision_config":{"patch_size":0}}`:          "patch_size is 0",
		`{"model_type":"clip","text_config":{},"vision_config":{"image_size":100}}`:        "not a multiple",
		`{"model_type":"clip","text_config":{"layer_norm_eps":0},"vision_config":{}}`:      "layer_norm_eps",
	}
	for input, want := range cases {
		if _, err := ParseConfig([]byte(input)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%s): err = %v, want it to contain %q", input, err, want)
		}
	}
}

func TestPooledPosition(t *testing.T) {
	ids := []int32{49406, 320, 49407, 49407}
	if p := pooledPosition(ids, 49407); p != 2 {
		t.Errorf("first EOS: %d, want 2", p)
	}
	if p := pooledPosition(ids, legacyArgmaxEosTokenID); p != 2 {
		t.Errorf("legacy argmax: %d, want 2 (first maximum)", p)
	}
}

// TestHubConfigs parses the compact config.json of well-known Hub CLIP checkpoints (sizes as published) and checks
// the shapes the loader will expect; nothing may be sized by assumption (heads = width/64, MLP = 4x).
func TestHubConfigs(t *testing.T) {
	cases := []struct {
		name, config             string
		positions, textHeads, pd int
	}{
		{"openai/clip-vit-base-patch16",
			`{"model_type":"clip","projection_dim":512,"text_config":{},"vision_config":{"patch_size":16}}`, 197, 8, 512},
		{"openai/clip-vit-large-patch14-336",
			`{"model_type":"clip","projection_dim":768,"text_config":{"hidden_size":768,"intermediate_size":3072,"num_attention_heads":12,"projection_dim":768},
			  "vision_config":{"hidden_size":1024,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24,"patch_size":14,"image_size":336,"projection_dim":768}}`,
			577, 12, 768},
		{"laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
			`{"model_type":"clip","projection_dim":1024,"text_config":{"hidden_act":"gelu","hidden_size":1024,"intermediate_size":4096,"num_attention_heads":16,"num_hidden_layers":24},
			  "vision_config":{"hidden_act":"gelu","hidden_size":1280,"intermediate_size":5120,"num_attention_heads":16,"num_hidden_layers":32,"patch_size":14}}`,
			257, 16, 1024},
	}
	for _, c := range cases {
		cfg, err := ParseConfig([]byte(c.config))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		w := expectedWeights(cfg)
		if got := w["vision_model.embeddings.position_embedding.weight"][0]; got != c.positions {
			t.Errorf("%s: %d vision positions, want %d", c.name, got, c.positions)
		}
		if cfg.TextConfig.NumAttentionHeads != c.textHeads {
			t.Errorf("%s: %d text heads, want %d", c.name, cfg.TextConfig.NumAttentionHeads, c.textHeads)
		}
		if got := w["visual_projection.weight"]; got[0] != c.pd || got[1] != cfg.VisionConfig.HiddenSize {
			t.Errorf("%s: visual_projection %v", c.name, got)
		}
		if got := w["vision_model.encoder.layers.0.mlp.fc1.weight"]; got[0] != cfg.VisionConfig.IntermediateSize {
			t.Errorf("%s: fc1 %v", c.name, got)
		}
	}
}
