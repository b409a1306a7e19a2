// Tests of SiglipImageProcessor preprocessing against the reference pixel_values in
// testdata/fixtures/siglip*-tiny/golden.safetensors (computed with Hugging Face's PIL-based SiglipImageProcessor
// and Pillow 9.4; never rewritten here): bicubic for siglip-tiny, bilinear for siglip2-tiny.

package siglip

import (
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

func TestPreprocessGolden(t *testing.T) {
	t.Logf("JPEG decoder: %s", imagefile.JPEGDecoder())
	for _, ckpt := range fixtureCheckpoints {
		t.Run(ckpt, func(t *testing.T) {
			g := loadModelGoldens(t, ckpt)
			p, err := LoadImageProcessor(g.Dir)
			if err != nil {
				t.Fatal(err)
			}
			s := g.Size
			if p.ImageSize() != s {
				t.Fatalf("ImageSize() = %d, golden pixel_values are %dx%d", p.ImageSize(), s, s)
			}
			want := map[string]resample.Filter{"siglip-tiny": resample.Bicubic, "siglip2-tiny": resample.Bilinear}[ckpt]
			if p.Filter() != want {
				t.Errorf("filter %s, want %s", p.Filter(), want)
			}
			for i, im := range g.Images {
				if len(im.ResizedSizeWH) != 2 || im.ResizedSizeWH[0] != s || im.ResizedSizeWH[1] != s {
					t.Errorf("%s: golden resized size %v, want %dx%d (squashed, no crop)", im.File, im.ResizedSizeWH, s, s)
				}
				got, err := p.PreprocessFile(filepath.Join(g.Dir, g.ImageDir, im.File))
				if err != nil {
					t.Errorf("%s: %v", im.File, err)
					continue
				}
				goldentest.CheckPixels(t, im, got, g.Pixels[i], s)
			}
		})
	}
}

// TestPreprocessFromGoldenPixels re-creates the resized 8-bit images from the golden pixel_values
// (round((x + 1) * 127.5) is exact, README) and checks that rescale + normalise reproduce them bit for bit: a
// resize to the same size is a copy.
func TestPreprocessFromGoldenPixels(t *testing.T) {
	for _, ckpt := range fixtureCheckpoints {
		g := loadModelGoldens(t, ckpt)
		p, err := LoadImageProcessor(g.Dir)
		if err != nil {
			t.Fatal(err)
		}
		s := g.Size
		for i, ref := range g.Pixels {
			img := image.NewRGBA(image.Rect(0, 0, s, s))
			for c := range 3 {
				for j := range s * s {
					img.Pix[4*j+c] = uint8(math.Round((float64(ref[c*s*s+j]) + 1) * 127.5))
				}
			}
			if d, c, y, x := goldentest.LargestPixelDiff(p.Preprocess(img), ref, s); d != 0 {
				t.Errorf("%s %s: max |diff| %g at channel %d, y %d, x %d", ckpt, g.Images[i].File, d, c, y, x)
			}
		}
	}
}

// TestPreprocessSquashes: a 1000x50 strip fills the whole 224x224 output (no crop, no padding), and its top and
// bottom rows come from its own top and bottom rows.
func TestPreprocessSquashes(t *testing.T) {
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1000, 50))
	for y := range 50 {
		for x := range 1000 {
			v := uint8(0) // black top half, white bottom half
			if y >= 25 {
				v = 255
			}
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2] = v, v, v
		}
	}
	got := p.Preprocess(img)
	s := 224
	for _, tc := range []struct {
		y    int
		want float32
	}{{0, -1}, {10, -1}, {s - 10, 1}, {s - 1, 1}} {
		for c := range 3 {
			for _, x := range []int{0, s / 2, s - 1} {
				if v := got[c*s*s+tc.y*s+x]; v != tc.want {
					t.Errorf("channel %d y %d x %d = %v, want %v", c, tc.y, x, v, tc.want)
				}
			}
		}
	}
}

// TestPreprocessEmptyImage: an image without pixels gives black everywhere rather than a panic (Python would
// raise; decoders never return one).
func TestPreprocessEmptyImage(t *testing.T) {
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := p.Preprocess(image.NewRGBA(image.Rectangle{}))
	if len(got) != 3*224*224 || got[0] != -1 || got[len(got)-1] != -1 {
		t.Errorf("empty image: %d values, first %v, last %v", len(got), got[0], got[len(got)-1])
	}
}

// TestPreprocessFingerprint: the two fixtures' settings and every setting that changes pixel values give
// different fingerprints; equal settings give equal ones.
func TestPreprocessFingerprint(t *testing.T) {
	a, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadImageProcessor(filepath.Join(fixturesDir, "siglip-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("defaults and siglip-tiny (same settings) differ: %s vs %s", a.Fingerprint(), b.Fingerprint())
	}
	if fp := a.Fingerprint(); len(fp) > 24 || len(fp) < 8 {
		t.Errorf("Fingerprint %q: want a short string", fp)
	}
	v2, err := LoadImageProcessor(filepath.Join(fixturesDir, "siglip2-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{a.Fingerprint(): "defaults", v2.Fingerprint(): "siglip2-tiny"}
	if len(seen) != 2 {
		t.Errorf("siglip-tiny and siglip2-tiny have the same fingerprint")
	}
	for name, change := range map[string]func(*ImageProcessorConfig){
		"size":         func(c *ImageProcessorConfig) { c.Size = SizeDict{Height: 256, Width: 256} },
		"bilinear":     func(c *ImageProcessorConfig) { c.Resample = int(resample.Bilinear) },
		"mean":         func(c *ImageProcessorConfig) { c.ImageMean = []float64{0.48145466, 0.4578275, 0.40821073} },
		"std":          func(c *ImageProcessorConfig) { c.ImageStd = []float64{0.5, 0.25, 0.5} },
		"rescale":      func(c *ImageProcessorConfig) { c.RescaleFactor = 1.0 / 256 },
		"no rescale":   func(c *ImageProcessorConfig) { c.DoRescale = false },
		"no normalize": func(c *ImageProcessorConfig) { c.DoNormalize = false },
	} {
		cfg := DefaultImageProcessorConfig()
		change(&cfg)
		p, err := NewImageProcessor(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, dup := seen[p.Fingerprint()]; dup {
			t.Errorf("%s and %s have the same fingerprint %s", name, prev, p.Fingerprint())
		}
		seen[p.Fingerprint()] = name
	}
}
