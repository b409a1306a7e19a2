package sorter

// Search: rank a folder's images by similarity to what the investigator describes — texts (through the
// template, as labels are) and example images — as rclip's query arithmetic does: the embeddings of what to
// look for are added, those of what to avoid subtracted, and every image is ranked by its cosine similarity to
// the normalised result. The folder is embedded through Collect (the cache makes a second search instant); the
// best results can be copied into a folder with the sort's never-overwrite placement.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/imageformat"
	"github.com/bellingcat/smart-image-sorter/similarity"
)

// DefaultTop is how many results a search keeps unless told otherwise.
const DefaultTop = 50

// SearchOptions configure Search. Start from DefaultSearchOptions.
type SearchOptions struct {
	Folder            // the images to search, and how they are embedded
	Texts    []string // what to look for, in words; each is filled into Template
	Like     []string // example image files: find more like these
	NotTexts []string // what to avoid, in words
	NotLike  []string // example images to avoid
	Template string   // "{}" is replaced by each text; default DefaultTemplate
	Top      int      // results kept; default DefaultTop; more than the folder has gives all
	// HTMLReport writes report.html (thumbnails of the results) into CopyTo with search.csv.
	HTMLReport bool
	// CopyTo, if set, is a folder that receives a copy of each result (never overwriting anything; a name
	// taken gets " (1)"), with search.csv listing them; it may lie inside the source (it is not searched).
	CopyTo string
}

// DefaultSearchOptions returns Search's defaults.
func DefaultSearchOptions() SearchOptions {
	return SearchOptions{Folder: DefaultFolder(), Template: DefaultTemplate, Top: DefaultTop, HTMLReport: true}
}

// SearchHit is one result.
type SearchHit struct {
	Rank  int     // 1 is the best
	Score float32 // cosine similarity with the query, -1..1
	Image Image
	// For a video whose frames are known (HasFrame): when its best-matching frame is; it scores as that frame.
	Frame    time.Duration
	HasFrame bool
	Copied   string // where --copy-to placed it; "" otherwise
}

// SearchResult is what Search found.
type SearchResult struct {
	Query      string // the query as people read it: "a tank" + like:photo.jpg - "a drawing"
	Hits       []SearchHit
	Collection *Collection // every image searched, with the errors and skipped files
	Notes      []string    // things the investigator should know (a text longer than the model reads)
	CSV        string      // search.csv written into CopyTo; "" without CopyTo
	Report     string      // report.html written into CopyTo; "" without CopyTo
	Elapsed    time.Duration

	htmlName string // where report.html goes, chosen with search.csv's name
}

// Search ranks the images of o.Source by similarity to the query. Errors meant for the investigator are *Error
// values with a Hint.
func Search(ctx context.Context, m Model, o SearchOptions) (*SearchResult, error) {
	started := time.Now()
	if o.Template == "" {
		o.Template = DefaultTemplate
	}
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	query, err := describeQuery(o)
	if err != nil {
		return nil, err
	}
	if _, err := Prompts(o.Template, nil); err != nil {
		return nil, err
	}
	folder, err := o.Folder.normalized("to search")
	if err != nil {
		return nil, err
	}
	var dest string
	var exclude os.FileInfo
	if o.CopyTo != "" {
		src, srcInfo, err := resolveSource(folder.Source)
		if err != nil {
			return nil, err
		}
		if dest, exclude, err = resolveDestination(o.CopyTo, "--copy-to", folder.Source, src, srcInfo); err != nil {
			return nil, err
		}
	}
	// The examples first: a wrong path should fail before a long embedding run.
	for _, path := range append(append([]string{}, o.Like...), o.NotLike...) {
		if err := checkExample(path); err != nil {
			return nil, err
		}
	}
	col, err := collect(ctx, m, folder, "to search", exclude)
	if err != nil {
		return nil, err
	}
	q, err := queryVector(m, col, o, folder.MaxPixels)
	if err != nil {
		return nil, err
	}
	res := &SearchResult{Query: query, Collection: col, Notes: textNotes(m, o)}
	res.Hits = rank(col, q, o.Top)
	if dest != "" {
		if err := copyHits(ctx, res, dest, folder.Logf); err != nil {
			return res, err
		}
		p := newProvenance("search", m, folder.Source, o.Template, started)
		p.Settings = [][2]string{{"query", res.Query}, {"results", strconv.Itoa(o.Top)}, {"copied to", o.CopyTo}}
		if _, err := writeProvenance(res.CSV, p); err != nil {
			return res, &Error{Msg: "cannot write the search's record next to " + res.CSV, Hint: "check the free space and your permissions", Err: err}
		}
		if o.HTMLReport {
			res.Report = res.htmlName
			o.Folder = folder
			if err := searchPage(ctx, res.Report, res, m, o, p); err != nil {
				return res, err
			}
		}
	}
	res.Elapsed = time.Since(started)
	return res, nil
}

