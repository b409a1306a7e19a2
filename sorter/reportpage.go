package sorter

// report.html for each job: what the sort placed where (read back from output.csv, so that a resumed run's page
// shows the whole job), a search's results, the groups of duplicates; with the errors, the skipped files, and
// the provenance (tool version, model and revision, template, date). package htmlreport draws it.

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bellingcat/smart-image-sorter/htmlreport"
)

// provenanceFields are the settings table's lines.
func provenanceFields(p Provenance) []htmlreport.Field {
	f := []htmlreport.Field{{Name: "Tool", Value: p.Tool + ", " + p.ToolVersion}, {Name: "Model", Value: p.Model}}
	if p.ModelRevision != "" {
		f = append(f, htmlreport.Field{Name: "Model revision", Value: p.ModelRevision})
	}
	if p.Template != "" {
		f = append(f, htmlreport.Field{Name: "Template", Value: p.Template})
	}
	f = append(f, htmlreport.Field{Name: "Source", Value: p.Source})
	for _, s := range p.Settings {
		f = append(f, htmlreport.Field{Name: s[0], Value: s[1]})
	}
	return append(f, htmlreport.Field{Name: "Started", Value: p.Started.Format("2006-01-02 15:04:05 UTC")})
}

func problems(errs []ImageError, skipped []Skipped) (e, s []htmlreport.Problem) {
	for _, x := range errs {
		e = append(e, htmlreport.Problem{Path: x.Path, Reason: x.Reason, Kind: x.Kind})
	}
	for _, x := range skipped {
		s = append(s, htmlreport.Problem{Path: x.Path, Reason: x.Reason})
	}
	return e, s
}

func parseSum(s string) (sum [32]byte, ok bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return sum, false
	}
	copy(sum[:], b)
	return sum, true
}

// exists reports whether path names a file that can be opened.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writePage fills in the items' thumbnails (jobs[i] is the i-th item in section order; cache may be nil) and
// writes the page.
func writePage(ctx context.Context, path string, r htmlreport.Report, jobs []thumbJob, cache *embedCache, workers int,
	videos *videoReader, logf func(string, ...any)) error {
	logf("report.html: %d thumbnails", len(jobs))
	thumbs := thumbnails(ctx, jobs, cache, workers, videos)
	k := 0
	for s := range r.Sections {
		for i := range r.Sections[s].Items {
			r.Sections[s].Items[i].Thumb = thumbs[k]
			k++
		}
	}
	if err := htmlreport.WriteFile(path, r); err != nil {
		return &Error{Msg: "cannot write " + path, Hint: "check the free space and your permissions", Err: err}
	}
	return nil
}

// sortPage writes report.html of a sort into its destination.
func (r *runner) sortPage(ctx context.Context, p Provenance) error {
	s := r.sum
	results, err := ReadResults(s.OutputFile)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Sort of %s", r.o.Source)
	if r.o.DryRun {
		title = "Dry run: sort of " + r.o.Source
	}
	page := htmlreport.Report{Title: title, Kind: "sort", Created: p.Started, Settings: provenanceFields(p)}
	page.Summary = []htmlreport.Field{{Name: "Images sorted", Value: strconv.Itoa(s.Sorted + s.AlreadyDone)}}
	if s.Videos > 0 {
		page.Summary = append(page.Summary, htmlreport.Field{Name: "Of them videos (by their best frames; times in " + FramesFile + ")",
			Value: strconv.Itoa(s.Videos)})
	}
	for _, l := range s.Labels {
		page.Summary = append(page.Summary, htmlreport.Field{Name: "“" + l.Label + "”", Value: strconv.Itoa(l.Count)})
	}
	if r.o.Threshold > 0 {
		page.Summary = append(page.Summary, htmlreport.Field{Name: "Unsorted (below the threshold)", Value: strconv.Itoa(s.Unsorted)})
	}
	page.Summary = append(page.Summary,
		htmlreport.Field{Name: "Could not be read", Value: strconv.Itoa(len(s.Errors))},
		htmlreport.Field{Name: "Left out (not images, hidden)", Value: strconv.Itoa(len(s.Skipped))})
	if s.Stopped {
		page.Summary = append(page.Summary, htmlreport.Field{Name: "Stopped before the end", Value: "run the same command with --resume to finish"})
	}
	page.Errors, page.Skipped = problems(s.Errors, s.Skipped)
	byFolder := map[string]int{}
	add := func(folder, title, note string) {
		byFolder[folder] = len(page.Sections)
		page.Sections = append(page.Sections, htmlreport.Section{ID: folder, Title: title, Note: note})
	}
	for _, l := range r.labels {
		add(l.Folder, l.Text, "in the folder "+l.Folder+"/")
	}
	add(UnsortedFolder, "Unsorted", "best label below the threshold; each with its best label")
	sectionJobs := make([][]thumbJob, len(page.Sections))
	for _, res := range results {
		k, ok := byFolder[res.Folder]
		if !ok {
			continue
		}
		it := htmlreport.Item{Name: res.ImageName, Path: res.SourcePath, Score: fmt.Sprintf("%.2f", res.Score), SHA256: res.SHA256,
			Size: res.Size, Width: res.Width, Height: res.Height}
		if res.Unsorted {
			it.Caption = res.Label
		}
		if res.Video {
			it.Caption = strings.TrimSpace(it.Caption + " video, best frame at " + FrameClock(res.FrameTime))
		}
		placed := res.DestinationPath != "" && !r.o.DryRun && exists(res.DestinationPath)
		if placed {
			it.Href = htmlreport.RelativeLink(r.dest, res.DestinationPath)
		}
		readable := res.SourcePath
		if !exists(readable) && placed {
			readable = res.DestinationPath // moved
		}
		sum, _ := parseSum(res.SHA256)
		page.Sections[k].Items = append(page.Sections[k].Items, it)
		sectionJobs[k] = append(sectionJobs[k], thumbJob{path: readable, sum: sum, video: res.Video, at: res.FrameTime})
	}
	if u := byFolder[UnsortedFolder]; len(page.Sections[u].Items) == 0 {
		page.Sections = page.Sections[:u]
	}
	var jobs []thumbJob // in section order, as writePage wants them
	for k := range page.Sections {
		jobs = append(jobs, sectionJobs[k]...)
	}
	path := filepath.Join(r.dest, reportName(ReportFile, r.o.DryRun))
	if err := writePage(ctx, path, page, jobs, r.cache, r.o.Workers, r.video, r.logf); err != nil {
		return err
	}
	s.ReportFile = path
	return nil
}

