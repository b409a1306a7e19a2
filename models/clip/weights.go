// weights.go loads a Hugging Face CLIPModel checkpoint (model.safetensors, or model.safetensors.index.json plus
// shards) into a GoMLX model.Store. Names stay Hugging Face keys: one rule maps a key to a variable path
// (vision_model.encoder.layers.3.self_attn.q_proj.weight -> /vision_model/encoder/layers/3/self_attn/q_proj/weight),
// as nanoGPT and ollama's converters do. The expected keys and shapes come from config.json alone; every
// difference between them and the file is an error that names the key.
package clip

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// ignoredWeights are checkpoint keys deliberately not loaded: position_ids are int64 buffers that older
// transformers versions saved; positions are always 0..n-1.
var ignoredWeights = []string{
	"text_model.embeddings.position_ids",
	"vision_model.embeddings.position_ids",
}

const (
	weightsFileName      = "model.safetensors"
	weightsIndexFileName = "model.safetensors.index.json"
)

// expectedWeights returns every weight a CLIPModel with this config has, with its shape.
func expectedWeights(cfg *Config) map[string][]int {
	w := map[string][]int{}
	t, v, p := cfg.TextConfig, cfg.VisionConfig, cfg.ProjectionDim
	encoder := func(prefix string, layers, hidden, intermediate int) {
		for i := 0; i < layers; i++ {
			l := fmt.Sprintf("%s.encoder.layers.%d.", prefix, i)
			for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
				w[l+"self_attn."+proj+".weight"] = []int{hidden, hidden}
				w[l+"self_attn."+proj+".bias"] = []int{hidden}
			}
			for _, ln := range []string{"layer_norm1", "layer_norm2"} {
				w[l+ln+".weight"] = []int{hidden}
				w[l+ln+".bias"] = []int{hidden}
			}
			w[l+"mlp.fc1.weight"] = []int{intermediate, hidden}
			w[l+"mlp.fc1.bias"] = []int{intermediate}
			w[l+"mlp.fc2.weight"] = []int{hidden, intermediate}
			w[l+"mlp.fc2.bias"] = []int{hidden}
		}
	}
	layerNorm := func(key string, hidden int) {
		w[key+".weight"] = []int{hidden}
		w[key+".bias"] = []int{hidden}
	}

	w["logit_scale"] = []int{}
	w["text_projection.weight"] = []int{p, t.HiddenSize}
	w["visual_projection.weight"] = []int{p, v.HiddenSize}

	w["text_model.embeddings.token_embedding.weight"] = []int{t.VocabSize, t.HiddenSize}
	w["text_model.embeddings.position_embedding.weight"] = []int{t.MaxPositionEmbeddings, t.HiddenSize}
	encoder("text_model", t.NumHiddenLayers, t.HiddenSize, t.IntermediateSize)
	layerNorm("text_model.final_layer_norm", t.HiddenSize)

	w["vision_model.embeddings.class_embedding"] = []int{v.HiddenSize}
	w["vision_model.embeddings.patch_embedding.weight"] = []int{v.HiddenSize, v.NumChannels, v.PatchSize, v.PatchSize}
	w["vision_model.embeddings.position_embedding.weight"] = []int{v.NumPatches() + 1, v.HiddenSize}
	layerNorm("vision_model.pre_layrnorm", v.HiddenSize) // sic: Hugging Face's key has the typo
	encoder("vision_model", v.NumHiddenLayers, v.HiddenSize, v.IntermediateSize)
	layerNorm("vision_model.post_layernorm", v.HiddenSize)
	return w
}

// variablePath maps a Hugging Face key to its GoMLX variable path.
func variablePath(key string) string {
	return "/" + strings.ReplaceAll(key, ".", "/")
}

// WeightError is a mismatch between a checkpoint's weights and its config.
type WeightError struct {
	Key      string
	File     string
	Expected []int // nil when the key is not expected at all
	Found    []int // nil when the key is missing from the file
}

func (e *WeightError) Error() string {
	switch {
	case e.Found == nil:
		return fmt.Sprintf("%s: weight %q (shape %v) is missing; the checkpoint does not match its config.json", e.File, e.Key, e.Expected)
	case e.Expected == nil:
		return fmt.Sprintf("%s: unexpected weight %q (shape %v); this is not a CLIPModel checkpoint or its config.json does not match", e.File, e.Key, e.Found)
	default:
		return fmt.Sprintf("%s: weight %q has shape %v, config.json implies %v", e.File, e.Key, e.Found, e.Expected)
	}
}