// frameSeconds is search.csv's frame_seconds: the best frame's time for a video whose frames are known, else "".
func (h SearchHit) frameSeconds() string {
	if !h.HasFrame {
		return ""
	}
	return strconv.FormatFloat(h.Frame.Seconds(), 'f', 3, 64)
}

// rank returns the top images of col for q. A video whose frames are known scores as its best frame, so one that
// shows a tank for two seconds is found by "a tank"; the others (images, videos known only by their mean) by
// their embedding.
func rank(col *Collection, q []float32, top int) []SearchHit {
	if len(col.frames) == 0 {
		var hits []SearchHit
		for i, h := range similarity.Top(similarity.Matrix{Dim: col.Dim, Data: col.Vectors}, q, top) {
			hits = append(hits, SearchHit{Rank: i + 1, Score: h.Score, Image: col.Images[h.Index]})
		}
		return hits
	}
	// One row per image and per video frame; a video's extra rows can fill at most that many places of the
	// ranking, so the top `top` plus those holds the best `top` files.
	var data []float32
	var owner []int
	var at []time.Duration
	extra := 0
	for i := range col.Images {
		v := col.frames[i]
		if v == nil {
			data, owner, at = append(data, col.Vector(i)...), append(owner, i), append(at, 0)
			continue
		}
		for f, e := range v.embeds {
			data, owner, at = append(data, e...), append(owner, i), append(at, v.times[f])
		}
		extra += len(v.embeds) - 1
	}
	var hits []SearchHit
	seen := map[int]bool{}
	for _, h := range similarity.Top(similarity.Matrix{Dim: col.Dim, Data: data}, q, top+extra) {
		i := owner[h.Index]
		if seen[i] || len(hits) == top {
			continue
		}
		seen[i] = true
		hit := SearchHit{Rank: len(hits) + 1, Score: h.Score, Image: col.Images[i]}
		if col.frames[i] != nil {
			hit.Frame, hit.HasFrame = at[h.Index], true
		}
		hits = append(hits, hit)
	}
	return hits
}

// describeQuery checks that there is something to look for and writes the query as people read it.
func describeQuery(o SearchOptions) (string, error) {
	if len(o.Texts)+len(o.Like) == 0 {
		if len(o.NotTexts)+len(o.NotLike) > 0 {
			return "", errorf(`add what to look for, e.g. "a tank", next to what to avoid`, "a search needs something to look for, not only something to avoid")
		}
		return "", errorf(`e.g. sorter search --source DIR "a tank with a white Z", or --like photo.jpg`, "nothing to search for: give a text or an example image")
	}
	var parts []string
	for _, t := range o.Texts {
		if strings.TrimSpace(t) == "" {
			return "", errorf("remove the empty text", "one of the search texts is empty")
		}
		parts = append(parts, fmt.Sprintf("%q", t))
	}
	for _, p := range o.Like {
		parts = append(parts, "like "+p)
	}
	s := strings.Join(parts, " + ")
	for _, t := range o.NotTexts {
		if strings.TrimSpace(t) == "" {
			return "", errorf("remove the empty text", "one of the texts to avoid is empty")
		}
		s += fmt.Sprintf(" - %q", t)
	}
	for _, p := range o.NotLike {
		s += " - like " + p
	}
	return s, nil
}

