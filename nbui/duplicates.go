package nbui

// The duplicates cell: which images of the last sort's folder are the same file or the same picture reposted
// (sorter.Duplicates), each group shown as a row of thumbnails, with the list written to duplicates.csv in a
// new folder beside the last destination. Nothing is moved or deleted.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// Duplicates finds the identical files and the near-duplicates (pictures whose embeddings are at least
// similarity alike, e.g. sorter.DefaultSimilarity) in the folder the search cell reads (see SearchTop), shows
// each group, and writes duplicates.csv into a new folder beside the last destination (DuplicatesFolder).
// It never moves or deletes a file.
func Duplicates(ctx context.Context, similarity float64) error {
	_, err := duplicates(ctx, Notebook(), lastRunPath(), similarity)
	flush()
	return err
}

// duplicates runs the duplicates cell with the last-run record at record, showing everything (errors too) on out.
func duplicates(ctx context.Context, out Output, record string, similarity float64) (*DuplicatesView, error) {
	var view *DuplicatesView
	err := withLastFolder(ctx, out, record, "Looking for duplicates in", func(m models.Model, f sorter.Folder, last Settings) error {
		o := sorter.DefaultDuplicatesOptions()
		o.Folder, o.Similarity = f, similarity
		o.Destination = DuplicatesFolder(last.Destination)
		res, err := sorter.Duplicates(ctx, m, o)
		if err != nil {
			return err
		}
		view = NewDuplicatesView(res, GalleryOptions{})
		out.Display(view.HTML(), view.Text())
		return nil
	})
	if err != nil {
		showJobError(out, err)
	}
	return view, err
}

// DuplicatesFolder is a new folder beside destination for duplicates.csv: "labelled" gives
// "labelled-duplicates", or "labelled-duplicates-2", -3, ... when that exists (see NextFreeFolder).
func DuplicatesFolder(destination string) string {
	p := filepath.Clean(expandHome(destination)) + "-duplicates"
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return p
	}
	return NextFreeFolder(p)
}

// Bounds on what the duplicates cell draws (duplicates.csv lists everything).
const (
	groupsShown  = 30
	membersShown = 12
)

// DuplicatesView is what the duplicates cell shows.
type DuplicatesView struct {
	Similarity float64
	Groups     []DuplicatesGroup // the first groupsShown
	Total      int               // groups found
	Identical  int               // groups of identical files only
	CSV        string            // duplicates.csv
	Read       FolderRead
}

// DuplicatesGroup is one group of copies.
type DuplicatesGroup struct {
	Number    int
	Identical bool            // every member has the same bytes
	Members   []DuplicateItem // the first membersShown
	Total     int             // members
}

// DuplicateItem is one image of a group.
type DuplicateItem struct {
	Name       string       // the path inside the folder read
	Match      sorter.Match // first, identical or similar
	Similarity float32      // cosine similarity with the group's first image (1 for identical files)
	Thumb      template.URL // "" if the image could not be read again
}

// NewDuplicatesView makes the thumbnails (o.ThumbSize) of the groups shown.
func NewDuplicatesView(res *sorter.DuplicatesResult, o GalleryOptions) *DuplicatesView {
	o = o.withDefaults()
	v := &DuplicatesView{Similarity: res.Similarity, Total: len(res.Groups), CSV: res.CSV, Read: newFolderRead(res.Collection, res.Elapsed)}
	type at struct{ g, m int }
	var where []at
	var pics []picture
	for gi, g := range res.Groups {
		if g.Identical {
			v.Identical++
		}
		if gi >= groupsShown {
			continue
		}
		dg := DuplicatesGroup{Number: g.Number, Identical: g.Identical, Total: len(g.Members)}
		for mi, mem := range g.Members[:min(len(g.Members), membersShown)] {
			dg.Members = append(dg.Members, DuplicateItem{Name: mem.Image.Rel, Match: mem.Match, Similarity: mem.Similarity})
			where, pics = append(where, at{len(v.Groups), mi}), append(pics, picture{path: mem.Image.Path, video: mem.Image.Video})
		}
		v.Groups = append(v.Groups, dg)
	}
	for i, uri := range thumbnails(pics, o) {
		v.Groups[where[i].g].Members[where[i].m].Thumb = uri
	}
	return v
}

