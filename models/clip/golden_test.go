// golden_test.go compares the model with reference numbers computed by the PyTorch reference implementation
// (testdata/fixtures/README.md says how). These files are never rewritten by our code.
package clip

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/gomlx/compute"
)

// fixturesDir holds the reference checkpoints, images and goldens (copied from shared/fixtures).
const fixturesDir = "../../testdata/fixtures"

var checkpoints = []string{"clip-tiny", "clip-tiny-gelu-f16"}

// golden is the part of golden.json the tests read.
type golden struct {
	Images []struct {
		File            string  `json:"file"`
		Top1            string  `json:"top1"`
		Top1Margin      float64 `json:"top1_margin"`
		PixelValuesAtol float64 `json:"pixel_values_atol"`
		// Geometry, for the preprocessing tests.
		Format          string `json:"format"`
		ModeOnOpen      string `json:"mode_on_open"`
		SizeAfterExif   []int  `json:"size_after_exif_transpose"`
		ResizedSizeWH   []int  `json:"resized_size_wh"`
		CropLeftTop     []int  `json:"crop_left_top"`
		ExifOrientation *int   `json:"exif_orientation"`
	} `json:"images"`
	ImageDir string   `json:"image_dir"`
	Labels   []string `json:"labels"`
	Template string   `json:"hypothesis_template"`
	Prompts  []string `json:"prompts"`
	TokenIDs [][]int  `json:"prompt_token_ids"`
}

// goldenTensors are the reference outputs of one checkpoint.
type goldenTensors struct {
	golden
	dir                            string
	pixelsFlat                     []float32   // pixel_values, [image, 3, S, S] flattened
	pixelShape                     []int       // [image, 3, S, S]
	pixels                         [][]float32 // pixelsFlat as rows: [image][3*S*S]
	imageEmbeds, textEmbeds, probs [][]float32
	logits                         [][]float32
}

func loadGolden(t testing.TB, checkpoint string) *goldenTensors {
	t.Helper()
	dir := filepath.Join(fixturesDir, checkpoint)
	data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := &goldenTensors{dir: dir}
	if err := json.Unmarshal(data, &g.golden); err != nil {
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
			out[i] = flat[i*per : (i+1)*per]
		}
		return out
	}
	rows := func(name string) [][]float32 {
		flat, shape, err := st.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		return split(flat, shape[0])
	}
	if g.pixelsFlat, g.pixelShape, err = st.Float32("pixel_values"); err != nil {
		t.Fatal(err)
	}
	if sh := g.pixelShape; len(sh) != 4 || sh[0] != len(g.Images) || sh[1] != 3 || sh[2] != sh[3] {
		t.Fatalf("pixel_values shape %v, want [%d 3 S S]", sh, len(g.Images))
	}
	g.pixels = split(g.pixelsFlat, g.pixelShape[0])
	g.imageEmbeds = rows("image_embeds")
	g.textEmbeds = rows("text_embeds")
	g.probs = rows("probs")
	g.logits = rows("logits_per_image")
	return g
}

// testBackends are the engines tests run on: the pure-Go one always, ONNX Runtime where it starts.
func testBackends(t testing.TB) map[string]compute.Backend { return enginetest.Backends(t) }

