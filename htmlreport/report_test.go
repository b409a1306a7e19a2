package htmlreport

import (
	"bytes"
	"errors"
	"flag"
	"html"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tinyJPEG is a w x h JPEG of one colour: the same bytes on every run.
func tinyJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = []byte{200, 120, 40, 255}[i%4]
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 50}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hostile are file names an investigator's scraped folder can hold.
var hostile = []string{
	`<script>alert("x")</script>.jpg`,
	`" onerror="alert(1)" x=".jpg`,
	`it's & <b>bold</b>.png`,
	"line\nbreak\ttab.jpg",
	"photo\u202egpj.exe",        // right-to-left override: reads "photoexe.jpg"
	"zero\u200bwidth\ufeff.jpg", // invisible characters
	"bad\xffutf8.jpg",           // not UTF-8
	"javascript:alert(1).jpg",   // looks like a URL scheme
	"a#b?c%20d.jpg",             // URL syntax
	strings.Repeat("very-long-name-", 40) + ".jpg",
	"{{.Title}} ${x} `tick`.jpg",
}

func hostileReport(t testing.TB) Report {
	thumb := tinyJPEG(t, 8, 6)
	r := Report{
		Title:   `Sort of "photos" <2024>`,
		Kind:    "sort",
		Created: time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC),
		Settings: []Field{
			{"Model", "openai/clip-vit-base-patch32"}, {"Revision", "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268"},
			{"Template", "a photo of {}"}, {"Labels", "<cat>, \"dog\""}, {"Tool version", "v0.1.0"},
		},
		Summary: []Field{{"Images", "13"}, {"Could not be read", "2"}, {"Skipped", "1"}},
	}
	var items []Item
	for i, name := range hostile {
		items = append(items, Item{Name: name, Path: "/src/" + name, Href: RelativeLink("/dest", "/dest/<label>/"+name),
			Caption: "<label>", Score: "0.9" + strconv.Itoa(i), SHA256: strings.Repeat("ab", 32), Size: 1234567,
			Width: 1280, Height: 960, Thumb: thumb})
	}
	items[2].Thumb = nil                  // no preview
	items[3].Thumb = []byte("not a JPEG") // dropped: no preview
	r.Sections = []Section{
		{ID: "<label>", Title: "<label>", Note: "Images whose best label is <label>.", Items: items},
		{ID: "unsorted", Title: "unsorted", Items: items[:2], Total: 5},
		{ID: "empty \"one\"", Title: "empty \"one\""},
	}
	r.Errors = []Problem{{Path: "/src/" + hostile[0], Reason: "damaged <JPEG>", Kind: "corrupt"}, {Path: "/src/x.gif", Reason: "truncated"}}
	r.Skipped = []Problem{{Path: "/src/notes.txt", Reason: "not an image", Kind: "not an image"}}
	return r
}

func render(t testing.TB, r Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
	}{
		{"sample", hostileReport(t)},
		{"empty", Report{}},
	} {
		got := render(t, tc.r)
		path := filepath.Join("testdata", tc.name+".golden.html")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (go test -update rewrites it; review the diff)", tc.name, path)
		}
	}
}

var (
	attrRE = regexp.MustCompile(`\s([a-z-]+)="([^"]*)"`)
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
)

// attrs returns every value of attribute name, unescaped, in document order.
func attrs(doc, name string) []string {
	var out []string
	for _, m := range attrRE.FindAllStringSubmatch(doc, -1) {
		if m[1] == name {
			out = append(out, html.UnescapeString(m[2]))
		}
	}
	return out
}

// TestHostileNames: whatever a file name holds, it stays text: no tag, attribute or script comes out of it,
// and data-path gives the path back as it was.
func TestHostileNames(t *testing.T) {
	r := hostileReport(t)
	doc := render(t, r)
	// What is shown: the page without its data-path attributes, which keep the paths as they are.
	shown := regexp.MustCompile(` data-path="[^"]*"`).ReplaceAllString(doc, "")
	for _, bad := range []string{"<script", "<b>", `" onerror`, "\u202e", "\u200b", "\ufeff", "\xff"} {
		if i := strings.Index(shown, bad); i >= 0 {
			t.Errorf("the page shows %q raw: %q", bad, shown[max(0, i-80):min(len(shown), i+80)])
		}
	}
	tags := map[string]bool{}
	for _, m := range tagRE.FindAllStringSubmatch(doc, -1) {
		tags[strings.ToLower(m[1])] = true
	}
	for tag := range tags {
		switch tag {
		case "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "time", "main", "nav", "ol", "li",
			"a", "section", "table", "tr", "th", "td", "thead", "tbody", "small", "ul", "figure", "div", "img", "span",
			"figcaption", "details", "summary", "dl", "dt", "dd", "footer":
		default:
			t.Errorf("unexpected tag <%s> in the page", tag)
		}
	}
	var want []string
	for _, s := range r.Sections {
		for _, it := range s.Items {
			want = append(want, it.Path)
		}
	}
	for _, p := range append(r.Errors, r.Skipped...) {
		want = append(want, p.Path)
	}
	got := attrs(doc, "data-path")
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("data-path attributes:\n%q\nwant\n%q", got, want)
	}
	for _, v := range []string{"photo[U+202E]gpj.exe", "line[U+000A]break[U+0009]tab.jpg", "zero[U+200B]width[U+FEFF].jpg", "bad[0xFF]utf8.jpg",
		`<script>alert("x")</script>.jpg`} {
		if !strings.Contains(html.UnescapeString(shown), v) {
			t.Errorf("the page does not show %q", v)
		}
	}
	// Every link is relative and leads to the file it names.
	for _, h := range attrs(doc, "href") {
		if !strings.HasPrefix(h, "#section-") && !strings.HasPrefix(h, "./") && !strings.HasPrefix(h, "#") {
			t.Errorf("link %q", h)
		}
	}
	if !strings.Contains(doc, `href="./%3Clabel%3E/a%23b%3Fc%2520d.jpg"`) {
		t.Errorf("the link to a#b?c%%20d.jpg is not escaped as expected")
	}
}

