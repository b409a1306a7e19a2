// golden_test.go compares the model with reference numbers computed by the PyTorch reference implementation
// (testdata/fixtures/README.md says how). These files are never rewritten by our code.
package clip

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/gomlx/compute"
)

// fixturesDir holds the reference checkpoints, images and goldens (copied from shared/fixtures).
const fixturesDir = "../../testdata/fixtures"

var checkpoints = []string{"clip-tiny", "clip-tiny-gelu-f16"}

// fixtureModels are the fixture checkpoints, loaded once per test binary and engine.
var fixtureModels = goldentest.Models[*Model]{
	Load: func(dir string, backend compute.Backend) (*Model, error) { return Load(dir, Options{Backend: backend}) },
}

// loadTestModel loads a fixture checkpoint on the named engine of enginetest.Backends, once per test binary.
func loadTestModel(t testing.TB, checkpoint, engine string) *Model {
	return fixtureModels.Get(t, filepath.Join(fixturesDir, checkpoint), engine)
}

// loadGolden reads a fixture checkpoint's goldens, once per test binary.
func loadGolden(t testing.TB, checkpoint string) *goldentest.Golden {
	return goldentest.Load(t, filepath.Join(fixturesDir, checkpoint))
}

// testBackends are the engines tests run on: the pure-Go one always, ONNX Runtime where it starts.
func testBackends(t testing.TB) map[string]compute.Backend { return enginetest.Backends(t) }

// TestGoldenFromPixelValues feeds the golden pixel_values and prompts and compares embeddings and probabilities.
func TestGoldenFromPixelValues(t *testing.T) {
	for _, ckpt := range checkpoints {
		g := loadGolden(t, ckpt)
		for name := range testBackends(t) {
			t.Run(ckpt+"/"+name, func(t *testing.T) {
				m := loadTestModel(t, ckpt, name)
				imageEmbeds, err := m.EmbedImages(g.Pixels)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.CheckClose(t, "image_embeds", imageEmbeds, g.ImageEmbeds, 1e-4)

				for i, p := range g.Prompts {
					ids, _ := m.Tokenizer.Tokenize(p, 77)
					if fmt.Sprint(ids) != fmt.Sprint(g.PromptTokenIDs[i]) {
						t.Errorf("prompt %q: ids %v, want %v", p, ids, g.PromptTokenIDs[i])
					}
				}
				textEmbeds, err := m.EmbedTexts(g.Prompts)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.CheckClose(t, "text_embeds", textEmbeds, g.TextEmbeds, 1e-4)
				goldentest.CheckClose(t, "logits_per_image", Logits(imageEmbeds, textEmbeds, m.LogitScale()), g.Logits, 1e-3)
				goldentest.CheckClose(t, "probs", m.Probabilities(imageEmbeds, textEmbeds), g.Probs, 1e-4)
			})
		}
	}
}

// TestGoldenEndToEnd starts from the image files on every engine: image embeddings and scores within the
// README's end-to-end tolerances, and the top-1 label of every image identical (goldentest.CheckPipeline).
func TestGoldenEndToEnd(t *testing.T) {
	for _, ckpt := range checkpoints {
		g := loadGolden(t, ckpt)
		for engine := range enginetest.Backends(t) {
			t.Run(ckpt+"/"+engine, func(t *testing.T) { goldentest.CheckPipeline(t, g, loadTestModel(t, ckpt, engine)) })
		}
	}
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
	goldentest.CheckClose(t, "padded embedding", batched[:1], alone, 1e-6)
}
