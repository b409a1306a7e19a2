package hfconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/transformer"
)

type tower struct {
	HiddenSize int `json:"hidden_size"`
	Layers     int `json:"num_hidden_layers"`
}

func defaults() *tower { return &tower{HiddenSize: 768, Layers: 12} }

// TestSubConfig: the first key present and not null wins, over the defaults; none is an error naming the first.
func TestSubConfig(t *testing.T) {
	present, err := Keys([]byte(`{"text_config": null, "text_config_dict": {"hidden_size": 64}, "vision_config": {"hidden_size": "big"}}`))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := SubConfig(present, "CLIP", defaults, "text_config", "text_config_dict")
	if err != nil || *sub != (tower{HiddenSize: 64, Layers: 12}) {
		t.Errorf("legacy key: %+v, %v", sub, err)
	}
	if _, err := SubConfig(present, "CLIP", defaults, "vision_config"); err == nil || !strings.Contains(err.Error(), `config "vision_config": `) {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := SubConfig(present, "SigLIP", defaults, "audio_config"); err == nil ||
		err.Error() != `config has no "audio_config"; a SigLIP config.json describes both towers` {
		t.Errorf("missing: %v", err)
	}
	if _, err := Keys([]byte(`[1]`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("not an object: %v", err)
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	parse := func(data []byte) (*tower, error) {
		if _, err := Keys(data); err != nil {
			return nil, err
		}
		return nil, CheckPositive(Positive{"vision_config.patch_size", 16}, Positive{"projection_dim", 0})
	}
	if _, err := Load(path, parse); err == nil || err.Error() != path+": config projection_dim is 0, must be positive" {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json"), parse); err == nil || !strings.Contains(err.Error(), "reading model config") {
		t.Errorf("missing file: %v", err)
	}
}

func TestCheckTowers(t *testing.T) {
	ok := transformer.TowerConfig{HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4, HiddenAct: "gelu", LayerNormEps: 1e-5}
	if err := CheckTowers(ok, ok); err != nil {
		t.Error(err)
	}
	bad := ok
	bad.NumAttentionHeads = 5
	if err := CheckTowers(ok, bad); err == nil || err.Error() != "config vision_config.hidden_size 64 is not divisible by num_attention_heads 5" {
		t.Errorf("err = %v", err)
	}
}
