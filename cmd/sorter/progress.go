package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

// progressBar shows a sort's progress on stderr: a bar redrawn in place on a terminal, plain lines at most
// every plainInterval otherwise (logs, notebooks, CI). sorter.Progress already carries the count, rate and ETA,
// so this is only drawing; progress libraries compute their own rates, and we need the plain-line mode anyway.
type progressBar struct {
	w        io.Writer
	terminal bool
	width    int
	last     time.Time
	drawn    bool
	// finalDrawn is set once the 100% line is out: the sorter reports the end more than once.
	finalDrawn bool
}

const plainInterval = 5 * time.Second

func newProgressBar(w io.Writer) *progressBar {
	b := &progressBar{w: w, width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.terminal = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 40 {
			b.width = cols
		}
	}
	return b
}

func (b *progressBar) update(p sorter.Progress) {
	if p.Total == 0 {
		return
	}
	final := p.Done >= p.Total
	if b.finalDrawn || (!b.terminal && !final && b.drawn && time.Since(b.last) < plainInterval) {
		return
	}
	b.last, b.drawn, b.finalDrawn = time.Now(), true, final
	line := progressLine(p, b.width)
	if b.terminal {
		fmt.Fprintf(b.w, "\r%s", line)
	} else {
		fmt.Fprintln(b.w, line)
	}
}

// finish ends the in-place bar with a newline.
func (b *progressBar) finish() {
	if b.terminal && b.drawn {
		fmt.Fprintln(b.w)
	}
}

// progressLine formats "[=====>    ]  40/100 images  12.3/s  ETA 5s" to fit width.
func progressLine(p sorter.Progress, width int) string {
	eta := "ETA --"
	if p.ETA > 0 {
		eta = "ETA " + p.ETA.Round(time.Second).String()
	} else if p.Done >= p.Total {
		eta = "done in " + p.Elapsed.Round(100*time.Millisecond).String()
	}
	text := fmt.Sprintf(" %d/%d files  %.1f/s  %s", p.Done, p.Total, p.Rate, eta)
	barWidth := min(width-len(text)-3, 40)
	if barWidth < 10 {
		return strings.TrimSpace(text)
	}
	filled := barWidth * p.Done / p.Total
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return "[" + bar + "]" + text
}
