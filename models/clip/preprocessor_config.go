// Mirrors Hugging Face transformers CLIPImageProcessor.__init__ (models/clip/image_processing_clip.py)
// and get_size_dict (image_processing_utils.py): the settings read from preprocessor_config.json,
// with the same defaults for missing keys and the same reading of the old ("size": 224) and new
// ({"shortest_edge": 224}) styles.

package clip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/bellingcat/smart-image-sorter/models/imageproc"
)

// Hugging Face's OPENAI_CLIP_MEAN and OPENAI_CLIP_STD (transformers/utils/constants.py).
var (
	openAIClipMean = []float64{0.48145466, 0.4578275, 0.40821073}
	openAIClipStd  = []float64{0.26862954, 0.26130258, 0.27577711}
)

// resampleBicubic is PIL.Image.Resampling.BICUBIC, the only filter implemented.
const resampleBicubic = 3

// pilResampleNames names PIL's resampling filters by their numbers, for error messages.
var pilResampleNames = map[int]string{0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}

// ImageProcessorConfig is preprocessor_config.json of a CLIP checkpoint. Keys missing from the
// file keep CLIPImageProcessor's defaults (see DefaultImageProcessorConfig).
type ImageProcessorConfig struct {
	ImageProcessorType   string `json:"image_processor_type,omitempty"`   // "CLIPImageProcessor" (new files)
	FeatureExtractorType string `json:"feature_extractor_type,omitempty"` // "CLIPFeatureExtractor" (old files)

	DoResize bool `json:"do_resize"`
	// Size is the resize target: {shortest_edge} keeps the aspect ratio, {height, width} does not.
	// A plain number in the file ("size": 224) means {shortest_edge: 224}.
	Size     SizeDict `json:"size"`
	Resample int      `json:"resample"` // PIL filter number; only 3 (bicubic) is supported

	DoCenterCrop bool `json:"do_center_crop"`
	// CropSize is the centre crop; a plain number in the file means {height: n, width: n}.
	CropSize SizeDict `json:"crop_size"`

	// RescaleNormalize: do_rescale, rescale_factor, do_normalize, image_mean, image_std.
	imageproc.RescaleNormalize

	// DoConvertRGB is read for completeness: images are always converted to 8-bit RGB here, since
	// the vision tower takes 3 channels.
	DoConvertRGB bool `json:"do_convert_rgb"`
}

// SizeDict is Hugging Face's size dictionary. CLIP uses ShortestEdge or Height and Width;
// LongestEdge is accepted and, as in CLIPImageProcessor.resize, ignored.
type SizeDict struct {
	ShortestEdge int `json:"shortest_edge,omitempty"`
	LongestEdge  int `json:"longest_edge,omitempty"`
	Height       int `json:"height,omitempty"`
	Width        int `json:"width,omitempty"`
}

// DefaultImageProcessorConfig returns CLIPImageProcessor's defaults: resize the short side to 224
// with bicubic, centre crop 224x224, rescale by 1/255, normalise with OpenAI's CLIP mean and std.
func DefaultImageProcessorConfig() ImageProcessorConfig {
	return ImageProcessorConfig{
		DoResize:     true,
		Size:         SizeDict{ShortestEdge: 224},
		Resample:     resampleBicubic,
		DoCenterCrop: true,
		CropSize:     SizeDict{Height: 224, Width: 224},
		RescaleNormalize: imageproc.RescaleNormalize{
			DoRescale:     true,
			RescaleFactor: 1.0 / 255,
			DoNormalize:   true,
			ImageMean:     append([]float64(nil), openAIClipMean...),
			ImageStd:      append([]float64(nil), openAIClipStd...),
		},
		DoConvertRGB: true,
	}
}

// LoadImageProcessorConfig reads a preprocessor_config.json file. Missing keys take
// CLIPImageProcessor's defaults; settings this package cannot reproduce (for example a resample
// filter other than bicubic) are an error.
func LoadImageProcessorConfig(path string) (*ImageProcessorConfig, error) {
	return imageproc.LoadConfig(path, DefaultImageProcessorConfig())
}

