package nbui

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// TestSortThenResort runs what the notebook's form and re-sort cells run, on the sample photos with each family's
// fixture model: files land in label folders, the summary and a gallery with a thumbnail per image are shown, and
// the re-sort embeds no image again. With SigLIP, a threshold meant for CLIP's scores gets a note.
func TestSortThenResort(t *testing.T) {
	for _, ckpt := range []string{"clip-tiny", "siglip-tiny", "siglip2-tiny"} {
		t.Run(ckpt, func(t *testing.T) { testSortThenResort(t, ckpt) })
	}
}

func testSortThenResort(t *testing.T, ckpt string) {
	isolate(t)
	src := copyDir(t, filepath.Join(repoDir(t), "samples", "photos"))
	dest := filepath.Join(t.TempDir(), "labelled")
	s := Settings{Source: src, Destination: dest, Model: filepath.Join(repoDir(t), "testdata", "fixtures", ckpt),
		Labels: "a cat, a rocket, text", Operation: "copy"}
	siglip := strings.HasPrefix(ckpt, "siglip")
	if siglip {
		s.Threshold = 0.5
	}

	rec := &recorder{}
	sum, err := Sort(context.Background(), s, rec)
	if err != nil {
		t.Fatalf("Sort: %v", err)
	}
	if sum.Sorted != 10 || sum.CacheMisses != 10 || len(sum.Errors) != 0 {
		t.Fatalf("sorted %d, computed %d, errors %v; want 10 images sorted and embedded", sum.Sorted, sum.CacheMisses, sum.Errors)
	}
	if got := countImages(t, dest); total(got) != 10 {
		t.Errorf("label folders hold %v, want 10 images in all", got)
	}
	html := rec.html()
	for _, want := range []string{"Copied 10 images from", "Images by label", "Embedding cache: 0 reused, 10 computed", "Done: 11 of 11 files"} {
		if !strings.Contains(html, want) {
			t.Errorf("the outputs lack %q:\n%s", want, rec.text())
		}
	}
	if n := strings.Count(html, `<img src="data:image/jpeg;base64,`); n != 10 {
		t.Errorf("the gallery has %d thumbnails, want 10", n)
	}
	if !strings.Contains(rec.text(), "Copied 10 images") {
		t.Errorf("the text version lacks the summary:\n%s", rec.text())
	}

	variant := map[string]string{"siglip-tiny": "SigLIP", "siglip2-tiny": "SigLIP2"}[ckpt]
	if note := "Note: threshold 0.5 with a " + variant + " model"; strings.Contains(rec.text(), note) != siglip {
		t.Errorf("the threshold note is shown: %v, want %v:\n%s", !siglip, siglip, rec.text())
	}
	if strings.Contains(html, `class="sis sis-note"`) {
		t.Errorf("a note, though the labels had no empty item:\n%s", rec.text())
	}

	// The re-sort cell: new labels (typed with a trailing comma, which is left out with a note), the cache is
	// reused, the first sort is left alone.
	rec2 := &recorder{}
	last, err := LoadLastRun(lastRunPath())
	if err != nil || last.Destination != dest || last.Source != src {
		t.Fatalf("last run %+v, %v; want the first sort's settings", last, err)
	}
	next, err := ResortSettings(last, "a photo, a drawing,")
	if err != nil {
		t.Fatal(err)
	}
	sum2, err := Sort(context.Background(), next, rec2)
	if err != nil {
		t.Fatalf("re-sort: %v", err)
	}
	if sum2.CacheHits != 10 || sum2.CacheMisses != 0 || sum2.EmbedCalls != 0 {
		t.Errorf("re-sort: %d reused, %d computed, %d image model calls; want 10, 0, 0", sum2.CacheHits, sum2.CacheMisses, sum2.EmbedCalls)
	}
	if sum2.Destination != dest+"-2" {
		t.Errorf("re-sort went to %s, want %s-2", sum2.Destination, dest)
	}
	if got := countImages(t, dest); total(got) != 10 {
		t.Errorf("the re-sort changed the first destination: %v", got)
	}
	if !strings.Contains(rec2.html(), "Embedding cache: 10 reused, 0 computed") {
		t.Errorf("the re-sort's summary does not show the cache reuse:\n%s", rec2.text())
	}
	if len(sum2.Labels) != 2 || !strings.Contains(rec2.html(), `<div class="sis sis-note">`) ||
		!strings.Contains(rec2.text(), "Note: ignored an empty label (a trailing or doubled comma)") {
		t.Errorf("re-sort with a trailing comma: %d labels, want 2 and a note:\n%s", len(sum2.Labels), rec2.text())
	}
}

