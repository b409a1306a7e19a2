// model.go is the package's entry point, Hugging Face's CLIPModel (transformers/models/clip/modeling_clip.py):
// load a checkpoint directory as the Hub stores it, then embed images and texts.
package clip

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/tower"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a loaded CLIP checkpoint. Its methods are safe for concurrent use; model calls are serialised.
type Model struct {
	// Towers are the compiled image and text towers; their ID and Revision identify the checkpoint (Hub id and
	// commit, or a local path) and key the embedding cache.
	*tower.Towers
	Config    *Config
	Tokenizer *Tokenizer
	Processor *ImageProcessor

	logitScale float32 // exp(stored logit_scale)
}

// Options configure Load: the engine, the checkpoint's identity, where notices go.
type Options = tower.Options

// Load reads a CLIPModel checkpoint from dir: config.json, model.safetensors (or a sharded index),
// preprocessor_config.json, vocab.json and merges.txt.
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
		return nil, fmt.Errorf("%s: preprocessor_config.json crops to %d pixels but config.json's vision_config.image_size is %d",
			dir, proc.ImageSize(), cfg.VisionConfig.ImageSize)
	}
	spec := tower.Spec{Weights: weightSpec(cfg), Channels: cfg.VisionConfig.NumChannels, ImageSize: cfg.VisionConfig.ImageSize,
		ImageOnly: tower.KeysUnder("vision_model.", "visual_projection."),
		TextOnly:  tower.KeysUnder("text_model.", "text_projection.")}
	towers, err := tower.Load(dir, opts, spec,
		func(scope *model.Scope, pixels *graph.Node) *graph.Node { return visionTower(scope, pixels, cfg) },
		func(scope *model.Scope, ids, pooledAt *graph.Node) *graph.Node {
			return textTower(scope, ids, pooledAt, cfg)
		})
	if err != nil {
		return nil, err
	}
	// config.json's logit_scale_init_value is only where training started; the stored weight counts.
	scale, err := towers.ReadLogitScale()
	if err != nil {
		towers.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &Model{Towers: towers, Config: cfg, Tokenizer: tok, Processor: proc, logitScale: scale}, nil
}

// LogitScale is exp(logit_scale), the factor applied to cosine similarities before the softmax.
func (m *Model) LogitScale() float32 { return m.logitScale }

// ImageSize is the side of the square images the vision tower takes.
func (m *Model) ImageSize() int { return m.Config.VisionConfig.ImageSize }

// EmbeddingSize is the length of image and text embeddings: config.json's projection_dim.
func (m *Model) EmbeddingSize() int { return m.Config.ProjectionDim }

// CacheKey identifies the model and every setting that changes image embeddings.
func (m *Model) CacheKey() string {
	return fmt.Sprintf("clip|%s|%s|%s", m.ID, m.Revision, m.Processor.Fingerprint())
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
	return m.Images(pixels) // the vision tower normalises
}

// EmbedImageFiles decodes, preprocesses and embeds image files.
func (m *Model) EmbedImageFiles(paths []string) ([][]float32, error) {
	pixels, err := imageproc.Files(paths, m.Processor.PreprocessFile)
	if err != nil {
		return nil, err
	}
	return m.EmbedImages(pixels)
}

// EmbedTexts returns one L2-normalised embedding per text. Texts longer than the model's context are
// truncated, keeping the end-of-text token (the Python pipeline fails on them instead).
func (m *Model) EmbedTexts(texts []string) ([][]float32, error) {
	return m.Texts(len(texts), func(start, end int) ([]*tensors.Tensor, error) {
		ids, pooledAt := m.tokenBatch(texts[start:end])
		return []*tensors.Tensor{ids, pooledAt}, nil
	})
}

// TextLimit reports whether text is longer than the text tower reads (EmbedTexts then uses its beginning), and
// that limit in tokens.
func (m *Model) TextLimit(text string) (limit int, truncated bool) {
	limit = m.Config.TextConfig.MaxPositionEmbeddings
	_, truncated = m.Tokenizer.Tokenize(text, limit)
	return limit, truncated
}

// tokenBatch tokenizes texts into a [batch, seq] int32 tensor padded with end-of-text (the pipeline's pad
// token) and the position to pool for each row. seq is the longest prompt rounded up to a multiple of 8, so
// few distinct shapes are compiled.
func (m *Model) tokenBatch(texts []string) (ids, pooledAt *tensors.Tensor) {
	t := m.Config.TextConfig
	rows := make([][]int32, len(texts))
	longest := 0
	for i, text := range texts {
		rows[i], _ = m.Tokenizer.Tokenize(text, t.MaxPositionEmbeddings)
		longest = max(longest, len(rows[i]))
	}
	seq := min((longest+7)/8*8, t.MaxPositionEmbeddings)
	flat := make([]int32, len(texts)*seq)
	pos := make([]int32, len(texts))
	eos := int32(m.Tokenizer.EndOfTextID())
	for i, row := range rows {
		dst := flat[i*seq : (i+1)*seq]
		copy(dst, row)
		for j := len(row); j < seq; j++ {
			dst[j] = eos
		}
		pos[i] = pooledPosition(row, t.EosTokenID)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(texts), seq), tensors.FromFlatDataAndDimensions(pos, len(texts))
}

// pooledPosition is where CLIPTextTransformer pools: the first eos_token_id, or for legacy configs
// (eos_token_id 2) the argmax of the ids, i.e. the first occurrence of the largest id.
func pooledPosition(ids []int32, eosTokenID int) int32 {
	best := 0
	for i, id := range ids {
		if eosTokenID == legacyArgmaxEosTokenID {
			if id > ids[best] {
				best = i
			}
		} else if int(id) == eosTokenID {
			return int32(i)
		}
	}
	if eosTokenID != legacyArgmaxEosTokenID {
		return int32(len(ids) - 1) // no EOS in the row: Tokenize always ends rows with it, so unreachable
	}
	return int32(best)
}
