// Package imageproc holds what the image processors of every model family share, after transformers'
// image_processing_utils.py and image_transforms.py: the rescale and normalise settings of
// preprocessor_config.json and the reading of that file (config.go), rescale and normalise themselves as a lookup
// table writing CHW planes (table.go), the fingerprint that keys cached embeddings (fingerprint.go), and decoding
// files for a processor (file.go). Each family keeps its own resize and crop rules and its defaults
// (CLIPImageProcessor's shortest edge and centre crop, SiglipImageProcessor's squash resize).
//
// config.go mirrors the settings every processor's __init__ reads the same way (do_rescale, rescale_factor,
// do_normalize, image_mean, image_std), with preprocessor_config.json's spellings: a single number for all three
// channels, and null for the default (None in Python).
package imageproc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// RescaleNormalize are the settings of image_transforms.rescale and normalize, as preprocessor_config.json writes
// them. Families embed it in their ImageProcessorConfig.
type RescaleNormalize struct {
	DoRescale     bool    `json:"do_rescale"`
	RescaleFactor float64 `json:"rescale_factor"`

	DoNormalize bool      `json:"do_normalize"`
	ImageMean   []float64 `json:"image_mean"` // per RGB channel; a single number in the file applies to all three
	ImageStd    []float64 `json:"image_std"`
}

// ReadMeanStd reads image_mean and image_std as the file writes them (a list, or one number for every channel);
// absent or null keeps the current values. A family's UnmarshalJSON passes them raw.
func (r *RescaleNormalize) ReadMeanStd(mean, std json.RawMessage) error {
	var err error
	if r.ImageMean, err = channelValues(mean, r.ImageMean); err != nil {
		return fmt.Errorf("image_mean: %w", err)
	}
	if r.ImageStd, err = channelValues(std, r.ImageStd); err != nil {
		return fmt.Errorf("image_std: %w", err)
	}
	return nil
}

// channelValues reads a list of per-channel values or one number for all channels.
func channelValues(raw json.RawMessage, def []float64) ([]float64, error) {
	if Absent(raw) {
		return def, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err == nil {
		return []float64{v, v, v}, nil
	}
	var vs []float64
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, fmt.Errorf("want a number or a list of 3 numbers: %w", err)
	}
	return vs, nil
}

// Validate reports settings that cannot be applied to RGB images.
func (r *RescaleNormalize) Validate() error {
	if r.DoRescale && (math.IsNaN(r.RescaleFactor) || math.IsInf(r.RescaleFactor, 0)) {
		return fmt.Errorf("rescale_factor %v is not a number", r.RescaleFactor)
	}
	if r.DoNormalize {
		if len(r.ImageMean) != 3 || len(r.ImageStd) != 3 {
			return fmt.Errorf("image_mean and image_std need 3 values (R, G, B), got %d and %d", len(r.ImageMean), len(r.ImageStd))
		}
		for _, s := range r.ImageStd {
			if s == 0 {
				return fmt.Errorf("image_std %v contains 0", r.ImageStd)
			}
		}
	}
	return nil
}

// Absent says whether a key of the file is missing or null: either way the processor's default applies.
func Absent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// LoadConfig reads a preprocessor_config.json file over defaults (keys missing from it keep their default, as
// in the processor's __init__) and validates the result; errors name the file.
func LoadConfig[C any, P interface {
	*C
	Validate() error
}](path string, defaults C) (*C, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading image processor config: %w", err)
	}
	cfg := defaults
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if err := P(&cfg).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfg, nil
}
