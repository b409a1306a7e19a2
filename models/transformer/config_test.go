package transformer

import "testing"

func TestTowerConfigCheck(t *testing.T) {
	ok := TowerConfig{HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2, NumAttentionHeads: 4, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}
	if err := ok.Check("text_config"); err != nil {
		t.Fatal(err)
	}
	if e := ok.Encoder(); e != (EncoderConfig{Hidden: 64, Heads: 4, Layers: 2, Activation: "quick_gelu", Eps: 1e-5}) {
		t.Errorf("Encoder() = %+v", e)
	}
	for want, change := range map[string]func(*TowerConfig){
		"text_config.intermediate_size is 0, must be positive":                 func(c *TowerConfig) { c.IntermediateSize = 0 },
		"text_config.num_attention_heads is -1, must be positive":              func(c *TowerConfig) { c.NumAttentionHeads = -1 },
		"text_config.hidden_size 64 is not divisible by num_attention_heads 3": func(c *TowerConfig) { c.NumAttentionHeads = 3 },
		"text_config.layer_norm_eps must be positive, got 0":                   func(c *TowerConfig) { c.LayerNormEps = 0 },
		`text_config.hidden_act "swish" is not supported`:                      func(c *TowerConfig) { c.HiddenAct = "swish" },
	} {
		c := ok
		change(&c)
		if err := c.Check("text_config"); err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
