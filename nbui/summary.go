package nbui

// The summary after a sort (counts per label, unsorted, skipped files, errors, time, the embedding cache,
// where the report is), errors shown as a message plus what to do, and notes about the settings.

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

var summaryTmpl = template.Must(template.New("summary").Parse(`<div class="sis sis-summary">{{.Style}}
<h3>{{.Headline}}</h3>
<table class="sis-counts"><tr><th>Label</th><th>Images</th><th>Folder</th></tr>
{{range .Rows}}<tr><td>{{.Label}}</td><td class="sis-n">{{.Count}}</td><td><code>{{.Folder}}/</code></td></tr>
{{end}}</table>
<ul class="sis-facts">
{{range .Facts}}<li>{{.}}</li>
{{end}}</ul>
{{with .Stopped}}<div class="sis-error">{{.}}</div>
{{end}}</div>`))

type summaryRow struct {
	Label, Folder string
	Count         int
}

// SummaryHTML describes a finished (or stopped) sort; modelLoad, if not 0, is the time opening the model took.
func SummaryHTML(s *sorter.Summary, modelLoad time.Duration) string {
	var rows []summaryRow
	for _, l := range s.Labels {
		rows = append(rows, summaryRow{l.Label, l.Folder, l.Count})
	}
	if s.Threshold > 0 || s.Unsorted > 0 {
		rows = append(rows, summaryRow{fmt.Sprintf("(best score below %g)", s.Threshold), sorter.UnsortedFolder, s.Unsorted})
	}
	var b bytes.Buffer
	err := summaryTmpl.Execute(&b, struct {
		Style             template.HTML
		Headline, Stopped string
		Rows              []summaryRow
		Facts             []template.HTML
	}{styleTag, headline(s), stoppedText(s), rows, facts(s, modelLoad)})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// SummaryText is the summary as text: sorter's own account, plus the model's loading time.
func SummaryText(s *sorter.Summary, modelLoad time.Duration) string {
	t := s.String()
	if modelLoad > 0 {
		t += "Loading the model took " + roughDuration(modelLoad) + ".\n"
	}
	return t
}

func headline(s *sorter.Summary) string {
	verb := map[sorter.Operation]string{sorter.Copy: "Copied", sorter.Move: "Moved", sorter.Link: "Hard-linked", sorter.Symlink: "Linked"}[s.Operation]
	what := plural(s.Sorted, "image")
	if s.Videos > 0 {
		what = fmt.Sprintf("%s (%s, %s)", plural(s.Sorted, "file"), plural(s.Sorted-s.Videos, "image"), plural(s.Videos, "video"))
	}
	if s.DryRun {
		return fmt.Sprintf("Dry run: %s would be sorted from %s into %s", what, s.Source, s.Destination)
	}
	return fmt.Sprintf("%s %s from %s into %s", verb, what, s.Source, s.Destination)
}

func stoppedText(s *sorter.Summary) string {
	if !s.Stopped {
		return ""
	}
	return "Stopped before the end: the images and rows listed were saved. Sorting into a new destination starts again from the beginning (already-embedded images are fast)."
}

// facts are the summary's list items, as HTML built from escaped parts.
func facts(s *sorter.Summary, modelLoad time.Duration) []template.HTML {
	esc := template.HTMLEscapeString
	code := func(path string) string { return "<code>" + esc(path) + "</code>" }
	var out []template.HTML
	add := func(format string, args ...any) { out = append(out, template.HTML(fmt.Sprintf(format, args...))) }

	rate := "images/s"
	if s.Videos > 0 {
		rate = "pictures/s, video frames included"
	}
	t := fmt.Sprintf("Took %s (%.1f %s)", esc(roughDuration(s.Elapsed)), s.ImagesPerSecond, rate)
	if modelLoad > 0 {
		t += ", after " + esc(roughDuration(modelLoad)) + " loading the model"
	}
	add("%s.", t)
	if s.Videos > 0 {
		add("Videos are sorted by their best frame for each label (%d frames looked at): %s says when each is; the gallery shows that frame.",
			s.Frames, code(s.FramesFile))
	}
	if s.VideosNotRead > 0 {
		add("<b>%s not read</b>: %s", esc(plural(s.VideosNotRead, "video")), esc(s.VideoNote))
	}
	if s.CachePath != "" {
		add("Embedding cache: %d reused, %d computed (%s).", s.CacheHits, s.CacheMisses, code(s.CachePath))
	} else {
		add("Embedding cache: off (%d computed).", s.CacheMisses)
	}
	if s.AlreadyDone > 0 {
		add("Resumed: %s had already been handled.", esc(plural(s.AlreadyDone, "image")))
	}
	if n := len(s.Errors); n > 0 {
		add("<b>%s could not be sorted</b>: listed below and in %s.", esc(plural(n, "image")), code(s.ErrorsFile))
	}
	if n := len(s.Skipped); n > 0 {
		names := make([]string, 0, 3)
		for i, k := range s.Skipped {
			if i == 3 {
				names = append(names, "…")
				break
			}
			names = append(names, code(k.Path))
		}
		what := "files that are not images"
		if n == 1 {
			what = "file that is not an image"
		}
		add("Skipped %d %s (%s), listed in %s.", n, what, strings.Join(names, ", "), code(s.SkippedFile))
	}
	add("Report (every image with its label and scores): %s", code(s.OutputFile))
	return out
}

var errorTmpl = template.Must(template.New("error").Parse(`<div class="sis sis-error">{{.Style}}<b>{{.Msg}}</b>` +
	`{{with .Hint}}<br>What to do: {{.}}{{end}}</div>`))

// ErrorHTML shows err as its first line (internal detail such as stack traces from the compute engine is
// cut) and, when an error in its chain has one, what to do about it: sorter.Explain, as the command line.
func ErrorHTML(err error) string {
	msg, hint := sorter.Explain(err)
	var b bytes.Buffer
	if e := errorTmpl.Execute(&b, struct {
		Style     template.HTML
		Msg, Hint string
	}{styleTag, msg, hint}); e != nil {
		panic(e)
	}
	return b.String()
}

// ErrorText is ErrorHTML as text.
func ErrorText(err error) string {
	msg, hint := sorter.Explain(err)
	if hint == "" {
		return "Error: " + msg
	}
	return "Error: " + msg + "\nWhat to do: " + hint
}

// noteHTML shows a note about the settings that is not an error (such as sorter.ParseLabels's about empty
// labels it left out) in a yellow box.
func noteHTML(note string) string {
	return `<div class="sis sis-note">` + string(styleTag) + escape(noteText(note)) + `</div>`
}

// noteText is noteHTML as text.
func noteText(note string) string { return "Note: " + note }
