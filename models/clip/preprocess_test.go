// Tests of CLIPImageProcessor preprocessing against the reference pixel_values in
// testdata/fixtures/*/golden.safetensors (computed with Hugging Face's PIL-based
// CLIPImageProcessor and Pillow 9.4; never rewritten here).

package clip

import (
	"image"
	"math"
	"math/rand"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
)

func TestPreprocessGolden(t *testing.T) {
	for _, ckpt := range checkpoints {
		t.Run(ckpt, func(t *testing.T) {
			g := loadGolden(t, ckpt)
			p, err := LoadImageProcessor(filepath.Join(fixturesDir, ckpt))
			if err != nil {
				t.Fatal(err)
			}
			s := g.Size
			if p.ImageSize() != s {
				t.Fatalf("ImageSize() = %d, golden pixel_values are %dx%d", p.ImageSize(), s, s)
			}
			t.Logf("JPEG decoder: %s", imagefile.JPEGDecoder())
			for i, im := range g.Images {
				path := filepath.Join(fixturesDir, ckpt, g.ImageDir, im.File)

				// Geometry: size after EXIF, resized size, crop offsets.
				img, err := imagefile.Load(path, imagefile.Options{})
				if err != nil {
					t.Errorf("%s: %v", im.File, err)
					continue
				}
				w, h := img.Rect.Dx(), img.Rect.Dy()
				if len(im.SizeAfterExif) == 2 && (w != im.SizeAfterExif[0] || h != im.SizeAfterExif[1]) {
					t.Errorf("%s: decoded %dx%d, golden size after EXIF transpose %v", im.File, w, h, im.SizeAfterExif)
				}
				rw, rh := p.resizedSize(w, h)
				if len(im.ResizedSizeWH) == 2 && (rw != im.ResizedSizeWH[0] || rh != im.ResizedSizeWH[1]) {
					t.Errorf("%s: resized to %dx%d, golden %v", im.File, rw, rh, im.ResizedSizeWH)
				}
				crop := p.cropRect(rw, rh)
				if len(im.CropLeftTop) == 2 && (crop.Min.X != im.CropLeftTop[0] || crop.Min.Y != im.CropLeftTop[1]) {
					t.Errorf("%s: crop at left %d top %d, golden %v", im.File, crop.Min.X, crop.Min.Y, im.CropLeftTop)
				}

				got, err := p.PreprocessFile(path)
				if err != nil {
					t.Errorf("%s: %v", im.File, err)
					continue
				}
				goldentest.CheckPixels(t, im, got, g.Pixels[i], s)
			}
		})
	}
}

// TestPreprocessFromGoldenPixels re-creates the 8-bit crops from the golden pixel_values
// (round((x*std + mean)*255) is exact, README) and checks that rescale + normalise reproduce
// the golden values bit for bit when resize and crop are identities.
func TestPreprocessFromGoldenPixels(t *testing.T) {
	for _, ckpt := range checkpoints {
		t.Run(ckpt, func(t *testing.T) {
			g := loadGolden(t, ckpt)
			want, shape := g.PixelsFlat, g.PixelShape
			p, err := LoadImageProcessor(filepath.Join(fixturesDir, ckpt))
			if err != nil {
				t.Fatal(err)
			}
			s := shape[2]
			per := 3 * s * s
			mean, std := p.Config.ImageMean, p.Config.ImageStd
			for i := range g.Images {
				ref := want[i*per : (i+1)*per]
				img := image.NewRGBA(image.Rect(0, 0, s, s))
				for c := range 3 {
					for j := range s * s {
						v := math.Round((float64(ref[c*s*s+j])*float64(float32(std[c])) + float64(float32(mean[c]))) * 255)
						img.Pix[4*j+c] = uint8(v)
					}
				}
				got := p.Preprocess(img)
				if d, c, y, x := goldentest.LargestPixelDiff(got, ref, s); d != 0 {
					t.Errorf("%s: max |diff| %g at channel %d, y %d, x %d", g.Images[i].File, d, c, y, x)
				}
			}
		})
	}
}

