// preprocessor_config.go mirrors Hugging Face transformers' SiglipImageProcessor.__init__
// (transformers/models/siglip/image_processing_siglip.py) and the get_size_dict call of its preprocess: the
// settings read from preprocessor_config.json, with the same defaults for missing keys.

package siglip

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// ImageProcessorConfig is preprocessor_config.json of a SigLIP checkpoint. Keys missing from the file (or null)
// keep SiglipImageProcessor's defaults (DefaultImageProcessorConfig).
type ImageProcessorConfig struct {
	ImageProcessorType string `json:"image_processor_type,omitempty"` // "SiglipImageProcessor"

	DoResize bool `json:"do_resize"`
	// Size is the resize target: {"height": h, "width": w} (or [h, w]); the aspect ratio is not kept and nothing
	// is cropped.
	Size     SizeDict `json:"size"`
	Resample int      `json:"resample"` // PIL filter number: 3 (bicubic, SigLIP) or 2 (bilinear, SigLIP2)

	// RescaleNormalize: do_rescale, rescale_factor, do_normalize, image_mean, image_std.
	imageproc.RescaleNormalize

	// DoConvertRGB is read for completeness (null in SigLIP2 files): images are always converted to 8-bit RGB
	// here, as load_image does before the processor sees them.
	DoConvertRGB *bool `json:"do_convert_rgb"`
}

// SizeDict is the size dictionary SiglipImageProcessor.preprocess reads: height and width.
type SizeDict struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}

// DefaultImageProcessorConfig returns SiglipImageProcessor's defaults: resize to 224x224 with bicubic, rescale by
// 1/255, normalise with mean and std 0.5 (IMAGENET_STANDARD_MEAN and _STD), so pixel values are 2x/255 - 1.
func DefaultImageProcessorConfig() ImageProcessorConfig {
	return ImageProcessorConfig{
		DoResize: true,
		Size:     SizeDict{Height: 224, Width: 224},
		Resample: int(resample.Bicubic),
		RescaleNormalize: imageproc.RescaleNormalize{
			DoRescale:     true,
			RescaleFactor: 1.0 / 255,
			DoNormalize:   true,
			ImageMean:     []float64{0.5, 0.5, 0.5},
			ImageStd:      []float64{0.5, 0.5, 0.5},
		},
	}
}

// LoadImageProcessorConfig reads a preprocessor_config.json file. Missing keys take SiglipImageProcessor's
// defaults; settings this package cannot reproduce (a resample filter other than bilinear or bicubic, for
// example) are an error naming the key.
func LoadImageProcessorConfig(path string) (*ImageProcessorConfig, error) {
	return imageproc.LoadConfig(path, DefaultImageProcessorConfig())
}

// UnmarshalJSON reads the file's keys over c's values: fields absent from data (or null) keep them, so
// unmarshalling over DefaultImageProcessorConfig gives Hugging Face's defaults.
func (c *ImageProcessorConfig) UnmarshalJSON(data []byte) error {
	type plain ImageProcessorConfig // same fields, without this method
	aux := struct {
		*plain
		Size      json.RawMessage `json:"size"`
		Resample  json.RawMessage `json:"resample"`
		ImageMean json.RawMessage `json:"image_mean"`
		ImageStd  json.RawMessage `json:"image_std"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	var err error
	if c.Size, err = parseSize(aux.Size, c.Size); err != nil {
		return fmt.Errorf("size: %w", err)
	}
	if !imageproc.Absent(aux.Resample) {
		if err := json.Unmarshal(aux.Resample, &c.Resample); err != nil {
			return fmt.Errorf("resample: want a PIL filter number such as 2 (bilinear) or 3 (bicubic): %w", err)
		}
	}
	return c.ReadMeanStd(aux.ImageMean, aux.ImageStd)
}

// parseSize reads size as get_size_dict(size, default_to_square=False) would and SiglipImageProcessor can use it:
// a dictionary with height and width, or a [height, width] list. A plain number means {"shortest_edge": n} to
// get_size_dict, which SiglipImageProcessor.preprocess cannot use (it reads size["height"]): an error, as there.
func parseSize(raw json.RawMessage, def SizeDict) (SizeDict, error) {
	if imageproc.Absent(raw) {
		return def, nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil {
		return SizeDict{}, fmt.Errorf(`a single number (%v) means {"shortest_edge": %v}, which SiglipImageProcessor `+
			`cannot use; want {"height": N, "width": N}`, n, n)
	}
	var hw []float64
	if err := json.Unmarshal(raw, &hw); err == nil {
		if len(hw) != 2 {
			return SizeDict{}, fmt.Errorf("a list must be [height, width], got %d values", len(hw))
		}
		h, err := sizeInPixels(hw[0])
		if err != nil {
			return SizeDict{}, err
		}
		w, err := sizeInPixels(hw[1])
		if err != nil {
			return SizeDict{}, err
		}
		return SizeDict{Height: h, Width: w}, nil
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		return SizeDict{}, fmt.Errorf(`want {"height": N, "width": N}: %w`, err)
	}
	var keys []string
	for k := range d {
		if k != "height" && k != "width" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		return SizeDict{}, fmt.Errorf(`%s is not read by SiglipImageProcessor, which resizes to {"height": N, "width": N}`, strings.Join(keys, ", "))
	}
	var s SizeDict
	for _, f := range []struct {
		key string
		dst *int
	}{{"height", &s.Height}, {"width", &s.Width}} {
		key, dst := f.key, f.dst
		raw, ok := d[key]
		if !ok {
			return SizeDict{}, fmt.Errorf("has no %q", key)
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return SizeDict{}, fmt.Errorf("%s: %w", key, err)
		}
		v, err := sizeInPixels(f)
		if err != nil {
			return SizeDict{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = v
	}
	return s, nil
}

func sizeInPixels(f float64) (int, error) {
	if f != math.Trunc(f) || f < 1 || f > 1<<16 {
		return 0, fmt.Errorf("%v is not a usable size in pixels", f)
	}
	return int(f), nil
}

// Validate reports settings this package cannot reproduce, or that would not give every image the same square
// size; each error names its key.
func (c *ImageProcessorConfig) Validate() error {
	if f := resample.Filter(c.Resample); !f.Implemented() {
		supported := make([]string, len(resample.Filters))
		for i, f := range resample.Filters {
			supported[i] = fmt.Sprintf("%d (%s)", int(f), f)
		}
		return fmt.Errorf("resample = %d (%s) is not supported; supported: %s", c.Resample, f, strings.Join(supported, ", "))
	}
	if !c.DoResize {
		return fmt.Errorf("do_resize is false: images would keep their own sizes, and the vision tower takes one fixed size")
	}
	if c.Size.Height <= 0 || c.Size.Width <= 0 {
		return fmt.Errorf("size %+v: want height and width", c.Size)
	}
	if c.Size.Height != c.Size.Width {
		return fmt.Errorf("size %dx%d (height x width) is not square; SigLIP vision towers take square images", c.Size.Height, c.Size.Width)
	}
	return c.RescaleNormalize.Validate()
}
