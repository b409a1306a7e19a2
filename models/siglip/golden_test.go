// golden_test.go compares the model with reference numbers computed by the PyTorch reference implementation
// (testdata/fixtures/README.md, "SigLIP and SigLIP2", says how). These files are never rewritten by our code.
package siglip

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// fixturesDir holds the reference checkpoints, images and goldens (copied from shared/fixtures).
const fixturesDir = "../../testdata/fixtures"

// fixtureCheckpoints are SigLIP v1 (F32, bicubic, spiece.model) and SigLIP2 (BF16, bilinear, Gemma tokenizer).
var fixtureCheckpoints = []string{"siglip-tiny", "siglip2-tiny"}

// modelGolden is the part of golden.json the model tests read.
type modelGolden struct {
	Images []struct {
		File            string  `json:"file"`
		Format          string  `json:"format"`
		Top1            string  `json:"top1"`
		Top1Margin      float64 `json:"top1_margin"`
		PixelValuesAtol float64 `json:"pixel_values_atol"`
		SizeAfterExif   []int   `json:"size_after_exif_transpose"`
		ResizedSizeWH   []int   `json:"resized_size_wh"`
	} `json:"images"`
	ImageDir string    `json:"image_dir"`
	Labels   []string  `json:"labels"`
	Template string    `json:"hypothesis_template"`
	Prompts  []string  `json:"prompts"`
	InputIDs [][]int32 `json:"input_ids"`
}

// modelGoldens are the reference inputs and outputs of one checkpoint, rows per image or per label.
type modelGoldens struct {
	modelGolden
	dir                        string
	pixelsFlat                 []float32 // pixel_values [image, 3, S, S] flattened
	size                       int       // S
	pixels                     [][]float32
	inputIDs                   [][]int32 // golden.safetensors input_ids, [label][64]
	imageFeatures, imageEmbeds [][]float32
	textFeatures, textEmbeds   [][]float32
	logits, probs              [][]float32
}

var (
	goldensMu sync.Mutex
	goldens   = map[string]*modelGoldens{}
)

func loadModelGoldens(t testing.TB, checkpoint string) *modelGoldens {
	t.Helper()
	goldensMu.Lock()
	defer goldensMu.Unlock()
	if g, ok := goldens[checkpoint]; ok {
		return g
	}
	dir := filepath.Join(fixturesDir, checkpoint)
	data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := &modelGoldens{dir: dir}
	if err := json.Unmarshal(data, &g.modelGolden); err != nil {
		t.Fatal(err)
	}
	st, err := weights.ReadSafetensors(filepath.Join(dir, "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	split := func(flat []float32, n int) [][]float32 {
		per := len(flat) / n
		out := make([][]float32, n)
		for i := range out {
			out[i] = flat[i*per : (i+1)*per : (i+1)*per]
		}
		return out
	}
	rows := func(name string, n int) [][]float32 {
		flat, shape, err := st.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		if shape[0] != n {
			t.Fatalf("%s: %s has %d rows, golden.json lists %d", checkpoint, name, shape[0], n)
		}
		return split(flat, n)
	}
	flat, shape, err := st.Float32("pixel_values")
	if err != nil {
		t.Fatal(err)
	}
	if len(shape) != 4 || shape[0] != len(g.Images) || shape[1] != 3 || shape[2] != shape[3] {
		t.Fatalf("pixel_values shape %v, want [%d 3 S S]", shape, len(g.Images))
	}
	g.pixelsFlat, g.size = flat, shape[2]
	g.pixels = split(flat, len(g.Images))
	ids, idShape, err := st.Int64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	if len(idShape) != 2 || idShape[0] != len(g.Labels) {
		t.Fatalf("input_ids shape %v, want [%d 64]", idShape, len(g.Labels))
	}
	for i := range idShape[0] {
		row := make([]int32, idShape[1])
		for j := range row {
			row[j] = int32(ids[i*idShape[1]+j])
		}
		g.inputIDs = append(g.inputIDs, row)
	}
	n, m := len(g.Images), len(g.Labels)
	g.imageFeatures, g.imageEmbeds = rows("image_features", n), rows("image_embeds", n)
	g.textFeatures, g.textEmbeds = rows("text_features", m), rows("text_embeds", m)
	g.logits, g.probs = rows("logits_per_image", n), rows("probs", n)
	goldens[checkpoint] = g
	return g
}

var (
	modelsMu sync.Mutex
	models   = map[string]*Model{}
)

// loadFixtureModel loads a fixture checkpoint on the named engine of enginetest.Backends, once per test binary.
func loadFixtureModel(t testing.TB, checkpoint, engine string) *Model {
	t.Helper()
	key := checkpoint + "@" + engine
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if m, ok := models[key]; ok {
		return m
	}
	m, err := Load(filepath.Join(fixturesDir, checkpoint), Options{Backend: enginetest.Backends(t)[engine]})
	if err != nil {
		t.Fatal(err)
	}
	models[key] = m
	return m
}

// maxDiff returns the largest |got - want| / max(1, |want|) (relative: the absolute difference where |want| <= 1)
// or, with relative false, the largest |got - want|, and where it is.
func maxDiff(got, want [][]float32, relative bool) (diff float64, row, col int) {
	row, col = -1, -1
	if len(got) != len(want) {
		return math.Inf(1), len(want), -1
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return math.Inf(1), i, -1
		}
		for j := range want[i] {
			d := math.Abs(float64(got[i][j]) - float64(want[i][j]))
			if relative {
				d /= math.Max(1, math.Abs(float64(want[i][j])))
			}
			if d > diff || math.IsNaN(d) {
				diff, row, col = d, i, j
			}
		}
	}
	return diff, row, col
}

