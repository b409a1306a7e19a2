package nbui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func testSummary() *sorter.Summary {
	return &sorter.Summary{
		Source: "$SRC", Destination: "$DEST", Operation: sorter.Copy, Threshold: 0.5,
		Labels: []sorter.LabelCount{
			{Label: "a picture of a person", Folder: "a picture of a person", Count: 3},
			{Label: "a <meme>", Folder: "a _meme_", Count: 1},
		},
		Unsorted: 2, Sorted: 6,
		Skipped:   []sorter.Skipped{{Path: "$SRC/notes.txt", Reason: "not an image (text)"}},
		Errors:    []sorter.ImageError{{Path: "$SRC/broken.jpg", Reason: "the file is truncated", Kind: "decode"}},
		CacheHits: 4, CacheMisses: 3, EmbedCalls: 1, CachePath: "$CACHE/embeddings.bbolt",
		Elapsed: 2500 * time.Millisecond, ImagesPerSecond: 2.8,
		OutputFile: "$DEST/output.csv", ErrorsFile: "$DEST/errors.csv", SkippedFile: "$DEST/skipped.csv",
	}
}

func TestSummary(t *testing.T) {
	s := testSummary()
	golden(t, "summary.html", SummaryHTML(s, 1200*time.Millisecond))
	golden(t, "summary.txt", SummaryText(s, 1200*time.Millisecond))

	s.Operation, s.Stopped, s.Threshold, s.Unsorted, s.Errors, s.Skipped, s.CachePath = sorter.Move, true, 0, 0, nil, nil, ""
	html := SummaryHTML(s, 0)
	for _, want := range []string{"Moved 6 images", "Stopped before the end", "Embedding cache: off (3 computed)"} {
		if !strings.Contains(html, want) {
			t.Errorf("stopped move: no %q in\n%s", want, html)
		}
	}
	if strings.Contains(html, "unsorted") || strings.Contains(html, "loading the model") {
		t.Errorf("no threshold and no load time: unexpected rows in\n%s", html)
	}
}

func TestErrorHTML(t *testing.T) {
	var b strings.Builder
	for _, err := range []error{
		&sorter.Error{Msg: "only one label given (\"a <cat>\")", Hint: "give at least two labels"},
		fmt.Errorf("loading m: %w", &hub.Error{Kind: hub.ErrNoNetwork, What: "cannot reach huggingface.co", Hint: "check your connection"}),
		errors.New("compute engine failed\ngoroutine 1 [running]:\nmain.main()"),
	} {
		b.WriteString(ErrorHTML(err) + "\n" + ErrorText(err) + "\n")
	}
	golden(t, "errors.html", b.String())
}

// Each block carries the CSS, since a saved notebook shows blocks without the cell that made them.
func TestEveryBlockHasTheStyle(t *testing.T) {
	for name, html := range map[string]string{
		"form":     testForm().HTML(false, "", ""),
		"progress": ProgressHTML(sorter.Progress{}),
		"summary":  SummaryHTML(testSummary(), 0),
		"error":    ErrorHTML(errors.New("x")),
		"gallery":  Gallery{}.HTML(),
		"text":     TextInput("a", "b").HTML(),
	} {
		if !strings.Contains(html, string(styleTag)) {
			t.Errorf("the %s block has no <style>", name)
		}
	}
}
