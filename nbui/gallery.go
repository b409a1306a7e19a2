package nbui

// The gallery: for each label, thumbnails of its images with their scores (best first), then "unsorted",
// then the images that could not be sorted. Thumbnails are small JPEGs inside the HTML (data: URIs), so a
// saved or shared notebook shows them without the image files.

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/sorter"
	"golang.org/x/image/draw"
)

// GalleryOptions bound the gallery's size: a notebook holding thousands of thumbnails gets slow to open.
type GalleryOptions struct {
	PerLabel  int // thumbnails per label, best scores first; default 24
	ThumbSize int // longest side of a thumbnail, in pixels; default 128
}

func (o GalleryOptions) withDefaults() GalleryOptions {
	if o.PerLabel <= 0 {
		o.PerLabel = 24
	}
	if o.ThumbSize <= 0 {
		o.ThumbSize = 128
	}
	return o
}

// Gallery is what GalleryHTML draws.
type Gallery struct {
	Groups []GalleryGroup      // one per label in the order given, then "unsorted" if it has images
	Errors []sorter.ImageError // images that could not be sorted
}

// GalleryGroup is one label's folder.
type GalleryGroup struct {
	Label    string // as typed; "unsorted" for the unsorted folder
	Folder   string // inside the destination
	Unsorted bool
	Total    int           // images in the folder (Items may show fewer)
	Items    []GalleryItem // best scores first
}

// GalleryItem is one thumbnail.
type GalleryItem struct {
	Name  string       // the path inside the source folder
	Label string       // its best label (differs from the group's only in "unsorted")
	Score float64      // the probability of Label
	Thumb template.URL // data: URI of the thumbnail; "" if the image could not be read again
}

// NewGallery groups a sort's results (sorter.ReadResults of its report) by folder and makes the thumbnails,
// from the placed files (or the sources, when a placed file is gone).
func NewGallery(sum *sorter.Summary, results []sorter.Result, o GalleryOptions) Gallery {
	o = o.withDefaults()
	g := Gallery{Errors: sum.Errors}
	index := map[string]int{}
	for _, l := range sum.Labels {
		index[l.Folder] = len(g.Groups)
		g.Groups = append(g.Groups, GalleryGroup{Label: l.Label, Folder: l.Folder})
	}
	byGroup := make([][]sorter.Result, len(g.Groups)+1) // the last is "unsorted"
	for _, r := range results {
		i, ok := index[r.Folder]
		if r.Unsorted || !ok {
			i = len(g.Groups)
		}
		byGroup[i] = append(byGroup[i], r)
	}
	if n := len(byGroup[len(g.Groups)]); n > 0 || sum.Threshold > 0 {
		g.Groups = append(g.Groups, GalleryGroup{Label: sorter.UnsortedFolder, Folder: sorter.UnsortedFolder, Unsorted: true})
	}
	type job struct {
		item *GalleryItem
		path string
	}
	var jobs []job
	for gi := range g.Groups {
		rs := byGroup[gi]
		slices.SortStableFunc(rs, func(a, b sorter.Result) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.ImageName, b.ImageName))
		})
		grp := &g.Groups[gi]
		grp.Total = len(rs)
		rs = rs[:min(len(rs), o.PerLabel)]
		grp.Items = make([]GalleryItem, len(rs))
		for i, r := range rs {
			grp.Items[i] = GalleryItem{Name: shortName(sum.Source, r.ImageName), Label: r.Label, Score: r.Score}
			path := r.DestinationPath
			if _, err := os.Stat(path); path == "" || err != nil {
				path = r.SourcePath
			}
			jobs = append(jobs, job{&grp.Items[i], path})
		}
	}
	work := make(chan job)
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), 4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if uri, err := Thumbnail(j.path, o.ThumbSize); err == nil {
					j.item.Thumb = uri
				}
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	return g
}

// shortName is image_name (the source folder as typed, joined with the path inside it) without the source
// folder.
func shortName(source, imageName string) string {
	if rel, err := filepath.Rel(source, imageName); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return imageName
}

// Thumbnail decodes an image file as the model does (first frame, EXIF orientation applied), shrinks it
// so that its longest side is at most size pixels, and returns it as a JPEG data: URI.
func Thumbnail(path string, size int) (template.URL, error) {
	img, err := imagefile.Load(path, imagefile.Options{})
	if err != nil {
		return "", err
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, h*size/w)
		} else {
			w, h = max(1, w*size/h), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	var b bytes.Buffer
	b.WriteString("data:image/jpeg;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	if err := jpeg.Encode(enc, dst, &jpeg.Options{Quality: 80}); err != nil {
		return "", fmt.Errorf("encoding the thumbnail of %s: %w", path, err)
	}
	enc.Close()
	return template.URL(b.String()), nil
}

var galleryTmpl = template.Must(template.New("gallery").Funcs(template.FuncMap{
	"score": func(p float64) string { return fmt.Sprintf("%.2f", p) },
	"more":  func(g GalleryGroup) int { return g.Total - len(g.Items) },
}).Parse(`<div class="sis sis-gallery">{{.Style}}
<h3>Images by label</h3>
{{range $g := .Groups}}<section class="sis-group"><h4>{{.Label}} <small>{{.Total}} image{{if ne .Total 1}}s{{end}} in <code>{{.Folder}}/</code>{{if .Unsorted}}, each with its best label{{end}}</small></h4>
{{if .Items}}<div class="sis-thumbs">
{{range .Items}}<figure class="sis-thumb"><div class="sis-img">{{if .Thumb}}<img src="{{.Thumb}}" alt="{{.Name}}" title="{{.Name}}: {{.Label}} {{score .Score}}">{{else}}<span class="sis-missing">no preview</span>{{end}}</div>` +
	`<figcaption>{{.Name}}<span class="sis-score">{{if $g.Unsorted}}{{.Label}} {{end}}{{score .Score}}</span></figcaption></figure>
{{end}}</div>
{{if gt (more .) 0}}<p class="sis-muted">… and {{more .}} more in the folder.</p>
{{end}}{{else}}<p class="sis-muted">No images.</p>
{{end}}</section>
{{end}}{{with .Errors}}<section class="sis-errors"><h4>Could not be sorted <small>{{len .}}</small></h4>
<ul>
{{range .}}<li><code>{{.Path}}</code>: {{.Reason}}{{with .Kind}} <small>({{.}})</small>{{end}}</li>
{{end}}</ul>
</section>
{{end}}</div>`))

// HTML draws the gallery.
func (g Gallery) HTML() string {
	var b bytes.Buffer
	err := galleryTmpl.Execute(&b, struct {
		Gallery
		Style template.HTML
	}{g, styleTag})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// Text is the gallery as text: each label's images with their scores, then the errors.
func (g Gallery) Text() string {
	var b strings.Builder
	for _, grp := range g.Groups {
		fmt.Fprintf(&b, "%s (%d):", grp.Label, grp.Total)
		for _, it := range grp.Items {
			if grp.Unsorted {
				fmt.Fprintf(&b, " %s [%s %.2f]", it.Name, it.Label, it.Score)
			} else {
				fmt.Fprintf(&b, " %s [%.2f]", it.Name, it.Score)
			}
		}
		if more := grp.Total - len(grp.Items); more > 0 {
			fmt.Fprintf(&b, " … and %d more", more)
		}
		b.WriteString("\n")
	}
	if len(g.Errors) > 0 {
		fmt.Fprintf(&b, "Could not be sorted (%d):\n", len(g.Errors))
		for _, e := range g.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", e.Path, e.Reason)
		}
	}
	return b.String()
}
