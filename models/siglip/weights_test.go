package siglip

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/bellingcat/smart-image-sorter/models/weights/weightstest"
	"github.com/gomlx/gomlx/core/tensors"
)

// fixtureFolder copies a fixture checkpoint's files (not its goldens) into a new temporary directory, leaving out
// the named files, and returns it.
func fixtureFolder(t *testing.T, checkpoint string, leaveOut ...string) string {
	t.Helper()
	return goldentest.CopyCheckpoint(t, filepath.Join(fixturesDir, checkpoint), leaveOut...)
}

// fixtureTensors reads every tensor of a fixture checkpoint as stored.
func fixtureTensors(t *testing.T, checkpoint string) map[string]weightstest.Tensor {
	return weightstest.ReadSafetensors(t, filepath.Join(fixturesDir, checkpoint, "model.safetensors"))
}

// TestLoadWeightsErrors: a checkpoint whose weights do not match its config.json is refused with an error naming
// the key and both shapes, whether the key is missing, unexpected or of the wrong shape.
func TestLoadWeightsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(ts map[string]weightstest.Tensor)
		want   string
	}{
		{"missing probe", func(ts map[string]weightstest.Tensor) { delete(ts, "vision_model.head.probe") },
			`weight "vision_model.head.probe" (shape [1 1 32]) is missing`},
		{"missing patch bias", func(ts map[string]weightstest.Tensor) { delete(ts, "vision_model.embeddings.patch_embedding.bias") },
			`weight "vision_model.embeddings.patch_embedding.bias" (shape [32]) is missing`},
		{"CLIP's class token", func(ts map[string]weightstest.Tensor) {
			ts["vision_model.embeddings.class_embedding"] = weightstest.Tensor{DType: "F32", Shape: []int{32}, Data: make([]byte, 4*32)}
		}, `unexpected weight "vision_model.embeddings.class_embedding" (shape [32]); this is not a SiglipModel checkpoint`},
		{"0-d logit_bias", func(ts map[string]weightstest.Tensor) {
			b := ts["logit_bias"]
			ts["logit_bias"] = weightstest.Tensor{DType: b.DType, Shape: []int{}, Data: b.Data}
		}, `weight "logit_bias" has shape [], config.json implies [1]`},
		{"in_proj_weight of another width", func(ts map[string]weightstest.Tensor) {
			ts["vision_model.head.attention.in_proj_weight"] = weightstest.Tensor{DType: "F32", Shape: []int{3 * 48, 48}, Data: make([]byte, 4*3*48*48)}
		}, `weight "vision_model.head.attention.in_proj_weight" has shape [144 48], config.json implies [96 32]`},
		{"text head without projection", func(ts map[string]weightstest.Tensor) {
			w := ts["text_model.head.weight"]
			ts["text_model.head.weight"] = weightstest.Tensor{DType: "F32", Shape: []int{16, 64}, Data: w.Data}
		}, `weight "text_model.head.weight" has shape [16 64], config.json implies [32 32]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixtureFolder(t, "siglip-tiny", "model.safetensors")
			ts := fixtureTensors(t, "siglip-tiny")
			tc.mutate(ts)
			weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), ts, nil)
			_, err := Load(dir, Options{Backend: enginetest.Go(t)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %s", err, tc.want)
			}
			var we *weights.WeightError
			if !errors.As(err, &we) || we.Architecture != "SiglipModel" {
				t.Errorf("err %v is not a *WeightError for SiglipModel", err)
			}
		})
	}
	t.Run("position_ids are ignored", func(t *testing.T) {
		dir := fixtureFolder(t, "siglip-tiny", "model.safetensors")
		ts := fixtureTensors(t, "siglip-tiny")
		ids := make([]byte, 8*64)
		for i := range 64 {
			binary.LittleEndian.PutUint64(ids[8*i:], uint64(i))
		}
		ts["text_model.embeddings.position_ids"] = weightstest.Tensor{DType: "I64", Shape: []int{1, 64}, Data: ids}
		weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), ts, nil)
		m, err := Load(dir, Options{Backend: enginetest.Go(t)})
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	})
}

// TestWeightsAllUsed: the graphs read every loaded weight except logit_scale and logit_bias, which are read once
// at load (a loaded but unused weight would mean a layer silently skipped), and every checkpoint key is loaded.
func TestWeightsAllUsed(t *testing.T) {
	for _, ckpt := range fixtureCheckpoints {
		m := loadFixtureModel(t, ckpt, "go")
		g := loadModelGoldens(t, ckpt)
		ids, err := m.tokenBatch([]string{"a cat"})
		if err != nil {
			t.Fatal(err)
		}
		unread, n, err := m.UnreadWeights(g.Pixels[:1], []*tensors.Tensor{ids}, "logit_scale", "logit_bias")
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range unread {
			t.Errorf("%s: weight %s is loaded but used by neither graph", ckpt, path)
		}
		keys := fixtureTensors(t, ckpt)
		if want := len(expectedWeights(m.Config)); n != want || len(keys) != want {
			t.Errorf("%s: %d variables, %d checkpoint keys, want %d", ckpt, n, len(keys), want)
		}
	}
}

// TestLogitScaleAndBias: the stored values are used, exp() applied to the scale only (README: siglip-tiny 3.0
// and -1.8 in F32, siglip2-tiny 2.515625 and -1.046875 in BF16).
func TestLogitScaleAndBias(t *testing.T) {
	for ckpt, want := range map[string][2]float64{"siglip-tiny": {3.0, float64(float32(-1.8))}, "siglip2-tiny": {2.515625, -1.046875}} {
		m := loadFixtureModel(t, ckpt, "go")
		if got := m.LogitScale(); got != float32(math.Exp(want[0])) {
			t.Errorf("%s: LogitScale %v, want exp(%v) = %v", ckpt, got, want[0], float32(math.Exp(want[0])))
		}
		if got := m.logitBias; float64(got) != want[1] {
			t.Errorf("%s: LogitBias %v, want %v", ckpt, got, want[1])
		}
	}
}

// TestBF16IsWidenedExactly: siglip2-tiny stores every tensor as bfloat16. The same checkpoint with each value
// widened to float32 by hand (the 16 bits in the high half) must embed bit-identically.
func TestBF16IsWidenedExactly(t *testing.T) {
	dir := fixtureFolder(t, "siglip2-tiny", "model.safetensors")
	ts := fixtureTensors(t, "siglip2-tiny")
	for key, tt := range ts {
		if tt.DType != "BF16" {
			t.Fatalf("%s is %s; the fixture should be all BF16", key, tt.DType)
		}
		wide := make([]byte, 2*len(tt.Data))
		for i := 0; i < len(tt.Data); i += 2 {
			binary.LittleEndian.PutUint32(wide[2*i:], uint32(binary.LittleEndian.Uint16(tt.Data[i:]))<<16)
		}
		ts[key] = weightstest.Tensor{DType: "F32", Shape: tt.Shape, Data: wide}
	}
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), ts, nil)
	wide, err := Load(dir, Options{Backend: enginetest.Go(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer wide.Close()
	bf16 := loadFixtureModel(t, "siglip2-tiny", "go")
	g := loadModelGoldens(t, "siglip2-tiny")
	a, err := wide.EmbedImages(g.Pixels[:3])
	if err != nil {
		t.Fatal(err)
	}
	b, err := bf16.EmbedImages(g.Pixels[:3])
	if err != nil {
		t.Fatal(err)
	}
	goldentest.CheckClose(t, "image_embeds, F32 copy vs BF16", a, b, 0)
	if wide.LogitScale() != bf16.LogitScale() || wide.logitBias != bf16.logitBias {
		t.Errorf("logit scale/bias %v %v vs %v %v", wide.LogitScale(), wide.logitBias, bf16.LogitScale(), bf16.logitBias)
	}
}

// TestLoadMismatches: files that disagree with each other are refused with the keys named.
func TestLoadMismatches(t *testing.T) {
	t.Run("preprocessor size", func(t *testing.T) {
		dir := fixtureFolder(t, "siglip-tiny")
		writeFile(t, dir, "preprocessor_config.json", `{"size": {"height": 256, "width": 256}}`)
		_, err := Load(dir, Options{Backend: enginetest.Go(t)})
		if err == nil || !strings.Contains(err.Error(), "resizes to 256 pixels but config.json's vision_config.image_size is 224") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("naflex", func(t *testing.T) {
		dir := fixtureFolder(t, "siglip2-tiny")
		writeFile(t, dir, "config.json", `{"model_type": "siglip2", "text_config": {}, "vision_config": {"num_patches": 256}}`)
		_, err := Load(dir, Options{Backend: enginetest.Go(t)})
		if err == nil || !strings.Contains(err.Error(), "google/siglip2-base-patch16-224") || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("tokenizer of a larger vocabulary", func(t *testing.T) {
		// siglip-tiny's text tower knows 3000 ids; pretend it knows 690, so that "a meme" (ids up to 640) fits and
		// "weapon" (698) does not: ids the embedding table lacks are an error, not a silently clamped lookup.
		dir := fixtureFolder(t, "siglip-tiny", "model.safetensors")
		writeFile(t, dir, "config.json", `{"model_type": "siglip", "text_config": {"hidden_size": 32, "intermediate_size": 48,
			"num_attention_heads": 2, "num_hidden_layers": 3, "vocab_size": 690}, "vision_config": {"hidden_size": 32,
			"intermediate_size": 80, "num_attention_heads": 4, "num_hidden_layers": 2, "patch_size": 16}}`)
		ts := fixtureTensors(t, "siglip-tiny")
		emb := ts["text_model.embeddings.token_embedding.weight"]
		ts["text_model.embeddings.token_embedding.weight"] = weightstest.Tensor{DType: "F32", Shape: []int{690, 32}, Data: emb.Data[:4*690*32]}
		weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), ts, nil)
		m, err := Load(dir, Options{Backend: enginetest.Go(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if _, err := m.EmbedTexts([]string{"This is a photo of a meme."}); err != nil {
			t.Errorf("ids below 690: %v", err)
		}
		_, err = m.EmbedTexts([]string{"This is a photo of a meme.", "This is a photo of weapon."})
		if err == nil || !strings.Contains(err.Error(), `id 698 for "This is a photo of weapon."`) ||
			!strings.Contains(err.Error(), "outside the text model's vocabulary (text_config.vocab_size 690)") {
			t.Errorf("err = %v", err)
		}
	})
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