// checkExample makes sure an example image exists and is an image, before anything is embedded.
func checkExample(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errorf("check the path of the example image", "the example image %s does not exist", path)
		}
		return &Error{Msg: "cannot open the example image " + path, Hint: "check your permissions", Err: err}
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return errorf("give one image file; to search a folder, pass it with --source", "the example %s is a folder, not an image", path)
	}
	head := make([]byte, sniffLen)
	n, _ := f.Read(head)
	if n == 0 {
		return errorf("give an image file (JPEG, PNG, GIF, BMP, WebP or TIFF)", "the example %s is empty", path)
	}
	if imageformat.Sniff(head[:n]) == "" {
		return errorf("give an image file (JPEG, PNG, GIF, BMP, WebP or TIFF)", "the example %s is not an image: %s", path, skipReason(path, head[:n]))
	}
	return nil
}

// queryVector embeds the query: the sum of what to look for minus what to avoid, normalised. An example image
// already in the folder is not embedded again.
func queryVector(m Model, col *Collection, o SearchOptions, maxPixels int64) ([]float32, error) {
	q := make([]float64, col.Dim)
	add := func(vecs [][]float32, sign float64) error {
		for _, v := range vecs {
			if len(v) != col.Dim {
				return fmt.Errorf("model bug: a query embedding has %d values, not %d", len(v), col.Dim)
			}
			for i, x := range v {
				q[i] += sign * float64(x)
			}
		}
		return nil
	}
	texts := func(ts []string, sign float64) error {
		if len(ts) == 0 {
			return nil
		}
		prompts, err := Prompts(o.Template, ts)
		if err != nil {
			return err
		}
		vecs, err := m.EmbedTexts(prompts)
		if err != nil {
			return &Error{Msg: "the model could not encode the search text", Hint: "check the --model and the text", Err: err}
		}
		return add(vecs, sign)
	}
	images := func(paths []string, sign float64) error {
		for _, path := range paths {
			v, err := exampleVector(m, col, path, maxPixels)
			if err != nil {
				return err
			}
			if err := add([][]float32{v}, sign); err != nil {
				return err
			}
		}
		return nil
	}
	if err := texts(o.Texts, 1); err != nil {
		return nil, err
	}
	if err := images(o.Like, 1); err != nil {
		return nil, err
	}
	if err := texts(o.NotTexts, -1); err != nil {
		return nil, err
	}
	if err := images(o.NotLike, -1); err != nil {
		return nil, err
	}
	var norm float64
	for _, x := range q {
		norm += x * x
	}
	if norm = math.Sqrt(norm); norm < 1e-6 {
		return nil, errorf("leave out what to avoid, or make it differ from what to look for",
			"what to avoid cancels what to look for: the query is empty")
	}
	out := make([]float32, len(q))
	for i, x := range q {
		out[i] = float32(x / norm)
	}
	return out, nil
}

// textLimiter is implemented by models that can tell when a text is longer than they read.
type textLimiter interface {
	TextLimit(text string) (limit int, truncated bool)
}

// textNotes says which search texts the model reads only the beginning of.
func textNotes(m Model, o SearchOptions) []string {
	tl, ok := m.(textLimiter)
	if !ok {
		return nil
	}
	var notes []string
	for _, t := range append(append([]string{}, o.Texts...), o.NotTexts...) {
		prompts, err := Prompts(o.Template, []string{t})
		if err != nil {
			continue
		}
		if limit, truncated := tl.TextLimit(prompts[0]); truncated {
			short := t
			if len(short) > 40 {
				short = truncateUTF8(short, 37) + "..."
			}
			notes = append(notes, fmt.Sprintf("the text %q is longer than the model reads (%d tokens with the template): only its beginning was used; shorter texts work better", short, limit))
		}
	}
	return notes
}

