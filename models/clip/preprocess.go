// Mirrors Hugging Face transformers CLIPImageProcessor.preprocess (the PIL-based processor,
// models/clip/image_processing_clip.py, with image_transforms.resize / center_crop / rescale /
// normalize): resize the short side with Pillow's bicubic, centre crop with floor division,
// rescale in float64 then float32, normalise in float32, CHW layout. The exact rules and their
// verification are in testdata/fixtures/README.md ("Image preprocessing").

package clip

import (
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// preprocessVersion changes whenever this package's decoding or preprocessing code changes the
// pixel values it produces, so that cached embeddings keyed by Fingerprint are recomputed.
const preprocessVersion = "clip-preprocess-1"

// ImageProcessor turns images into the pixel_values a CLIP vision tower takes: float32, CHW,
// ImageSize() x ImageSize(). It is safe for concurrent use.
type ImageProcessor struct {
	Config ImageProcessorConfig

	size        int              // side of the output
	table       *imageproc.Table // 8-bit value -> rescaled and normalised value, per channel
	fingerprint string
}

// NewImageProcessor checks cfg and precomputes what preprocessing needs.
func NewImageProcessor(cfg ImageProcessorConfig) (*ImageProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	size, err := cfg.outputSize()
	if err != nil {
		return nil, err
	}
	p := &ImageProcessor{Config: cfg, size: size, table: cfg.Table()}
	p.fingerprint = p.computeFingerprint()
	return p, nil
}

// LoadImageProcessor reads checkpointDir/preprocessor_config.json.
func LoadImageProcessor(checkpointDir string) (*ImageProcessor, error) {
	cfg, err := LoadImageProcessorConfig(filepath.Join(checkpointDir, "preprocessor_config.json"))
	if err != nil {
		return nil, err
	}
	return NewImageProcessor(*cfg)
}

// ImageSize is the side of the square images produced (the crop height, equal to its width).
func (p *ImageProcessor) ImageSize() int { return p.size }

// Fingerprint returns a short stable string identifying every setting that changes pixel values
// (resize, crop, rescale, normalisation, the JPEG decoder and the version of this code); use it in
// cache keys.
func (p *ImageProcessor) Fingerprint() string { return p.fingerprint }

func (p *ImageProcessor) computeFingerprint() string {
	c := p.Config
	head := fmt.Sprintf("%s|resize=%v", preprocessVersion, c.DoResize)
	var tail strings.Builder
	if c.DoResize {
		fmt.Fprintf(&tail, ",shortest=%d,h=%d,w=%d,resample=%d", c.Size.ShortestEdge, c.Size.Height, c.Size.Width, c.Resample)
	}
	fmt.Fprintf(&tail, "|crop=%v", c.DoCenterCrop)
	if c.DoCenterCrop {
		fmt.Fprintf(&tail, ",h=%d,w=%d", c.CropSize.Height, c.CropSize.Width)
	}
	return imageproc.Fingerprint(p.table, head, tail.String())
}

// PreprocessFile decodes an image file (first frame, EXIF orientation applied, converted to RGB)
// and preprocesses it into 3*ImageSize()*ImageSize() float32 values, CHW. Decoding failures are
// *imagefile.Error; images over imagefile.DefaultMaxPixels are refused.
func (p *ImageProcessor) PreprocessFile(path string) ([]float32, error) {
	return p.preprocessFile(path, imagefile.Options{}, nil)
}

func (p *ImageProcessor) preprocessFile(path string, opts imagefile.Options, seen func(*image.RGBA)) ([]float32, error) {
	return imageproc.File(path, opts, p.Preprocess, seen)
}

// Preprocess turns an 8-bit RGB image (alpha ignored), already oriented, into
// 3*ImageSize()*ImageSize() float32 values, CHW, channels R, G, B.
func (p *ImageProcessor) Preprocess(img *image.RGBA) []float32 {
	out := make([]float32, 3*p.size*p.size)
	p.preprocessInto(out, img)
	return out
}

// resizedSize is the size after CLIPImageProcessor.resize (get_resize_output_image_size).
func (p *ImageProcessor) resizedSize(w, h int) (int, int) {
	c := p.Config
	switch {
	case !c.DoResize:
		return w, h
	case c.Size.ShortestEdge > 0:
		return shortestEdgeSize(w, h, c.Size.ShortestEdge)
	default:
		return c.Size.Width, c.Size.Height
	}
}

// shortestEdgeSize scales (w, h) so the short side is edge: the long side is
// int(edge * long / short), a float division truncated, never rounded.
func shortestEdgeSize(w, h, edge int) (int, int) {
	if w <= 0 || h <= 0 {
		return w, h
	}
	short, long := w, h
	if w > h {
		short, long = h, w
	}
	newLong := int(float64(edge*long) / float64(short))
	if w <= h {
		return edge, newLong
	}
	return newLong, edge
}

// cropRect is the centre crop in resized coordinates (image_transforms.center_crop): top and left
// are (size - crop) // 2 with Python's floor division. Parts outside the image are zero padding.
func (p *ImageProcessor) cropRect(w, h int) image.Rectangle {
	if !p.Config.DoCenterCrop {
		return image.Rect(0, 0, w, h)
	}
	ch, cw := p.Config.CropSize.Height, p.Config.CropSize.Width
	top, left := floorDiv(h-ch, 2), floorDiv(w-cw, 2)
	return image.Rect(left, top, left+cw, top+ch)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// preprocessInto writes the CHW values of src into out (len 3*size*size).
func (p *ImageProcessor) preprocessInto(out []float32, src *image.RGBA) {
	s := p.size
	b := src.Bounds()
	rw, rh := p.resizedSize(b.Dx(), b.Dy())
	crop := p.cropRect(rw, rh)
	if crop.Dx() != s || crop.Dy() != s { // cannot happen after Validate
		panic(fmt.Sprintf("clip: crop %v is not %dx%d", crop, s, s))
	}
	inside := crop.Intersect(image.Rect(0, 0, rw, rh))
	if inside != crop { // center_crop pads with zeros (in 8-bit space) where the image is too small
		p.table.Fill(out)
	}
	// Each row of the resized crop is rescaled and normalised as soon as it is made, straight
	// into the three planes.
	x0, y0 := inside.Min.X-crop.Min.X, inside.Min.Y-crop.Min.Y
	w := inside.Dx()
	planes := p.table.Planes(out, s)
	emit := func(y int, row []uint8) { planes.Row(y0+y, x0, row[:4*w]) }
	if p.Config.DoResize {
		resample.Region(src, rw, rh, inside, resample.Filter(p.Config.Resample), emit)
		return
	}
	// Without resize the crop reads the image directly.
	if inside.Empty() {
		return
	}
	for y := range inside.Dy() {
		o := src.PixOffset(b.Min.X+inside.Min.X, b.Min.Y+inside.Min.Y+y)
		emit(y, src.Pix[o:o+4*w])
	}
}
