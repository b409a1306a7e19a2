// Package goldentest gives the model families' tests their reference fixtures (testdata/fixtures; its README says
// how each file was made): a checkpoint's golden.json and golden.safetensors, computed by the PyTorch reference and
// never rewritten by our code (golden.go); comparisons with a stated tolerance that report the largest difference
// and where (compare.go); and the fixture checkpoints themselves, copied for a test to change or loaded once per
// test binary (checkpoint.go).
//
// golden.go reads the reference inputs and outputs of one fixture checkpoint.
package goldentest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/weights"
)

// Image is one image of golden.json: its file, what the reference decoded and resized, and its scores.
type Image struct {
	File            string  `json:"file"`
	Format          string  `json:"format"` // as Pillow names it: JPEG, PNG, ...
	ModeOnOpen      string  `json:"mode_on_open"`
	ExifOrientation *int    `json:"exif_orientation"`
	SizeAfterExif   []int   `json:"size_after_exif_transpose"` // [width, height]
	ResizedSizeWH   []int   `json:"resized_size_wh"`
	CropLeftTop     []int   `json:"crop_left_top"` // CLIP's centre crop; absent for SigLIP, which does not crop
	Top1            string  `json:"top1"`
	Top1Margin      float64 `json:"top1_margin"`
	PixelValuesAtol float64 `json:"pixel_values_atol"` // see PixelTolerance
}

// JSON is the part of golden.json the tests read.
type JSON struct {
	Images   []Image  `json:"images"`
	ImageDir string   `json:"image_dir"` // relative to the checkpoint folder
	Labels   []string `json:"labels"`
	Template string   `json:"hypothesis_template"`
	Prompts  []string `json:"prompts"` // Template filled with each label
	// PromptTokenIDs are the tokenizer's ids of each prompt, before padding.
	PromptTokenIDs [][]int `json:"prompt_token_ids"`
	// PipelineInputIDs are the padded ids the pipeline feeds the text tower, as golden.safetensors' input_ids
	// (written in SigLIP's golden.json only).
	PipelineInputIDs [][]int32 `json:"input_ids"`
}

// Golden is one fixture checkpoint's reference: golden.json and the tensors of golden.safetensors, rows per image
// or per label. Goldens are shared between tests: read them, never change them.
type Golden struct {
	JSON
	Dir        string      // the checkpoint folder
	PixelsFlat []float32   // pixel_values [image, 3, S, S] flattened
	PixelShape []int       // [image, 3, S, S]
	Size       int         // S
	Pixels     [][]float32 // pixel_values, one row of 3*S*S per image
	InputIDs   [][]int32   // input_ids [label][seq]

	ImageFeatures, ImageEmbeds [][]float32 // [image][dim]
	TextFeatures, TextEmbeds   [][]float32 // [label][dim]
	Logits, Probs              [][]float32 // logits_per_image and the pipeline's scores, [image][label]
}

var (
	goldensMu sync.Mutex
	goldens   = map[string]*Golden{}
)

// Load reads the goldens of the fixture checkpoint in dir, once per test binary.
func Load(t testing.TB, dir string) *Golden {
	t.Helper()
	goldensMu.Lock()
	defer goldensMu.Unlock()
	if g, ok := goldens[dir]; ok {
		return g
	}
	data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := &Golden{Dir: dir}
	if err := json.Unmarshal(data, &g.JSON); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	st, err := weights.ReadSafetensors(filepath.Join(dir, "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows := func(name string, n int) [][]float32 {
		flat, shape, err := st.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if shape[0] != n {
			t.Fatalf("%s: %s has %d rows, golden.json lists %d", dir, name, shape[0], n)
		}
		return split(flat, n)
	}
	if g.PixelsFlat, g.PixelShape, err = st.Float32("pixel_values"); err != nil {
		t.Fatal(err)
	}
	if sh := g.PixelShape; len(sh) != 4 || sh[0] != len(g.Images) || sh[1] != 3 || sh[2] != sh[3] {
		t.Fatalf("%s: pixel_values shape %v, want [%d 3 S S]", dir, sh, len(g.Images))
	}
	g.Size = g.PixelShape[2]
	g.Pixels = split(g.PixelsFlat, len(g.Images))
	ids, idShape, err := st.Int64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	if len(idShape) != 2 || idShape[0] != len(g.Labels) {
		t.Fatalf("%s: input_ids shape %v, want [%d seq]", dir, idShape, len(g.Labels))
	}
	for i := range idShape[0] {
		row := make([]int32, idShape[1])
		for j := range row {
			row[j] = int32(ids[i*idShape[1]+j])
		}
		g.InputIDs = append(g.InputIDs, row)
	}
	n, m := len(g.Images), len(g.Labels)
	g.ImageFeatures, g.ImageEmbeds = rows("image_features", n), rows("image_embeds", n)
	g.TextFeatures, g.TextEmbeds = rows("text_features", m), rows("text_embeds", m)
	g.Logits, g.Probs = rows("logits_per_image", n), rows("probs", n)
	goldens[dir] = g
	return g
}

// split cuts flat into n rows of equal length (each with its own capacity, so that appending to one cannot
// overwrite the next).
func split(flat []float32, n int) [][]float32 {
	per := len(flat) / n
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*per : (i+1)*per : (i+1)*per]
	}
	return out
}

// Cases reads the "cases" of a tokenizer golden file (tokenizer_golden.json, siglip_tokenizer_golden.json) into
// C, failing unless there are want of them: a file cut short must not pass as fewer cases.
func Cases[C any](t testing.TB, path string, want int) []C {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []C `json:"cases"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(golden.Cases) != want {
		t.Fatalf("%s has %d cases, want %d", path, len(golden.Cases), want)
	}
	return golden.Cases
}