// checkClose fails if got and want differ by more than tol (absolute, or relative above 1 in magnitude), and
// logs the largest difference either way (the numbers the report quotes).
func checkClose(t *testing.T, what string, got, want [][]float32, tol float64, relative bool) {
	t.Helper()
	diff, row, col := maxDiff(got, want, relative)
	kind := "abs"
	if relative {
		kind = "rel"
	}
	if !(diff <= tol) {
		if col >= 0 {
			t.Errorf("%s: largest %s difference %.3g at [%d][%d] (got %g, want %g) exceeds %g", what, kind, diff, row, col, got[row][col], want[row][col], tol)
		} else {
			t.Errorf("%s: shape mismatch at row %d: got %d rows, want %d", what, row, len(got), len(want))
		}
		return
	}
	t.Logf("%s: max %s difference %.3g (tolerance %g)", what, kind, diff, tol)
}

// runText runs the text tower on rows of input_ids (each of max_position_embeddings ids): text_features.
func (m *Model) runText(t *testing.T, rows [][]int32) [][]float32 {
	t.Helper()
	seq := m.Config.TextConfig.MaxPositionEmbeddings
	flat := make([]int32, 0, len(rows)*seq)
	for i, row := range rows {
		if len(row) != seq {
			t.Fatalf("input_ids row %d has %d ids, the text model takes %d", i, len(row), seq)
		}
		flat = append(flat, row...)
	}
	ids := tensors.FromFlatDataAndDimensions(flat, len(rows), seq)
	defer ids.FinalizeAll()
	features, err := m.run(func() *model.Exec { return m.textExec }, ids)
	if err != nil {
		t.Fatal(err)
	}
	return features
}

