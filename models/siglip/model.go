// model.go is the package's entry point, Hugging Face's SiglipModel (transformers/models/siglip/modeling_siglip.py):
// load a checkpoint directory as the Hub stores it, then embed images and texts.

package siglip

import (
	"fmt"
	"image"
	"math"
	"path/filepath"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/tower"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a loaded SigLIP or SigLIP2 checkpoint (Variant). Its methods are safe for concurrent use; model calls
// are serialised.
type Model struct {
	// Towers are the compiled image and text towers; their ID and Revision identify the checkpoint (Hub id and
	// commit, or a local path) and key the embedding cache.
	*tower.Towers
	Config    *Config
	Tokenizer *Tokenizer
	Processor *ImageProcessor

	logitScale float32 // exp(stored logit_scale)
	logitBias  float32 // stored logit_bias
}

// Options configure Load: the engine, the checkpoint's identity, where notices go.
type Options = tower.Options

// Load reads a SiglipModel checkpoint from dir: config.json, model.safetensors (or a sharded index, or
// pytorch_model.bin), preprocessor_config.json, and spiece.model (SigLIP) or tokenizer.json (SigLIP2) with
// tokenizer_config.json.
func Load(dir string, opts Options) (*Model, error) {
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	tok, err := LoadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	proc, err := LoadImageProcessor(dir)
	if err != nil {
		return nil, err
	}
	if proc.ImageSize() != cfg.VisionConfig.ImageSize {
		return nil, fmt.Errorf("%s: preprocessor_config.json resizes to %d pixels but config.json's vision_config.image_size is %d",
			dir, proc.ImageSize(), cfg.VisionConfig.ImageSize)
	}
	spec := tower.Spec{Weights: weightSpec(cfg), Channels: cfg.VisionConfig.NumChannels, ImageSize: cfg.VisionConfig.ImageSize,
		ImageOnly: tower.KeysUnder("vision_model."),
		TextOnly:  tower.KeysUnder("text_model.")}
	towers, err := tower.Load(dir, opts, spec,
		func(scope *model.Scope, pixels *graph.Node) *graph.Node { return visionTower(scope, pixels, cfg) },
		func(scope *model.Scope, ids *graph.Node) *graph.Node { return textTower(scope, ids, cfg) })
	if err != nil {
		return nil, err
	}
	scale, bias, err := storedLogitScaleAndBias(towers)
	if err != nil {
		towers.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &Model{Towers: towers, Config: cfg, Tokenizer: tok, Processor: proc, logitScale: scale, logitBias: bias}, nil
}

// storedLogitScaleAndBias returns exp(logit_scale) and logit_bias from the checkpoint (both shape [1]).
func storedLogitScaleAndBias(towers *tower.Towers) (scale, bias float32, err error) {
	if scale, err = towers.ReadLogitScale(); err != nil {
		return 0, 0, err
	}
	if bias, err = towers.Weight("logit_bias"); err != nil {
		return 0, 0, err
	}
	if math.IsInf(float64(bias), 0) || math.IsNaN(float64(bias)) {
		return 0, 0, fmt.Errorf("logit_bias %g is not usable", bias)
	}
	return scale, bias, nil
}

// Variant is "SigLIP2" for a checkpoint with Gemma's tokenizer (google/siglip2-*), "SigLIP" otherwise: the two
// share config.json's model_type and the weights layout, and differ in their tokenizer files.
func (m *Model) Variant() string {
	if m.Tokenizer.Kind() == SigLIP2 {
		return "SigLIP2"
	}
	return "SigLIP"
}

// LogitScale is exp(logit_scale), the factor applied to cosine similarities before the bias and the sigmoid.
func (m *Model) LogitScale() float32 { return m.logitScale }

// ImageSize is the side of the square images the vision tower takes.
func (m *Model) ImageSize() int { return m.Config.VisionConfig.ImageSize }

// EmbeddingSize is the length of image and text embeddings: the vision tower's hidden_size (the text head's
// projection_size must equal it; LoadConfig checks).
func (m *Model) EmbeddingSize() int { return m.Config.VisionConfig.HiddenSize }

// CacheKey identifies the model and every setting that changes image embeddings.
func (m *Model) CacheKey() string {
	return fmt.Sprintf("siglip|%s|%s|%s", m.ID, m.Revision, m.Processor.Fingerprint())
}

// PreprocessImage decodes and preprocesses one image file into pixel_values (CHW float32).
func (m *Model) PreprocessImage(path string, maxPixels int64) ([]float32, error) {
	return m.Processor.preprocessFile(path, imagefile.Options{MaxPixels: maxPixels}, nil)
}

// PreprocessImageSeen is PreprocessImage that also hands the decoded picture to seen, before preprocessing it.
func (m *Model) PreprocessImageSeen(path string, maxPixels int64, seen func(*image.RGBA)) ([]float32, error) {
	return m.Processor.preprocessFile(path, imagefile.Options{MaxPixels: maxPixels}, seen)
}

// PreprocessRGBA preprocesses a decoded picture (a video's frame) into pixel_values.
func (m *Model) PreprocessRGBA(img *image.RGBA) []float32 { return m.Processor.Preprocess(img) }

// EmbedImages returns one L2-normalised embedding per preprocessed image (each of len 3*size*size, CHW).
func (m *Model) EmbedImages(pixels [][]float32) ([][]float32, error) {
	features, err := m.Images(pixels) // image_features, one row per image
	return l2Normalize(features), err
}

// EmbedImageFiles decodes, preprocesses and embeds image files.
func (m *Model) EmbedImageFiles(paths []string) ([][]float32, error) {
	pixels, err := imageproc.Files(paths, m.Processor.PreprocessFile)
	if err != nil {
		return nil, err
	}
	return m.EmbedImages(pixels)
}

// EmbedTexts returns one L2-normalised embedding per text. Every text is padded to max_position_embeddings (64)
// tokens as the pipeline pads it; longer texts are truncated, keeping the end-of-sequence token.
func (m *Model) EmbedTexts(texts []string) ([][]float32, error) {
	features, err := m.textFeatures(texts)
	return l2Normalize(features), err
}

// textFeatures runs the text tower: text_features, one row per text.
func (m *Model) textFeatures(texts []string) ([][]float32, error) {
	return m.Texts(len(texts), func(start, end int) ([]*tensors.Tensor, error) {
		ids, err := m.tokenBatch(texts[start:end])
		return []*tensors.Tensor{ids}, err
	})
}

// TextLimit reports whether text is longer than the text tower reads (EmbedTexts then uses its beginning), and
// that limit in tokens.
func (m *Model) TextLimit(text string) (limit int, truncated bool) {
	limit = m.Config.TextConfig.MaxPositionEmbeddings
	_, truncated = m.Tokenizer.Tokenize(text, limit)
	return limit, truncated
}

// tokenBatch tokenizes texts into a [batch, max_position_embeddings] int32 tensor, each row padded by the
// tokenizer's rules (SigLIP pads with </s>, SigLIP2 with <pad>).
func (m *Model) tokenBatch(texts []string) (*tensors.Tensor, error) {
	t := m.Config.TextConfig
	seq := t.MaxPositionEmbeddings
	flat := make([]int32, 0, len(texts)*seq)
	for _, text := range texts {
		ids, _ := m.Tokenizer.Tokenize(text, seq)
		for _, id := range ids {
			if id < 0 || int(id) >= t.VocabSize {
				return nil, fmt.Errorf("the tokenizer gives id %d for %q, outside the text model's vocabulary (text_config.vocab_size %d): "+
					"the tokenizer files do not belong to this checkpoint", id, text, t.VocabSize)
			}
		}
		flat = append(flat, ids...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(texts), seq), nil
}

// l2Normalize divides each row by its L2 norm (image_embeds = image_features / ||image_features||), in place.
func l2Normalize(rows [][]float32) [][]float32 {
	for _, row := range rows {
		var sum float64
		for _, v := range row {
			sum += float64(v) * float64(v)
		}
		norm := math.Sqrt(sum)
		for i, v := range row {
			row[i] = float32(float64(v) / norm)
		}
	}
	return rows
}
