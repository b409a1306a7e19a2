package nbui

// The search cell: rank the images of the last sort's folder by a text, an example image or both
// (sorter.Search), shown as thumbnails with their rank and score. It and the duplicates cell (duplicates.go)
// read the same folder with the same model as the last sort (withLastFolder, below), so the embedding cache
// the sort filled makes them take seconds.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// DefaultSearchResults is how many results the search cell shows unless told otherwise.
const DefaultSearchResults = 24

// Search shows the DefaultSearchResults images of the last sort's folder that best match query (a text,
// filled into the sort's prompt "This is a photo of {}.") and example (an image file: find more like it).
// Either may be empty, not both. See SearchTop.
func Search(ctx context.Context, query, example string) error {
	return SearchTop(ctx, query, example, DefaultSearchResults)
}

// SearchTop is Search showing the top best results. The folder is the last sort's source, or its
// destination after a move (where the images are now), read with the same model; without an earlier sort
// on record, the form's defaults. Nothing is copied or moved.
func SearchTop(ctx context.Context, query, example string, top int) error {
	_, err := search(ctx, Notebook(), lastRunPath(), query, example, top)
	flush()
	return err
}

// search runs the search cell with the last-run record at record, showing everything (errors too) on out.
func search(ctx context.Context, out Output, record, query, example string, top int) (*SearchView, error) {
	v, err := searchWith(ctx, out, record, query, example, top)
	if err != nil {
		showJobError(out, err)
	}
	return v, err
}

// showJobError shows an error of the search or duplicates cell, with what to do; a stop (the cell interrupted)
// as a note, since nothing is lost.
func showJobError(out Output, err error) {
	if errors.Is(err, context.Canceled) {
		note := "Stopped. The images read so far are in the embedding cache: run the cell again to go on from there."
		out.Display(`<div class="sis sis-note">`+string(styleTag)+escape(note)+`</div>`, note)
		return
	}
	out.Display(ErrorHTML(err), ErrorText(err))
}

func searchWith(ctx context.Context, out Output, record, query, example string, top int) (*SearchView, error) {
	query, example = strings.TrimSpace(query), expandHome(example)
	if query == "" && example == "" {
		return nil, &sorter.Error{Msg: "nothing to search for",
			Hint: `type what to look for between the quotes of query, e.g. "a tank with a white Z", or give an example image`}
	}
	if top < 1 {
		return nil, &sorter.Error{Msg: fmt.Sprintf("%d results asked for", top),
			Hint: fmt.Sprintf("ask for at least 1, e.g. %d", DefaultSearchResults)}
	}
	var view *SearchView
	err := withLastFolder(ctx, out, record, "Searching", func(m models.Model, f sorter.Folder, _ Settings) error {
		o := sorter.DefaultSearchOptions()
		o.Folder, o.Top = f, top
		if query != "" {
			o.Texts = []string{query}
		}
		if example != "" {
			o.Like = []string{example}
		}
		res, err := sorter.Search(ctx, m, o)
		if err != nil {
			return err
		}
		for _, n := range res.Notes {
			out.Display(noteHTML(n), noteText(n))
		}
		view = NewSearchView(res, GalleryOptions{})
		out.Display(view.HTML(), view.Text())
		return nil
	})
	return view, err
}

// withLastFolder shows "<doing> <folder>" ("Searching /cases/42"), opens the last sort's model and calls job with
// the folder to read (see lastFolder), set up for the notebook: a progress bar; the engine's batch size.
func withLastFolder(ctx context.Context, out Output, record, doing string, job func(models.Model, sorter.Folder, Settings) error) error {
	last, folder, err := lastFolder(out, record)
	if err != nil {
		return err
	}
	msg := doing + " " + folder
	out.Display(`<div class="sis"><h3>`+escape(msg)+`</h3></div>`, msg)
	if note := insideNote(folder, last); note != "" {
		out.Display(noteHTML(note), noteText(note))
	}
	bar := NewProgressBar(out)
	m, notes, err := openModel(ctx, last.Model, bar)
	showNotes(out, notes)
	if err != nil {
		return err
	}
	defer m.Close()
	f := sorter.DefaultFolder()
	f.Source = folder
	bar.doing = "Reading the images"
	f.Progress = bar.Update
	return job(m, f, last)
}

