// Per-stage timings of preprocessing on real photos (the JPEGs of $SORTER_BENCH_PHOTOS or
// /tmp/jpegbench, see benchPhotos), reported as milliseconds per photo. Run on one core:
//
//	GOEXPERIMENT=simd GOMAXPROCS=1 taskset -c 0 go test -run - -bench PreprocessPhotoStages -benchtime 3x -count 3 ./models/clip/
//
// With SORTER_TURBOJPEG=off the decode stages use Go's image/jpeg (imagefile/jpegturbo.go).

package clip

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// benchPhotos are the JPEGs of $SORTER_BENCH_PHOTOS or /tmp/jpegbench (made with
// shared/bench/make_photo_set.py, for example `make_photo_set.py /tmp/jpegbench 40 7 shared/samples`).
func benchPhotos(b *testing.B) []string {
	dir := os.Getenv("SORTER_BENCH_PHOTOS")
	if dir == "" {
		dir = "/tmp/jpegbench"
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(files) == 0 {
		b.Skipf("no *.jpg in %s (set SORTER_BENCH_PHOTOS, or make them with shared/bench/make_photo_set.py)", dir)
	}
	slices.Sort(files)
	return files
}

// BenchmarkPreprocessPhotoStages: one op is one pass over every photo of the set; "ms/photo" is
// the time of the stage per photo. decode is the JPEG decoder (libjpeg-turbo when loaded);
// preprocess is resize + center crop + rescale/normalise into CHW float32 (Preprocess); resize is
// only the resize of the kept 224x224 region. models/resample's BenchmarkResize compares its vector
// kernels with the scalar fallback.
func BenchmarkPreprocessPhotoStages(b *testing.B) {
	files := benchPhotos(b)
	p, err := NewImageProcessor(DefaultImageProcessorConfig())
	if err != nil {
		b.Fatal(err)
	}
	perPhoto := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N*len(files)), "ms/photo")
		b.ReportMetric(0, "ns/op")
	}
	for _, dc := range []struct {
		name string
		opts imagefile.Options
	}{
		{"decode", imagefile.Options{}},
		{"decode-draft448", imagefile.Options{JPEGDraftShortSide: 448}}, // libjpeg-turbo only
		{"decode-draft224", imagefile.Options{JPEGDraftShortSide: 224}},
	} {
		b.Run(dc.name, func(b *testing.B) {
			for b.Loop() {
				for _, f := range files {
					if _, err := imagefile.Load(f, dc.opts); err != nil {
						b.Fatal(err)
					}
				}
			}
			perPhoto(b)
		})
	}
	imgs := make([]*image.RGBA, len(files))
	for i, f := range files {
		if imgs[i], err = imagefile.Load(f, imagefile.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("preprocess", func(b *testing.B) {
		out := make([]float32, 3*p.size*p.size)
		for b.Loop() {
			for _, m := range imgs {
				p.preprocessInto(out, m)
			}
		}
		perPhoto(b)
	})
	b.Run("resize", func(b *testing.B) {
		for b.Loop() {
			for _, m := range imgs {
				rw, rh := p.resizedSize(m.Rect.Dx(), m.Rect.Dy())
				resample.Region(m, rw, rh, p.cropRect(rw, rh), resample.Filter(p.Config.Resample), func(int, []uint8) {})
			}
		}
		perPhoto(b)
	})
}
