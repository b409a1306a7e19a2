package sorter

// fakeModel is a deterministic stand-in for models/clip. An image's embedding is
// its mean colour (red, green, blue axes) plus a small part derived from the
// SHA-256 of the file (so every file differs); a prompt naming "red", "green"
// or "blue" embeds on that axis, any other prompt on a direction derived from
// its hash. So a red picture is sorted under "red", a grey one scores 1/3 for
// each colour. It counts calls, can be slowed down, and can fail on demand.

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

const fakeDim = 8

type fakeModel struct {
	key         string
	embedDelay  time.Duration         // sleep in each EmbedImages call
	failEmbed   func(call int) error  // if set, called before each EmbedImages call; an error fails it
	onEmbed     func(call int, n int) // if set, called after each EmbedImages call
	afterDecode func(path string)     // if set, called at the end of each successful PreprocessImage call
	mu          sync.Mutex            // guards texts
	texts       []string              // every text embedded, in order
	embedCalls  atomic.Int64
	embedded    atomic.Int64 // images embedded
	textCalls   atomic.Int64
	preprocess  atomic.Int64
	frames      atomic.Int64 // video frames preprocessed
}

func newFake() *fakeModel { return &fakeModel{key: "fake/v1"} }

func (f *fakeModel) CacheKey() string { return f.key }

func (f *fakeModel) EmbeddingSize() int { return fakeDim }

// fakeImageError mimics imagefile.Error: a one-line reason and a kind.
type fakeImageError struct{ kind, msg string }

func (e *fakeImageError) Error() string          { return e.msg }
func (e *fakeImageError) ImageErrorKind() string { return e.kind }

func (f *fakeModel) PreprocessImage(path string, maxPixels int64) ([]float32, error) {
	f.preprocess.Add(1)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &fakeImageError{"unreadable", "cannot read the file: " + errText(err)}
	}
	cfg, format, err := image.DecodeConfig(strings.NewReader(string(data)))
	if err != nil {
		return nil, &fakeImageError{"decode", "not a readable image: " + err.Error()}
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		// Like imagefile.Error: a kind with a space, a message starting with the path.
		return nil, &fakeImageError{"too large", fmt.Sprintf("%s: %dx%d is %d pixels, over the limit of %d", path, cfg.Width, cfg.Height, px, maxPixels)}
	}
	img, _, err := image.Decode(strings.NewReader(string(data)))
	if err != nil {
		return nil, &fakeImageError{"decode", "damaged " + format + " image: " + err.Error()}
	}
	v := fakePixels(img, data)
	if f.afterDecode != nil {
		f.afterDecode(path)
	}
	return v, nil
}

// PreprocessRGBA: a video frame's mean colour, and a small part from its pixels' hash.
func (f *fakeModel) PreprocessRGBA(img *image.RGBA) []float32 {
	f.preprocess.Add(1)
	f.frames.Add(1)
	return fakePixels(img, img.Pix)
}

// fakePixels is the fake's "pixel_values": the mean colour, then a small part derived from the SHA-256 of data.
func fakePixels(img image.Image, data []byte) []float32 {
	var r, g, b float64
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, b = r+float64(cr), g+float64(cg), b+float64(cb)
		}
	}
	n := float64(bounds.Dx()*bounds.Dy()) * 65535
	v := make([]float32, fakeDim)
	v[0], v[1], v[2] = float32(r/n), float32(g/n), float32(b/n)
	h := sha256.Sum256(data)
	for i := 3; i < fakeDim; i++ {
		v[i] = (float32(h[i])/255 - 0.5) * 0.1
	}
	return v
}

func (f *fakeModel) EmbedImages(pixels [][]float32) ([][]float32, error) {
	call := int(f.embedCalls.Add(1))
	if f.failEmbed != nil {
		if err := f.failEmbed(call); err != nil {
			return nil, err
		}
	}
	time.Sleep(f.embedDelay)
	out := make([][]float32, len(pixels))
	for i, p := range pixels {
		if len(p) != fakeDim {
			return nil, errors.New("fake: wrong pixel vector length")
		}
		out[i] = normalize(append([]float32(nil), p...))
	}
	f.embedded.Add(int64(len(pixels)))
	if f.onEmbed != nil {
		f.onEmbed(call, len(pixels))
	}
	return out, nil
}

func (f *fakeModel) EmbedTexts(texts []string) ([][]float32, error) {
	f.textCalls.Add(1)
	f.mu.Lock()
	f.texts = append(f.texts, texts...)
	f.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, fakeDim)
		switch low := strings.ToLower(t); {
		case strings.Contains(low, "red"):
			v[0] = 1
		case strings.Contains(low, "green"):
			v[1] = 1
		case strings.Contains(low, "blue"):
			v[2] = 1
		default:
			h := sha256.Sum256([]byte(t))
			for j := range v {
				v[j] = float32(h[j])/255 - 0.5
			}
		}
		out[i] = normalize(v)
	}
	return out, nil
}

func (f *fakeModel) Probabilities(images, texts [][]float32) [][]float32 {
	out := make([][]float32, len(images))
	for i, im := range images {
		logits := make([]float64, len(texts))
		maxL := math.Inf(-1)
		for j, t := range texts {
			var dot float64
			for k := range im {
				dot += float64(im[k]) * float64(t[k])
			}
			logits[j] = 10 * dot
			maxL = math.Max(maxL, logits[j])
		}
		var sum float64
		for j := range logits {
			logits[j] = math.Exp(logits[j] - maxL)
			sum += logits[j]
		}
		out[i] = make([]float32, len(texts))
		for j := range logits {
			out[i][j] = float32(logits[j] / sum)
		}
	}
	return out
}

func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(s))
	if n == 0 {
		return v
	}
	for i := range v {
		v[i] /= n
	}
	return v
}

var _ Model = (*fakeModel)(nil)
