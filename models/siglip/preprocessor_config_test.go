package siglip

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/imageproc"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// halfMeanStd is SiglipImageProcessor's rescale and normalisation: 1/255, then mean and std 0.5.
var halfMeanStd = imageproc.RescaleNormalize{
	DoRescale: true, RescaleFactor: 1.0 / 255, DoNormalize: true, ImageMean: []float64{0.5, 0.5, 0.5}, ImageStd: []float64{0.5, 0.5, 0.5},
}

// TestImageProcessorConfigFixtures: both fixture files as written, including SigLIP2's "do_convert_rgb": null.
func TestImageProcessorConfigFixtures(t *testing.T) {
	for ckpt, want := range map[string]ImageProcessorConfig{
		"siglip-tiny": {ImageProcessorType: "SiglipImageProcessor", DoResize: true, Size: SizeDict{224, 224}, Resample: 3,
			RescaleNormalize: halfMeanStd},
		"siglip2-tiny": {ImageProcessorType: "SiglipImageProcessor", DoResize: true, Size: SizeDict{112, 112}, Resample: 2,
			RescaleNormalize: halfMeanStd},
	} {
		got, err := LoadImageProcessorConfig(filepath.Join(fixturesDir, ckpt, "preprocessor_config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", ckpt, *got, want)
		}
	}
}

// TestImageProcessorConfigDefaults: an empty file gives SiglipImageProcessor's defaults (bicubic 224x224, mean and
// std 0.5), not CLIPImageProcessor's; the other accepted spellings of size, mean and std.
func TestImageProcessorConfigDefaults(t *testing.T) {
	parse := func(s string) ImageProcessorConfig {
		t.Helper()
		cfg := DefaultImageProcessorConfig()
		if err := json.Unmarshal([]byte(s), &cfg); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return cfg
	}
	if got, want := parse(`{}`), DefaultImageProcessorConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("{}: %+v, want %+v", got, want)
	}
	if d := DefaultImageProcessorConfig(); d.Size != (SizeDict{224, 224}) || resample.Filter(d.Resample) != resample.Bicubic ||
		d.ImageMean[1] != 0.5 || d.ImageStd[2] != 0.5 || d.RescaleFactor != 1.0/255 {
		t.Errorf("defaults %+v", d)
	}
	if got := parse(`{"size":[384,384],"image_mean":0.5,"image_std":[0.5,0.5,0.5],"resample":null,"size_divisor":null}`); got.Size != (SizeDict{384, 384}) ||
		len(got.ImageMean) != 3 || got.Resample != 3 {
		t.Errorf("list size, scalar mean: %+v", got)
	}
}

func TestImageProcessorConfigErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"resample": 1}`, "resample = 1 (lanczos) is not supported; supported: 2 (bilinear), 3 (bicubic)"},
		{`{"resample": 0}`, "resample = 0 (nearest)"},
		{`{"resample": 9}`, "resample = 9 (unknown filter 9)"},
		{`{"resample": "bicubic"}`, "resample: want a PIL filter number"},
		{`{"size": 224}`, `size: a single number (224) means {"shortest_edge": 224}`},
		{`{"size": {"shortest_edge": 224}}`, "size: shortest_edge is not read by SiglipImageProcessor"},
		{`{"size": {"height": 224}}`, `size: has no "width"`},
		{`{"size": {"height": 224, "width": 2.5}}`, "size: width: 2.5 is not a usable size"},
		{`{"size": [224]}`, "size: a list must be [height, width]"},
		{`{"size": "big"}`, `size: want {"height": N, "width": N}`},
		{`{"size": {"height": 224, "width": 256}}`, "size 224x256 (height x width) is not square"},
		{`{"do_resize": false}`, "do_resize is false"},
		{`{"do_resize": "yes"}`, "do_resize"},
		{`{"image_mean": [0.5, 0.5]}`, "image_mean and image_std need 3 values"},
		{`{"image_std": [0.5, 0, 0.5]}`, "image_std [0.5 0 0.5] contains 0"},
		{`{"image_std": "half"}`, "image_std: want a number or a list of 3 numbers"},
	} {
		path := filepath.Join(t.TempDir(), "preprocessor_config.json")
		if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadImageProcessorConfig(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.json, err, tc.want)
		}
	}
}
