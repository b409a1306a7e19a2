package imageproc

import (
	"bytes"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// half is SiglipImageProcessor's rescale and normalisation: x/255, then (x - 0.5) / 0.5.
var half = RescaleNormalize{DoRescale: true, RescaleFactor: 1.0 / 255, DoNormalize: true,
	ImageMean: []float64{0.5, 0.5, 0.5}, ImageStd: []float64{0.5, 0.5, 0.5}}

// TestTable: the table is rescale in float64 then float32, normalise in float32, and either can be off.
func TestTable(t *testing.T) {
	tab := half.Table()
	if tab[0][0] != -1 || tab[1][255] != 1 || tab[2][51] != float32(float32(float32(51.0/255)-0.5)/0.5) {
		t.Errorf("0 -> %v, 255 -> %v, 51 -> %v", tab[0][0], tab[1][255], tab[2][51])
	}
	raw := RescaleNormalize{}.Table()
	if raw[0][7] != 7 || raw[2][255] != 255 {
		t.Errorf("without rescale and normalise: 7 -> %v, 255 -> %v", raw[0][7], raw[2][255])
	}
}

// TestPlanes: Fill writes what 0 becomes everywhere, Row writes R, G and B into their planes at (y, x).
func TestPlanes(t *testing.T) {
	tab := RescaleNormalize{}.Table()
	out := make([]float32, 3*2*2)
	tab.Fill(out)
	tab.Planes(out, 2).Row(1, 1, []uint8{10, 20, 30, 255})
	want := []float32{0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("planes %v, want %v", out, want)
	}
}

// TestFingerprint: stable for equal inputs; different for other settings or another table.
func TestFingerprint(t *testing.T) {
	a := Fingerprint(half.Table(), "v1|size=224", "")
	if a != Fingerprint(half.Table(), "v1|size=224", "") || !strings.HasPrefix(a, "pp-") || len(a) != 19 {
		t.Errorf("fingerprint %q", a)
	}
	other := half
	other.ImageStd = []float64{0.5, 0.25, 0.5}
	for _, b := range []string{
		Fingerprint(half.Table(), "v1|size=256", ""),
		Fingerprint(half.Table(), "v1|size=224", ",crop"),
		Fingerprint(other.Table(), "v1|size=224", ""),
	} {
		if b == a {
			t.Errorf("%q for other settings", b)
		}
	}
}

// config is a processor config embedding RescaleNormalize, as the families' are.
type config struct {
	Size int `json:"size"`
	RescaleNormalize
}

func (c *config) UnmarshalJSON(data []byte) error {
	type plain config
	aux := struct {
		*plain
		ImageMean json.RawMessage `json:"image_mean"`
		ImageStd  json.RawMessage `json:"image_std"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	return c.ReadMeanStd(aux.ImageMean, aux.ImageStd)
}

func (c *config) Validate() error { return c.RescaleNormalize.Validate() }

func TestLoadConfig(t *testing.T) {
	load := func(body string) (*config, error) {
		path := filepath.Join(t.TempDir(), "preprocessor_config.json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return LoadConfig(path, config{Size: 224, RescaleNormalize: half})
	}
	cfg, err := load(`{"image_mean": 0.25, "image_std": null, "do_rescale": false}`)
	if err != nil {
		t.Fatal(err)
	}
	want := config{Size: 224, RescaleNormalize: half}
	want.ImageMean, want.DoRescale = []float64{0.25, 0.25, 0.25}, false
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("got %+v, want %+v", *cfg, want)
	}
	for body, msg := range map[string]string{
		`{"image_mean": [0.5, 0.5]}`:                "image_mean and image_std need 3 values (R, G, B), got 2 and 3",
		`{"image_std": [0.5, 0, 0.5]}`:              "image_std [0.5 0 0.5] contains 0",
		`{"image_std": "half"}`:                     "image_std: want a number or a list of 3 numbers",
		`{"size": "big"}`:                           "parsing",
		`{"do_normalize": false, "image_std": [0]}`: "",
	} {
		_, err := load(body)
		if msg == "" && err != nil || msg != "" && (err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "preprocessor_config.json")) {
			t.Errorf("%s: err = %v, want one naming the file and containing %q", body, err, msg)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.json"), config{}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAbsent(t *testing.T) {
	for raw, want := range map[string]bool{"": true, "null": true, " null ": true, "0": false, "[]": false} {
		if got := Absent(json.RawMessage(raw)); got != want {
			t.Errorf("Absent(%q) = %v", raw, got)
		}
	}
}

// TestFileSeen: File hands seen the picture it preprocesses (the decoded file, upright), before preprocessing it.
func TestFileSeen(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "fixtures", "images", "06_exif_orientation6_320x200.jpg")
	want, err := imagefile.Load(path, imagefile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var seen *image.RGBA
	var given *image.RGBA
	pixels, err := File(path, imagefile.Options{}, func(img *image.RGBA) []float32 {
		given = img
		return []float32{1}
	}, func(img *image.RGBA) {
		if given != nil {
			t.Error("seen after preprocess")
		}
		seen = img
	})
	if err != nil || len(pixels) != 1 {
		t.Fatalf("File: %v, %v", pixels, err)
	}
	if seen == nil || seen != given || seen.Rect != want.Rect || !bytes.Equal(seen.Pix, want.Pix) {
		t.Errorf("seen is not the decoded picture (%v) that was preprocessed", want.Bounds())
	}
	if _, err := File(filepath.Join(t.TempDir(), "missing.png"), imagefile.Options{}, func(*image.RGBA) []float32 { return nil },
		func(*image.RGBA) { t.Error("seen called for a file that could not be decoded") }); err == nil {
		t.Error("no error for a missing file")
	}
}
