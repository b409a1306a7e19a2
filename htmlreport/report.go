package htmlreport

import "time"

// Report is what report.html shows.
type Report struct {
	Title    string    // the page's title and heading
	Kind     string    // "sort", "search" or "duplicates"
	Created  time.Time // when the job ran
	Settings []Field   // model id and revision, template, labels, threshold, source, destination, tool version...
	Summary  []Field   // counts, in the order given
	Sections []Section // a label's folder, the search results, a group of duplicates
	Errors   []Problem // images that could not be read
	Skipped  []Problem // files left out (not images, hidden...)
}

// Field is one line of a settings or summary table.
type Field struct {
	Name, Value string
}

// Section is one group of images.
type Section struct {
	// ID names the section in the job's CSV: output.csv's folder, duplicates.csv's group. The page carries it
	// as data-section, so that a test can compare each section with the CSV's rows; it need not be unique
	// across kinds nor be a valid HTML id (the page makes its own anchors).
	ID    string
	Title string
	Note  string // a sentence under the title, or ""
	Items []Item
	// Total is how many images the section has when Items shows only some of them (the best ones); 0 means
	// len(Items).
	Total int
}

// Item is one image.
type Item struct {
	Name    string // shown under the thumbnail: the path inside the source folder
	Path    string // the original file, for provenance (data-path)
	Href    string // link to the placed file, relative to the report (see RelativeLink); "" for none
	Caption string // a label, a group role...; may be ""
	Score   string // already formatted; may be ""
	SHA256  string // hex; may be ""
	Size    int64  // bytes; 0 if unknown
	Width   int    // upright pixels; 0 if unknown
	Height  int
	Thumb   []byte // a JPEG (see Thumbnail), or nil: "no preview"
}

// Problem is a file that could not be used, or was left out.
type Problem struct {
	Path   string
	Reason string
	Kind   string // "corrupt", "unknown format", "hidden"... may be ""
}

// total is the section's number of images, never fewer than it shows.
func (s Section) total() int { return max(s.Total, len(s.Items)) }
