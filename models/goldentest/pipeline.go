// pipeline.go runs the zero-shot-image-classification pipeline end to end against the goldens, from the image files
// and the labels to the scores and each image's top-1 label, as every family must reproduce it.

package goldentest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// Classifier is what CheckPipeline needs of a loaded model.
type Classifier interface {
	EmbedImageFiles(paths []string) ([][]float32, error)
	EmbedTexts(texts []string) ([][]float32, error)
	Probabilities(imageEmbeds, textEmbeds [][]float32) [][]float32
}

// CheckPipeline starts from g's image files and labels: the image embeddings and the scores must be within the
// README's end-to-end tolerances, and the top-1 label of every image identical. With libjpeg-turbo decoding JPEGs
// the pixel_values are Pillow's exactly, so the tolerances are those for golden pixel_values.
func CheckPipeline(t *testing.T, g *Golden, m Classifier) {
	t.Helper()
	embedTol, probTol := 1e-2, 3e-2 // Go's image/jpeg: JPEG pixels differ from Pillow's (README "Tolerances")
	if imagefile.ExactJPEG() {
		embedTol, probTol = 1e-4, 1e-4
	}
	paths := make([]string, len(g.Images))
	for i, img := range g.Images {
		paths[i] = filepath.Join(g.Dir, g.ImageDir, img.File)
	}
	imageEmbeds, err := m.EmbedImageFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	CheckClose(t, "image_embeds from files", imageEmbeds, g.ImageEmbeds, embedTol)
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
	CheckClose(t, "probs from files", probs, g.Probs, probTol)
	for i, img := range g.Images {
		if got := g.Labels[Argmax(probs[i])]; got != img.Top1 {
			t.Errorf("%s: top-1 %q, want %q (scores %v)", img.File, got, img.Top1, probs[i])
		}
	}
}
