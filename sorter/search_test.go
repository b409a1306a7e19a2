package sorter

import (
	"context"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func searchOptions(t *testing.T, src string, texts ...string) SearchOptions {
	o := DefaultSearchOptions()
	o.Folder = testFolder(t, src)
	o.Texts = texts
	return o
}

func hitNames(res *SearchResult) []string {
	var names []string
	for _, h := range res.Hits {
		names = append(names, h.Image.Rel)
	}
	return names
}

func TestSearchRanksByText(t *testing.T) {
	src := colourTree(t)
	o := searchOptions(t, src, "something red")
	o.Top = 3
	res, err := Search(context.Background(), newFake(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := hitNames(res)
	want := map[string]bool{"apple.png": true, "brick.jpg": true, filepath.Join("sub", "cherry.gif"): true}
	if len(got) != 3 {
		t.Fatalf("got %d hits, want 3", len(got))
	}
	for i, h := range res.Hits {
		if !want[h.Image.Rel] || h.Rank != i+1 {
			t.Errorf("hit %d: %s (rank %d), want the three red images first", i, h.Image.Rel, h.Rank)
		}
		if i > 0 && h.Score > res.Hits[i-1].Score {
			t.Errorf("scores not descending: %v", res.Hits)
		}
	}
	if res.Query != `"something red"` {
		t.Errorf("query %q", res.Query)
	}
}

func TestSearchLikeAndNot(t *testing.T) {
	src := colourTree(t)
	// An example outside the folder: a blue image; the folder's blue ones must come first.
	example := filepath.Join(t.TempDir(), "example.png")
	writeImage(t, example, "png", blue, 99)
	o := searchOptions(t, src)
	o.Like, o.Top = []string{example}, 2
	m := newFake()
	res, err := Search(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(hitNames(res), ","); got != "sea.png,sky" && got != "sky,sea.png" {
		t.Errorf("like a blue image: %s", got)
	}
	// An example inside the folder is not embedded again.
	before := m.preprocess.Load()
	o.Like = []string{filepath.Join(src, "fog.png")}
	res, err = Search(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if m.preprocess.Load() != before || res.Hits[0].Image.Rel != "fog.png" {
		t.Errorf("example in the folder: decoded %d, first %s", m.preprocess.Load()-before, res.Hits[0].Image.Rel)
	}
	// "red" minus "green": red first, green last.
	o = searchOptions(t, src, "red")
	o.NotTexts, o.Top = []string{"green"}, 100
	res, err = Search(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	names := hitNames(res)
	reds := map[string]bool{"apple.png": true, "brick.jpg": true, filepath.Join("sub", "cherry.gif"): true}
	greens := map[string]bool{"leaf.bmp": true, filepath.Join("sub", "grass.tiff"): true}
	if len(names) != 8 || !reds[names[0]] || !reds[names[1]] || !reds[names[2]] || !greens[names[6]] || !greens[names[7]] {
		t.Errorf("red - green: %v", names)
	}
	if res.Query != `"red" - "green"` {
		t.Errorf("query %q", res.Query)
	}
}

func TestSearchBadInput(t *testing.T) {
	src := colourTree(t)
	notImage := filepath.Join(t.TempDir(), "notes.txt")
	writeFile(t, notImage, []byte("hello"))
	for name, tc := range map[string]struct {
		edit func(*SearchOptions)
		want string
	}{
		"nothing":       {func(o *SearchOptions) { o.Texts = nil }, "nothing to search for"},
		"only not":      {func(o *SearchOptions) { o.Texts, o.NotTexts = nil, []string{"x"} }, "not only something to avoid"},
		"empty text":    {func(o *SearchOptions) { o.Texts = []string{" "} }, "empty"},
		"like text":     {func(o *SearchOptions) { o.Like = []string{notImage} }, "is not an image"},
		"like missing":  {func(o *SearchOptions) { o.Like = []string{notImage + ".jpg"} }, "does not exist"},
		"like folder":   {func(o *SearchOptions) { o.Like = []string{src} }, "is a folder"},
		"cancels":       {func(o *SearchOptions) { o.NotTexts = []string{"red"} }, "cancels"},
		"no {}":         {func(o *SearchOptions) { o.Template = "a photo" }, "has no {}"},
		"copy = source": {func(o *SearchOptions) { o.CopyTo = src }, "is the source folder itself"},
	} {
		t.Run(name, func(t *testing.T) {
			o := searchOptions(t, src, "red")
			tc.edit(&o)
			_, err := Search(context.Background(), newFake(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || Hint(err) == "" {
				t.Errorf("error %v (hint %q), want one containing %q with a hint", err, Hint(err), tc.want)
			}
		})
	}
}

func TestSearchEmptyAndOneImageFolders(t *testing.T) {
	empty := t.TempDir()
	res, err := Search(context.Background(), newFake(), searchOptions(t, empty, "red"))
	if err != nil || len(res.Hits) != 0 {
		t.Fatalf("empty folder: %v, %v", res, err)
	}
	one := t.TempDir()
	writeImage(t, filepath.Join(one, "a.png"), "png", red, 1)
	res, err = Search(context.Background(), newFake(), searchOptions(t, one, "blue"))
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("one image: %v, %v", res, err)
	}
}

// --copy-to copies the results with the sort's placement (never overwriting; the folder may sit inside the
// source and is then not searched) and lists them in search.csv; a second search keeps the first's files.
func TestSearchCopyTo(t *testing.T) {
	src := colourTree(t)
	dest := filepath.Join(src, "found")
	o := searchOptions(t, src, "red")
	o.Top, o.CopyTo = 2, dest
	before := snapshot(t, src)
	res, err := Search(context.Background(), newFake(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if sumOf(t, h.Copied) != h.Image.Hash() || filepath.Dir(h.Copied) != dest {
			t.Errorf("%s: copy %s is not the file", h.Image.Rel, h.Copied)
		}
	}
	rows := csvtest.Read(t, res.CSV)
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(searchHeader, ",") || rows[1][0] != "1" {
		t.Errorf("search.csv: %v", rows)
	}
	// Again: the copies get " (1)", the list search (1).csv; the source is untouched and "found" not searched.
	res2, err := Search(context.Background(), newFake(), o)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(res2.CSV) != "search (1).csv" || !strings.Contains(res2.Hits[0].Copied, " (1)") {
		t.Errorf("second search: %s, %s", res2.CSV, res2.Hits[0].Copied)
	}
	if len(res2.Collection.Images) != 8 {
		t.Errorf("searched %d images, want 8 (the copies are not searched)", len(res2.Collection.Images))
	}
	after := snapshot(t, src)
	for path, st := range before {
		if st.Mode.IsRegular() && after[path] != st {
			t.Errorf("%s changed", path)
		}
	}
	if _, err := os.Stat(res.CSV); err != nil {
		t.Error(err)
	}
}
