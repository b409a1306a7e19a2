package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

// searchOutput is what "sorter search --json" prints; later tooling reads it, so its shape stays stable.
type searchOutput struct {
	Query    string        `json:"query"`
	Template string        `json:"template"`
	Model    string        `json:"model"`
	Source   string        `json:"source"`
	Searched int           `json:"searched"` // images ranked
	Results  []searchedHit `json:"results"`
	Errors   []problem     `json:"errors"`
	Skipped  int           `json:"skipped"` // files that are not images
	CSV      string        `json:"csv,omitempty"`
	Report   string        `json:"report,omitempty"`
}

type searchedHit struct {
	Rank      int     `json:"rank"`
	Score     float32 `json:"score"` // cosine similarity with the query
	ImageName string  `json:"image_name"`
	Path      string  `json:"path"`
	SHA256    string  `json:"sha256"`
	Size      int64   `json:"size_bytes"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Copied    string  `json:"copied_to,omitempty"`
	// FrameSeconds: for a video, when its best-matching frame is.
	FrameSeconds *float64 `json:"frame_seconds,omitempty"`
}

type problem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("search", `search [--source DIR] "TEXT"... [--like IMAGE]... [--not "TEXT"]... [--top N] [flags]`, stderr)
	o := sorter.DefaultSearchOptions()
	ff := addFolderFlags(fs, &o.Folder, "to search", "searching")
	var like, not, notLike stringList
	fs.Var(&like, "like", "an example image: find images like it (repeatable)")
	fs.Var(&not, "not", "a text to avoid: its embedding is subtracted from the query (repeatable)")
	fs.Var(&notLike, "not-like", "an example image to avoid (repeatable)")
	fs.IntVar(&o.Top, "top", o.Top, "number of results")
	fs.StringVar(&o.Template, "template", o.Template, "prompt for each text; {} is replaced by the text")
	fs.StringVar(&o.CopyTo, "copy-to", "", "folder that receives a copy of each result, search.csv and report.html (nothing is overwritten)")
	fs.BoolVar(&o.HTMLReport, "report", o.HTMLReport, "with --copy-to: also write report.html there, the results as thumbnails, to share")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	texts, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	o.Texts, o.Like, o.NotTexts, o.NotLike = texts, like, not, notLike
	if o.Top <= 0 {
		return &userError{msg: fmt.Sprintf("--top %d: the number of results must be at least 1", o.Top), usage: true}
	}
	m, bar, err := ff.start(ctx, &o.Folder, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := sorter.Search(ctx, m, o)
	bar.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return cachedSoFar
		}
		return err
	}
	report := res.Report
	for _, note := range res.Notes {
		noteLogger(stderr)("%s", note)
	}
	col := res.Collection
	if *asJSON {
		out := searchOutput{Query: res.Query, Template: o.Template, Model: m.CacheKey(), Source: o.Source,
			Searched: len(col.Images), Results: []searchedHit{}, Errors: []problem{}, Skipped: len(col.Skipped), CSV: res.CSV, Report: report}
		for _, h := range res.Hits {
			out.Results = append(out.Results, searchedHit{Rank: h.Rank, Score: h.Score, ImageName: h.Image.Name, Path: h.Image.Path,
				SHA256: h.Image.Hash(), Size: h.Image.Size, Width: h.Image.Width, Height: h.Image.Height, Copied: h.Copied})
			if h.HasFrame {
				secs := h.Frame.Seconds()
				out.Results[len(out.Results)-1].FrameSeconds = &secs
			}
		}
		for _, e := range col.Errors {
			out.Errors = append(out.Errors, problem{Path: e.Path, Reason: e.Reason})
		}
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "Searched %d images in %s for %s (%d embedded now, %d from the cache) in %.1f s.\n",
		len(col.Images), o.Source, res.Query, col.Computed, col.CacheHits, res.Elapsed.Seconds())
	if len(res.Hits) > 0 {
		fmt.Fprintf(stdout, "%4s  %6s  %s\n", "rank", "score", "image")
	}
	for _, h := range res.Hits {
		at := ""
		if h.HasFrame {
			at = "  (video, at " + sorter.FrameClock(h.Frame) + ")"
		}
		fmt.Fprintf(stdout, "%4d  %6.3f  %s%s\n", h.Rank, h.Score, h.Image.Name, at)
	}
	if len(col.Images) == 0 {
		fmt.Fprintln(stdout, "No images found: check --source (sub-folders are searched unless --recursive=false).")
	}
	printProblems(stdout, col.Errors, len(col.Skipped))
	if res.CSV != "" {
		fmt.Fprintf(stdout, "Copied the %d results into %s; list: %s\n", len(res.Hits), o.CopyTo, res.CSV)
	}
	if report != "" {
		fmt.Fprintf(stdout, "Report: %s\n", report)
	}
	return nil
}

// printProblems summarises the files that could not be read and those that are not images.
func printProblems(w io.Writer, errs []sorter.ImageError, skipped int) {
	if len(errs) > 0 {
		fmt.Fprintf(w, "%d file(s) could not be read:\n", len(errs))
		for i, e := range errs {
			if i == 5 {
				fmt.Fprintf(w, "  ... and %d more (--json lists them all)\n", len(errs)-5)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", e.Path, strings.TrimSpace(e.Reason))
		}
	}
	if skipped > 0 {
		fmt.Fprintf(w, "%d file(s) are not images or are hidden, and were left out.\n", skipped)
	}
}
