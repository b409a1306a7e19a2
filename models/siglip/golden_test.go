// golden_test.go compares the model with reference numbers computed by the PyTorch reference implementation
// (testdata/fixtures/README.md, "SigLIP and SigLIP2", says how). These files are never rewritten by our code.
package siglip

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// fixturesDir holds the reference checkpoints, images and goldens (copied from shared/fixtures).
const fixturesDir = "../../testdata/fixtures"

// fixtureCheckpoints are SigLIP v1 (F32, bicubic, spiece.model) and SigLIP2 (BF16, bilinear, Gemma tokenizer).
var fixtureCheckpoints = []string{"siglip-tiny", "siglip2-tiny"}

// fixtureModels are the fixture checkpoints, loaded once per test binary and engine.
var fixtureModels = goldentest.Models[*Model]{
	Load: func(dir string, backend compute.Backend) (*Model, error) { return Load(dir, Options{Backend: backend}) },
}

// loadFixtureModel loads a fixture checkpoint on the named engine of enginetest.Backends, once per test binary.
func loadFixtureModel(t testing.TB, checkpoint, engine string) *Model {
	t.Helper()
	return fixtureModels.Get(t, filepath.Join(fixturesDir, checkpoint), engine)
}

// loadModelGoldens reads a fixture checkpoint's goldens, once per test binary.
func loadModelGoldens(t testing.TB, checkpoint string) *goldentest.Golden {
	t.Helper()
	return goldentest.Load(t, filepath.Join(fixturesDir, checkpoint))
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
	features, err := m.Texts(len(rows), func(start, end int) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(flat[start*seq:end*seq], end-start, seq)}, nil
	})
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
				imageFeatures, err := m.Images(g.Pixels)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.CheckCloseRelative(t, "image_features", imageFeatures, g.ImageFeatures, 1e-4)
				imageEmbeds := l2Normalize(copyRows(imageFeatures))
				goldentest.CheckClose(t, "image_embeds", imageEmbeds, g.ImageEmbeds, 1e-4)

				textFeatures := m.runText(t, g.InputIDs)
				goldentest.CheckCloseRelative(t, "text_features", textFeatures, g.TextFeatures, 1e-4)
				textEmbeds := l2Normalize(copyRows(textFeatures))
				goldentest.CheckClose(t, "text_embeds", textEmbeds, g.TextEmbeds, 1e-4)

				goldentest.CheckClose(t, "logits_per_image", Logits(imageEmbeds, textEmbeds, m.LogitScale(), m.logitBias), g.Logits, 1e-3)
				goldentest.CheckClose(t, "probs", m.Probabilities(imageEmbeds, textEmbeds), g.Probs, 1e-4)

				// The public path gives the same numbers: EmbedImages from pixel_values, EmbedTexts from the prompts
				// through the tokenizer.
				public, err := m.EmbedImages(g.Pixels)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.CheckClose(t, "EmbedImages vs image_embeds", public, g.ImageEmbeds, 1e-4)
				texts, err := m.EmbedTexts(g.Prompts)
				if err != nil {
					t.Fatal(err)
				}
				goldentest.CheckClose(t, "EmbedTexts(prompts) vs text_embeds", texts, g.TextEmbeds, 1e-4)
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
		if len(g.PipelineInputIDs) != len(g.InputIDs) {
			t.Fatalf("%s: golden.json has %d input_ids rows, golden.safetensors %d", ckpt, len(g.PipelineInputIDs), len(g.InputIDs))
		}
		for i, p := range g.Prompts {
			ids, truncated := m.Tokenizer.Tokenize(p, m.Config.TextConfig.MaxPositionEmbeddings)
			if !slices.Equal(ids, g.InputIDs[i]) || !slices.Equal(ids, g.PipelineInputIDs[i]) || truncated {
				t.Errorf("%s: prompt %q: ids %v (truncated %v), want %v", ckpt, p, ids, truncated, g.InputIDs[i])
			}
		}
	}
}

// TestGoldenEndToEnd starts from the image files on every engine: image embeddings and scores within the
// README's end-to-end tolerances, and the top-1 label of every image identical (goldentest.CheckPipeline).
func TestGoldenEndToEnd(t *testing.T) {
	for _, ckpt := range fixtureCheckpoints {
		g := loadModelGoldens(t, ckpt)
		for engine := range enginetest.Backends(t) {
			t.Run(ckpt+"/"+engine, func(t *testing.T) { goldentest.CheckPipeline(t, g, loadFixtureModel(t, ckpt, engine)) })
		}
	}
}
