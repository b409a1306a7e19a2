package hub

// Which files make a checkpoint in Hugging Face transformers format, checked in a folder and
// picked from a Hub repo's file list. The families read here are CLIP (CLIPModel, CLIPProcessor)
// and SigLIP / SigLIP2 (SiglipModel, SiglipProcessor); names follow transformers' CONFIG_NAME,
// IMAGE_PROCESSOR_NAME, SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME, WEIGHTS_NAME,
// WEIGHTS_INDEX_NAME and each tokenizer's VOCAB_FILES_NAMES.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The file names of a checkpoint, spelled out here only.
const (
	configFile       = "config.json"
	preprocessorFile = "preprocessor_config.json"

	weightsFile      = "model.safetensors"
	indexFile        = "model.safetensors.index.json"
	pytorchFile      = "pytorch_model.bin"
	pytorchIndexFile = "pytorch_model.bin.index.json"

	vocabFile     = "vocab.json"     // CLIPTokenizer's byte-level BPE vocabulary
	mergesFile    = "merges.txt"     // and its merges
	spieceFile    = "spiece.model"   // SiglipTokenizer's SentencePiece unigram model (SigLIP v1)
	tokenizerFile = "tokenizer.json" // a fast tokenizer: GemmaTokenizerFast for SigLIP2

	tokenizerConfigFile = "tokenizer_config.json"
	specialTokensFile   = "special_tokens_map.json"
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
	{File: pytorchFile, PyTorch: true},
	{File: pytorchIndexFile, Sharded: true, PyTorch: true},
}

// requiredFiles are read by the model and the image preprocessing, whatever the family. A
// checkpoint also needs its weights (weightFormats) and one tokenizer (tokenizers).
var requiredFiles = []string{configFile, preprocessorFile}

// tokenizerSet is the files one family's tokenizer is read from.
type tokenizerSet struct {
	files  []string
	family string // for messages
}

// tokenizers are the tokenizer file sets a checkpoint may have, in order of preference. A
// checkpoint needs one complete set; a download fetches the first set the repo has completely
// and no other. The order matters because repos hold more than their loader reads:
//   - CLIP repos (openai/*, laion/*, ...) hold tokenizer.json (2 MB, CLIPTokenizerFast's)
//     next to vocab.json and merges.txt: CLIP's set comes first, so it is never fetched.
//   - SigLIP v1 repos (google/siglip-*) hold a tokenizer.json too (2.4 MB, a unigram conversion
//     of spiece.model; transformers' SiglipTokenizer has no fast version and reads
//     spiece.model): spiece.model comes before tokenizer.json.
//   - SigLIP2 repos (google/siglip2-*) hold tokenizer.json (GemmaTokenizerFast's) and its
//     SentencePiece source tokenizer.model, which is in no set and never fetched.
var tokenizers = []tokenizerSet{
	{files: []string{vocabFile, mergesFile}, family: "CLIP"},
	{files: []string{spieceFile}, family: "SigLIP"},
	{files: []string{tokenizerFile}, family: "SigLIP2"},
}

// MissingTokenizer stands in Error.Missing for a tokenizer none of whose files are there: the
// checkpoint needs one of the sets vocab.json and merges.txt (CLIP), spiece.model (SigLIP) or
// tokenizer.json (SigLIP2). (A set that is partly there is reported by its missing files.)
const MissingTokenizer = "a tokenizer"

// pickTokenizer returns the files of the first tokenizer set that has all its files (has tells
// whether a file is there), else the files to report missing: those lacking from the first set
// that is partly there (a lost merges.txt), or MissingTokenizer when no set has any file.
func pickTokenizer(has func(name string) bool) (files, missing []string) {
	var partial []string
	for _, t := range tokenizers {
		var absent []string
		for _, f := range t.files {
			if !has(f) {
				absent = append(absent, f)
			}
		}
		if len(absent) == 0 {
			return t.files, nil
		}
		if partial == nil && len(absent) < len(t.files) {
			partial = absent
		}
	}
	if partial != nil {
		return nil, partial
	}
	return nil, []string{MissingTokenizer}
}

// tokenizerChoices lists the tokenizer sets for messages: "vocab.json and merges.txt (CLIP),
// spiece.model (SigLIP) or tokenizer.json (SigLIP2)".
func tokenizerChoices() string {
	var alts []string
	for _, t := range tokenizers {
		alts = append(alts, fmt.Sprintf("%s (%s)", joinList(t.files), t.family))
	}
	return joinWords(alts, "or")
}

// missingText writes missing files for a message, "a, b and c". MissingTokenizer goes last,
// followed by the sets that would do: "preprocessor_config.json and a tokenizer: vocab.json and
// merges.txt (CLIP), spiece.model (SigLIP) or tokenizer.json (SigLIP2)".
func missingText(missing []string) string {
	if !slices.Contains(missing, MissingTokenizer) {
		return joinList(missing)
	}
	files := slices.DeleteFunc(slices.Clone(missing), func(f string) bool { return f == MissingTokenizer })
	return joinList(append(files, MissingTokenizer)) + ": " + tokenizerChoices()
}

// optionalFiles are downloaded when the repo has them: the tokenizer reads its settings
// (lower-casing, special tokens) from them when present.
var optionalFiles = []string{tokenizerConfigFile, specialTokensFile}

// configFiles are every file of a checkpoint but its weights: the required files, every
// family's tokenizer files and the optional files.
var configFiles = func() []string {
	files := slices.Clone(requiredFiles)
	for _, t := range tokenizers {
		files = append(files, t.files...)
	}
	return append(files, optionalFiles...)
}()

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
	has := func(name string) bool { return isFile(filepath.Join(dir, name)) }
	for _, f := range requiredFiles {
		if !has(f) {
			missing = append(missing, f)
		}
	}
	_, absent := pickTokenizer(has)
	missing = append(missing, absent...)
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
		Hint: "pick a checkpoint in Hugging Face transformers format with " + weightsFile + " or " + pytorchFile +
			" (most checkpoints on the Hub have one), e.g. " + exampleID,
	}
}

// missingInFolder is the error for a local folder that lacks files.
func missingInFolder(dir string, missing []string) *Error {
	return &Error{
		Kind:    ErrMissingFiles,
		Model:   dir,
		Dir:     dir,
		Missing: missing,
		What:    fmt.Sprintf("folder %s is missing %s", dir, missingText(missing)),
		Hint: fmt.Sprintf("a checkpoint folder holds %s, %s, a tokenizer and %s (or %s, or a sharded index and its shards)",
			configFile, preprocessorFile, weightsFile, pytorchFile),
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
	has := func(name string) bool { _, ok := p.present[name]; return ok }
	var missing []string
	for _, f := range requiredFiles {
		if has(f) {
			p.files = append(p.files, f)
		} else {
			missing = append(missing, f)
		}
	}
	tok, absent := pickTokenizer(has)
	p.files = append(p.files, tok...)
	missing = append(missing, absent...)
	for _, f := range optionalFiles {
		if has(f) {
			p.files = append(p.files, f)
		}
	}
	found := false
	for _, w := range weightFormats {
		if has(w.File) {
			p.weights, found = w, true
			p.files = append(p.files, w.File)
			break
		}
	}
	if !found {
		var others []string
		for _, f := range unreadableWeights {
			if has(f) {
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
			What:    fmt.Sprintf("model %s on the Hugging Face Hub lacks %s", id, missingText(missing)),
			Hint:    "it is probably not a CLIP or SigLIP checkpoint in Hugging Face transformers format; try e.g. " + exampleID,
		}
	}
	return p, nil
}