// lastFolder is the folder the search and duplicates cells read: the last sort's source, or its destination
// after a move, since the images are there now (as Resort does). Without an earlier sort on record it is the
// form's default (the sample photos), with a note.
func lastFolder(out Output, record string) (Settings, string, error) {
	last, err := LoadLastRun(record)
	if errors.Is(err, fs.ErrNotExist) {
		last = DefaultSettings()
		note := "No earlier sort on record: using the form's default folder and model."
		out.Display(`<div class="sis sis-note">`+escape(note)+`</div>`, note)
	} else if err != nil {
		return last, "", err
	}
	folder := last.Source
	if op, err := sorter.ParseOperation(last.Operation); err == nil && op == sorter.Move {
		folder = last.Destination
	}
	return last, expandHome(folder), nil
}

// insideNote warns when the last sort's destination lies inside the folder read: the sorted copies are read
// too, so every image is there twice ("" otherwise).
func insideNote(folder string, last Settings) string {
	dest := expandHome(last.Destination)
	rel, err := filepath.Rel(folder, dest)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return ""
	}
	return "the last sort's destination, " + dest + ", lies inside this folder: the images sorted into it are read too, " +
		"so each may show up twice. Sort into a folder outside the source to avoid this."
}

// SearchView is what the search cell shows: the results, best first, and what reading the folder found.
type SearchView struct {
	Query string       // as sorter.SearchResult writes it: "a tank" + like photo.jpg
	Items []SearchItem // best first
	Read  FolderRead
}

// SearchItem is one result.
type SearchItem struct {
	Rank  int
	Score float32      // cosine similarity with the query
	Name  string       // the path inside the folder searched
	Thumb template.URL // "" if the image could not be read again
	Frame string       // for a video, when its best-matching frame (the one shown) is; "" otherwise
}

// NewSearchView makes the thumbnails of res's results (o.ThumbSize; o.PerLabel is not used: res has the
// number of results asked for).
func NewSearchView(res *sorter.SearchResult, o GalleryOptions) *SearchView {
	o = o.withDefaults()
	v := &SearchView{Query: res.Query, Read: newFolderRead(res.Collection, res.Elapsed)}
	pics := make([]picture, len(res.Hits))
	for i, h := range res.Hits {
		v.Items = append(v.Items, SearchItem{Rank: h.Rank, Score: h.Score, Name: h.Image.Rel})
		if h.HasFrame {
			v.Items[i].Frame = sorter.FrameClock(h.Frame)
		}
		pics[i] = picture{path: h.Image.Path, video: h.Image.Video, at: h.Frame}
	}
	for i, uri := range thumbnails(pics, o) {
		v.Items[i].Thumb = uri
	}
	return v
}

var searchTmpl = template.Must(template.New("search").Funcs(template.FuncMap{"score": cosine}).Parse(
	`<div class="sis sis-search">{{.Style}}
<h3>Best matches for {{.Query}}</h3>
{{if .Items}}<p class="sis-muted">{{.Intro}} Under each image: its rank and its score, the cosine similarity with what you searched for. Only the order matters: scores are not probabilities.</p>
<div class="sis-thumbs">
{{range .Items}}<figure class="sis-thumb"><div class="sis-img">{{if .Thumb}}<img src="{{.Thumb}}" alt="{{.Name}}" title="{{.Rank}}. {{.Name}}: {{score .Score}}">{{else}}<span class="sis-missing">no preview</span>{{end}}</div>` +
		`<figcaption><small>{{.Rank}}.</small> {{.Name}}{{with .Frame}}<span class="sis-frame">video, frame at {{.}}</span>{{end}}<span class="sis-score">{{score .Score}}</span></figcaption></figure>
{{end}}</div>
{{else}}<p>No images found in <code>{{.Read.Folder}}</code> (its sub-folders included).</p>
{{end}}<ul class="sis-facts">
{{range .Facts}}<li>{{.}}</li>
{{end}}</ul>
</div>`))

func cosine(s float32) string { return fmt.Sprintf("%.3f", s) }

