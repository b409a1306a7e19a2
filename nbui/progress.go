package nbui

// The live progress bar: one output block (gonbui.UpdateHTML under the hood) rewritten as batches finish,
// with the count, the rate and the time left.

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"sync"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
	"github.com/janpfeifer/gonb/gonbui"
)

var progressTmpl = template.Must(template.New("progress").Parse(`<div class="sis sis-progress">{{.Style}}` +
	`<span class="sis-count">{{.Count}}</span><progress max="{{.Max}}" value="{{.Value}}"></progress> <span>{{.Detail}}</span>` +
	`{{with .Current}}<div class="sis-muted">{{.}}</div>{{end}}</div>`))

// ProgressHTML draws p: "Sorting: 3 of 10 files", a bar, the percentage, rate and time left, and the
// last file handled.
func ProgressHTML(p sorter.Progress) string { return progressHTML(p, "Sorting") }

// progressHTML is ProgressHTML for a job that is doing something else than sorting ("Reading").
func progressHTML(p sorter.Progress, doing string) string {
	max, value := p.Total, p.Done
	if max == 0 { // nothing to do: a full bar
		max, value = 1, 1
	}
	var b bytes.Buffer
	err := progressTmpl.Execute(&b, struct {
		Style                  template.HTML
		Count, Detail, Current string
		Max, Value             int
	}{styleTag, progressCount(p, doing), progressDetail(p), p.Current, max, value})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// ProgressText is ProgressHTML as one line of text.
func ProgressText(p sorter.Progress) string { return progressText(p, "Sorting") }

func progressText(p sorter.Progress, doing string) string {
	return progressCount(p, doing) + ": " + progressDetail(p)
}

func progressCount(p sorter.Progress, doing string) string {
	if p.Done >= p.Total {
		return fmt.Sprintf("Done: %d of %s", p.Done, plural(p.Total, "file"))
	}
	return fmt.Sprintf("%s: %d of %s", doing, p.Done, plural(p.Total, "file"))
}

func progressDetail(p sorter.Progress) string {
	pct := 100
	if p.Total > 0 {
		pct = int(math.Floor(100 * float64(p.Done) / float64(p.Total)))
	}
	s := fmt.Sprintf("%d%%", pct)
	if p.Rate > 0 {
		s += fmt.Sprintf(" · %.1f files/s", p.Rate)
	}
	switch {
	case p.Done >= p.Total:
		s += " · took " + roughDuration(p.Elapsed)
	case p.ETA > 0:
		s += " · about " + roughDuration(p.ETA) + " left"
	case p.Done == 0:
		s += " · working out the time left…"
	}
	return s
}

// roughDuration is a duration as people say it: "0.4 s", "12 s", "3 min 5 s", "1 h 12 min".
func roughDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ProgressBar is an output block showing a status line, then the progress of a sort.
type ProgressBar struct {
	out      Output
	id       string
	interval time.Duration
	doing    string // "Sorting" unless set: what the bar says while the job runs
	mu       sync.Mutex
	last     time.Time
}

// NewProgressBar returns a bar that draws into its own block of out (drawn at the first Status or Update).
func NewProgressBar(out Output) *ProgressBar {
	return &ProgressBar{out: out, id: "sis_progress_" + gonbui.UniqueId(), interval: 250 * time.Millisecond, doing: "Sorting"}
}

// Status shows a line of text in the bar's place, such as "Loading the model…".
func (b *ProgressBar) Status(text string) {
	b.out.Update(b.id, `<div class="sis sis-progress">`+string(styleTag)+template.HTMLEscapeString(text)+`</div>`, text)
}

// Update draws p. It can be passed as sorter.Options.Progress: it redraws at most four times a second,
// but always at the start and at the end.
func (b *ProgressBar) Update(p sorter.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if p.Done != 0 && p.Done < p.Total && now.Sub(b.last) < b.interval {
		return
	}
	b.last = now
	b.out.Update(b.id, progressHTML(p, b.doing), progressText(p, b.doing))
}