// weightFiles lists the safetensors files of a checkpoint and which file holds each key.
func weightFiles(dir string) (files []string, keyFile map[string]string, err error) {
	indexPath := filepath.Join(dir, weightsIndexFileName)
	data, err := os.ReadFile(indexPath)
	if errors.Is(err, os.ErrNotExist) {
		single := filepath.Join(dir, weightsFileName)
		if _, err := os.Stat(single); err != nil {
			if _, binErr := os.Stat(filepath.Join(dir, "pytorch_model.bin")); binErr == nil {
				return nil, nil, fmt.Errorf("%s has only PyTorch weights (pytorch_model.bin); this tool reads %s: pick a checkpoint that has it", dir, weightsFileName)
			}
			return nil, nil, fmt.Errorf("no weights in %s: expected %s or %s", dir, weightsFileName, weightsIndexFileName)
		}
		return []string{single}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", indexPath, err)
	}
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, nil, fmt.Errorf("%s is not valid JSON: %w", indexPath, err)
	}
	if len(index.WeightMap) == 0 {
		return nil, nil, fmt.Errorf("%s has an empty weight_map", indexPath)
	}
	keyFile = map[string]string{}
	seen := map[string]bool{}
	for key, name := range index.WeightMap {
		if name != filepath.Base(name) {
			return nil, nil, fmt.Errorf("%s: shard name %q for %q must be a plain file name", indexPath, name, key)
		}
		path := filepath.Join(dir, name)
		keyFile[key] = path
		if !seen[path] {
			seen[path] = true
			files = append(files, path)
		}
	}
	sort.Strings(files)
	return files, keyFile, nil
}

// loadWeights reads every expected weight of cfg from the checkpoint in dir into a new store, widened to float32.
// Each tensor is written into a backend buffer (shared with the host where the backend allows it) and the host
// copy is released, so the weights are held once: 605 MB for ViT-B/32, not twice that.
func loadWeights(dir string, cfg *Config, backend compute.Backend) (*model.Store, error) {
	files, keyFile, err := weightFiles(dir)
	if err != nil {
		return nil, err
	}
	expected := expectedWeights(cfg)
	ignored := map[string]bool{}
	for _, k := range ignoredWeights {
		ignored[k] = true
	}

	store := model.NewStore()
	loaded := map[string]bool{}
	for _, path := range files {
		st, err := readSafetensors(path)
		if err != nil {
			return nil, err
		}
		err = loadFile(st, backend, store, expected, ignored, keyFile, loaded)
		_ = st.Close()
		if err != nil {
			return nil, err
		}
	}
	missing := make([]string, 0)
	for key := range expected {
		if !loaded[key] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		where := filepath.Join(dir, weightsFileName)
		if keyFile != nil {
			where = filepath.Join(dir, weightsIndexFileName)
		}
		err := &WeightError{Key: missing[0], File: where, Expected: expected[missing[0]]}
		if len(missing) > 1 {
			return nil, fmt.Errorf("%w (and %d more missing)", err, len(missing)-1)
		}
		return nil, err
	}
	return store, nil
}

// loadFile loads the tensors of one safetensors file.
func loadFile(st *safetensorsFile, backend compute.Backend, store *model.Store, expected map[string][]int,
	ignored map[string]bool, keyFile map[string]string, loaded map[string]bool) error {
	for _, key := range st.Names() {
		t := st.tensors[key]
		if keyFile != nil && keyFile[key] != st.path {
			return fmt.Errorf("%s holds %q, but the index assigns it to %q", st.path, key, keyFile[key])
		}
		if ignored[key] {
			continue
		}
		shape, ok := expected[key]
		if !ok {
			return &WeightError{Key: key, File: st.path, Found: t.Shape}
		}
		if !equalShape(shape, t.Shape) {
			return &WeightError{Key: key, File: st.path, Expected: shape, Found: t.Shape}
		}
		if loaded[key] {
			return fmt.Errorf("%s: weight %q appears twice in the checkpoint", st.path, key)
		}
		tensor, err := tensors.FromShapeForBackend(backend, 0, shapes.Make(dtypes.Float32, shape...))
		if err != nil {
			return fmt.Errorf("allocating weight %q: %w", key, err)
		}
		var readErr error
		err = tensors.MutableFlatData(tensor, func(flat []float32) {
			readErr = st.ReadFloat32(key, flat)
		})
		if err = errors.Join(err, readErr); err != nil {
			tensor.FinalizeAll()
			return err
		}
		if err := tensor.ToDevice(backend, 0); err != nil {
			return fmt.Errorf("moving weight %q to the compute engine: %w", key, err)
		}
		scope, name := model.SplitPath(variablePath(key))
		if _, err := store.Scope(scope).CreateVariable(name, tensor); err != nil {
			return fmt.Errorf("storing weight %q: %w", key, err)
		}
		loaded[key] = true
	}
	return nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