func TestResortAfterMoveSortsTheDestination(t *testing.T) {
	isolate(t)
	src := copyDir(t, filepath.Join(repoDir(t), "samples", "photos"))
	dest := filepath.Join(t.TempDir(), "out")
	s := Settings{Source: src, Destination: dest, Model: fixtureModel(t), Labels: "a cat, a rocket", Operation: "move"}
	if _, err := Sort(context.Background(), s, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(src); len(left) != 1 { // LICENSES.md is not an image
		t.Errorf("after a move the source holds %d files, want only LICENSES.md", len(left))
	}
	last, err := LoadLastRun(lastRunPath())
	if err != nil {
		t.Fatal(err)
	}
	next, err := ResortSettings(last, "a person, an object")
	if err != nil {
		t.Fatal(err)
	}
	if next.Source != dest || next.Destination != dest+"-2" || next.Operation != "move" {
		t.Fatalf("re-sort settings %+v: want source %s, destination %s-2, move", next, dest, dest)
	}
	sum, err := Sort(context.Background(), next, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sorted != 10 || sum.CacheHits != 10 {
		t.Errorf("re-sort after a move: %d sorted, %d from the cache; want 10 and 10", sum.Sorted, sum.CacheHits)
	}
	if got := countImages(t, dest+"-2"); total(got) != 10 {
		t.Errorf("the new destination holds %v", got)
	}
}

// TestSortDownloadsAHubModel: a Hub id is downloaded (from a fake Hub on loopback) with its progress shown.
func TestSortDownloadsAHubModel(t *testing.T) {
	isolate(t)
	srv := hubtest.NewServer(t, map[string]string{"test/clip-tiny": fixtureModel(t)})
	t.Setenv("HF_ENDPOINT", srv.URL())
	t.Setenv("HF_HUB_CACHE", t.TempDir())
	s := Settings{Source: copyDir(t, filepath.Join(repoDir(t), "samples", "photos")), Destination: filepath.Join(t.TempDir(), "d"),
		Model: "test/clip-tiny", Labels: "a cat, a dog", Operation: "copy"}
	rec := &recorder{}
	if _, err := Sort(context.Background(), s, rec); err != nil {
		t.Fatal(err)
	}
	var downloads int
	for _, h := range rec.history {
		if strings.HasPrefix(h, "Downloading the model test/clip-tiny from Hugging Face: ") {
			downloads++
		}
	}
	if downloads == 0 || !strings.Contains(rec.history[0], "downloaded from Hugging Face") {
		t.Errorf("no download progress shown; the progress block showed:\n%s", strings.Join(rec.history, "\n"))
	}
}

func TestSortShowsErrors(t *testing.T) {
	isolate(t)
	src := copyDir(t, filepath.Join(repoDir(t), "samples", "photos"))
	for _, tc := range []struct {
		name string
		edit func(*Settings)
		want string
	}{
		{"one label", func(s *Settings) { s.Labels = "a cat" }, "only one label given"},
		{"same label twice", func(s *Settings) { s.Labels = "a cat, a dog, a cat" }, "What to do: keep only one of them"},
		{"label named unsorted", func(s *Settings) { s.Labels = "a cat, unsorted" }, "What to do: rename the label"},
		{"no source", func(s *Settings) { s.Source = filepath.Join(src, "nope") }, "does not exist"},
		{"no model", func(s *Settings) { s.Model = filepath.Join(src, "no-model") }, "What to do"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Settings{Source: src, Destination: filepath.Join(t.TempDir(), "d"), Model: fixtureModel(t),
				Labels: "a cat, a dog", Operation: "copy"}
			tc.edit(&s)
			rec := &recorder{}
			_, err := Sort(context.Background(), s, rec)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(rec.html(), `class="sis sis-error"`) || !strings.Contains(rec.html(), tc.want) {
				t.Errorf("outputs lack the error %q:\n%s", tc.want, rec.text())
			}
		})
	}
}

func TestFormRunHeadlessSortsTheDefaults(t *testing.T) {
	isolate(t)
	if !Headless() {
		t.Skip("running inside GoNB")
	}
	d := Settings{Source: copyDir(t, filepath.Join(repoDir(t), "samples", "photos")), Destination: filepath.Join(t.TempDir(), "d"),
		Model: fixtureModel(t), Labels: "a cat, a dog", Operation: "copy"}
	f := NewForm(d)
	rec := &recorder{}
	if err := f.run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.html(), "No browser is attached") || !strings.Contains(rec.html(), " disabled") {
		t.Errorf("the headless form is not shown disabled with its note:\n%s", rec.text())
	}
	if got := countImages(t, d.Destination); total(got) != 10 {
		t.Errorf("destination holds %v, want the 10 samples", got)
	}
}

