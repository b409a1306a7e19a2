// Package weights loads a Hugging Face checkpoint's weights into a GoMLX model.Store, for every model family:
// model.safetensors, or model.safetensors.index.json plus shards, or, when a checkpoint has nothing else,
// pytorch_model.bin (or its sharded index) through models/torchbin's safe reader, as transformers'
// from_pretrained prefers them. Names stay Hugging Face keys: one rule maps a key to a variable path
// (vision_model.encoder.layers.3.self_attn.q_proj.weight -> /vision_model/encoder/layers/3/self_attn/q_proj/weight),
// as nanoGPT and ollama's converters do. A family says which keys and shapes its config implies (Spec); every
// difference between them and the files is an error that names the key.
package weights

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

func openSafetensors(path string) (tensorFile, error) { return ReadSafetensors(path) }

func openTorchBin(path string) (tensorFile, error) {
	f, err := torchbin.Open(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Spec is what a family expects of a checkpoint's weights.
type Spec struct {
	// Architecture names the model class in errors ("CLIPModel", "SiglipModel").
	Architecture string
	// Expected maps every key the model reads to its shape (from config.json alone).
	Expected map[string][]int
	// Ignored are keys deliberately not loaded (buffers older transformers versions saved).
	Ignored []string
}

// VariablePath maps a Hugging Face key to its GoMLX variable path.
func VariablePath(key string) string {
	return "/" + strings.ReplaceAll(key, ".", "/")
}

// WeightError is a mismatch between a checkpoint's weights and its config.
type WeightError struct {
	Architecture string // the model class expected, as Spec.Architecture
	Key          string
	File         string
	Expected     []int // nil when the key is not expected at all
	Found        []int // nil when the key is missing from the file
}

func (e *WeightError) Error() string {
	switch {
	case e.Found == nil:
		return fmt.Sprintf("%s: weight %q (shape %v) is missing; the checkpoint does not match its config.json", e.File, e.Key, e.Expected)
	case e.Expected == nil:
		return fmt.Sprintf("%s: unexpected weight %q (shape %v); this is not a %s checkpoint or its config.json does not match", e.File, e.Key, e.Found, e.Architecture)
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

// Load reads every weight spec expects from the checkpoint in dir into a new store, widened to float32.
// Each tensor is written into a backend buffer (shared with the host where the backend allows it) and the host
// copy is released, so the weights are held once: 605 MB for ViT-B/32, not twice that.
func Load(dir string, spec Spec, backend compute.Backend) (*model.Store, error) {
	store := model.NewStore()
	if err := LoadInto(store, dir, spec, backend, nil); err != nil {
		return nil, err
	}
	return store, nil
}

// LoadInto is Load into an existing store, reading only the weights for which want returns true (nil: all);
// the others are still checked (present, of the right shape) but not read, so that a tower needed later can be
// read then (package tower defers the image tower's weights until the first image).
func LoadInto(store *model.Store, dir string, spec Spec, backend compute.Backend, want func(key string) bool) error {
	w, err := Read(dir, spec, backend, want)
	if err != nil {
		return err
	}
	return w.AddTo(store)
}

// Tensors are weights read by Read and not yet in a store: reading touches no store, so it can run on another
// goroutine while the store is in use (model.Store is not safe for concurrent use); AddTo then stores them.
type Tensors struct {
	keys   []string
	values []*tensors.Tensor
}

// Read is LoadInto without the store: the weights want accepts, every weight checked as LoadInto does.
func Read(dir string, spec Spec, backend compute.Backend, want func(key string) bool) (*Tensors, error) {
	w := &Tensors{}
	err := read(dir, spec, backend, want, func(key string, tensor *tensors.Tensor) error {
		w.keys, w.values = append(w.keys, key), append(w.values, tensor)
		return nil
	})
	if err != nil {
		w.Finalize()
		return nil, err
	}
	return w, nil
}

// AddTo stores the weights in store, which then owns them; on an error, those not stored are released.
func (w *Tensors) AddTo(store *model.Store) error {
	for i, key := range w.keys {
		scope, name := model.SplitPath(VariablePath(key))
		if _, err := store.Scope(scope).CreateVariable(name, w.values[i]); err != nil {
			w.Finalize() // those not stored
			return fmt.Errorf("storing weight %q: %w", key, err)
		}
		w.values[i] = nil
	}
	w.keys, w.values = nil, nil
	return nil
}

// Finalize releases the weights not stored yet.
func (w *Tensors) Finalize() {
	for _, t := range w.values {
		if t != nil {
			t.FinalizeAll()
		}
	}
	w.keys, w.values = nil, nil
}

// read checks every weight of the checkpoint in dir against spec and hands those want accepts to add, each read
// into a float32 tensor on backend.
func read(dir string, spec Spec, backend compute.Backend, want func(key string) bool, add func(key string, t *tensors.Tensor) error) error {
	format, files, keyFile, err := weightFiles(dir)
	if err != nil {
		return err
	}
	expected := spec.Expected
	ignored := map[string]bool{}
	for _, k := range spec.Ignored {
		ignored[k] = true
	}

	loaded := map[string]bool{}
	for _, path := range files {
		st, err := format.open(path)
		if err != nil {
			return err
		}
		err = loadFile(st, path, backend, add, spec.Architecture, expected, ignored, keyFile, loaded, want)
		_ = st.Close()
		if err != nil {
			return err
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
		err := &WeightError{Architecture: spec.Architecture, Key: missing[0], File: filepath.Join(dir, format.name), Expected: expected[missing[0]]}
		if len(missing) > 1 {
			return fmt.Errorf("%w (and %d more missing)", err, len(missing)-1)
		}
		return err
	}
	return nil
}

// loadFile reads the tensors of one weights file, at path, that want accepts (nil: all) and hands them to add;
// the others are only checked, and marked loaded.
func loadFile(st tensorFile, path string, backend compute.Backend, add func(string, *tensors.Tensor) error, arch string, expected map[string][]int,
	ignored map[string]bool, keyFile map[string]string, loaded map[string]bool, want func(string) bool) error {
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
			return &WeightError{Architecture: arch, Key: key, File: path, Found: found}
		}
		if !equalShape(shape, found) {
			return &WeightError{Architecture: arch, Key: key, File: path, Expected: shape, Found: found}
		}
		if loaded[key] {
			return fmt.Errorf("%s: weight %q appears twice in the checkpoint", path, key)
		}
		if want != nil && !want(key) {
			loaded[key] = true // checked; read by a later call
			continue
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
		if err := add(key, tensor); err != nil {
			return err
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