func TestPreprocessCropFloor(t *testing.T) {
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w, h        int
		rw, rh      int
		left, top   int
		explanation string
	}{
		{640, 480, 298, 224, 37, 0, "298.67 truncated, (298-224)//2"},
		{512, 342, 335, 224, 55, 0, "111/2 floored, not rounded to 56"},
		{10, 12, 224, 268, 0, 22, "upsampling, 268.8 truncated"},
		{1000, 50, 4480, 224, 2128, 0, "20:1"},
		{100, 150, 224, 336, 0, 56, "portrait"},
		{512, 512, 224, 224, 0, 0, "square"},
		{224, 224, 224, 224, 0, 0, "unchanged"},
	} {
		rw, rh := p.resizedSize(tc.w, tc.h)
		r := p.cropRect(rw, rh)
		if rw != tc.rw || rh != tc.rh || r.Min.X != tc.left || r.Min.Y != tc.top || r.Dx() != 224 || r.Dy() != 224 {
			t.Errorf("%dx%d (%s): resized %dx%d crop %v, want %dx%d at left %d top %d",
				tc.w, tc.h, tc.explanation, rw, rh, r, tc.rw, tc.rh, tc.left, tc.top)
		}
	}
	// floor division of negative numbers (crop larger than the image: padding)
	for _, tc := range [][3]int{{7, 2, 3}, {-7, 2, -4}, {-1, 2, -1}, {-8, 2, -4}, {0, 2, 0}} {
		if got := floorDiv(tc[0], tc[1]); got != tc[2] {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
}

// TestPreprocessPadding covers center_crop's zero padding (crop larger than the image), which the
// golden fixtures never reach: Hugging Face pads with 0 before rescale and normalise, placing the
// image at ceil((crop - size) / 2).
func TestPreprocessPadding(t *testing.T) {
	cfg := DefaultImageProcessorConfig()
	cfg.DoResize = false
	cfg.CropSize = SizeDict{Height: 4, Width: 4}
	p, err := NewImageProcessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 3, 1)) // 3 wide, 1 high
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	got := p.Preprocess(img)
	// numpy: top = (1-4)//2 = -2 -> pad top ceil(3/2) = 2; left = (3-4)//2 = -1 -> pad left 1.
	for c := range 3 {
		for y := range 4 {
			for x := range 4 {
				want := p.table[c][0]
				if y == 2 && x >= 1 {
					want = p.table[c][200]
				}
				if v := got[c*16+y*4+x]; v != want {
					t.Errorf("channel %d y %d x %d = %v, want %v", c, y, x, v, want)
				}
			}
		}
	}
}

// TestPreprocessEmptyImage: an image without pixels gives the padding value everywhere rather
// than a panic (Python would raise ZeroDivisionError; decoders never return one).
func TestPreprocessEmptyImage(t *testing.T) {
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := p.Preprocess(image.NewRGBA(image.Rectangle{}))
	if len(got) != 3*224*224 || got[0] != p.table[0][0] || got[len(got)-1] != p.table[2][0] {
		t.Errorf("empty image: %d values, first %v", len(got), got[0])
	}
}

// TestPreprocessExtremeAspect: a 1x5000 strip is resized to 224x1120000 in Hugging Face; only the
// cropped 224x224 is computed here, so this is quick and small.
func TestPreprocessExtremeAspect(t *testing.T) {
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1, 5000))
	rand.New(rand.NewSource(6)).Read(img.Pix)
	if w, h := p.resizedSize(1, 5000); w != 224 || h != 1120000 {
		t.Fatalf("resized to %dx%d", w, h)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := p.Preprocess(img)
	runtime.ReadMemStats(&after)
	if len(got) != 3*224*224 {
		t.Fatalf("%d values", len(got))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("preprocessing allocated %d bytes", n)
	}
}

func TestPreprocessFingerprint(t *testing.T) {
	a, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadImageProcessor(filepath.Join(fixturesDir, "clip-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("defaults and clip-tiny (same settings) differ: %s vs %s", a.Fingerprint(), b.Fingerprint())
	}
	if fp := a.Fingerprint(); len(fp) > 24 || len(fp) < 8 {
		t.Errorf("Fingerprint %q: want a short string", fp)
	}
	seen := map[string]string{a.Fingerprint(): "defaults"}
	for name, change := range map[string]func(*ImageProcessorConfig){
		"shortest_edge": func(c *ImageProcessorConfig) { c.Size.ShortestEdge = 225 },
		"crop":          func(c *ImageProcessorConfig) { c.DoCenterCrop = false; c.Size = SizeDict{Height: 224, Width: 224} },
		"mean":          func(c *ImageProcessorConfig) { c.ImageMean = []float64{0.5, 0.5, 0.5} },
		"std":           func(c *ImageProcessorConfig) { c.ImageStd = []float64{0.5, 0.26130258, 0.27577711} },
		"rescale":       func(c *ImageProcessorConfig) { c.RescaleFactor = 1.0 / 256 },
		"no rescale":    func(c *ImageProcessorConfig) { c.DoRescale = false },
		"no normalize":  func(c *ImageProcessorConfig) { c.DoNormalize = false },
		"no resize":     func(c *ImageProcessorConfig) { c.DoResize = false },
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

func BenchmarkPreprocessFile(b *testing.B) {
	for _, ckpt := range checkpoints {
		b.Run(ckpt, func(b *testing.B) {
			p, err := LoadImageProcessor(filepath.Join(fixturesDir, ckpt))
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(fixturesDir, "images", "13_coffee_512x341.jpg")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.PreprocessFile(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPreprocessStages splits the time between decoding and preprocessing.
func BenchmarkPreprocessStages(b *testing.B) {
	path := filepath.Join(fixturesDir, "images", "13_coffee_512x341.jpg")
	p, err := LoadImageProcessor(filepath.Join(fixturesDir, "clip-tiny"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := imagefile.Load(path, imagefile.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	img, err := imagefile.Load(path, imagefile.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("preprocess", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.Preprocess(img)
		}
	})
}