// exampleVector is an example image's embedding: the folder's, if the same file is in it, else computed.
func exampleVector(m Model, col *Collection, path string, maxPixels int64) ([]float32, error) {
	sum, err := hashFile(path)
	if err != nil {
		return nil, &Error{Msg: "cannot read the example image " + path, Hint: "check the path and your permissions", Err: err}
	}
	for i, im := range col.Images {
		if im.SHA256 == sum {
			return col.Vector(i), nil
		}
	}
	pixels, err := m.PreprocessImage(path, maxPixels)
	if err != nil {
		return nil, &Error{Msg: "cannot use the example image " + path, Hint: "give another image; " + Hint(err), Err: err}
	}
	vecs, err := m.EmbedImages([][]float32{pixels})
	if err != nil || len(vecs) != 1 {
		return nil, &Error{Msg: "the model failed on the example image " + path, Hint: "try another example image", Err: err}
	}
	return vecs[0], nil
}

// searchHeader is search.csv's header.
var searchHeader = []string{"rank", "score", "image_name", "source_path", "destination_path", "sha256", "size_bytes", "width", "height",
	"frame_seconds"}

// copyHits copies the results into dest (never overwriting) and writes search.csv there.
func copyHits(ctx context.Context, res *SearchResult, dest string, logf func(string, ...any)) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return &Error{Msg: "cannot create the folder " + dest, Hint: "check the path and your permissions", Err: err}
	}
	pl := newPlacer(dest, Copy, false, false, nil, lockedLogf(logf))
	names, err := freeNames(dest, "search.csv", "search.json", ReportFile)
	if err != nil {
		return err
	}
	res.htmlName = filepath.Join(dest, names[2])
	var rows [][]string
	for i := range res.Hits {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h := &res.Hits[i]
		it := &item{c: candidate{Path: h.Image.Path, Name: h.Image.Name, Rel: h.Image.Rel}, size: h.Image.Size, sum: h.Image.SHA256}
		rel, err := placeNew(pl, ".", it)
		if err != nil {
			return &Error{Msg: fmt.Sprintf("cannot copy %s into %s", h.Image.Name, dest), Hint: "check the free space and your permissions in that folder", Err: err}
		}
		h.Copied = filepath.Join(dest, rel)
		rows = append(rows, []string{fmt.Sprint(h.Rank), formatProb(h.Score), h.Image.Name, h.Image.Path, h.Copied,
			h.Image.Hash(), fmt.Sprint(h.Image.Size), fmt.Sprint(h.Image.Width), fmt.Sprint(h.Image.Height), h.frameSeconds()})
	}
	if err := pl.sync(); err != nil {
		return err
	}
	res.CSV = filepath.Join(dest, names[0])
	return writeCSV(res.CSV, searchHeader, rows)
}

// placeNew places a copy of it in folder under the first free name, trying again when the name was taken
// meanwhile; it returns the path inside the destination.
func placeNew(pl *placer, folder string, it *item) (string, error) {
	for {
		rel, _, err := pl.target(folder, it)
		if err != nil {
			return "", err
		}
		pl.claimed[rel] = true
		err = pl.place(it, rel)
		if errors.Is(err, errNameTaken) {
			continue
		}
		return rel, err
	}
}

// freeNames returns names for a set of report files in dir that all are free: the names themselves, or each
// with the same " (n)" suffix, so that an earlier search's reports are never overwritten.
func freeNames(dir string, names ...string) ([]string, error) {
	for n := 0; n < maxSuffix; n++ {
		out := make([]string, len(names))
		free := true
		for i, name := range names {
			out[i] = suffixed(name, n)
			if _, err := os.Lstat(filepath.Join(dir, out[i])); !errors.Is(err, os.ErrNotExist) {
				free = false
				break
			}
		}
		if free {
			return out, nil
		}
	}
	return nil, errorf("choose another folder", "too many earlier reports named like %s in %s", names[0], dir)
}
