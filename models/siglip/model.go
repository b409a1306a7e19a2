// model.go is the package's entry point, Hugging Face's SiglipModel (transformers/models/siglip/modeling_siglip.py):
// load a checkpoint directory as the Hub stores it, then embed images and texts.

package siglip

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/engine"
	"github.com/bellingcat/smart-image-sorter/models/weights"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a loaded SigLIP or SigLIP2 checkpoint (Variant). Its methods are safe for concurrent use; model calls
// are serialised.
type Model struct {
	Config    *Config
	Tokenizer *Tokenizer
	Processor *ImageProcessor
	// ID and Revision identify the checkpoint (Hub id and commit, or a local path); they key the embedding cache.
	ID, Revision string

	backend    compute.Backend
	store      *model.Store
	logitScale float32 // exp(stored logit_scale)
	logitBias  float32 // stored logit_bias

	mu        sync.Mutex
	imageExec *model.Exec
	textExec  *model.Exec
}

// Options configure Load.
type Options struct {
	// Backend runs the graphs; nil picks one with engine.New.
	Backend compute.Backend
	// ID and Revision identify the checkpoint; ID defaults to the directory.
	ID, Revision string
	// Logf receives one-line notices (engine fallbacks); nil discards them.
	Logf func(format string, args ...any)
}

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
	backend := opts.Backend
	if backend == nil {
		if backend, err = engine.New(opts.Logf); err != nil {
			return nil, err
		}
	}
	store, err := weights.Load(dir, weightSpec(cfg), backend)
	if err != nil {
		return nil, err
	}
	scale, bias, err := storedLogitScaleAndBias(store)
	if err != nil {
		store.Finalize()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	m := &Model{
		Config: cfg, Tokenizer: tok, Processor: proc,
		ID: opts.ID, Revision: opts.Revision,
		backend: backend, store: store, logitScale: scale, logitBias: bias,
	}
	if m.ID == "" {
		if m.ID, err = filepath.Abs(dir); err != nil {
			store.Finalize()
			return nil, err
		}
	}
	m.imageExec, err = model.NewExec(backend, store, func(scope *model.Scope, pixels *graph.Node) *graph.Node {
		return visionTower(scope, pixels, cfg)
	})
	if err != nil {
		store.Finalize()
		return nil, fmt.Errorf("building the image model: %w", err)
	}
	m.textExec, err = model.NewExec(backend, store, func(scope *model.Scope, ids *graph.Node) *graph.Node {
		return textTower(scope, ids, cfg)
	})
	if err != nil {
		m.imageExec.Finalize()
		store.Finalize()
		return nil, fmt.Errorf("building the text model: %w", err)
	}
	return m, nil
}

