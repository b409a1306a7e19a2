package htmlreport

// Rendering: report.html.tmpl with report.css inlined, through html/template, so that every name, path and
// reason is escaped wherever it lands (text, attribute, URL). File names are shown with their invisible
// characters made visible (visible); data-path attributes keep them as they are, for machines.

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/jpeg"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

//go:embed report.html.tmpl
var pageTemplate string

//go:embed report.css
var pageCSS string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{"visible": visible}).Parse(pageTemplate))

// page is what the template draws: a Report with everything formatted.
type page struct {
	Title, Kind, KindName string
	Created               *stamp
	CSS                   template.CSS
	Summary, Settings     []Field
	Sections              []sectionView
	Errors, Skipped       []Problem
}

type stamp struct{ Machine, Human string }

type sectionView struct {
	ID, Title, Note, Anchor string
	Total, More             int
	Items                   []itemView
}

type itemView struct {
	Name, Path, Href, Caption, Score, SHA256, Size, Dimensions string
	Thumb                                                      *thumbView
}

type thumbView struct {
	URI           template.URL
	Width, Height int
}

// Write renders the report as one HTML page.
func Write(w io.Writer, r Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := tmpl.Execute(bw, newPage(r)); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// WriteFile writes the report to path through a temporary file in the same folder, synced and then renamed
// over path, so that a crash leaves either the previous file or the whole new one, never half a page. An
// existing file at path is replaced.
func WriteFile(path string, r Report) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := Write(f, r); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it 0600; the report is for sharing
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(dir) // the rename itself; best effort (not possible on every system)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func newPage(r Report) page {
	p := page{Title: r.Title, Kind: r.Kind, KindName: kindName(r.Kind), CSS: template.CSS(pageCSS),
		Summary: r.Summary, Settings: r.Settings, Errors: r.Errors, Skipped: r.Skipped}
	if p.Title == "" {
		p.Title = p.KindName
	}
	if !r.Created.IsZero() {
		p.Created = &stamp{Machine: r.Created.Format(time.RFC3339), Human: r.Created.Format("2006-01-02 15:04:05 MST")}
	}
	for i, s := range r.Sections {
		v := sectionView{ID: s.ID, Title: s.Title, Note: s.Note, Anchor: fmt.Sprintf("section-%d", i+1),
			Total: s.total(), Items: make([]itemView, len(s.Items))}
		v.More = v.Total - len(s.Items)
		for j, it := range s.Items {
			v.Items[j] = newItemView(it)
		}
		p.Sections = append(p.Sections, v)
	}
	return p
}

func newItemView(it Item) itemView {
	v := itemView{Name: it.Name, Path: it.Path, Href: it.Href, Caption: it.Caption, Score: it.Score, SHA256: it.SHA256}
	if it.Size > 0 {
		v.Size = humanBytes(it.Size)
	}
	if it.Width > 0 && it.Height > 0 {
		v.Dimensions = fmt.Sprintf("%d × %d pixels", it.Width, it.Height)
	}
	if len(it.Thumb) > 0 {
		// The size lets the browser lay the page out before it decodes any image; bytes that are not a
		// JPEG are dropped rather than shown broken.
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(it.Thumb)); err == nil {
			v.Thumb = &thumbView{URI: template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(it.Thumb)),
				Width: cfg.Width, Height: cfg.Height}
		}
	}
	return v
}

func kindName(kind string) string {
	switch kind {
	case "sort":
		return "Sort report"
	case "search":
		return "Search report"
	case "duplicates":
		return "Duplicates report"
	}
	return "Report"
}

// humanBytes is "1.2 MB (1234567 bytes)", in powers of 1000 as file managers count.
func humanBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, unit := float64(n)/1000, "kB"
	for _, u := range []string{"MB", "GB", "TB"} {
		if v < 1000 {
			break
		}
		v, unit = v/1000, u
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", v, unit, n)
}

// visible shows what a file name really holds: control characters (newlines, tabs...), the marks that
// reorder text (a right-to-left override makes "photo\u202egpj.exe" read "photoexe.jpg"), invisible spaces
// and bytes that are not UTF-8 become "[U+202E]" or "[0xFF]". html/template escapes the result.
func visible(s string) string {
	clean := true
	for i, r := range s {
		if hidden(r) || (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) { // invalid UTF-8
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "[0x%02X]", s[0])
		case hidden(r):
			fmt.Fprintf(&b, "[U+%04X]", r)
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

func hidden(r rune) bool {
	switch r {
	case '\u200b', '\u2060', '\ufeff': // zero-width space, word joiner, BOM
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// RelativeLink is Item.Href for a file, from a report written into the folder reportDir: a relative URL
// ("./cats/a%20b.jpg"), each name escaped, so that names with "#", "?", ":" or "%" still link to their file.
// It is "" when file cannot be reached by a relative path (another drive).
func RelativeLink(reportDir, file string) string {
	rel, err := filepath.Rel(reportDir, file)
	if err != nil {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "./" + strings.Join(parts, "/")
}
