package clip

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/bellingcat/smart-image-sorter/models/torchbin"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/bellingcat/smart-image-sorter/models/weights/weightstest"
	"github.com/gomlx/gomlx/core/tensors"
)

// copyCheckpoint copies a fixture checkpoint's small files into a new temporary directory, leaving the weights
// to the caller.
func copyCheckpoint(t *testing.T, name string) string {
	t.Helper()
	return goldentest.CopyFiles(t, filepath.Join(fixturesDir, name), "config.json", "preprocessor_config.json", "vocab.json", "merges.txt")
}

// fixtureTensors reads every tensor of a fixture checkpoint as raw bytes.
func fixtureTensors(t *testing.T, name string) map[string]weightstest.Tensor {
	return weightstest.ReadSafetensors(t, filepath.Join(fixturesDir, name, "model.safetensors"))
}

func TestLoadWeightsErrors(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join(fixturesDir, "clip-tiny", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	mutate := map[string]func(ts map[string]weightstest.Tensor){
		"missing weight": func(ts map[string]weightstest.Tensor) { delete(ts, "vision_model.post_layernorm.bias") },
		"unused key": func(ts map[string]weightstest.Tensor) {
			ts["vision_model.extra.weight"] = weightstest.Tensor{DType: "F32", Shape: []int{1}, Data: weightstest.F32Bytes(1)}
		},
		"wrong shape": func(ts map[string]weightstest.Tensor) {
			w := ts["text_projection.weight"]
			ts["text_projection.weight"] = weightstest.Tensor{DType: "F32", Shape: []int{32, 16}, Data: w.Data}
		},
		"integer weight": func(ts map[string]weightstest.Tensor) {
			ts["logit_scale"] = weightstest.Tensor{DType: "I32", Shape: []int{}, Data: []byte{1, 0, 0, 0}}
		},
	}
	wantErr := map[string]string{
		"missing weight": `"vision_model.post_layernorm.bias" (shape [32]) is missing`,
		"unused key":     `unexpected weight "vision_model.extra.weight"`,
		"wrong shape":    `"text_projection.weight" has shape [32 16], config.json implies [16 32]`,
		"integer weight": `"logit_scale" has dtype I32`,
	}
	for name, f := range mutate {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ts := fixtureTensors(t, "clip-tiny")
			f(ts)
			weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), ts, nil)
			_, err := weights.Load(dir, weightSpec(cfg), testBackends(t)["go"])
			if err == nil || !strings.Contains(err.Error(), wantErr[name]) {
				t.Errorf("err = %v, want it to contain %s", err, wantErr[name])
			}
			var we *weights.WeightError
			if name != "integer weight" && !errors.As(err, &we) {
				t.Errorf("err %v is not a *WeightError", err)
			}
		})
	}
	t.Run("no weights", func(t *testing.T) {
		_, err := weights.Load(t.TempDir(), weightSpec(cfg), testBackends(t)["go"])
		if err == nil || !strings.Contains(err.Error(), "expected model.safetensors") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("damaged pytorch_model.bin", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("x"), 0o644)
		_, err := weights.Load(dir, weightSpec(cfg), testBackends(t)["go"])
		if err == nil || !strings.Contains(err.Error(), "is not a PyTorch checkpoint") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestPyTorchCheckpoints loads clip-tiny from pytorch_model.bin (zip format, the pre-1.6 format, a one-shard
// index) through models/torchbin: the tensors are bit-identical to model.safetensors', so the embeddings must be
// too. The float16 copy matches within float16 rounding. A hostile pickle is refused and nothing it asks for runs.
func TestPyTorchCheckpoints(t *testing.T) {
	backend := testBackends(t)["go"]
	single := loadTestModel(t, "clip-tiny", "go")
	g := loadGolden(t, "clip-tiny")
	wantImages, err := single.EmbedImages(g.Pixels[:2])
	if err != nil {
		t.Fatal(err)
	}
	wantTexts, err := single.EmbedTexts([]string{"a photo of a cat", "a rocket"})
	if err != nil {
		t.Fatal(err)
	}
	binFile := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(fixturesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		tol   float64
	}{
		{"zip format", map[string][]byte{"pytorch_model.bin": binFile("clip-tiny-bin/pytorch_model.bin")}, 0},
		{"legacy format", map[string][]byte{"pytorch_model.bin": binFile("pickles/legacy_format.bin")}, 0},
		{"one-shard index", map[string][]byte{
			"pytorch_model-00001-of-00001.bin": binFile("clip-tiny-bin/pytorch_model.bin"),
			"pytorch_model.bin.index.json":     shardIndex(t, single, "pytorch_model-00001-of-00001.bin"),
		}, 0},
		{"float16", map[string][]byte{"pytorch_model.bin": binFile("pickles/float16.bin")}, 2e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyCheckpoint(t, "clip-tiny")
			for name, data := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := Load(dir, Options{Backend: backend})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			images, err := m.EmbedImages(g.Pixels[:2])
			if err != nil {
				t.Fatal(err)
			}
			texts, err := m.EmbedTexts([]string{"a photo of a cat", "a rocket"})
			if err != nil {
				t.Fatal(err)
			}
			goldentest.CheckClose(t, tc.name+" images", images, wantImages, tc.tol)
			goldentest.CheckClose(t, tc.name+" texts", texts, wantTexts, tc.tol)
		})
	}
	t.Run("safetensors preferred", func(t *testing.T) {
		dir := copyCheckpoint(t, "clip-tiny")
		os.WriteFile(filepath.Join(dir, "model.safetensors"), binFile("clip-tiny/model.safetensors"), 0o644)
		os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), binFile("pickles/evil_os_system.bin"), 0o644)
		m, err := Load(dir, Options{Backend: backend})
		if err != nil {
			t.Fatalf("the .bin was read although model.safetensors is there: %v", err)
		}
		m.Close()
	})
	for _, evil := range []string{"evil_os_system.bin", "evil_eval.bin"} {
		t.Run(evil, func(t *testing.T) {
			dir := copyCheckpoint(t, "clip-tiny")
			os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), binFile("pickles/"+evil), 0o644)
			_, err := Load(dir, Options{Backend: backend})
			var fe *torchbin.ForbiddenGlobalError
			if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line naming the forbidden global", err)
			}
		})
	}
}

