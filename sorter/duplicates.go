package sorter

// Duplicates: which images of a folder are the same file (byte for byte: the same SHA-256) or the same picture
// reposted (recompressed, resized, lightly cropped or recoloured: image embeddings whose cosine similarity
// reaches a bound). Identical files are grouped first; one embedding per distinct content then goes to
// similarity.Groups, which links every pair at or above the bound exactly (no pair is missed) and returns the
// connected groups. It reads and reports; it never deletes or moves a file.

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/similarity"
)

// DefaultSimilarity is duplicates' default bound on the cosine similarity of two images' embeddings.
// See README "Near-duplicates" for how it was chosen and what it misses.
const DefaultSimilarity = 0.97

// DuplicatesFile is the report duplicates writes.
const DuplicatesFile = "duplicates.csv"

// DuplicatesOptions configure Duplicates. Start from DefaultDuplicatesOptions.
type DuplicatesOptions struct {
	Folder              // the images to compare, and how they are embedded
	Similarity  float64 // (0, 1]: images at least this similar are near-duplicates; 1 means identical embeddings
	Destination string  // folder that receives duplicates.csv (and report.html); default "duplicates"
	HTMLReport  bool    // write report.html (thumbnails of every group) into Destination
}

// DefaultDuplicatesOptions returns Duplicates' defaults.
func DefaultDuplicatesOptions() DuplicatesOptions {
	return DuplicatesOptions{Folder: DefaultFolder(), Similarity: DefaultSimilarity, Destination: "duplicates", HTMLReport: true}
}

// Match says how a member of a duplicate group relates to the group's first image.
type Match string

const (
	MatchFirst     Match = "first"     // the group's first image (in path order)
	MatchIdentical Match = "identical" // the same bytes as the first
	MatchSimilar   Match = "similar"   // another file whose picture is at least Similarity alike (possibly through others)
)

// DuplicateGroup is a set of images that are copies of one another.
type DuplicateGroup struct {
	Number  int // 1, 2, ... in the order of the groups' first images
	Members []DuplicateMember
	// Identical is true when every member has the same bytes.
	Identical bool
}

// DuplicateMember is one image of a group.
type DuplicateMember struct {
	Image      Image
	Match      Match
	Similarity float32 // cosine similarity of its embedding with the first image's (1 for identical files)
}

// DuplicatesResult is what Duplicates found.
type DuplicatesResult struct {
	Groups     []DuplicateGroup
	Collection *Collection // every image compared, with the errors and skipped files
	Similarity float64
	CSV        string // duplicates.csv
	Report     string // report.html; "" when not written
	Elapsed    time.Duration
}

// Duplicates finds the identical and near-duplicate images of o.Source and writes duplicates.csv into
// o.Destination. Errors meant for the investigator are *Error values with a Hint.
func Duplicates(ctx context.Context, m Model, o DuplicatesOptions) (*DuplicatesResult, error) {
	started := time.Now()
	if math.IsNaN(o.Similarity) || o.Similarity <= 0 || o.Similarity > 1 {
		return nil, errorf(fmt.Sprintf("use a number above 0 and at most 1, e.g. %v (1 finds only identical pictures)", DefaultSimilarity),
			"similarity %v is not in (0, 1]", o.Similarity)
	}
	if o.Destination == "" {
		o.Destination = "duplicates"
	}
	folder, err := o.Folder.normalized("to compare")
	if err != nil {
		return nil, err
	}
	src, srcInfo, err := resolveSource(folder.Source)
	if err != nil {
		return nil, err
	}
	dest, destInfo, err := resolveDestination(o.Destination, "--destination", folder.Source, src, srcInfo)
	if err != nil {
		return nil, err
	}
	col, err := collect(ctx, m, folder, "to compare", destInfo)
	if err != nil {
		return nil, err
	}
	groups, err := groupDuplicates(ctx, col, float32(o.Similarity))
	if err != nil {
		return nil, err
	}
	res := &DuplicatesResult{Groups: groups, Collection: col, Similarity: o.Similarity}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, &Error{Msg: "cannot create the destination folder " + o.Destination, Hint: "check the path and your permissions", Err: err}
	}
	names, err := freeNames(dest, DuplicatesFile, "duplicates.json", ReportFile)
	if err != nil {
		return nil, err
	}
	res.CSV = filepath.Join(dest, names[0])
	if err := writeCSV(res.CSV, duplicatesHeader, duplicatesRows(groups)); err != nil {
		return nil, &Error{Msg: "cannot write " + res.CSV, Hint: "check the free space and your permissions", Err: err}
	}
	p := newProvenance("duplicates", m, folder.Source, "", started)
	p.Settings = [][2]string{{"similarity", strconv.FormatFloat(o.Similarity, 'g', -1, 64)}, {"destination", o.Destination}}
	if _, err := writeProvenance(res.CSV, p); err != nil {
		return nil, &Error{Msg: "cannot write the record next to " + res.CSV, Hint: "check the free space and your permissions", Err: err}
	}
	if o.HTMLReport {
		res.Report = filepath.Join(dest, names[2])
		o.Folder = folder
		if err := duplicatesPage(ctx, res.Report, res, o, p); err != nil {
			return nil, err
		}
	}
	res.Elapsed = time.Since(started)
	return res, nil
}