func TestNextFreeFolder(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "labelled")
	if got := NextFreeFolder(base); got != base+"-2" {
		t.Errorf("got %s, want %s-2", got, base)
	}
	os.Mkdir(base+"-2", 0o755)
	os.Mkdir(base+"-3", 0o755)
	if got := NextFreeFolder(base); got != base+"-4" {
		t.Errorf("with -2 and -3 taken: got %s, want -4", got)
	}
	if got := NextFreeFolder(base + "-2"); got != base+"-4" {
		t.Errorf("from labelled-2: got %s, want labelled-4", got)
	}
	if got := NextFreeFolder(filepath.Join(dir, "case-2024") + "/"); got != filepath.Join(dir, "case-2025") {
		t.Errorf("got %s", got)
	}
}

func TestLastRunRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "last.json")
	if _, err := LoadLastRun(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no record: error %v, want fs.ErrNotExist", err)
	}
	s := Settings{Source: "/a", Destination: "rel", Model: "m", Labels: "x, y", Operation: "move", Threshold: 0.25}
	if err := SaveLastRun(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := LoadLastRun(path)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	s.Destination = filepath.Join(wd, "rel")
	if got != s {
		t.Errorf("got %+v, want %+v", got, s)
	}
	os.WriteFile(path, []byte("{"), 0o644)
	if _, err := LoadLastRun(path); sorter.Hint(err) == "" {
		t.Errorf("damaged record: error %v without a hint", err)
	}
}

func TestResortSettingsChecksLabels(t *testing.T) {
	if _, err := ResortSettings(Settings{Destination: "x"}, "only one"); err == nil {
		t.Error("one label accepted")
	}
}

// TestResortWithoutAnEarlierSort: the re-sort cell run first sorts the form's defaults (beside the notebook).
func TestResortWithoutAnEarlierSort(t *testing.T) {
	isolate(t)
	t.Setenv(ModelEnv, fixtureModel(t))
	dir := t.TempDir()
	t.Chdir(dir)
	if err := Resort(context.Background(), "a photo, a drawing"); err != nil {
		t.Fatal(err)
	}
	if got := countImages(t, filepath.Join(dir, DefaultDestination+"-2")); total(got) != 10 {
		t.Errorf("%s-2 holds %v, want the 10 samples", DefaultDestination, got)
	}
	last, err := LoadLastRun(lastRunPath())
	if err != nil || last.Labels != "a photo, a drawing" {
		t.Errorf("the re-sort was not recorded as the last sort: %+v, %v", last, err)
	}
}