// UnmarshalJSON reads both config styles. Fields absent from data (or null) keep their current
// values, so unmarshalling over DefaultImageProcessorConfig gives Hugging Face's defaults.
func (c *ImageProcessorConfig) UnmarshalJSON(data []byte) error {
	type plain ImageProcessorConfig // same fields, without this method
	aux := struct {
		*plain
		Size      json.RawMessage `json:"size"`
		CropSize  json.RawMessage `json:"crop_size"`
		ImageMean json.RawMessage `json:"image_mean"`
		ImageStd  json.RawMessage `json:"image_std"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	// get_size_dict(size, default_to_square=False): a number is the shortest edge.
	if c.Size, err = parseSizeDict(aux.Size, c.Size, false); err != nil {
		return fmt.Errorf("size: %w", err)
	}
	// get_size_dict(crop_size, default_to_square=True): a number is height and width.
	if c.CropSize, err = parseSizeDict(aux.CropSize, c.CropSize, true); err != nil {
		return fmt.Errorf("crop_size: %w", err)
	}
	return c.ReadMeanStd(aux.ImageMean, aux.ImageStd)
}

// parseSizeDict reads a number, a [height, width] list or a dictionary, as get_size_dict does.
func parseSizeDict(raw json.RawMessage, def SizeDict, defaultToSquare bool) (SizeDict, error) {
	if imageproc.Absent(raw) {
		return def, nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil {
		v, err := positiveInt(n)
		if err != nil {
			return SizeDict{}, err
		}
		if defaultToSquare {
			return SizeDict{Height: v, Width: v}, nil
		}
		return SizeDict{ShortestEdge: v}, nil
	}
	var hw []float64
	if err := json.Unmarshal(raw, &hw); err == nil {
		if len(hw) != 2 {
			return SizeDict{}, fmt.Errorf("a list must be [height, width], got %d values", len(hw))
		}
		h, err := positiveInt(hw[0])
		if err != nil {
			return SizeDict{}, err
		}
		w, err := positiveInt(hw[1])
		if err != nil {
			return SizeDict{}, err
		}
		return SizeDict{Height: h, Width: w}, nil
	}
	var d SizeDict
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return SizeDict{}, fmt.Errorf("want a number or an object with shortest_edge or height and width: %w", err)
	}
	return d, nil
}

func positiveInt(f float64) (int, error) {
	if f != math.Trunc(f) || f < 1 || f > 1<<20 {
		return 0, fmt.Errorf("%v is not a usable size in pixels", f)
	}
	return int(f), nil
}

// Validate reports settings this package cannot reproduce, or that would not give every image
// the same square size.
func (c *ImageProcessorConfig) Validate() error {
	if c.Resample != resampleBicubic {
		name, ok := pilResampleNames[c.Resample]
		if !ok {
			name = "unknown"
		}
		return fmt.Errorf("resample = %d (%s) is not supported: only 3 (bicubic, the CLIP default) is implemented", c.Resample, name)
	}
	if c.DoResize {
		s := c.Size
		switch {
		case s.ShortestEdge > 0:
		case s.Height > 0 && s.Width > 0:
		default:
			return fmt.Errorf("size %+v: want shortest_edge, or height and width", s)
		}
	}
	if c.DoCenterCrop && (c.CropSize.Height <= 0 || c.CropSize.Width <= 0) {
		return fmt.Errorf("crop_size %+v: want height and width", c.CropSize)
	}
	if _, err := c.outputSize(); err != nil {
		return err
	}
	return c.RescaleNormalize.Validate()
}

// outputSize is the side of the square images the processor produces.
func (c *ImageProcessorConfig) outputSize() (int, error) {
	switch {
	case c.DoCenterCrop:
		if c.CropSize.Height != c.CropSize.Width {
			return 0, fmt.Errorf("crop_size %dx%d (height x width) is not square; CLIP vision models take square images", c.CropSize.Height, c.CropSize.Width)
		}
		return c.CropSize.Height, nil
	case c.DoResize && c.Size.ShortestEdge == 0 && c.Size.Height == c.Size.Width:
		return c.Size.Height, nil
	default:
		return 0, fmt.Errorf("without a square center crop (do_center_crop = %v, crop_size %+v) and a square resize (size %+v) images would not all have the same size",
			c.DoCenterCrop, c.CropSize, c.Size)
	}
}
