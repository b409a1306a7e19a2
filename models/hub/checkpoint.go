package hub

// Which files make a CLIP checkpoint in Hugging Face transformers format, checked in a folder
// and picked from a Hub repo's file list. Names follow transformers' CLIPModel.from_pretrained
// and CLIPProcessor (CONFIG_NAME, SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, WEIGHTS_NAME,
// WEIGHTS_INDEX_NAME, the CLIP tokenizer's VOCAB_FILES_NAMES).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Weights is a way a checkpoint stores its weights.
type Weights struct {
	File    string // model.safetensors, or the index naming the shards
	Sharded bool   // File is an index whose weight_map names the shard files
	PyTorch bool   // pickled PyTorch weights, read by models/torchbin's safe loader
}

// weightFormats in order of preference, as transformers' from_pretrained: safetensors whenever
// the checkpoint has them, PyTorch's pytorch_model.bin only when it has nothing else.
var weightFormats = []Weights{
	{File: weightsFile},
	{File: indexFile, Sharded: true},
	{File: "pytorch_model.bin", PyTorch: true},
	{File: "pytorch_model.bin.index.json", Sharded: true, PyTorch: true},
}

const (
	weightsFile = "model.safetensors"
	indexFile   = "model.safetensors.index.json"
)

// requiredFiles are read by the model, the image preprocessing and the BPE tokenizer.
var requiredFiles = []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"}

// optionalFiles are downloaded when the repo has them: the tokenizer reads its settings
// (lower-casing, special tokens) from them when present.
var optionalFiles = []string{"tokenizer_config.json", "special_tokens_map.json"}

// configFiles are every file of a checkpoint but its weights.
var configFiles = append(append([]string{}, requiredFiles...), optionalFiles...)

// unreadableWeights are weight files of other frameworks; finding only these explains why a
// checkpoint cannot be used.
var unreadableWeights = []string{"tf_model.h5", "flax_model.msgpack", "model.onnx", "open_clip_pytorch_model.bin", "open_clip_model.safetensors"}

// safetensorsIndex is model.safetensors.index.json, as written by transformers' save_pretrained.
type safetensorsIndex struct {
	WeightMap map[string]string `json:"weight_map"` // tensor name -> shard file name
}

// shards lists the distinct shard files named by the index at path, sorted.
func readShards(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var idx safetensorsIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("reading %s: no weight_map", path)
	}
	var shards []string
	for _, f := range idx.WeightMap {
		if f == "" || f != filepath.Base(f) || strings.Contains(f, `\`) || f == "." || f == ".." {
			return nil, fmt.Errorf("reading %s: bad shard name %q", path, f)
		}
		if !slices.Contains(shards, f) {
			shards = append(shards, f)
		}
	}
	slices.Sort(shards)
	return shards, nil
}

func isFile(path string) bool {
	fi, err := os.Stat(path) // follows the snapshot symlinks into blobs/
	return err == nil && fi.Mode().IsRegular()
}

// checkDir checks that dir holds a complete checkpoint. It returns the weights it would load
// and the missing files (nil when complete), or an error if the only weights are in a format this
// tool does not read or an index is unreadable. model names the checkpoint in messages.
func checkDir(dir, model string) (w Weights, missing []string, err error) {
	for _, f := range requiredFiles {
		if !isFile(filepath.Join(dir, f)) {
			missing = append(missing, f)
		}
	}
	for _, w := range weightFormats {
		if !isFile(filepath.Join(dir, w.File)) {
			continue
		}
		if w.Sharded {
			shards, err := readShards(filepath.Join(dir, w.File))
			if err != nil {
				return w, nil, &Error{Kind: ErrMissingFiles, Model: model, Dir: dir, File: w.File,
					What: fmt.Sprintf("the weights index of %s is unreadable: %v", model, err),
					Hint: "download the checkpoint again", Err: err}
			}
			for _, s := range shards {
				if !isFile(filepath.Join(dir, s)) {
					missing = append(missing, s)
				}
			}
		}
		return w, missing, nil
	}
	var others []string
	for _, f := range unreadableWeights {
		if isFile(filepath.Join(dir, f)) {
			others = append(others, f)
		}
	}
	if len(others) > 0 {
		return Weights{}, nil, noWeightsError(model, dir, others)
	}
	return weightFormats[0], append(missing, weightsFile), nil
}

func noWeightsError(model, dir string, others []string) *Error {
	return &Error{
		Kind:  ErrNoWeights,
		Model: model,
		Dir:   dir,
		What:  fmt.Sprintf("%s has its weights only as %s, which this tool does not read", model, joinList(others)),
		Hint: "pick a checkpoint in Hugging Face transformers format with model.safetensors or pytorch_model.bin " +
			"(most CLIP checkpoints on the Hub have one), e.g. " + exampleID,
	}
}

// missingInFolder is the error for a local folder that lacks files.
func missingInFolder(dir string, missing []string) *Error {
	return &Error{
		Kind:    ErrMissingFiles,
		Model:   dir,
		Dir:     dir,
		Missing: missing,
		What:    fmt.Sprintf("folder %s is missing %s", dir, joinList(missing)),
		Hint: "a CLIP checkpoint folder holds config.json, preprocessor_config.json, vocab.json, merges.txt " +
			"and model.safetensors (or pytorch_model.bin, or a sharded index and its shards)",
	}
}

// filePlan is what to fetch from a Hub repo, in order: small files first, weights last.
type filePlan struct {
	files   []string // files to fetch now
	weights Weights  // the weights chosen; files ends with weights.File
	present map[string]sibling
}

// planFiles picks the files to download from a repo's file list (root-level files only).
func planFiles(id string, siblings []sibling) (*filePlan, error) {
	p := &filePlan{present: map[string]sibling{}}
	for _, s := range siblings {
		p.present[s.Name] = s
	}
	var missing []string
	for _, f := range requiredFiles {
		if _, ok := p.present[f]; ok {
			p.files = append(p.files, f)
		} else {
			missing = append(missing, f)
		}
	}
	for _, f := range optionalFiles {
		if _, ok := p.present[f]; ok {
			p.files = append(p.files, f)
		}
	}
	found := false
	for _, w := range weightFormats {
		if _, ok := p.present[w.File]; ok {
			p.weights, found = w, true
			p.files = append(p.files, w.File)
			break
		}
	}
	if !found {
		var others []string
		for _, f := range unreadableWeights {
			if _, ok := p.present[f]; ok {
				others = append(others, f)
			}
		}
		if len(others) > 0 && len(missing) == 0 {
			return nil, noWeightsError(id, "", others)
		}
		missing = append(missing, weightsFile)
	}
	if len(missing) > 0 {
		return nil, &Error{
			Kind:    ErrMissingFiles,
			Model:   id,
			Missing: missing,
			What:    fmt.Sprintf("model %s on the Hugging Face Hub has no %s", id, joinList(missing)),
			Hint:    "it is probably not a CLIP checkpoint in Hugging Face transformers format; try e.g. " + exampleID,
		}
	}
	return p, nil
}