// groupDuplicates groups identical files by SHA-256, then links distinct contents whose embeddings are at
// least bound alike.
func groupDuplicates(ctx context.Context, col *Collection, bound float32) ([]DuplicateGroup, error) {
	// Distinct contents, in the order of their first file.
	var distinct []int // image index of each content's first file
	filesOf := map[[32]byte][]int{}
	for i, im := range col.Images {
		if _, seen := filesOf[im.SHA256]; !seen {
			distinct = append(distinct, i)
		}
		filesOf[im.SHA256] = append(filesOf[im.SHA256], i)
	}
	vecs := make([]float32, 0, len(distinct)*col.Dim)
	for _, i := range distinct {
		vecs = append(vecs, col.Vector(i)...)
	}
	similar, err := similarity.Groups(ctx, similarity.Matrix{Dim: col.Dim, Data: vecs}, bound, nil)
	if err != nil {
		return nil, err
	}
	inSimilar := map[int]bool{}
	type rawGroup struct{ images []int } // image indices, path order
	var raw []rawGroup
	for _, g := range similar {
		var images []int
		for _, d := range g {
			inSimilar[d] = true
			images = append(images, filesOf[col.Images[distinct[d]].SHA256]...)
		}
		slices.Sort(images)
		raw = append(raw, rawGroup{images})
	}
	for d, i := range distinct {
		if files := filesOf[col.Images[i].SHA256]; len(files) > 1 && !inSimilar[d] {
			raw = append(raw, rawGroup{files})
		}
	}
	// Groups in the order of their first image.
	slices.SortFunc(raw, func(a, b rawGroup) int { return a.images[0] - b.images[0] })
	groups := make([]DuplicateGroup, len(raw))
	for n, g := range raw {
		first := col.Images[g.images[0]]
		fv := col.Vector(g.images[0])
		dg := DuplicateGroup{Number: n + 1, Identical: true}
		for k, i := range g.images {
			im := col.Images[i]
			mem := DuplicateMember{Image: im, Match: MatchSimilar, Similarity: dot(fv, col.Vector(i))}
			switch {
			case k == 0:
				mem.Match, mem.Similarity = MatchFirst, 1
			case im.SHA256 == first.SHA256:
				mem.Match, mem.Similarity = MatchIdentical, 1
			default:
				dg.Identical = false
			}
			dg.Members = append(dg.Members, mem)
		}
		groups[n] = dg
	}
	return groups, nil
}

var duplicatesHeader = []string{"group", "match", "image_name", "source_path", "sha256", "similarity", "size_bytes", "width", "height"}

func duplicatesRows(groups []DuplicateGroup) [][]string {
	var rows [][]string
	for _, g := range groups {
		for _, mem := range g.Members {
			im := mem.Image
			rows = append(rows, []string{strconv.Itoa(g.Number), string(mem.Match), im.Name, im.Path, im.Hash(),
				formatProb(mem.Similarity), strconv.FormatInt(im.Size, 10), strconv.Itoa(im.Width), strconv.Itoa(im.Height)})
		}
	}
	return rows
}

func dot(a, b []float32) float32 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return float32(s)
}

// String is the summary people read after a run.
func (r *DuplicatesResult) String() string {
	var b strings.Builder
	col := r.Collection
	identical, similar, files := 0, 0, 0
	for _, g := range r.Groups {
		if g.Identical {
			identical++
		} else {
			similar++
		}
		files += len(g.Members)
	}
	fmt.Fprintf(&b, "Compared %d images in %s (%d embedded now, %d from the cache) in %.1f s.\n",
		len(col.Images), col.Source, col.Computed, col.CacheHits, r.Elapsed.Seconds())
	if len(r.Groups) == 0 {
		fmt.Fprintf(&b, "No duplicates: no two images are identical or at least %v alike.\n", r.Similarity)
	} else {
		fmt.Fprintf(&b, "%d group(s) of duplicates, %d images in all: %d of identical files, %d of near-duplicates (similarity at least %v).\n",
			len(r.Groups), files, identical, similar, r.Similarity)
	}
	const groupsShown, membersShown = 10, 5
	for i, g := range r.Groups {
		if i == groupsShown {
			fmt.Fprintf(&b, "  ... and %d more groups in the list.\n", len(r.Groups)-groupsShown)
			break
		}
		kind := "near-duplicates"
		if g.Identical {
			kind = "identical files"
		}
		fmt.Fprintf(&b, "  group %d, %d %s:\n", g.Number, len(g.Members), kind)
		for k, mem := range g.Members {
			if k == membersShown {
				fmt.Fprintf(&b, "      ... and %d more\n", len(g.Members)-membersShown)
				break
			}
			fmt.Fprintf(&b, "      %-9s %.3f  %s\n", mem.Match, mem.Similarity, mem.Image.Name)
		}
	}
	fmt.Fprintf(&b, "List: %s\n", r.CSV)
	if r.Report != "" {
		fmt.Fprintf(&b, "Report: %s\n", r.Report)
	}
	b.WriteString("Nothing was moved or deleted.\n")
	return b.String()
}
