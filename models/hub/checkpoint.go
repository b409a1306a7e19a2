package hub

// Which files make a CLIP checkpoint in Hugging Face transformers format, checked in a folder
// and picked from a Hub repo's file list. Names follow transformers' CLIPModel.from_pretrained
// and CLIPProcessor (CONFIG_NAME, SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, the CLIP tokenizer's
// VOCAB_FILES_NAMES).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	weightsFile = "model.safetensors"
	indexFile   = "model.safetensors.index.json"
)

// requiredFiles are read by the model, the image preprocessing and the BPE tokenizer.
var requiredFiles = []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"}

// optionalFiles are downloaded when the repo has them: the tokenizer reads its settings
// (lower-casing, special tokens) from them when present.
var optionalFiles = []string{"tokenizer_config.json", "special_tokens_map.json"}

// otherWeights are weight files in formats this tool does not read; finding only these
// explains why a checkpoint cannot be used.
func isOtherWeights(name string) bool {
	switch {
	case name == "pytorch_model.bin", strings.HasPrefix(name, "pytorch_model-") && strings.HasSuffix(name, ".bin"),
		name == "pytorch_model.bin.index.json":
		return true
	}
	return false
}

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

// checkDir checks that dir holds a complete checkpoint. It returns the missing files (nil when
// complete), or an error if the weights exist only as PyTorch .bin or the index is unreadable.
// model names the checkpoint in messages.
func checkDir(dir, model string) (missing []string, err error) {
	for _, f := range requiredFiles {
		if !isFile(filepath.Join(dir, f)) {
			missing = append(missing, f)
		}
	}
	switch {
	case isFile(filepath.Join(dir, weightsFile)):
	case isFile(filepath.Join(dir, indexFile)):
		shards, err := readShards(filepath.Join(dir, indexFile))
		if err != nil {
			return nil, &Error{Kind: ErrMissingFiles, Model: model, Dir: dir, File: indexFile,
				What: fmt.Sprintf("the weights index of %s is unreadable: %v", model, err),
				Hint: "download the checkpoint again", Err: err}
		}
		for _, s := range shards {
			if !isFile(filepath.Join(dir, s)) {
				missing = append(missing, s)
			}
		}
	default:
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if isOtherWeights(e.Name()) {
				return nil, noSafetensorsError(model, dir)
			}
		}
		missing = append(missing, weightsFile)
	}
	return missing, nil
}

func noSafetensorsError(model, dir string) *Error {
	return &Error{
		Kind:  ErrNoSafetensors,
		Model: model,
		Dir:   dir,
		What:  fmt.Sprintf("%s has only PyTorch .bin weights, and this tool reads model.safetensors", model),
		Hint:  "pick a checkpoint that has it (most CLIP checkpoints on the Hub do)",
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
			"and model.safetensors (or model.safetensors.index.json and its shards)",
	}
}

// filePlan is what to fetch from a Hub repo, in order: small files first, weights last.
type filePlan struct {
	files   []string // files to fetch now
	index   bool     // files ends with the index: fetch it, then the shards it names
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
	_, hasWeights := p.present[weightsFile]
	_, hasIndex := p.present[indexFile]
	switch {
	case hasWeights:
		p.files = append(p.files, weightsFile)
	case hasIndex:
		p.files = append(p.files, indexFile)
		p.index = true
	default:
		for name := range p.present {
			if isOtherWeights(name) {
				return nil, noSafetensorsError(id, "")
			}
		}
		missing = append(missing, weightsFile)
	}
	if len(missing) > 0 {
		return nil, &Error{
			Kind:    ErrMissingFiles,
			Model:   id,
			Missing: missing,
			What:    fmt.Sprintf("model %s on the Hugging Face Hub has no %s", id, joinList(missing)),
			Hint:    "it is probably not a CLIP checkpoint in Hugging Face format; try e.g. " + exampleID,
		}
	}
	return p, nil
}
