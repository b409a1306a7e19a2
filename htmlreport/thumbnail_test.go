package htmlreport

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"
)

const fixtures = "../testdata/fixtures/images"

// TestThumbnailFormats: a thumbnail of every format imagefile decodes is a JPEG no larger than asked, upright,
// with the image's proportions; small images keep their size.
func TestThumbnailFormats(t *testing.T) {
	tiffPath := filepath.Join(t.TempDir(), "made.tiff")
	var b bytes.Buffer
	if err := tiff.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 300, 150)), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tiffPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		w, h int // at size 128
	}{
		{"01_gradient_300x200.jpg", 128, 85},
		{"02_shapes_640x480.png", 128, 96},
		{"03_gray_100x150.png", 85, 128},
		{"04_rgba_transparent_200x160.png", 128, 102},
		{"05_palette_2frames_180x120.gif", 128, 85},
		{"06_exif_orientation6_320x200.jpg", 80, 128}, // stored 320x200, shown upright
		{"07_tiny_10x12.png", 10, 12},                 // not enlarged
		{"08_wide_1000x50.png", 128, 6},
		{"09_checker_150x100.bmp", 128, 85},
		{"10_lossless_160x120.webp", 128, 96},
		{"11_cmyk_240x180.jpg", 128, 96},
		{"14_astronaut_512x512.jpg", 128, 128},
		{tiffPath, 128, 64},
	} {
		path := tc.path
		if !filepath.IsAbs(path) {
			path = filepath.Join(fixtures, path)
		}
		data, err := Thumbnail(path, 128)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: the thumbnail is not a JPEG: %v", filepath.Base(path), err)
			continue
		}
		if got := m.Bounds().Size(); got != image.Pt(tc.w, tc.h) {
			t.Errorf("%s: thumbnail %v, want %dx%d", filepath.Base(path), got, tc.w, tc.h)
		}
	}
}

// TestThumbnailBroken: files that are not images, or are damaged, give imagefile's error and no bytes.
func TestThumbnailBroken(t *testing.T) {
	dir := t.TempDir()
	jpg, err := os.ReadFile(filepath.Join(fixtures, "13_coffee_512x341.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"half.jpg":  jpg[:len(jpg)/2],
		"empty.png": nil,
		"text.jpg":  []byte("<html>not an image</html>"),
		"head.jpg":  jpg[:200],
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files["missing.jpg"] = nil
	for name := range files {
		data, err := Thumbnail(filepath.Join(dir, name), 128)
		var ie *imagefile.Error
		if !errors.As(err, &ie) || data != nil {
			t.Errorf("%s: %d bytes, error %v; want no bytes and an *imagefile.Error", name, len(data), err)
		}
	}
}

// TestThumbnails: results in the order of the paths, errors where they belong, progress after each image,
// and the paths not started once the context is cancelled get its error.
func TestThumbnails(t *testing.T) {
	paths := []string{
		filepath.Join(fixtures, "01_gradient_300x200.jpg"),
		filepath.Join(fixtures, "missing.jpg"),
		filepath.Join(fixtures, "02_shapes_640x480.png"),
		filepath.Join(fixtures, "07_tiny_10x12.png"),
	}
	var calls []int
	thumbs, errs := Thumbnails(context.Background(), paths, 32, 3, func(done, total int) {
		if total != len(paths) {
			t.Errorf("progress total %d", total)
		}
		calls = append(calls, done)
	})
	if len(calls) != 4 || calls[3] != 4 {
		t.Errorf("progress calls %v", calls)
	}
	for i, p := range paths {
		wantErr := i == 1
		if (errs[i] != nil) != wantErr || (thumbs[i] == nil) != wantErr {
			t.Errorf("%s: %d bytes, error %v", filepath.Base(p), len(thumbs[i]), errs[i])
		}
	}
	single, _ := Thumbnail(paths[3], 32)
	if !bytes.Equal(single, thumbs[3]) {
		t.Error("Thumbnails and Thumbnail differ")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, errs = Thumbnails(ctx, paths, 32, 2, nil)
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel, %s: %v", filepath.Base(paths[i]), err)
		}
	}
	if thumbs, errs := Thumbnails(context.Background(), nil, 32, 0, nil); len(thumbs) != 0 || len(errs) != 0 {
		t.Error("no paths, yet results")
	}
}

// TestShrinkLooksLikeCatmullRom: the thumbnail's pixels are what a bicubic (Catmull-Rom) scaling gives, opaque, to
// within a few levels on average (the two bicubic kernels differ in their support and rounding, not in the picture).
func TestShrinkLooksLikeCatmullRom(t *testing.T) {
	img, err := imagefile.Load(filepath.Join(fixtures, "14_astronaut_512x512.jpg"), imagefile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := shrink(img, 100)
	want := image.NewRGBA(image.Rect(0, 0, 100, 100))
	draw.CatmullRom.Scale(want, want.Rect, img, img.Rect, draw.Src, nil)
	if got.Rect != want.Rect {
		t.Fatalf("size %v, want %v", got.Rect, want.Rect)
	}
	var sum float64
	for i := range got.Pix {
		if i%4 == 3 {
			if got.Pix[i] != 0xff {
				t.Fatalf("alpha %d at byte %d, want opaque", got.Pix[i], i)
			}
			continue
		}
		sum += math.Abs(float64(got.Pix[i]) - float64(want.Pix[i]))
	}
	if mean := sum / float64(len(got.Pix)*3/4); mean > 3 {
		t.Errorf("mean difference from Catmull-Rom %.2f levels, want <= 3", mean)
	} else {
		t.Logf("mean difference from Catmull-Rom %.2f levels", mean)
	}
}