// loadTestModel loads a fixture checkpoint on the given backend, once per test binary.
func loadTestModel(t testing.TB, checkpoint, backendName string) *Model {
	t.Helper()
	key := checkpoint + "@" + backendName
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if m, ok := models[key]; ok {
		return m
	}
	b := testBackends(t)[backendName]
	m, err := Load(filepath.Join(fixturesDir, checkpoint), Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	models[key] = m
	return m
}

var (
	modelsMu sync.Mutex
	models   = map[string]*Model{}
)

// maxDiff returns the largest absolute difference between two matrices and where it is.
func maxDiff(got, want [][]float32) (diff float64, row, col int) {
	row, col = -1, -1
	for i := range want {
		if i >= len(got) || len(got[i]) != len(want[i]) {
			return math.Inf(1), i, -1
		}
		for j := range want[i] {
			d := math.Abs(float64(got[i][j]) - float64(want[i][j]))
			if d > diff || math.IsNaN(d) {
				diff, row, col = d, i, j
			}
		}
	}
	if len(got) != len(want) {
		return math.Inf(1), len(want), -1
	}
	return diff, row, col
}

func checkClose(t *testing.T, what string, got, want [][]float32, tol float64) {
	t.Helper()
	diff, row, col := maxDiff(got, want)
	if diff > tol || math.IsNaN(diff) {
		if col >= 0 {
			t.Errorf("%s: largest difference %.3g at [%d][%d] (got %g, want %g) exceeds %g", what, diff, row, col, got[row][col], want[row][col], tol)
		} else {
			t.Errorf("%s: shape mismatch at row %d: got %d rows, want %d", what, row, len(got), len(want))
		}
		return
	}
	t.Logf("%s: max abs difference %.3g (tolerance %g)", what, diff, tol)
}

// TestGoldenFromPixelValues feeds the golden pixel_values and prompts and compares embeddings and probabilities.
func TestGoldenFromPixelValues(t *testing.T) {
	for _, ckpt := range checkpoints {
		g := loadGolden(t, ckpt)
		for name := range testBackends(t) {
			t.Run(ckpt+"/"+name, func(t *testing.T) {
				m := loadTestModel(t, ckpt, name)
				imageEmbeds, err := m.EmbedImages(g.pixels)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "image_embeds", imageEmbeds, g.imageEmbeds, 1e-4)

				for i, p := range g.Prompts {
					ids, _ := m.Tokenizer.Tokenize(p, 77)
					if fmt.Sprint(ids) != fmt.Sprint(g.TokenIDs[i]) {
						t.Errorf("prompt %q: ids %v, want %v", p, ids, g.TokenIDs[i])
					}
				}
				textEmbeds, err := m.EmbedTexts(g.Prompts)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "text_embeds", textEmbeds, g.textEmbeds, 1e-4)
				checkClose(t, "logits_per_image", Logits(imageEmbeds, textEmbeds, m.LogitScale()), g.logits, 1e-3)
				checkClose(t, "probs", m.Probabilities(imageEmbeds, textEmbeds), g.probs, 1e-4)
			})
		}
	}
}

// TestGoldenEndToEnd starts from the image files: top-1 must match on every image, probabilities within 3e-2.
// With libjpeg-turbo decoding JPEGs the pixel_values are Pillow's exactly, so the tolerances are those for
// golden pixel_values.
func TestGoldenEndToEnd(t *testing.T) {
	embedTol, probTol := 1e-2, 3e-2 // Go's image/jpeg: JPEG pixels differ from Pillow's (README "Tolerances")
	if imagefile.ExactJPEG() {
		embedTol, probTol = 1e-4, 1e-4
	}
	for _, ckpt := range checkpoints {
		g := loadGolden(t, ckpt)
		for name := range testBackends(t) {
			t.Run(ckpt+"/"+name, func(t *testing.T) {
				m := loadTestModel(t, ckpt, name)
				paths := make([]string, len(g.Images))
				for i, img := range g.Images {
					paths[i] = filepath.Join(g.dir, g.ImageDir, img.File)
				}
				imageEmbeds, err := m.EmbedImageFiles(paths)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "image_embeds from files", imageEmbeds, g.imageEmbeds, embedTol)
				prompts := make([]string, len(g.Labels))
				for i, label := range g.Labels {
					prompts[i] = strings.ReplaceAll(g.Template, "{}", label)
				}
				textEmbeds, err := m.EmbedTexts(prompts)
				if err != nil {
					t.Fatal(err)
				}
				probs := m.Probabilities(imageEmbeds, textEmbeds)
				checkClose(t, "probs from files", probs, g.probs, probTol)
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

// TestTextPaddingInvariance checks the claim textTower relies on: padding a prompt after its end-of-text token
// (batching it with a longer one) leaves its embedding unchanged.
func TestTextPaddingInvariance(t *testing.T) {
	m := loadTestModel(t, "clip-tiny", "go")
	alone, err := m.EmbedTexts([]string{"a cat"})
	if err != nil {
		t.Fatal(err)
	}
	batched, err := m.EmbedTexts([]string{"a cat", "a very long prompt about a newspaper article screenshot with many words in it"})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "padded embedding", batched[:1], alone, 1e-6)
}
