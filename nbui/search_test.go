package nbui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestSearchViewHTML(t *testing.T) {
	v := &SearchView{
		Query: `"a tank" + like /cases/42/tank.jpg`,
		Items: []SearchItem{
			{Rank: 1, Score: 0.3123, Name: "tanks/t-72.jpg", Thumb: "data:image/jpeg;base64,AAAA"},
			{Rank: 2, Score: 0.2871, Name: `"><script>x</script>.png`},
			{Rank: 3, Score: -0.0412, Name: "road.jpg", Thumb: "data:image/jpeg;base64,BBBB"},
		},
		Read: FolderRead{Folder: "/cases/42/photos", Images: 120, CacheHits: 118, Computed: 2, Elapsed: 1500 * time.Millisecond,
			Errors: []sorter.ImageError{{Path: "broken.jpg", Reason: "the file is truncated ", Kind: "decode"}}, Skipped: 3},
	}
	html := v.HTML()
	golden(t, "search.html", html)
	golden(t, "search.txt", v.Text())
	if strings.Contains(html, "<script>x") {
		t.Error("names are not escaped")
	}
	if n := strings.Count(html, "<img "); n != 2 {
		t.Errorf("%d images, want 2 (the second has no preview)", n)
	}

	all := &SearchView{Query: `"a cat"`, Items: v.Items[:1], Read: FolderRead{Folder: "/f", Images: 1}}
	if !strings.Contains(all.HTML(), "All 1 image in /f, best match first.") {
		t.Errorf("all the images shown, but:\n%s", all.Text())
	}
	none := &SearchView{Query: `"a cat"`, Read: FolderRead{Folder: "/empty"}}
	if !strings.Contains(none.HTML(), "No images found in <code>/empty</code>") || !strings.Contains(none.Text(), "No images found in /empty.") {
		t.Errorf("no images, but:\n%s", none.Text())
	}
}

// samplesWithCopy is a copy of the sample photos plus a second copy of cat.jpg, as cat-copy.jpg.
func samplesWithCopy(t *testing.T) string {
	src := copyDir(t, filepath.Join(repoDir(t), "samples", "photos"))
	data, err := os.ReadFile(filepath.Join(src, "cat.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "cat-copy.jpg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// sortFirst runs the form's sort, which records the settings the search and duplicates cells start from.
func sortFirst(t *testing.T, src, operation string) Settings {
	t.Helper()
	s := Settings{Source: src, Destination: filepath.Join(t.TempDir(), "labelled"), Model: fixtureModel(t),
		Labels: "a cat, a rocket, text", Operation: operation}
	if _, err := Sort(context.Background(), s, &recorder{}); err != nil {
		t.Fatalf("Sort: %v", err)
	}
	return s
}

// TestSearchAfterSort runs what the search cell runs after the form's sort: the sorted folder is searched from
// the embedding cache, by text and by an example image.
func TestSearchAfterSort(t *testing.T) {
	isolate(t)
	src := samplesWithCopy(t)
	sortFirst(t, src, "copy")

	rec := &recorder{}
	v, err := search(context.Background(), rec, lastRunPath(), "a rocket", "", 5)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, rec.text())
	}
	if len(v.Items) != 5 || v.Read.Images != 11 || v.Read.CacheHits != 11 || v.Read.Computed != 0 || v.Read.Skipped != 1 {
		t.Errorf("%d results of %d images, %d from the cache, %d computed, %d skipped; want 5 of 11, all 11 from the cache, 1 skipped",
			len(v.Items), v.Read.Images, v.Read.CacheHits, v.Read.Computed, v.Read.Skipped)
	}
	html := rec.html()
	for _, want := range []string{"<h3>Searching " + src + "</h3>", `Best matches for &#34;a rocket&#34;`,
		"The 5 best of 11 images in " + src, "Embedding cache: 11 reused, 0 computed."} {
		if !strings.Contains(html, want) {
			t.Errorf("the outputs lack %q:\n%s", want, rec.text())
		}
	}
	if n := strings.Count(html, `<img src="data:image/jpeg;base64,`); n != 5 {
		t.Errorf("%d thumbnails, want 5", n)
	}
	for i, it := range v.Items {
		if it.Rank != i+1 || (i > 0 && it.Score > v.Items[i-1].Score) {
			t.Errorf("result %d: rank %d, score %v after %v", i, it.Rank, it.Score, v.Items[max(i-1, 0)].Score)
		}
	}
	if !strings.Contains(rec.text(), "rank   score  image\n   1  ") {
		t.Errorf("the text version lacks the table:\n%s", rec.text())
	}

	// By example: the cat and its copy are the same picture, so they come first, with a score of 1.
	rec = &recorder{}
	v, err = search(context.Background(), rec, lastRunPath(), "", filepath.Join(src, "cat.jpg"), DefaultSearchResults)
	if err != nil {
		t.Fatalf("search by example: %v\n%s", err, rec.text())
	}
	if len(v.Items) != 11 || !strings.Contains(rec.html(), "All 11 images in") {
		t.Errorf("%d results, want all 11 images", len(v.Items))
	}
	if got := v.Items[0].Name + " " + v.Items[1].Name; got != "cat-copy.jpg cat.jpg" || v.Items[0].Score < 0.999 {
		t.Errorf("first results %s (score %v), want cat-copy.jpg and cat.jpg, 1.000", got, v.Items[0].Score)
	}
}

// TestSearchAfterMove: after a move the images are in the destination, so that is searched.
func TestSearchAfterMove(t *testing.T) {
	isolate(t)
	s := sortFirst(t, samplesWithCopy(t), "move")
	rec := &recorder{}
	v, err := search(context.Background(), rec, lastRunPath(), "a cat", "", 3)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, rec.text())
	}
	if v.Read.Folder != s.Destination || v.Read.Images != 11 || v.Read.Computed != 0 {
		t.Errorf("searched %d images in %s (%d computed), want the 11 moved into %s, from the cache", v.Read.Images, v.Read.Folder, v.Read.Computed, s.Destination)
	}
	for _, it := range v.Items {
		if !strings.Contains(it.Name, string(filepath.Separator)) {
			t.Errorf("result %s is not inside a label folder", it.Name)
		}
	}
}