// shardIndex writes a pytorch_model.bin.index.json assigning every weight of m's checkpoint to shard.
func shardIndex(t *testing.T, m *Model, shard string) []byte {
	t.Helper()
	weightMap := map[string]string{}
	for key := range expectedWeights(m.Config) {
		weightMap[key] = shard
	}
	for _, key := range ignoredWeights {
		weightMap[key] = shard
	}
	index, err := json.Marshal(map[string]any{"metadata": map[string]int{"total_size": 0}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	return index
}

// TestShardedCheckpoint splits clip-tiny into two shards with an index and checks it embeds identically.
func TestShardedCheckpoint(t *testing.T) {
	dir := copyCheckpoint(t, "clip-tiny")
	ts := fixtureTensors(t, "clip-tiny")
	shards := []map[string]weightstest.Tensor{{}, {}}
	weightMap := map[string]string{}
	for key, tt := range ts {
		i := 0
		if strings.HasPrefix(key, "vision_model.") {
			i = 1
		}
		shards[i][key] = tt
		weightMap[key] = []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i]
	}
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), shards[0], nil)
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), shards[1], nil)
	index, _ := json.Marshal(map[string]any{"metadata": map[string]int{"total_size": 0}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), index, 0o644); err != nil {
		t.Fatal(err)
	}
	sharded, err := Load(dir, Options{Backend: testBackends(t)["go"]})
	if err != nil {
		t.Fatal(err)
	}
	defer sharded.Close()
	single := loadTestModel(t, "clip-tiny", "go")
	g := loadGolden(t, "clip-tiny")
	a, err := sharded.EmbedImages(g.Pixels[:2])
	if err != nil {
		t.Fatal(err)
	}
	b, err := single.EmbedImages(g.Pixels[:2])
	if err != nil {
		t.Fatal(err)
	}
	goldentest.CheckClose(t, "sharded vs single", a, b, 0)

	// An index that assigns a key to the wrong shard is an error naming both.
	weightMap["logit_scale"] = "model-00002-of-00002.safetensors"
	index, _ = json.Marshal(map[string]any{"weight_map": weightMap})
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), index, 0o644)
	if _, err := Load(dir, Options{Backend: testBackends(t)["go"]}); err == nil || !strings.Contains(err.Error(), `"logit_scale"`) {
		t.Errorf("wrong shard assignment: err = %v", err)
	}
}

// TestWeightsAllUsed checks that the graphs read every loaded weight: a loaded but unused weight would mean a
// layer silently skipped.
func TestWeightsAllUsed(t *testing.T) {
	for _, ckpt := range checkpoints {
		m := loadTestModel(t, ckpt, "go")
		g := loadGolden(t, ckpt)
		if _, err := m.EmbedImages(g.Pixels[:1]); err != nil {
			t.Fatal(err)
		}
		if _, err := m.EmbedTexts([]string{"a cat"}); err != nil {
			t.Fatal(err)
		}
		ids, pos := m.tokenBatch([]string{"a cat"})
		unread, n, err := m.UnreadWeights(g.Pixels[:1], []*tensors.Tensor{ids, pos}, "logit_scale")
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range unread {
			t.Errorf("%s: weight %s is loaded but used by neither graph", ckpt, path)
		}
		if want := len(expectedWeights(m.Config)); n != want {
			t.Errorf("%s: %d variables, want %d", ckpt, n, want)
		}
	}
}