// searchPage writes a search's report.html (path) and its provenance, next to search.csv.
func searchPage(ctx context.Context, path string, res *SearchResult, m Model, o SearchOptions, p Provenance) error {
	col := res.Collection
	page := htmlreport.Report{Title: "Search: " + res.Query, Kind: "search", Created: p.Started, Settings: provenanceFields(p)}
	page.Summary = []htmlreport.Field{{Name: "Images searched", Value: strconv.Itoa(len(col.Images))},
		{Name: "Results shown", Value: strconv.Itoa(len(res.Hits))},
		{Name: "Could not be read", Value: strconv.Itoa(len(col.Errors))},
		{Name: "Left out (not images, hidden)", Value: strconv.Itoa(len(col.Skipped))}}
	page.Errors, page.Skipped = problems(col.Errors, col.Skipped)
	sec := htmlreport.Section{ID: "results", Title: "Best matches for " + res.Query,
		Note: "ranked by cosine similarity with the query; only the order matters"}
	var jobs []thumbJob
	for _, h := range res.Hits {
		it := htmlreport.Item{Name: h.Image.Name, Path: h.Image.Path, Caption: "#" + strconv.Itoa(h.Rank), Score: fmt.Sprintf("%.3f", h.Score),
			SHA256: h.Image.Hash(), Size: h.Image.Size, Width: h.Image.Width, Height: h.Image.Height}
		if h.Copied != "" {
			it.Href = htmlreport.RelativeLink(filepath.Dir(path), h.Copied)
		}
		sec.Items = append(sec.Items, it)
		if h.HasFrame {
			it.Caption += ", video at " + FrameClock(h.Frame)
		}
		jobs = append(jobs, thumbJob{path: h.Image.Path, sum: h.Image.SHA256, video: h.Image.Video, at: h.Frame})
	}
	page.Sections = []htmlreport.Section{sec}
	logf := lockedLogf(o.Logf)
	cache := openThumbCache(o.Folder, logf)
	defer cache.close()
	return writePage(ctx, path, page, jobs, cache, o.Workers, col.videos, logf)
}

// duplicatesPage writes the report.html of Duplicates (path).
func duplicatesPage(ctx context.Context, path string, res *DuplicatesResult, o DuplicatesOptions, p Provenance) error {
	col := res.Collection
	page := htmlreport.Report{Title: "Duplicates in " + col.Source, Kind: "duplicates", Created: p.Started, Settings: provenanceFields(p)}
	identical, files := 0, 0
	for _, g := range res.Groups {
		if g.Identical {
			identical++
		}
		files += len(g.Members)
	}
	page.Summary = []htmlreport.Field{{Name: "Images compared", Value: strconv.Itoa(len(col.Images))},
		{Name: "Groups of identical files", Value: strconv.Itoa(identical)},
		{Name: "Groups of near-duplicates", Value: strconv.Itoa(len(res.Groups) - identical)},
		{Name: "Images in a group", Value: strconv.Itoa(files)},
		{Name: "Could not be read", Value: strconv.Itoa(len(col.Errors))},
		{Name: "Left out (not images, hidden)", Value: strconv.Itoa(len(col.Skipped))},
		{Name: "Moved or deleted", Value: "nothing"}}
	page.Errors, page.Skipped = problems(col.Errors, col.Skipped)
	dir := filepath.Dir(path)
	var jobs []thumbJob
	for _, g := range res.Groups {
		title := fmt.Sprintf("Group %d: %d identical files", g.Number, len(g.Members))
		note := "the same bytes (SHA-256)"
		if !g.Identical {
			title = fmt.Sprintf("Group %d: %d near-duplicates", g.Number, len(g.Members))
			note = fmt.Sprintf("pictures at least %v alike; similarity to the first shown", res.Similarity)
		}
		sec := htmlreport.Section{ID: strconv.Itoa(g.Number), Title: title, Note: note}
		for _, mem := range g.Members {
			im := mem.Image
			sec.Items = append(sec.Items, htmlreport.Item{Name: im.Name, Path: im.Path, Href: htmlreport.RelativeLink(dir, im.Path),
				Caption: string(mem.Match), Score: fmt.Sprintf("%.3f", mem.Similarity), SHA256: im.Hash(), Size: im.Size, Width: im.Width, Height: im.Height})
			jobs = append(jobs, thumbJob{path: im.Path, sum: im.SHA256, video: im.Video})
		}
		page.Sections = append(page.Sections, sec)
	}
	logf := lockedLogf(o.Logf)
	cache := openThumbCache(o.Folder, logf)
	defer cache.close()
	return writePage(ctx, path, page, jobs, cache, o.Workers, col.videos, logf)
}
