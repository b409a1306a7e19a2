package nbui

// The gallery: for each label, thumbnails of its images with their scores (best first), then "unsorted",
// then the images that could not be sorted. Thumbnails are small JPEGs inside the HTML (data: URIs), so a
// saved or shared notebook shows them without the image files.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/htmlreport"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// GalleryOptions bound the gallery's size: a notebook holding thousands of thumbnails gets slow to open.
type GalleryOptions struct {
	PerLabel  int    // thumbnails per label, best scores first; default 24
	ThumbSize int    // longest side of a thumbnail, in pixels; default 128
	FFmpeg    string // the ffmpeg that shows videos' frames; "" finds it on PATH
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
	Frame string       // for a video, when its frame shown (the one that scored Label) is: "0:41.250"; "" for an image
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
	var items []*GalleryItem
	var pics []picture
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
			if r.Video {
				grp.Items[i].Frame = sorter.FrameClock(r.FrameTime) // the frame that scored its label is shown
			}
			items, pics = append(items, &grp.Items[i]), append(pics, picture{path, r.Video, r.FrameTime})
		}
	}
	for i, uri := range thumbnails(pics, o) {
		items[i].Thumb = uri
	}
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

// picture is a file to show: an image, or a video's frame at at.
type picture struct {
	path  string
	video bool
	at    time.Duration
}

// thumbnails makes the Thumbnail of each picture, images a few at a time, videos' frames with ffmpeg; "" where a
// picture cannot be read (or, without ffmpeg, for a video).
func thumbnails(pics []picture, o GalleryOptions) []template.URL {
	uris := make([]template.URL, len(pics))
	var paths []string
	var at []int
	for i, p := range pics {
		if p.video {
			if j, err := sorter.VideoThumbnail(context.Background(), o.FFmpeg, p.path, p.at, o.ThumbSize); err == nil {
				uris[i] = dataURI(j)
			}
			continue
		}
		paths, at = append(paths, p.path), append(at, i)
	}
	jpegs, _ := htmlreport.Thumbnails(context.Background(), paths, o.ThumbSize, min(runtime.NumCPU(), 4), nil)
	for k, j := range jpegs {
		if j != nil {
			uris[at[k]] = dataURI(j)
		}
	}
	return uris
}

// Thumbnail is htmlreport.Thumbnail (the image decoded as the model does: first frame, EXIF orientation applied;
// longest side at most size pixels) as a JPEG data: URI.
func Thumbnail(path string, size int) (template.URL, error) {
	j, err := htmlreport.Thumbnail(path, size)
	if err != nil {
		return "", err
	}
	return dataURI(j), nil
}

func dataURI(jpeg []byte) template.URL {
	return template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpeg))
}

var galleryTmpl = template.Must(template.New("gallery").Funcs(template.FuncMap{
	"score": func(p float64) string { return fmt.Sprintf("%.2f", p) },
	"more":  func(g GalleryGroup) int { return g.Total - len(g.Items) },
}).Parse(`<div class="sis sis-gallery">{{.Style}}
<h3>Images by label</h3>
{{range $g := .Groups}}<section class="sis-group"><h4>{{.Label}} <small>{{.Total}} image{{if ne .Total 1}}s{{end}} in <code>{{.Folder}}/</code>{{if .Unsorted}}, each with its best label{{end}}</small></h4>
{{if .Items}}<div class="sis-thumbs">
{{range .Items}}<figure class="sis-thumb"><div class="sis-img">{{if .Thumb}}<img src="{{.Thumb}}" alt="{{.Name}}" title="{{.Name}}: {{.Label}} {{score .Score}}">{{else}}<span class="sis-missing">no preview</span>{{end}}</div>` +
	`<figcaption>{{.Name}}{{with .Frame}}<span class="sis-frame">video, frame at {{.}}</span>{{end}}<span class="sis-score">{{if $g.Unsorted}}{{.Label}} {{end}}{{score .Score}}</span></figcaption></figure>
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
			frame := ""
			if it.Frame != "" {
				frame = " at " + it.Frame
			}
			if grp.Unsorted {
				fmt.Fprintf(&b, " %s [%s %.2f%s]", it.Name, it.Label, it.Score, frame)
			} else {
				fmt.Fprintf(&b, " %s [%.2f%s]", it.Name, it.Score, frame)
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
