// Package tower runs a loaded checkpoint's two compiled towers, image and text, for every model family. It is
// what Hugging Face's CLIPModel and SiglipModel (transformers/models/clip/modeling_clip.py,
// models/siglip/modeling_siglip.py) share around their get_image_features and get_text_features: the compute
// engine, the weights loaded into it, one lock serialising the engine's calls, and Close. Each family's Model
// embeds a *Towers; what the towers compute (vision.go, text.go) and what their outputs mean stay in the family.
//
// tower.go loads and closes the towers and runs them; inputs.go turns images and texts into their input tensors.
package tower

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/bellingcat/smart-image-sorter/models/engine"
	"github.com/bellingcat/smart-image-sorter/models/weights"
)

// Options configure a family's Load.
type Options struct {
	// Backend runs the graphs; nil picks one with engine.New.
	Backend compute.Backend
	// ID and Revision identify the checkpoint; ID defaults to the directory.
	ID, Revision string
	// Logf receives one-line notices (engine fallbacks); nil discards them.
	Logf func(format string, args ...any)
}

// Spec is what Load needs to know of a family's checkpoint besides its towers' graphs.
type Spec struct {
	// Weights are the keys and shapes the checkpoint's config.json implies.
	Weights weights.Spec
	// Channels and ImageSize give the image tower's input per image: [Channels, ImageSize, ImageSize], CHW.
	Channels, ImageSize int
	// ImageOnly says which weights only the image tower reads: they are read from disk on the first image, not
	// at Load, so that a job whose images are all in the embedding cache (a search, a re-sort) loads the text
	// tower only (for ViT-B/32: 250 of 605 MB, about half the load time). Nil loads everything at once.
	ImageOnly func(key string) bool
	// TextOnly says which weights only the text tower reads: Load starts reading them in the background and
	// returns, and the first call that needs the towers waits for them, so that a job reads its folder (for a
	// search over 100,000 cached images: about half a second) while they load. Nil reads them in Load.
	TextOnly func(key string) bool
}

// Towers are a checkpoint's compiled image and text towers. Methods are safe for concurrent use; engine calls are
// serialised.
type Towers struct {
	// ID and Revision identify the checkpoint (Hub id and commit, or a local path); they key the embedding cache.
	ID, Revision string

	backend        compute.Backend
	store          *model.Store
	channels, size int // of one image: [channels, size, size]

	mu          sync.Mutex
	image, text *model.Exec                 // nil once closed; image also until the first image (see Spec.ImageOnly)
	newImage    func() (*model.Exec, error) // reads the image tower's weights and builds it; nil once done
	textRead    *pendingWeights             // the text tower's weights still being read (Spec.TextOnly); nil once stored
	closed      bool
}

// pendingWeights are weights read on another goroutine: weights.Read touches no store, and the store only takes
// them (stored, under Towers.mu) once the read is done.
type pendingWeights struct {
	done   chan struct{}
	read   *weights.Tensors
	err    error
	stored error // the first stored's outcome, returned to every later call
}

// textStored waits for the text tower's weights and moves them into the store. Callers hold t.mu.
func (t *Towers) textStored() error {
	p := t.textRead
	if p == nil {
		return nil
	}
	<-p.done
	if p.err == nil && p.read != nil {
		p.stored = p.read.AddTo(t.store)
		p.read = nil
	} else if p.err != nil {
		p.stored = fmt.Errorf("reading the text model's weights: %w", p.err)
	}
	if p.stored != nil {
		return p.stored
	}
	t.textRead = nil
	return nil
}

// Load starts the engine (opts.Backend, or the fastest that starts), loads the weights spec lists from dir and
// prepares both towers: image builds the image tower's graph from pixel_values [batch, channels, size, size], text
// the text tower's from the tensors the family's Texts inputs make; each returns [batch, dim].
func Load[I, T model.ExecGraphFn](dir string, opts Options, spec Spec, image I, text T) (*Towers, error) {
	var err error
	backend := opts.Backend
	if backend == nil {
		if backend, err = engine.New(opts.Logf); err != nil {
			return nil, err
		}
	}
	t := &Towers{ID: opts.ID, Revision: opts.Revision, backend: backend, channels: spec.Channels, size: spec.ImageSize}
	if t.ID == "" {
		if t.ID, err = filepath.Abs(dir); err != nil {
			return nil, err
		}
	}
	t.store = model.NewStore()
	deferred := func(only func(string) bool, key string) bool { return only != nil && only(key) }
	eager := func(key string) bool { return !deferred(spec.ImageOnly, key) && !deferred(spec.TextOnly, key) }
	if err = weights.LoadInto(t.store, dir, spec.Weights, backend, eager); err != nil {
		t.store.Finalize()
		return nil, err
	}
	if t.text, err = model.NewExec(backend, t.store, text); err != nil {
		t.store.Finalize()
		return nil, fmt.Errorf("building the text model: %w", err)
	}
	if spec.TextOnly != nil {
		p := &pendingWeights{done: make(chan struct{})}
		go func() {
			defer close(p.done)
			p.read, p.err = weights.Read(dir, spec.Weights, backend, spec.TextOnly)
		}()
		t.textRead = p
	}
	t.newImage = func() (*model.Exec, error) {
		if spec.ImageOnly != nil {
			if err := weights.LoadInto(t.store, dir, spec.Weights, backend, spec.ImageOnly); err != nil {
				return nil, fmt.Errorf("reading the image model's weights: %w", err)
			}
		}
		e, err := model.NewExec(backend, t.store, image)
		if err != nil {
			return nil, fmt.Errorf("building the image model: %w", err)
		}
		return e, nil
	}
	if spec.ImageOnly == nil {
		if err := t.loadImage(); err != nil {
			t.text.Finalize()
			t.store.Finalize()
			return nil, err
		}
	}
	return t, nil
}