// TestCounts: each section says how many items it shows and holds, the page how many sections it has.
func TestCounts(t *testing.T) {
	doc := render(t, hostileReport(t))
	if got, want := strings.Join(attrs(doc, "data-section"), "|"), `<label>|unsorted|empty "one"`; got != want {
		t.Errorf("data-section %q, want %q", got, want)
	}
	// Sections, then errors and skipped.
	if got, want := strings.Join(attrs(doc, "data-count"), ","), "11,2,0,2,1"; got != want {
		t.Errorf("data-count %s, want %s", got, want)
	}
	if got, want := strings.Join(attrs(doc, "data-total"), ","), "11,5,0"; got != want {
		t.Errorf("data-total %s, want %s", got, want)
	}
	if got := attrs(doc, "data-sections"); len(got) != 1 || got[0] != "3" {
		t.Errorf("data-sections %q", got)
	}
	if !strings.Contains(doc, "… and 3 more, not shown here") {
		t.Error("the unsorted section does not say that 3 images are not shown")
	}
	// 11 + 2 items, 2 without a preview.
	if n := strings.Count(doc, "<img "); n != 11 {
		t.Errorf("%d images, want 11", n)
	}
	if n := strings.Count(doc, "no preview"); n != 2 {
		t.Errorf("%d \"no preview\", want 2", n)
	}
	if !strings.Contains(doc, `width="8" height="6"`) {
		t.Error("images do not carry their thumbnail's size")
	}
}

// TestEmptyReport: a report of nothing is still a page.
func TestEmptyReport(t *testing.T) {
	doc := render(t, Report{})
	for _, want := range []string{"<title>Report</title>", `data-sections="0"`, "</html>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the empty report lacks %q", want)
		}
	}
	if strings.Contains(doc, "<section") {
		t.Error("the empty report has sections")
	}
}

// TestNoExternalURL: the page loads nothing: no URL with a scheme, every image inline, no script, no
// stylesheet link, and a Content-Security-Policy that would block anything else.
func TestNoExternalURL(t *testing.T) {
	for _, r := range []Report{hostileReport(t), {}} {
		doc := render(t, r)
		lower := strings.ToLower(doc)
		for _, bad := range []string{"http:", "https:", "ftp:", "file://", "<script", "<link", "<iframe", "<object", "<embed", "@import", "url("} {
			if i := strings.Index(lower, bad); i >= 0 {
				t.Errorf("the page holds %q: %q", bad, doc[max(0, i-60):min(len(doc), i+60)])
			}
		}
		for _, h := range attrs(doc, "href") {
			if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "./") {
				t.Errorf("href %q is neither an anchor nor a relative link", h)
			}
		}
		for _, src := range attrs(doc, "src") {
			if !strings.HasPrefix(src, "data:image/jpeg;base64,") {
				t.Errorf("src %.60q is not an inline JPEG", src)
			}
		}
		for _, a := range []string{"srcset", "poster", "background", "action", "formaction"} {
			if v := attrs(doc, a); len(v) > 0 {
				t.Errorf("attribute %s=%q", a, v)
			}
		}
		if !strings.Contains(doc, `content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`) {
			t.Error("no Content-Security-Policy")
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n += len(p); w.n > 1000 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestWriteFile: the report replaces an older one whole, readable by all; a failure leaves the older one
// and no temporary file.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := hostileReport(t)
	if err := WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != render(t, r) {
		t.Error("the file differs from Write's output")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	// The rename fails (a folder is in the way): the folder stays, no temporary file is left.
	blocked := filepath.Join(dir, "blocked.html")
	if err := os.Mkdir(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, r); err == nil {
		t.Error("writing over a folder succeeded")
	}
	if err := WriteFile(filepath.Join(dir, "missing", "report.html"), r); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "blocked.html report.html" {
		t.Errorf("folder holds %v, want only blocked.html and report.html", names)
	}
	if err := Write(&failingWriter{}, r); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Write to a failing writer: %v", err)
	}
}

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"plain.jpg":             "plain.jpg",
		"日本語 ملف.jpg":           "日本語 ملف.jpg",
		"a\u202eb":              "a[U+202E]b",
		"a\u2066b\u2069":        "a[U+2066]b[U+2069]",
		"a\r\nb":                "a[U+000D][U+000A]b",
		"a\xff\xfeb":            "a[0xFF][0xFE]b",
		"real \ufffd kept":      "real \ufffd kept",
		"emoji 👨\u200d👩\u200d👧": "emoji 👨\u200d👩\u200d👧", // joiners inside emoji stay
	} {
		if got := visible(in); got != want {
			t.Errorf("visible(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRelativeLink(t *testing.T) {
	for _, tc := range []struct{ dir, file, want string }{
		{"/d", "/d/cats/a b.jpg", "./cats/a%20b.jpg"},
		{"/d", "/d/x:y#z?.jpg", "./x:y%23z%3F.jpg"},
		{"/d/sub", "/d/cats/100%.jpg", "./../cats/100%25.jpg"},
		{"/d", "/d/new\nline.jpg", "./new%0Aline.jpg"},
	} {
		if got := RelativeLink(tc.dir, tc.file); got != tc.want {
			t.Errorf("RelativeLink(%q, %q) = %q, want %q", tc.dir, tc.file, got, tc.want)
		}
	}
}
