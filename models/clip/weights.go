// weights.go loads a Hugging Face CLIPModel checkpoint into a GoMLX model.Store: model.safetensors, or
// model.safetensors.index.json plus shards, or, when a checkpoint has nothing else, pytorch_model.bin (or its
// sharded index) through models/torchbin's safe reader, as transformers' from_pretrained prefers them. Names stay
// Hugging Face keys: one rule maps a key to a variable path
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

	"github.com/bellingcat/smart-image-sorter/models/torchbin"
)

// ignoredWeights are checkpoint keys deliberately not loaded: position_ids are int64 buffers that older
// transformers versions saved; positions are always 0..n-1.
var ignoredWeights = []string{
	"text_model.embeddings.position_ids",
	"vision_model.embeddings.position_ids",
}

// weightFormat is one way a checkpoint stores its weights; weightFormats lists them in transformers'
// order of preference (SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, WEIGHTS_NAME, WEIGHTS_INDEX_NAME).
type weightFormat struct {
	name    string                                // the file, or the index naming the shards
	sharded bool                                  // name is an index: {"weight_map": {key: shard file}}
	open    func(path string) (tensorFile, error) // opens one weights file
}

var weightFormats = []weightFormat{
	{"model.safetensors", false, openSafetensors},
	{"model.safetensors.index.json", true, openSafetensors},
	{"pytorch_model.bin", false, openTorchBin},
	{"pytorch_model.bin.index.json", true, openTorchBin},
}

// tensorFile is one weights file: safetensors or a PyTorch pickle read by models/torchbin.
type tensorFile interface {
	Names() []string                              // sorted
	Shape(name string) []int                      // nil if absent
	ReadFloat32(name string, dst []float32) error // widened or narrowed to float32
	Close() error
}

func openSafetensors(path string) (tensorFile, error) { return readSafetensors(path) }

func openTorchBin(path string) (tensorFile, error) {
	f, err := torchbin.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

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

// weightFiles picks the checkpoint's weights format and lists its files, with which file holds each key for a
// sharded checkpoint (keyFile is nil otherwise).
func weightFiles(dir string) (format weightFormat, files []string, keyFile map[string]string, err error) {
	for _, format = range weightFormats {
		path := filepath.Join(dir, format.name)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if !format.sharded {
			return format, []string{path}, nil, nil
		}
		files, keyFile, err := readWeightIndex(path)
		return format, files, keyFile, err
	}
	return weightFormat{}, nil, nil, fmt.Errorf("no weights in %s: expected model.safetensors, pytorch_model.bin or a sharded index of either", dir)
}

// readWeightIndex reads a sharded checkpoint's index: the shard files, and which one holds each key.
func readWeightIndex(indexPath string) (files []string, keyFile map[string]string, err error) {
	data, err := os.ReadFile(indexPath)
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
	dir := filepath.Dir(indexPath)
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
	format, files, keyFile, err := weightFiles(dir)
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
		st, err := format.open(path)
		if err != nil {
			return nil, err
		}
		err = loadFile(st, path, backend, store, expected, ignored, keyFile, loaded)
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
		err := &WeightError{Key: missing[0], File: filepath.Join(dir, format.name), Expected: expected[missing[0]]}
		if len(missing) > 1 {
			return nil, fmt.Errorf("%w (and %d more missing)", err, len(missing)-1)
		}
		return nil, err
	}
	return store, nil
}

// loadFile loads the tensors of one weights file, at path.
func loadFile(st tensorFile, path string, backend compute.Backend, store *model.Store, expected map[string][]int,
	ignored map[string]bool, keyFile map[string]string, loaded map[string]bool) error {
	for _, key := range st.Names() {
		found := st.Shape(key)
		if keyFile != nil && keyFile[key] != path {
			return fmt.Errorf("%s holds %q, but the index assigns it to %q", path, key, keyFile[key])
		}
		if ignored[key] {
			continue
		}
		shape, ok := expected[key]
		if !ok {
			return &WeightError{Key: key, File: path, Found: found}
		}
		if !equalShape(shape, found) {
			return &WeightError{Key: key, File: path, Expected: shape, Found: found}
		}
		if loaded[key] {
			return fmt.Errorf("%s: weight %q appears twice in the checkpoint", path, key)
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
