// preprocess.go mirrors Hugging Face transformers' SiglipImageProcessor.preprocess (the PIL-based processor,
// transformers/models/siglip/image_processing_siglip.py, with image_transforms.resize / rescale / normalize):
// resize straight to height x width with Pillow's filter (no aspect ratio kept, no crop), rescale in float64 then
// float32, normalise in float32, CHW layout. The exact rules and their verification are in
// testdata/fixtures/README.md ("SigLIP and SigLIP2", "Image preprocessing").

package siglip

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"path/filepath"

	"github.com/bellingcat/smart-image-sorter/imagefile"
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
	lut         [3][256]float32 // 8-bit value -> rescaled and normalised value, per channel
	fingerprint string
}

// NewImageProcessor checks cfg and precomputes what preprocessing needs.
func NewImageProcessor(cfg ImageProcessorConfig) (*ImageProcessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &ImageProcessor{Config: cfg, size: cfg.Size.Height, filter: resample.Filter(cfg.Resample)}
	for c := range 3 {
		for v := range 256 {
			// rescale: image.astype(float64) * scale, then .astype(float32)
			x := float32(v)
			if cfg.DoRescale {
				x = float32(float64(v) * cfg.RescaleFactor)
			}
			// normalize: (image - mean) / std with mean and std cast to float32
			if cfg.DoNormalize {
				x = float32(x-float32(cfg.ImageMean[c])) / float32(cfg.ImageStd[c])
			}
			p.lut[c][v] = x
		}
	}
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
	h := sha256.New()
	fmt.Fprintf(h, "%s|size=%dx%d|resample=%d", preprocessVersion, p.Config.Size.Width, p.Config.Size.Height, p.Config.Resample)
	if dec := imagefile.DecoderFingerprint(); dec != "" { // JPEG pixels depend on the decoder (imagefile/jpegturbo.go)
		fmt.Fprintf(h, "|jpeg=%s", dec)
	}
	h.Write([]byte("|lut="))
	// The lookup table is exactly what rescale and normalise do to each 8-bit value.
	var buf [4]byte
	for ch := range p.lut {
		for _, v := range p.lut[ch] {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	return "pp-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// PreprocessFile decodes an image file (first frame, EXIF orientation applied, converted to RGB) and
// preprocesses it into 3*ImageSize()*ImageSize() float32 values, CHW. Decoding failures are *imagefile.Error;
// images over imagefile.DefaultMaxPixels are refused.
func (p *ImageProcessor) PreprocessFile(path string) ([]float32, error) {
	return p.preprocessFile(path, imagefile.Options{})
}

func (p *ImageProcessor) preprocessFile(path string, opts imagefile.Options) ([]float32, error) {
	img, err := imagefile.Load(path, opts)
	if err != nil {
		return nil, err
	}
	return p.Preprocess(img), nil
}

// Preprocess turns an 8-bit RGB image (alpha ignored), already oriented, into 3*ImageSize()*ImageSize() float32
// values, CHW, channels R, G, B. An image without pixels (which no decoder returns) gives the value of black.
func (p *ImageProcessor) Preprocess(img *image.RGBA) []float32 {
	s := p.size
	out := make([]float32, 3*s*s)
	planeR, planeG, planeB := out[:s*s], out[s*s:2*s*s], out[2*s*s:]
	if img.Rect.Empty() {
		for c, plane := range [][]float32{planeR, planeG, planeB} {
			for i := range plane {
				plane[i] = p.lut[c][0]
			}
		}
		return out
	}
	// Each resized row is rescaled and normalised as soon as it is made, straight into the three planes.
	lr, lg, lb := &p.lut[0], &p.lut[1], &p.lut[2]
	resample.Region(img, s, s, image.Rect(0, 0, s, s), p.filter, func(y int, row []uint8) {
		rr, gg, bb := planeR[y*s:(y+1)*s], planeG[y*s:(y+1)*s], planeB[y*s:(y+1)*s]
		row = row[:4*s]
		for x := range rr {
			px := row[4*x : 4*x+3 : 4*x+3]
			rr[x], gg[x], bb[x] = lr[px[0]], lg[px[1]], lb[px[2]]
		}
	})
	return out
}
