package nbui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestDuplicatesViewHTML(t *testing.T) {
	v := &DuplicatesView{
		Similarity: 0.95, Total: 2, Identical: 1, CSV: "/cases/42/labelled-duplicates/duplicates.csv",
		Groups: []DuplicatesGroup{
			{Number: 1, Identical: true, Total: 2, Members: []DuplicateItem{
				{Name: "cat.jpg", Match: sorter.MatchFirst, Similarity: 1, Thumb: "data:image/jpeg;base64,AAAA"},
				{Name: "sub/cat (1).jpg", Match: sorter.MatchIdentical, Similarity: 1, Thumb: "data:image/jpeg;base64,AAAA"},
			}},
			{Number: 2, Total: 14, Members: []DuplicateItem{
				{Name: "tank.jpg", Match: sorter.MatchFirst, Similarity: 1, Thumb: "data:image/jpeg;base64,BBBB"},
				{Name: `"><script>x</script>.png`, Match: sorter.MatchSimilar, Similarity: 0.9612},
			}},
		},
		Read: FolderRead{Folder: "/cases/42/photos", Images: 120, CacheHits: 120, Elapsed: 300 * time.Millisecond, Skipped: 1},
	}
	html := v.HTML()
	golden(t, "duplicates.html", html)
	golden(t, "duplicates.txt", v.Text())
	if strings.Contains(html, "<script>x") {
		t.Error("names are not escaped")
	}

	none := &DuplicatesView{Similarity: 0.9, CSV: "/d/duplicates.csv", Read: FolderRead{Folder: "/f", Images: 7}}
	if h := none.HTML(); !strings.Contains(h, "No duplicates among the 7 images in /f") || !strings.Contains(h, "Nothing was moved or deleted.") ||
		!strings.Contains(h, "<code>/d/duplicates.csv</code>") {
		t.Errorf("no duplicates, but:\n%s", none.Text())
	}
}

// TestDuplicatesAfterSort runs what the duplicates cell runs after the form's sort: the copy of a photo is
// found (from the embedding cache), duplicates.csv is written beside the last destination, nothing is moved.
func TestDuplicatesAfterSort(t *testing.T) {
	isolate(t)
	src := samplesWithCopy(t)
	s := sortFirst(t, src, "copy")
	before, _ := os.ReadDir(src)

	rec := &recorder{}
	v, err := duplicates(context.Background(), rec, lastRunPath(), sorter.DefaultSimilarity)
	if err != nil {
		t.Fatalf("duplicates: %v\n%s", err, rec.text())
	}
	if v.Read.Images != 11 || v.Read.Computed != 0 {
		t.Errorf("compared %d images, %d computed; want 11 from the cache", v.Read.Images, v.Read.Computed)
	}
	var cat *DuplicatesGroup
	for i, g := range v.Groups {
		if g.Identical {
			cat = &v.Groups[i]
		}
	}
	if cat == nil || cat.Total != 2 || cat.Members[0].Name != "cat-copy.jpg" || cat.Members[1].Name != "cat.jpg" ||
		cat.Members[1].Match != sorter.MatchIdentical || cat.Members[0].Thumb == "" {
		t.Fatalf("groups %+v; want one of identical files: cat-copy.jpg and cat.jpg, with thumbnails", v.Groups)
	}
	wantCSV := filepath.Join(s.Destination+"-duplicates", sorter.DuplicatesFile)
	if v.CSV != wantCSV {
		t.Errorf("duplicates.csv written to %s, want %s", v.CSV, wantCSV)
	}
	rows := csvtest.Read(t, wantCSV)
	if len(rows) < 3 || rows[0][0] != "group" {
		t.Errorf("duplicates.csv: %v", rows)
	}
	html := rec.html()
	for _, want := range []string{"<h3>Looking for duplicates in " + src + "</h3>", "identical files", "Nothing was moved or deleted.",
		"<code>" + wantCSV + "</code>", "Embedding cache: 11 reused, 0 computed."} {
		if !strings.Contains(html, want) {
			t.Errorf("the outputs lack %q:\n%s", want, rec.text())
		}
	}
	if after, _ := os.ReadDir(src); len(after) != len(before) {
		t.Errorf("the folder held %d files, now %d", len(before), len(after))
	}
	if got := countImages(t, s.Destination); total(got) != 11 {
		t.Errorf("the sort's destination changed: %v", got)
	}

	// Again: a new folder, the first list is kept.
	v2, err := duplicates(context.Background(), &recorder{}, lastRunPath(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Destination+"-duplicates-2", sorter.DuplicatesFile); v2.CSV != want {
		t.Errorf("second run wrote %s, want %s", v2.CSV, want)
	}
	if len(csvtest.Read(t, wantCSV)) != len(rows) {
		t.Error("the second run changed the first list")
	}
}

func TestDuplicatesShowsErrors(t *testing.T) {
	isolate(t)
	sortFirst(t, samplesWithCopy(t), "copy")
	for _, sim := range []float64{0, 1.5} {
		rec := &recorder{}
		if _, err := duplicates(context.Background(), rec, lastRunPath(), sim); err == nil {
			t.Fatalf("similarity %v accepted", sim)
		}
		if !strings.Contains(rec.html(), `class="sis sis-error"`) || !strings.Contains(rec.html(), "What to do: use a number above 0 and at most 1") {
			t.Errorf("similarity %v: outputs lack the error with what to do:\n%s", sim, rec.text())
		}
	}
}

func TestDuplicatesFolder(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "labelled")
	if got := DuplicatesFolder(base + "/"); got != base+"-duplicates" {
		t.Errorf("got %s, want %s-duplicates", got, base)
	}
	os.Mkdir(base+"-duplicates", 0o755)
	os.Mkdir(base+"-duplicates-2", 0o755)
	if got := DuplicatesFolder(base); got != base+"-duplicates-3" {
		t.Errorf("with -duplicates and -duplicates-2 taken: got %s, want -duplicates-3", got)
	}
}

// TestNotebookCellsStartFromTheDefaults: the search and duplicates cells show their starting values as numbers
// investigators can edit; they must be the library's defaults.
func TestNotebookCellsStartFromTheDefaults(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoDir(t), "notebooks", "smart-image-sorter.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			ID     string   `json:"id"`
			Source []string `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, c := range nb.Cells {
		cells[c.ID] = strings.Join(c.Source, "")
	}
	for _, tc := range []struct{ cell, want string }{
		{"search", fmt.Sprintf("results := %d ", DefaultSearchResults)},
		{"search", "nbui.Exit(nbui.SearchTop(nbui.Context(), query, example, results))"},
		{"duplicates", fmt.Sprintf("similarity := %v ", sorter.DefaultSimilarity)},
		{"md-duplicates", fmt.Sprintf("Start with %v;", sorter.DefaultSimilarity)},
		{"duplicates", "nbui.Exit(nbui.Duplicates(nbui.Context(), similarity))"},
	} {
		if !strings.Contains(cells[tc.cell], tc.want) {
			t.Errorf("the notebook's %q cell lacks %q:\n%s", tc.cell, tc.want, cells[tc.cell])
		}
	}
}