func copyRows(rows [][]float32) [][]float32 {
	out := make([][]float32, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}

// TestGoldenFromInputs feeds the golden pixel_values and input_ids on every engine and compares features,
// embeddings, logits and probabilities with the README's tolerances.
func TestGoldenFromInputs(t *testing.T) {
	for _, ckpt := range fixtureCheckpoints {
		g := loadModelGoldens(t, ckpt)
		for engine := range enginetest.Backends(t) {
			t.Run(ckpt+"/"+engine, func(t *testing.T) {
				m := loadFixtureModel(t, ckpt, engine)
				imageFeatures, err := m.imageFeatures(g.pixels)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "image_features", imageFeatures, g.imageFeatures, 1e-4, true)
				imageEmbeds := l2Normalize(copyRows(imageFeatures))
				checkClose(t, "image_embeds", imageEmbeds, g.imageEmbeds, 1e-4, false)

				textFeatures := m.runText(t, g.inputIDs)
				checkClose(t, "text_features", textFeatures, g.textFeatures, 1e-4, true)
				textEmbeds := l2Normalize(copyRows(textFeatures))
				checkClose(t, "text_embeds", textEmbeds, g.textEmbeds, 1e-4, false)

				checkClose(t, "logits_per_image", Logits(imageEmbeds, textEmbeds, m.LogitScale(), m.LogitBias()), g.logits, 1e-3, false)
				checkClose(t, "probs", m.Probabilities(imageEmbeds, textEmbeds), g.probs, 1e-4, false)

				// The public path gives the same numbers: EmbedImages from pixel_values, EmbedTexts from the prompts
				// through the tokenizer.
				public, err := m.EmbedImages(g.pixels)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "EmbedImages vs image_embeds", public, g.imageEmbeds, 1e-4, false)
				texts, err := m.EmbedTexts(g.Prompts)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "EmbedTexts(prompts) vs text_embeds", texts, g.textEmbeds, 1e-4, false)
			})
		}
	}
}

// TestGoldenInputIDs: the model's tokenizer, padded to max_position_embeddings, gives the pipeline's input_ids
// exactly (golden.safetensors, and golden.json's copy of them).
func TestGoldenInputIDs(t *testing.T) {
	for _, ckpt := range fixtureCheckpoints {
		g := loadModelGoldens(t, ckpt)
		m := loadFixtureModel(t, ckpt, "go")
		if len(g.InputIDs) != len(g.inputIDs) {
			t.Fatalf("%s: golden.json has %d input_ids rows, golden.safetensors %d", ckpt, len(g.InputIDs), len(g.inputIDs))
		}
		for i, p := range g.Prompts {
			ids, truncated := m.Tokenizer.Tokenize(p, m.Config.TextConfig.MaxPositionEmbeddings)
			if !slices.Equal(ids, g.inputIDs[i]) || !slices.Equal(ids, g.InputIDs[i]) || truncated {
				t.Errorf("%s: prompt %q: ids %v (truncated %v), want %v", ckpt, p, ids, truncated, g.inputIDs[i])
			}
		}
	}
}

// TestGoldenEndToEnd starts from the image files on every engine: image embeddings and scores within the
// README's end-to-end tolerances, and the top-1 label of every image identical. With libjpeg-turbo decoding JPEGs
// the pixel_values are Pillow's exactly, so the tolerances are those for golden pixel_values.
func TestGoldenEndToEnd(t *testing.T) {
	embedTol, probTol := 1e-2, 3e-2 // Go's image/jpeg: JPEG pixels differ from Pillow's (README "Tolerances")
	if imagefile.ExactJPEG() {
		embedTol, probTol = 1e-4, 1e-4
	}
	for _, ckpt := range fixtureCheckpoints {
		g := loadModelGoldens(t, ckpt)
		for engine := range enginetest.Backends(t) {
			t.Run(ckpt+"/"+engine, func(t *testing.T) {
				m := loadFixtureModel(t, ckpt, engine)
				paths := make([]string, len(g.Images))
				for i, img := range g.Images {
					paths[i] = filepath.Join(g.dir, g.ImageDir, img.File)
				}
				imageEmbeds, err := m.EmbedImageFiles(paths)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "image_embeds from files", imageEmbeds, g.imageEmbeds, embedTol, false)
				prompts := make([]string, len(g.Labels))
				for i, label := range g.Labels {
					prompts[i] = strings.ReplaceAll(g.Template, "{}", label)
				}
				if !slices.Equal(prompts, g.Prompts) {
					t.Fatalf("prompts %q, golden %q", prompts, g.Prompts)
				}
				textEmbeds, err := m.EmbedTexts(prompts)
				if err != nil {
					t.Fatal(err)
				}
				probs := m.Probabilities(imageEmbeds, textEmbeds)
				checkClose(t, "probs from files", probs, g.probs, probTol, false)
				for i, img := range g.Images {
					if got := g.Labels[argmax(probs[i])]; got != img.Top1 {
						t.Errorf("%s: top-1 %q, want %q (scores %v)", img.File, got, img.Top1, probs[i])
					}
				}
			})
		}
	}
}

func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}
