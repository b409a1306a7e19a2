// Tests of preprocessor_config.json reading (Hugging Face CLIPImageProcessor.__init__ and
// get_size_dict): both styles, defaults, and the settings that are refused.

package clip

import (
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/imageproc"
)

func writeProcessorConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "preprocessor_config.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImageProcessorConfigFixtures(t *testing.T) {
	// clip-tiny: the old style of openai/clip-vit-base-patch32 ("size": 224, "crop_size": 224,
	// no do_rescale / rescale_factor / do_convert_rgb).
	old, err := LoadImageProcessorConfig(filepath.Join(fixturesDir, "clip-tiny", "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultImageProcessorConfig()
	want.FeatureExtractorType = "CLIPFeatureExtractor"
	if !reflect.DeepEqual(*old, want) {
		t.Errorf("clip-tiny config:\n got %+v\nwant %+v", *old, want)
	}

	// clip-tiny-gelu-f16: the new style with dictionaries.
	cfg, err := LoadImageProcessorConfig(filepath.Join(fixturesDir, "clip-tiny-gelu-f16", "preprocessor_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want = DefaultImageProcessorConfig()
	want.ImageProcessorType = "CLIPImageProcessor"
	want.Size = SizeDict{ShortestEdge: 64}
	want.CropSize = SizeDict{Height: 64, Width: 64}
	want.RescaleFactor = 0.00392156862745098
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("clip-tiny-gelu-f16 config:\n got %+v\nwant %+v", *cfg, want)
	}
	if want.RescaleFactor != 1.0/255 {
		t.Errorf("rescale_factor 0.00392156862745098 parsed as %v, not 1/255", want.RescaleFactor)
	}
}

func TestImageProcessorConfigDefaults(t *testing.T) {
	cfg, err := LoadImageProcessorConfig(writeProcessorConfig(t, `{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := ImageProcessorConfig{
		DoResize: true, Size: SizeDict{ShortestEdge: 224}, Resample: 3,
		DoCenterCrop: true, CropSize: SizeDict{Height: 224, Width: 224},
		RescaleNormalize: imageproc.RescaleNormalize{
			DoRescale: true, RescaleFactor: 1.0 / 255,
			DoNormalize: true,
			ImageMean:   []float64{0.48145466, 0.4578275, 0.40821073},
			ImageStd:    []float64{0.26862954, 0.26130258, 0.27577711},
		},
		DoConvertRGB: true,
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *cfg, want)
	}
	// null means "use the default", as None does in Python.
	cfg, err = LoadImageProcessorConfig(writeProcessorConfig(t, `{"size": null, "crop_size": null, "image_mean": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("nulls:\n got %+v\nwant %+v", *cfg, want)
	}
}

func TestImageProcessorConfigForms(t *testing.T) {
	for _, tc := range []struct {
		body       string
		size, crop SizeDict
		mean       []float64
	}{
		{`{"size": 336, "crop_size": 336}`, SizeDict{ShortestEdge: 336}, SizeDict{Height: 336, Width: 336}, openAIClipMean},
		{`{"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64}}`, SizeDict{ShortestEdge: 64}, SizeDict{Height: 64, Width: 64}, openAIClipMean},
		{`{"size": {"height": 64, "width": 64}, "do_center_crop": false}`, SizeDict{Height: 64, Width: 64}, SizeDict{Height: 224, Width: 224}, openAIClipMean},
		{`{"size": [32, 32], "crop_size": [32, 32]}`, SizeDict{Height: 32, Width: 32}, SizeDict{Height: 32, Width: 32}, openAIClipMean},
		{`{"size": {"shortest_edge": 224, "longest_edge": 1000}}`, SizeDict{ShortestEdge: 224, LongestEdge: 1000}, SizeDict{Height: 224, Width: 224}, openAIClipMean},
		{`{"image_mean": 0.5, "image_std": [0.5, 0.5, 0.5]}`, SizeDict{ShortestEdge: 224}, SizeDict{Height: 224, Width: 224}, []float64{0.5, 0.5, 0.5}},
	} {
		cfg, err := LoadImageProcessorConfig(writeProcessorConfig(t, tc.body))
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		if cfg.Size != tc.size || cfg.CropSize != tc.crop || !reflect.DeepEqual(cfg.ImageMean, tc.mean) {
			t.Errorf("%s: size %+v crop %+v mean %v, want %+v %+v %v", tc.body, cfg.Size, cfg.CropSize, cfg.ImageMean, tc.size, tc.crop, tc.mean)
		}
	}
}

// TestImageProcessorSquashResize checks {"height", "width"} without a crop: the image is resized
// to exactly that size, ignoring its aspect ratio, as CLIPImageProcessor.resize does.
func TestImageProcessorSquashResize(t *testing.T) {
	cfg, err := LoadImageProcessorConfig(writeProcessorConfig(t, `{"size": {"height": 64, "width": 64}, "do_center_crop": false}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewImageProcessor(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageSize() != 64 {
		t.Errorf("ImageSize() = %d, want 64", p.ImageSize())
	}
	if w, h := p.resizedSize(640, 480); w != 64 || h != 64 {
		t.Errorf("640x480 resized to %dx%d, want 64x64", w, h)
	}
	if got := p.cropRect(64, 64); got != image64 {
		t.Errorf("crop %v, want %v", got, image64)
	}
}

var image64 = image.Rect(0, 0, 64, 64)

func TestImageProcessorConfigErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"resample": 2}`, "resample = 2 (bilinear) is not supported: only 3 (bicubic"},
		{`{"resample": 1}`, "resample = 1 (lanczos)"},
		{`{"resample": 9}`, "resample = 9 (unknown)"},
		{`{"crop_size": {"height": 224, "width": 200}}`, "not square"},
		{`{"do_center_crop": false}`, "would not all have the same size"},
		{`{"size": {"longest_edge": 224}}`, "want shortest_edge, or height and width"},
		{`{"size": {"shortest_edge": 224, "colour": 1}}`, "size: want a number or an object"},
		{`{"size": 22.5}`, "22.5 is not a usable size"},
		{`{"size": [1, 2, 3]}`, "[height, width]"},
		{`{"image_mean": [0.5, 0.5]}`, "need 3 values"},
		{`{"image_std": [0.5, 0, 0.5]}`, "contains 0"},
		{`{"do_resize": "yes"}`, "do_resize"},
		{`not json`, "parsing"},
	} {
		_, err := LoadImageProcessorConfig(writeProcessorConfig(t, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.body, err, tc.want)
		}
	}
	if _, err := LoadImageProcessorConfig(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
	if _, err := LoadImageProcessor(t.TempDir()); err == nil || !strings.Contains(err.Error(), "preprocessor_config.json") {
		t.Errorf("checkpoint without preprocessor_config.json: error %v", err)
	}
}
