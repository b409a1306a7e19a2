package htmlreport

// Measurements behind ThumbnailSize and ThumbnailQuality (README.md records the numbers):
//
//	go test ./htmlreport -run '^$' -bench Thumbnail -benchtime 200x      # ms per image, with and without DCT scaling
//	go test ./htmlreport -run TestThumbnailBytes -v -photos DIR          # bytes per thumbnail by size and quality
//	go test ./htmlreport -run TestSampleReport -sample-report DIR -sample-items 10000   # a report to open in Chromium
//
// The photos are those of -photos (default /tmp/sorter-bench/photos-200, made by scripts/bench.sh, else
// samples/photos).

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

var (
	photosDir    = flag.String("photos", "", "folder of photos for the measurements (default /tmp/sorter-bench/photos-200, else samples/photos)")
	sampleReport = flag.String("sample-report", "", "TestSampleReport: write report.html and output.csv into this folder")
	sampleItems  = flag.Int("sample-items", 1000, "TestSampleReport: number of images in the report")
)

func benchPhotos(t testing.TB) []string {
	t.Helper()
	dirs := []string{*photosDir}
	if *photosDir == "" {
		dirs = []string{"/tmp/sorter-bench/photos-200", "../samples/photos"}
	}
	for _, d := range dirs {
		var paths []string
		for _, pat := range []string{"*.jpg", "*.png"} {
			m, _ := filepath.Glob(filepath.Join(d, pat))
			paths = append(paths, m...)
		}
		if len(paths) > 0 {
			slices.Sort(paths)
			return paths
		}
	}
	t.Skipf("no photos in %v", dirs)
	return nil
}

// BenchmarkThumbnail: Thumbnail as it is (DCT-scaled JPEG decode) against a full decode and the same resize,
// on the JPEGs and on the PNGs of the photos.
func BenchmarkThumbnail(b *testing.B) {
	paths := benchPhotos(b)
	b.Logf("JPEG decoder: %s", imagefile.JPEGDecoder())
	full := func(path string) error {
		img, err := imagefile.Load(path, imagefile.Options{})
		if err != nil {
			return err
		}
		return jpeg.Encode(&bytes.Buffer{}, shrink(img, ThumbnailSize), &jpeg.Options{Quality: ThumbnailQuality})
	}
	scaled := func(path string) error {
		_, err := Thumbnail(path, ThumbnailSize)
		return err
	}
	for _, ext := range []string{".jpg", ".png"} {
		var some []string
		for _, p := range paths {
			if filepath.Ext(p) == ext {
				some = append(some, p)
			}
		}
		if len(some) == 0 {
			continue
		}
		for _, way := range []struct {
			name string
			fn   func(string) error
		}{{"scaled", scaled}, {"full", full}} {
			b.Run(fmt.Sprintf("%s-%d/%s", ext[1:], len(some), way.name), func(b *testing.B) {
				cpu := cpuTime()
				for i := range b.N {
					if err := way.fn(some[i%len(some)]); err != nil {
						b.Fatal(err)
					}
				}
				// The machine may be shared: CPU time per image is steadier than wall time.
				b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// TestThumbnailBytes logs the mean thumbnail size by longest side and JPEG quality.
func TestThumbnailBytes(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("a measurement: run with -v")
	}
	paths := benchPhotos(t)
	for _, size := range []int{96, 128, 160} {
		var line []string
		for _, q := range []int{50, 60, 70, 80, 90} {
			total := 0
			for _, p := range paths {
				img, err := imagefile.LoadAtLeast(p, size, imagefile.Options{})
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := jpeg.Encode(&b, shrink(img, size), &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				total += b.Len()
			}
			line = append(line, fmt.Sprintf("q%d %5d B", q, total/len(paths)))
		}
		t.Logf("%d px: %s", size, strings.Join(line, ", "))
	}
}

// TestSampleReport writes a sort report of -sample-items images (the photos again and again, in four label
// folders, with an error and a skipped file) and its output.csv, for scripts/test-report-browser.sh.
func TestSampleReport(t *testing.T) {
	if *sampleReport == "" {
		t.Skip("writes a report only when -sample-report DIR is given")
	}
	paths := benchPhotos(t)
	start := time.Now()
	thumbs, errs := Thumbnails(t.Context(), paths, ThumbnailSize, 0, nil)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", paths[i], err)
		}
	}
	t.Logf("%d thumbnails in %v", len(paths), time.Since(start))
	labels := []string{"a photo of a cat", "a photo of a rocket", "a picture of text", "unsorted"}
	r := Report{Title: fmt.Sprintf("Sorted %d images", *sampleItems), Kind: "sort", Created: time.Now(),
		Settings: []Field{{"Model", "openai/clip-vit-base-patch32"}, {"Revision", "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268"},
			{"Template", "a photo of {}"}, {"Labels", strings.Join(labels[:3], ", ")}, {"Source", filepath.Dir(paths[0])}}}
	secs := make([]Section, len(labels))
	for i, l := range labels {
		secs[i] = Section{ID: l, Title: l}
	}
	rows := [][]string{{"image_name", "label", "score", "folder", "source_path"}}
	for i := range *sampleItems {
		p := paths[i%len(paths)]
		name := fmt.Sprintf("%05d-%s", i, filepath.Base(p))
		s := &secs[i%len(secs)]
		score := fmt.Sprintf("%.2f", 0.99-float64(i%90)/100)
		s.Items = append(s.Items, Item{Name: name, Path: filepath.Join("/source", name), Href: "./" + s.ID + "/" + name,
			Caption: s.ID, Score: score, Size: 123456, Width: 1280, Height: 960, Thumb: thumbs[i%len(paths)]})
		rows = append(rows, []string{name, s.ID, score, s.ID, filepath.Join("/source", name)})
	}
	r.Sections = secs
	r.Errors = []Problem{{Path: "/source/broken.jpg", Reason: "JPEG file is truncated", Kind: "corrupt"}}
	r.Skipped = []Problem{{Path: "/source/notes.txt", Reason: "not an image", Kind: "not an image"}}
	r.Summary = []Field{{"Images", fmt.Sprint(*sampleItems)}, {"Could not be read", "1"}, {"Skipped", "1"}}
	if err := os.MkdirAll(*sampleReport, 0o755); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(*sampleReport, "report.html")
	start = time.Now()
	if err := WriteFile(html, r); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(html)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes (%.1f MB), written in %v", html, st.Size(), float64(st.Size())/1e6, time.Since(start))
	f, err := os.Create(filepath.Join(*sampleReport, "output.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := f.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
}
