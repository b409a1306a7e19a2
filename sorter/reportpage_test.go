package sorter

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
