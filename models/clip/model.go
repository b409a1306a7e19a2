// model.go is the package's entry point, Hugging Face's CLIPModel (transformers/models/clip/modeling_clip.py):
// load a checkpoint directory as the Hub stores it, then embed images and texts.
package clip

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

// Model is a loaded CLIP checkpoint. Its methods are safe for concurrent use; model calls are serialised.
type Model struct {
	Config    *Config
	Tokenizer *Tokenizer
	Processor *ImageProcessor
	// ID and Revision identify the checkpoint (Hub id and commit, or a local path); they key the embedding cache.
	ID, Revision string

	backend    compute.Backend
	store      *model.Store
	logitScale float32 // exp(stored logit_scale)

	mu        sync.Mutex
	imageExec *model.Exec
	textExec  *model.Exec
}

// Options configure Load.
type Options struct {
	// Backend runs the graphs; nil picks one with NewBackend.
	Backend compute.Backend
	// ID and Revision identify the checkpoint; ID defaults to the directory.
	ID, Revision string
	// Logf receives one-line notices (backend fallbacks); nil discards them.
	Logf func(format string, args ...any)
}

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
	scale, err := storedLogitScale(store)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	m := &Model{
		Config: cfg, Tokenizer: tok, Processor: proc,
		ID: opts.ID, Revision: opts.Revision,
		backend: backend, store: store, logitScale: scale,
	}
	if m.ID == "" {
		if m.ID, err = filepath.Abs(dir); err != nil {
			return nil, err
		}
	}
	m.imageExec, err = model.NewExec(backend, store, func(scope *model.Scope, pixels *graph.Node) *graph.Node {
		return visionTower(scope, pixels, cfg)
	})
	if err != nil {
		return nil, fmt.Errorf("building the image model: %w", err)
	}
	m.textExec, err = model.NewExec(backend, store, func(scope *model.Scope, ids, pooledAt *graph.Node) *graph.Node {
		return textTower(scope, ids, pooledAt, cfg)
	})
	if err != nil {
		return nil, fmt.Errorf("building the text model: %w", err)
	}
	return m, nil
}

// storedLogitScale returns exp(logit_scale) from the checkpoint; config.json's logit_scale_init_value is only
// the value training started from.
func storedLogitScale(store *model.Store) (float32, error) {
	v := store.GetVariable(weights.VariablePath("logit_scale"))
	t, err := v.Value()
	if err != nil {
		return 0, err
	}
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return 0, err
	}
	s := float32(math.Exp(float64(flat[0])))
	if math.IsInf(float64(s), 0) || math.IsNaN(float64(s)) {
		return 0, fmt.Errorf("logit_scale %g is not usable", flat[0])
	}
	return s, nil
}

// Backend returns the compute backend running the model.
func (m *Model) Backend() compute.Backend { return m.backend }

// LogitScale is exp(logit_scale), the factor applied to cosine similarities before the softmax.
func (m *Model) LogitScale() float32 { return m.logitScale }

// ImageSize is the side of the square images the vision tower takes.
func (m *Model) ImageSize() int { return m.Config.VisionConfig.ImageSize }

// CacheKey identifies the model and every setting that changes image embeddings.
func (m *Model) CacheKey() string {
	return fmt.Sprintf("clip|%s|%s|%s", m.ID, m.Revision, m.Processor.Fingerprint())
}

// PreprocessImage decodes and preprocesses one image file into pixel_values (CHW float32).
func (m *Model) PreprocessImage(path string, maxPixels int64) ([]float32, error) {
	return m.Processor.preprocessFile(path, imagefile.Options{MaxPixels: maxPixels})
}

// EmbedImages returns one L2-normalised embedding per preprocessed image (each of len 3*size*size, CHW).
func (m *Model) EmbedImages(pixels [][]float32) ([][]float32, error) {
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

// pixelTensor stacks preprocessed images into a [batch, channels, size, size] tensor.
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

// EmbedTexts returns one L2-normalised embedding per text. Texts longer than the model's context are
// truncated, keeping the end-of-text token (the Python pipeline fails on them instead).
func (m *Model) EmbedTexts(texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += maxTextBatch {
		end := min(start+maxTextBatch, len(texts))
		ids, pooledAt := m.tokenBatch(texts[start:end])
		embeds, err := m.run(func() *model.Exec { return m.textExec }, ids, pooledAt)
		ids.FinalizeAll()
		pooledAt.FinalizeAll()
		if err != nil {
			return nil, err
		}
		out = append(out, embeds...)
	}
	return out, nil
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