// intro says which results are shown.
func (v *SearchView) intro() string {
	if len(v.Items) == v.Read.Images {
		return fmt.Sprintf("All %s in %s, best match first.", plural(v.Read.Images, "image"), v.Read.Folder)
	}
	return fmt.Sprintf("The %d best of %s in %s, best first.", len(v.Items), plural(v.Read.Images, "image"), v.Read.Folder)
}

// HTML draws the results as thumbnails.
func (v *SearchView) HTML() string {
	var b bytes.Buffer
	err := searchTmpl.Execute(&b, struct {
		*SearchView
		Style template.HTML
		Intro string
		Facts []template.HTML
	}{v, styleTag, v.intro(), v.Read.facts()})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// Text is the results as a table of text.
func (v *SearchView) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Best matches for %s\n", v.Query)
	if len(v.Items) == 0 {
		fmt.Fprintf(&b, "No images found in %s.\n", v.Read.Folder)
	} else {
		fmt.Fprintf(&b, "%s Scores are cosine similarities: only the order matters.\n", v.intro())
		fmt.Fprintf(&b, "%4s  %6s  %s\n", "rank", "score", "image")
	}
	for _, it := range v.Items {
		fmt.Fprintf(&b, "%4d  %6s  %s\n", it.Rank, cosine(it.Score), it.Name)
	}
	b.WriteString(v.Read.text())
	return b.String()
}

// FolderRead is what reading a folder for a search or a duplicates check found besides the images.
type FolderRead struct {
	Folder    string
	Images    int // images read
	CacheHits int // embeddings from the cache
	Computed  int // images the model embedded now
	Elapsed   time.Duration
	Errors    []sorter.ImageError // files that look like images but could not be read
	Skipped   int                 // files that are not images, and hidden ones
}

func newFolderRead(col *sorter.Collection, elapsed time.Duration) FolderRead {
	return FolderRead{Folder: col.Source, Images: len(col.Images), CacheHits: col.CacheHits, Computed: col.Computed,
		Elapsed: elapsed, Errors: col.Errors, Skipped: len(col.Skipped)}
}

// errorsShown bounds the unreadable files listed by name.
const errorsShown = 5

// facts are list items: the time and the cache, the files that could not be read, the files left out.
func (r FolderRead) facts() []template.HTML {
	esc := template.HTMLEscapeString
	var out []template.HTML
	add := func(format string, args ...any) { out = append(out, template.HTML(fmt.Sprintf(format, args...))) }
	add("Took %s. Embedding cache: %d reused, %d computed.", esc(roughDuration(r.Elapsed)), r.CacheHits, r.Computed)
	if n := len(r.Errors); n > 0 {
		var names []string
		for i, e := range r.Errors {
			if i == errorsShown {
				names = append(names, fmt.Sprintf("and %d more", n-errorsShown))
				break
			}
			names = append(names, "<code>"+esc(e.Path)+"</code> ("+esc(strings.TrimSpace(e.Reason))+")")
		}
		add("<b>%s could not be read</b>: %s.", esc(plural(n, "file")), strings.Join(names, ", "))
	}
	if r.Skipped > 0 {
		add("%s", esc(skippedText(r.Skipped)))
	}
	return out
}

func (r FolderRead) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Took %s. Embedding cache: %d reused, %d computed.\n", roughDuration(r.Elapsed), r.CacheHits, r.Computed)
	if n := len(r.Errors); n > 0 {
		fmt.Fprintf(&b, "%s could not be read:\n", plural(n, "file"))
		for i, e := range r.Errors {
			if i == errorsShown {
				fmt.Fprintf(&b, "  … and %d more\n", n-errorsShown)
				break
			}
			fmt.Fprintf(&b, "  %s: %s\n", e.Path, strings.TrimSpace(e.Reason))
		}
	}
	if r.Skipped > 0 {
		b.WriteString(skippedText(r.Skipped) + "\n")
	}
	return b.String()
}

func skippedText(n int) string {
	if n == 1 {
		return "1 file is not an image or is hidden, and was left out."
	}
	return fmt.Sprintf("%d files are not images or are hidden, and were left out.", n)
}
