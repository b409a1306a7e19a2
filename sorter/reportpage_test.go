package sorter

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// sections reads report.html's sections as "id:count" and counts its inline thumbnails.
func pageSections(t *testing.T, path string) (sections []string, thumbs int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`data-section="([^"]*)" data-count="(\d+)"`).FindAllStringSubmatch(string(data), -1) {
		sections = append(sections, m[1]+":"+m[2])
	}
	return sections, strings.Count(string(data), `src="data:image/jpeg;base64,`)
}

func TestReportPages(t *testing.T) {
	src := colourTree(t)
	m := newFake()
	o := testOptions(t, src, filepath.Join(t.TempDir(), "out"), "red", "green", "blue")
	s := runSort(t, m, o)
	if s.ReportFile != filepath.Join(o.Destination, ReportFile) && !strings.HasSuffix(s.ReportFile, ReportFile) {
		t.Fatalf("ReportFile %q", s.ReportFile)
	}
	sections, thumbs := pageSections(t, s.ReportFile)
	if got := strings.Join(sections, " "); got != "red:3 green:2 blue:3" || thumbs != 8 {
		t.Errorf("sort page: %s, %d thumbnails", got, thumbs)
	}
	// The thumbnails are now cached: a search's page reuses them (the images are not decoded for it).
	so := searchOptions(t, src, "red")
	so.Folder.CachePath = o.CachePath
	so.Top, so.CopyTo = 2, filepath.Join(t.TempDir(), "found")
	res, err := Search(context.Background(), m, so)
	if err != nil {
		t.Fatal(err)
	}
	sections, thumbs = pageSections(t, res.Report)
	if got := strings.Join(sections, " "); got != "results:2" || thumbs != 2 {
		t.Errorf("search page: %s, %d thumbnails", got, thumbs)
	}
	if _, err := os.Stat(strings.TrimSuffix(res.CSV, ".csv") + ".json"); err != nil {
		t.Errorf("search provenance: %v", err)
	}
	do := duplicatesOptions(t, src)
	do.Folder.CachePath = o.CachePath
	dres, err := Duplicates(context.Background(), m, do)
	if err != nil {
		t.Fatal(err)
	}
	sections, thumbs = pageSections(t, dres.Report)
	if got := strings.Join(sections, " "); got != "1:3 2:2 3:2" || thumbs != 7 {
		t.Errorf("duplicates page: %s, %d thumbnails", got, thumbs)
	}
}

// Thumbnails come from the cache once made: the second call needs no file.
func TestThumbnailCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	writeImage(t, path, "png", red, 1)
	sum, err := hashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := testFolder(t, dir)
	jobs := []thumbJob{{path: path, sum: sum}, {path: path, sum: sum}}
	c := openThumbCache(f, t.Logf)
	first := thumbnails(context.Background(), jobs, c, 2, nil)
	c.close()
	if first[0] == nil || first[1] == nil {
		t.Fatal("no thumbnail made")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	c = openThumbCache(f, t.Logf)
	defer c.close()
	second := thumbnails(context.Background(), jobs, c, 2, nil)
	if string(second[0]) != string(first[0]) {
		t.Error("the cached thumbnail was not used")
	}
	if got := thumbnails(context.Background(), jobs, nil, 2, nil); got[0] != nil {
		t.Error("without a cache, a missing file gave a thumbnail")
	}
}

// seeingFake is a model that hands a picture to seen while preprocessing, as models.Model does with the decoded
// file; here a 60x40 magenta picture, so that a thumbnail made from it cannot be mistaken for one of the file.
type seeingFake struct {
	*fakeModel
	seen atomic.Int64
}

func (f *seeingFake) PreprocessImageSeen(path string, maxPixels int64, seen func(*image.RGBA)) ([]float32, error) {
	pixels, err := f.PreprocessImage(path, maxPixels)
	if err == nil {
		img := image.NewRGBA(image.Rect(0, 0, 60, 40))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 0xff, 0, 0xff, 0xff
		}
		f.seen.Add(1)
		seen(img)
	}
	return pixels, err
}

// TestSortThumbnailsFromDecode: the sort makes report.html's thumbnails from the pictures the model decoded (kept in
// the cache with the embeddings), so the report decodes no image again; without report.html it makes none.
func TestSortThumbnailsFromDecode(t *testing.T) {
	src, _ := manyImages(t, t.TempDir(), 6)
	for _, report := range []bool{true, false} {
		o := testOptions(t, src, filepath.Join(t.TempDir(), "out"), "red", "green", "blue")
		o.HTMLReport = report
		m := &seeingFake{fakeModel: newFake()}
		runSort(t, m, o)
		c := openThumbCache(o.Folder, t.Logf)
		var jobs []thumbJob
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".png" { // manyImages adds a readme.txt
				return err
			}
			sum, err := hashFile(p)
			jobs = append(jobs, thumbJob{path: p, sum: sum})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		have := c.getThumbs(jobs)
		c.close()
		if !report {
			if len(have) != 0 || m.seen.Load() != 0 {
				t.Errorf("without report.html: %d thumbnails cached, %d pictures seen; want none", len(have), m.seen.Load())
			}
			continue
		}
		if len(have) != len(jobs) {
			t.Fatalf("%d thumbnails cached for %d images", len(have), len(jobs))
		}
		for _, j := range jobs {
			img, err := jpeg.Decode(bytes.NewReader(have[j.sum]))
			if err != nil {
				t.Fatalf("%s: cached thumbnail: %v", j.path, err)
			}
			r, g, b, _ := img.At(30, 20).RGBA()
			if img.Bounds().Dx() != 60 || img.Bounds().Dy() != 40 || r>>8 < 0xe0 || g>>8 > 0x20 || b>>8 < 0xe0 {
				t.Errorf("%s: thumbnail %v, colour %d,%d,%d: not made from the picture the model decoded", j.path, img.Bounds(), r>>8, g>>8, b>>8)
			}
		}
	}
}