// storedLogitScaleAndBias returns exp(logit_scale) and logit_bias from the checkpoint (both shape [1]).
func storedLogitScaleAndBias(store *model.Store) (scale, bias float32, err error) {
	read := func(key string) (float32, error) {
		t, err := store.GetVariable(weights.VariablePath(key)).Value()
		if err != nil {
			return 0, err
		}
		flat, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return 0, err
		}
		return flat[0], nil
	}
	logScale, err := read("logit_scale")
	if err != nil {
		return 0, 0, err
	}
	if bias, err = read("logit_bias"); err != nil {
		return 0, 0, err
	}
	scale = float32(math.Exp(float64(logScale)))
	if math.IsInf(float64(scale), 0) || math.IsNaN(float64(scale)) {
		return 0, 0, fmt.Errorf("logit_scale %g is not usable", logScale)
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

// Backend returns the compute backend running the model.
func (m *Model) Backend() compute.Backend { return m.backend }

// LogitScale is exp(logit_scale), the factor applied to cosine similarities before the bias and the sigmoid.
func (m *Model) LogitScale() float32 { return m.logitScale }

// LogitBias is logit_bias, added to the scaled cosine similarities before the sigmoid.
func (m *Model) LogitBias() float32 { return m.logitBias }

// ImageSize is the side of the square images the vision tower takes.
func (m *Model) ImageSize() int { return m.Config.VisionConfig.ImageSize }

// CacheKey identifies the model and every setting that changes image embeddings.
func (m *Model) CacheKey() string {
	return fmt.Sprintf("siglip|%s|%s|%s", m.ID, m.Revision, m.Processor.Fingerprint())
}

// PreprocessImage decodes and preprocesses one image file into pixel_values (CHW float32).
func (m *Model) PreprocessImage(path string, maxPixels int64) ([]float32, error) {
	return m.Processor.preprocessFile(path, imagefile.Options{MaxPixels: maxPixels})
}

// EmbedImages returns one L2-normalised embedding per preprocessed image (each of len 3*size*size, CHW).
func (m *Model) EmbedImages(pixels [][]float32) ([][]float32, error) {
	features, err := m.imageFeatures(pixels)
	return l2Normalize(features), err
}

// imageFeatures runs the image tower: image_features, one row per image.
func (m *Model) imageFeatures(pixels [][]float32) ([][]float32, error) {
	if len(pixels) == 0 {
		return nil, nil
	}
	input, err := m.pixelTensor(pixels)
	if err != nil {
		return nil, err
	}
	defer input.FinalizeAll() // free its engine-side copy now, not when the garbage collector gets to it
	return m.run(func() *model.Exec { return m.imageExec }, input)
}

// pixelTensor stacks preprocessed images into a [batch, 3, size, size] tensor.
func (m *Model) pixelTensor(pixels [][]float32) (*tensors.Tensor, error) {
	c, s := m.Config.VisionConfig.NumChannels, m.ImageSize()
	per := c * s * s
	input := tensors.FromShape(shapes.Make(dtypes.Float32, len(pixels), c, s, s))
	var err error
	tensors.MustMutableFlatData(input, func(flat []float32) {
		for i, p := range pixels {
			if len(p) != per {
				err = fmt.Errorf("image %d has %d values, the model takes %dx%dx%d = %d", i, len(p), c, s, s, per)
				return
			}
			copy(flat[i*per:], p)
		}
	})
	return input, err
}

// EmbedImageFiles decodes, preprocesses and embeds image files.
func (m *Model) EmbedImageFiles(paths []string) ([][]float32, error) {
	pixels := make([][]float32, len(paths))
	for i, path := range paths {
		p, err := m.Processor.PreprocessFile(path)
		if err != nil {
			return nil, err
		}
		pixels[i] = p
	}
	return m.EmbedImages(pixels)
}

// maxTextBatch bounds one text-tower call; longer lists are split.
const maxTextBatch = 64

// EmbedTexts returns one L2-normalised embedding per text. Every text is padded to max_position_embeddings (64)
// tokens as the pipeline pads it; longer texts are truncated, keeping the end-of-sequence token.
func (m *Model) EmbedTexts(texts []string) ([][]float32, error) {
	features, err := m.textFeatures(texts)
	return l2Normalize(features), err
}

// textFeatures runs the text tower: text_features, one row per text.
func (m *Model) textFeatures(texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += maxTextBatch {
		end := min(start+maxTextBatch, len(texts))
		ids, err := m.tokenBatch(texts[start:end])
		if err != nil {
			return nil, err
		}
		features, err := m.run(func() *model.Exec { return m.textExec }, ids)
		ids.FinalizeAll()
		if err != nil {
			return nil, err
		}
		out = append(out, features...)
	}
	return out, nil
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

// run executes the graph exec returns (read under the lock, so Close can clear it) and returns its
// [batch, dim] output as rows.
func (m *Model) run(exec func() *model.Exec, inputs ...any) (rows [][]float32, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := exec()
	if e == nil {
		return nil, errClosed
	}
	outputs, err := e.Exec(inputs...)
	if err != nil {
		return nil, fmt.Errorf("running the model: %w", err)
	}
	out := outputs[0]
	defer out.FinalizeAll()
	dims := out.Shape().Dimensions
	flat, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		return nil, err
	}
	rows = make([][]float32, dims[0])
	for i := range rows {
		rows[i] = flat[i*dims[1] : (i+1)*dims[1] : (i+1)*dims[1]]
	}
	return rows, nil
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

// Close releases the compiled graphs and weights.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.imageExec != nil {
		m.imageExec.Finalize()
		m.textExec.Finalize()
		m.imageExec, m.textExec = nil, nil
		m.store.Finalize()
	}
}

var errClosed = errors.New("the model was closed; load it again")
