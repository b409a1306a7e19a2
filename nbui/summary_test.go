package nbui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/models/torchbin"
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

// Every kind of error that reaches the notebook is shown with its own hint, from whichever package made it.
func TestErrorTextShowsEveryHint(t *testing.T) {
	labels := func(text string) error {
		_, _, err := sorter.ParseLabels(text)
		return err
	}
	for _, tc := range []struct {
		name, msg, hint string
		err             error
	}{
		{"duplicated label", `labels "a cat" and "A cat" are the same label`, "keep only one of them", labels("a cat, a dog, A cat")},
		{"label named unsorted", `label "unsorted" would use the folder "unsorted"`, `rename the label, e.g. "unsorted (label)"`, labels("a cat, unsorted")},
		{"too few labels", `only one label given ("a cat")`, "give at least two labels", labels("a cat,")},
		{"hub", "cannot reach huggingface.co", "check your connection",
			fmt.Errorf("loading m: %w", &hub.Error{Kind: hub.ErrNoNetwork, What: "cannot reach huggingface.co", Hint: "check your connection"})},
		{"image", "notes.jpg: not an image", "convert it to JPEG or PNG", &imagefile.Error{Path: "notes.jpg", Kind: imagefile.ErrUnknownFormat}},
		{"forbidden pickle", "pytorch_model.bin tries to use the Python function posix.system", "nothing from the file was run",
			fmt.Errorf("loading m: %w", &torchbin.ForbiddenGlobalError{Path: "pytorch_model.bin", Module: "posix", Name: "system"})},
	} {
		text := ErrorText(tc.err)
		first, rest, _ := strings.Cut(text, "\n")
		if !strings.Contains(first, tc.msg) || !strings.HasPrefix(rest, "What to do: "+tc.hint) {
			t.Errorf("%s: ErrorText =\n%s\nwant the message %q, then \"What to do: %s\"", tc.name, text, tc.msg, tc.hint)
		}
		if strings.Count(text, tc.hint) != 1 {
			t.Errorf("%s: the hint is shown %d times in\n%s", tc.name, strings.Count(text, tc.hint), text)
		}
		if html := ErrorHTML(tc.err); !strings.Contains(html, "<br>What to do: ") {
			t.Errorf("%s: ErrorHTML has no hint: %s", tc.name, html)
		}
	}
}

// Each block carries the CSS, since a saved notebook shows blocks without the cell that made them.
func TestEveryBlockHasTheStyle(t *testing.T) {
	for name, html := range map[string]string{
		"form":     testForm().HTML(false, "", ""),
		"progress": ProgressHTML(sorter.Progress{}),
		"summary":  SummaryHTML(testSummary(), 0),
		"error":    ErrorHTML(errors.New("x")),
		"note":     noteHTML("x"),
		"gallery":  Gallery{}.HTML(),
	} {
		if !strings.Contains(html, string(styleTag)) {
			t.Errorf("the %s block has no <style>", name)
		}
	}
}

// A sort with videos says how many, how their frames decided, and why some could not be read.
func TestSummaryVideos(t *testing.T) {
	s := testSummary()
	s.Videos, s.Frames, s.FramesFile = 2, 40, "$DEST/frames.csv"
	s.VideosNotRead, s.VideoNote = 1, "ffmpeg is needed to read videos: install ffmpeg"
	html := SummaryHTML(s, 0)
	for _, want := range []string{"Copied 6 files (4 images, 2 videos)", "(40 frames looked at)", "<code>$DEST/frames.csv</code>",
		"pictures/s, video frames included", "<b>1 video not read</b>: ffmpeg is needed"} {
		if !strings.Contains(html, want) {
			t.Errorf("no %q in\n%s", want, html)
		}
	}
}