// KeysUnder is a Spec.ImageOnly for the weights whose keys start with one of prefixes ("vision_model.").
func KeysUnder(prefixes ...string) func(key string) bool {
	return func(key string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				return true
			}
		}
		return false
	}
}

// loadImage builds the image tower if it is not built yet. Callers hold t.mu (or own t alone).
func (t *Towers) loadImage() error {
	if t.image != nil || t.closed {
		return nil
	}
	if err := t.textStored(); err != nil { // one goroutine at a time changes the store
		return err
	}
	e, err := t.newImage()
	if err != nil {
		return err
	}
	t.image, t.newImage = e, nil
	return nil
}

// Checkpoint returns the checkpoint's ID and Revision, for reports that record what classified an image.
func (t *Towers) Checkpoint() (id, revision string) { return t.ID, t.Revision }

// Backend returns the compute backend running the towers.
func (t *Towers) Backend() compute.Backend { return t.backend }

// BatchSize is how many images to embed per call unless the user says otherwise: the engine's (engine.BatchSize).
func (t *Towers) BatchSize() int { return engine.BatchSize(t.backend) }

// Weight returns the value of a one-value weight that no graph reads (logit_scale, logit_bias): families read
// them once, after Load.
func (t *Towers) Weight(key string) (float32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, ErrClosed
	}
	if t.textRead != nil && t.store.GetVariable(weights.VariablePath(key)) == nil { // a text tower weight
		if err := t.textStored(); err != nil {
			return 0, err
		}
	}
	v, err := t.store.GetVariable(weights.VariablePath(key)).Value()
	if err != nil {
		return 0, err
	}
	flat, err := tensors.CopyFlatData[float32](v)
	if err != nil {
		return 0, err
	}
	return flat[0], nil
}

// ReadLogitScale returns exp(logit_scale), the factor CLIPModel and SiglipModel multiply cosine similarities by:
// the checkpoint stores its logarithm (config.json's logit_scale_init_value is only where training started).
func (t *Towers) ReadLogitScale() (float32, error) {
	stored, err := t.Weight("logit_scale")
	if err != nil {
		return 0, err
	}
	s := float32(math.Exp(float64(stored)))
	if math.IsInf(float64(s), 0) || math.IsNaN(float64(s)) {
		return 0, fmt.Errorf("logit_scale %g is not usable", stored)
	}
	return s, nil
}

// run executes the image or the text tower (read under the lock, so that Close can clear them) and returns its
// [batch, dim] output as rows.
func (t *Towers) run(text bool, inputs ...any) (rows [][]float32, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if err := t.textStored(); err != nil {
		return nil, err
	}
	e := t.text
	if !text {
		if err := t.loadImage(); err != nil {
			return nil, err
		}
		e = t.image
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

// UnreadWeights builds both towers' graphs, for pixels and for the text tower's inputs, and returns the loaded
// weights neither graph reads, leaving out those named in readOnce (read with Weight), and how many weights are
// loaded. Tests call it: a weight loaded but never read would mean a layer silently skipped.
func (t *Towers) UnreadWeights(pixels [][]float32, text []*tensors.Tensor, readOnce ...string) (unread []string, loaded int, err error) {
	input, err := t.pixelTensor(pixels)
	if err != nil {
		return nil, 0, err
	}
	defer input.FinalizeAll()
	args := make([]any, len(text))
	for i, x := range text {
		args[i] = x
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, 0, ErrClosed
	}
	if err := t.textStored(); err != nil {
		return nil, 0, err
	}
	if err := t.loadImage(); err != nil {
		return nil, 0, err
	}
	_, imageGraph, err := t.image.ExecWithGraph(input)
	if err != nil {
		return nil, 0, err
	}
	_, textGraph, err := t.text.ExecWithGraph(args...)
	if err != nil {
		return nil, 0, err
	}
	for v := range t.store.IterVariables() {
		loaded++
		if !v.InUseByGraph(imageGraph) && !v.InUseByGraph(textGraph) && !slices.Contains(readOnce, v.Name()) {
			unread = append(unread, v.Path())
		}
	}
	return unread, loaded, nil
}

// Close releases the compiled graphs and the weights; calls after it return ErrClosed. Closing twice is harmless.
func (t *Towers) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		if t.image != nil {
			t.image.Finalize()
		}
		t.text.Finalize()
		if p := t.textRead; p != nil {
			<-p.done
			if p.read != nil {
				p.read.Finalize()
			}
		}
		t.image, t.text, t.newImage, t.textRead = nil, nil, nil, nil
		t.store.Finalize()
	}
}

// ErrClosed is returned by calls on a closed model.
var ErrClosed = errors.New("the model was closed; load it again")
