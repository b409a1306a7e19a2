package nbui

import (
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestProgress(t *testing.T) {
	states := []sorter.Progress{
		{Done: 0, Total: 120},
		{Done: 40, Total: 120, Elapsed: 20 * time.Second, Rate: 2, ETA: 40 * time.Second, Current: "photos/<cat>.jpg"},
		{Done: 120, Total: 120, Elapsed: 61 * time.Second, Rate: 1.97},
		{Done: 0, Total: 0},
	}
	var html, text strings.Builder
	for _, p := range states {
		html.WriteString(ProgressHTML(p) + "\n")
		text.WriteString(ProgressText(p) + "\n")
	}
	golden(t, "progress.html", html.String())
	golden(t, "progress.txt", text.String())
}

func TestRoughDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond:        "0.4 s",
		9940 * time.Millisecond:       "9.9 s",
		12 * time.Second:              "12 s",
		185 * time.Second:             "3 min 5 s",
		time.Hour + 12*time.Minute:    "1 h 12 min",
		26*time.Hour + 29*time.Second: "26 h 0 min",
	} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestProgressBarRedrawsAtMostFourTimesASecond(t *testing.T) {
	rec := &recorder{}
	b := NewProgressBar(rec)
	b.Status("Loading the model <x>…")
	if !strings.Contains(rec.html(), "Loading the model &lt;x&gt;…") {
		t.Errorf("status not shown escaped: %s", rec.html())
	}
	for i := 0; i <= 100; i++ {
		b.Update(sorter.Progress{Done: i, Total: 100})
	}
	if n := rec.count[b.id]; n < 3 || n > 6 { // status, start, end, maybe one in between
		t.Errorf("%d redraws for 100 quick updates, want the status, the start and the end", n)
	}
	if len(rec.blocks) != 1 || !strings.Contains(rec.blocks[0].text, "Done: 100 of 100 files") {
		t.Errorf("blocks %+v, want one block ending at 100 of 100", rec.blocks)
	}
}
