// preprocess.go mirrors Hugging Face transformers' SiglipImageProcessor.preprocess (the PIL-based processor,
// transformers/models/siglip/image_processing_siglip.py, with image_transforms.resize / rescale / normalize):
// resize straight to height x width with Pillow's filter (no aspect ratio kept, no crop), rescale in float64 then
// float32, normalise in float32, CHW layout. The exact rules and their verification are in
// testdata/fixtures/README.md ("SigLIP and SigLIP2", "Image preprocessing").

package siglip

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// preprocessVersion changes whenever this package's preprocessing code changes the pixel values it produces, so
// that cached embeddings keyed by Fingerprint are recomputed.
const preprocessVersion = "siglip-preprocess-1"

// ImageProcessor turns images into the pixel_values a SigLIP vision tower takes: float32, CHW,
// ImageSize() x ImageSize(). It is safe for concurrent use.
type ImageProcessor struct {
	Config ImageProcessorConfig

	size        int
	filter      resample.Filter
	table       *imageproc.Table // 8-bit value -> rescaled and normalised value, per channel
	fingerprint string
}

// NewImageProcessor checks cfg and precomputes what preprocessing needs.
func NewImageProcessor(cfg ImageProcessorConfig) (*ImageProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &ImageProcessor{Config: cfg, size: cfg.Size.Height, filter: resample.Filter(cfg.Resample), table: cfg.Table()}
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

// ImageSize is the side of the square images produced.
func (p *ImageProcessor) ImageSize() int { return p.size }

// Filter is the resampling filter images are resized with.
func (p *ImageProcessor) Filter() resample.Filter { return p.filter }

// Fingerprint returns a short stable string identifying every setting that changes pixel values (size, filter,
// rescale, normalisation, the JPEG decoder and the version of this code); use it in cache keys.
func (p *ImageProcessor) Fingerprint() string { return p.fingerprint }

func (p *ImageProcessor) computeFingerprint() string {
	settings := fmt.Sprintf("%s|size=%dx%d|resample=%d", preprocessVersion, p.Config.Size.Width, p.Config.Size.Height, p.Config.Resample)
	return imageproc.Fingerprint(p.table, settings, "")
}

// PreprocessFile decodes an image file (first frame, EXIF orientation applied, converted to RGB) and
// preprocesses it into 3*ImageSize()*ImageSize() float32 values, CHW. Decoding failures are *imagefile.Error;
// images over imagefile.DefaultMaxPixels are refused.
func (p *ImageProcessor) PreprocessFile(path string) ([]float32, error) {
	return p.preprocessFile(path, imagefile.Options{}, nil)
}

func (p *ImageProcessor) preprocessFile(path string, opts imagefile.Options, seen func(*image.RGBA)) ([]float32, error) {
	return imageproc.File(path, opts, p.Preprocess, seen)
}

// Preprocess turns an 8-bit RGB image (alpha ignored), already oriented, into 3*ImageSize()*ImageSize() float32
// values, CHW, channels R, G, B. An image without pixels (which no decoder returns) gives the value of black.
func (p *ImageProcessor) Preprocess(img *image.RGBA) []float32 {
	s := p.size
	out := make([]float32, 3*s*s)
	if img.Rect.Empty() {
		p.table.Fill(out)
		return out
	}
	// Each resized row is rescaled and normalised as soon as it is made, straight into the three planes.
	planes := p.table.Planes(out, s)
	resample.Region(img, s, s, image.Rect(0, 0, s, s), p.filter, func(y int, row []uint8) { planes.Row(y, 0, row[:4*s]) })
	return out
}