func TestSearchShowsErrors(t *testing.T) {
	isolate(t)
	src := samplesWithCopy(t)
	sortFirst(t, src, "copy")
	for _, tc := range []struct {
		name, query, example string
		top                  int
		want                 string
	}{
		{"nothing to search for", " ", "", 24, "What to do: type what to look for"},
		{"no results asked for", "a cat", "", 0, "ask for at least 1"},
		{"no such example", "", filepath.Join(src, "nope.jpg"), 24, "does not exist"},
		{"example not an image", "", filepath.Join(src, "LICENSES.md"), 24, "is not an image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			if _, err := search(context.Background(), rec, lastRunPath(), tc.query, tc.example, tc.top); err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(rec.html(), `class="sis sis-error"`) || !strings.Contains(rec.html(), tc.want) || !strings.Contains(rec.html(), "What to do") {
				t.Errorf("outputs lack the error %q with what to do:\n%s", tc.want, rec.text())
			}
		})
	}

	// Stopped (the cell interrupted): a note, not an error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := &recorder{}
	if _, err := search(ctx, rec, lastRunPath(), "a cat", "", 3); !errors.Is(err, context.Canceled) ||
		!strings.Contains(rec.text(), "Stopped. The images read so far are in the embedding cache") || strings.Contains(rec.html(), `class="sis sis-error"`) {
		t.Errorf("stopped: %v\n%s", err, rec.text())
	}

	// A damaged record of the last sort is shown with its hint.
	os.WriteFile(lastRunPath(), []byte("{"), 0o644)
	rec = &recorder{}
	if _, err := search(context.Background(), rec, lastRunPath(), "a cat", "", 3); err == nil || !strings.Contains(rec.text(), "is damaged") {
		t.Errorf("damaged record: %v\n%s", err, rec.text())
	}
}

// TestSearchWithoutAnEarlierSort: the search cell run first searches the form's defaults (the sample photos).
func TestSearchWithoutAnEarlierSort(t *testing.T) {
	isolate(t)
	t.Setenv(ModelEnv, fixtureModel(t))
	rec := &recorder{}
	v, err := search(context.Background(), rec, lastRunPath(), "a rocket", "", 3)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, rec.text())
	}
	if !strings.Contains(rec.text(), "No earlier sort on record") || v.Read.Images != 10 || v.Read.Computed != 10 {
		t.Errorf("searched %d images (%d computed), want the 10 samples, with a note:\n%s", v.Read.Images, v.Read.Computed, rec.text())
	}
}

func TestInsideNote(t *testing.T) {
	for _, tc := range []struct {
		folder, dest string
		inside       bool
	}{
		{"/a/photos", "/a/photos/labelled", true},
		{"/a/photos", "/a/labelled", false},
		{"/a/photos", "/a/photos-labelled", false},
		{"/a/photos", "/a/photos", false},
	} {
		if got := insideNote(tc.folder, Settings{Destination: tc.dest}) != ""; got != tc.inside {
			t.Errorf("%s in %s: note %v, want %v", tc.dest, tc.folder, got, tc.inside)
		}
	}
}