// Caption says how the image matches the group's first: "first", "identical" or "similar 0.962".
func (d DuplicateItem) Caption() string {
	if d.Match == sorter.MatchSimilar {
		return "similar " + cosine(d.Similarity)
	}
	return string(d.Match)
}

var duplicatesTmpl = template.Must(template.New("duplicates").Funcs(template.FuncMap{
	"more": func(shown, total int) int { return total - shown },
}).Parse(`<div class="sis sis-duplicates">{{.Style}}
<h3>{{.Headline}}</h3>
<p>{{.Kinds}} <b>Nothing was moved or deleted.</b></p>
{{range .Groups}}<section class="sis-group"><h4>Group {{.Number}} <small>{{.Total}} {{if .Identical}}identical files{{else}}near-duplicates{{end}}</small></h4>
<div class="sis-thumbs">
{{range .Members}}<figure class="sis-thumb"><div class="sis-img">{{if .Thumb}}<img src="{{.Thumb}}" alt="{{.Name}}" title="{{.Name}}: {{.Caption}}">{{else}}<span class="sis-missing">no preview</span>{{end}}</div>` +
	`<figcaption>{{.Name}}<span class="sis-score">{{.Caption}}</span></figcaption></figure>
{{end}}</div>
{{with more (len .Members) .Total}}<p class="sis-muted">… and {{.}} more in the list.</p>
{{end}}</section>
{{end}}{{with more (len .Groups) .Total}}<p class="sis-muted">… and {{.}} more groups in the list.</p>
{{end}}<ul class="sis-facts">
<li>The list of every group, to open in a spreadsheet: <code>{{.CSV}}</code></li>
{{range .Facts}}<li>{{.}}</li>
{{end}}</ul>
</div>`))

func (v *DuplicatesView) headline() string {
	if v.Total == 0 {
		return fmt.Sprintf("No duplicates among the %s in %s", plural(v.Read.Images, "image"), v.Read.Folder)
	}
	groups := "1 group"
	if v.Total != 1 {
		groups = fmt.Sprintf("%d groups", v.Total)
	}
	return fmt.Sprintf("%s of duplicates among the %s in %s", groups, plural(v.Read.Images, "image"), v.Read.Folder)
}

// kinds explains the two kinds of groups and the similarity bound.
func (v *DuplicatesView) kinds() string {
	similar := fmt.Sprintf("pictures at least %v alike, such as a photo resized, recompressed or lightly cropped "+
		"(the cosine similarity of the two images' embeddings; 1 is the same picture)", v.Similarity)
	if v.Total == 0 {
		return "No two files are identical, and there are no near-duplicates: " + similar + "."
	}
	return fmt.Sprintf("%s of identical files (the same bytes) and %s of near-duplicates: %s.",
		plural(v.Identical, "group"), plural(v.Total-v.Identical, "group"), similar)
}

// HTML draws each group as a row of thumbnails: the first image, then the others with how they match it.
func (v *DuplicatesView) HTML() string {
	var b bytes.Buffer
	err := duplicatesTmpl.Execute(&b, struct {
		*DuplicatesView
		Style           template.HTML
		Headline, Kinds string
		Facts           []template.HTML
	}{v, styleTag, v.headline(), v.kinds(), v.Read.facts()})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// Text is the groups as text.
func (v *DuplicatesView) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s.\n%s Nothing was moved or deleted.\n", v.headline(), v.kinds())
	for _, g := range v.Groups {
		kind := "near-duplicates"
		if g.Identical {
			kind = "identical files"
		}
		fmt.Fprintf(&b, "Group %d, %d %s:\n", g.Number, g.Total, kind)
		for _, m := range g.Members {
			fmt.Fprintf(&b, "  %-16s %s\n", m.Caption(), m.Name)
		}
		if more := g.Total - len(g.Members); more > 0 {
			fmt.Fprintf(&b, "  … and %d more in the list\n", more)
		}
	}
	if more := v.Total - len(v.Groups); more > 0 {
		fmt.Fprintf(&b, "… and %d more groups in the list.\n", more)
	}
	fmt.Fprintf(&b, "List: %s\n", v.CSV)
	b.WriteString(v.Read.text())
	return b.String()
}
