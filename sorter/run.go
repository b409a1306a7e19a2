package sorter

// Run: the sort job from start to end. The steps, in order, so that nothing is
// created in the destination before every check that can fail has passed:
// options, source and destination checks, the embedding cache, the label
// prompts (EmbedTexts once), discovery; then the destination, its journal
// (recovering an interrupted run), the reports, and the pipeline, whose batches
// are placed and reported one at a time.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Run sorts the images of opts.Source into one folder per label in
// opts.Destination and writes the reports. It returns a Summary even when it
// stops early (cancelled context, model failure); the error then says why, and
// a run with opts.Resume finishes the job. Errors meant for the investigator are
// *Error values with a Hint.
func Run(ctx context.Context, m Model, opts Options) (*Summary, error) {
	o, labels, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, labels: labels, m: m, started: time.Now(), logf: lockedLogf(o.Logf)}
	defer r.close()
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	return r.sort(ctx)
}

// runner holds one run's state.
type runner struct {
	o       Options
	labels  []label
	m       Model
	logf    func(string, ...any)
	started time.Time

	src        string // source folder, absolute, links resolved
	dest       string // destination folder, absolute, links resolved
	destInfo   fs.FileInfo
	text       [][]float32
	cache      *embedCache
	video      *videoReader
	found      *discovery
	j          *journal // nil in a dry run
	out        *csvFile
	errs       *csvFile
	frames     *csvFile // frames.csv, opened at the first video (framesAt: where; framesSize: its size at the last commit)
	framesAt   string
	framesSize int64
	pl         *placer
	sum        *Summary
	counts     map[string]int // by folder
	batchNo    int
	done       int
	total      int
}

func lockedLogf(f func(string, ...any)) func(string, ...any) {
	if f == nil {
		return func(string, ...any) {}
	}
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		f(format, args...)
	}
}

func (r *runner) close() {
	r.out.close()
	r.errs.close()
	r.j.close()
	r.cache.close()
}

// prepare does everything that can fail before the destination is touched, then sets it up.
func (r *runner) prepare(ctx context.Context) error {
	o := r.o
	if err := r.checkFolders(); err != nil {
		return err
	}
	r.sum = &Summary{Source: o.Source, Destination: o.Destination, Operation: o.Operation, DryRun: o.DryRun, Threshold: o.Threshold}
	if !o.NoCache {
		path, err := cachePath(o.CachePath)
		if err != nil {
			return err
		}
		c, err := openCache(path, r.m.CacheKey(), o.CacheTimeout, r.logf)
		if err != nil {
			return err
		}
		r.cache, r.sum.CachePath = c, path
		r.logf("embedding cache: %s", path)
	}
	var err error
	if r.video, err = newVideoReader(o.Videos, frameSide(r.m), r.logf); err != nil {
		return err
	}
	if r.found, err = discover(ctx, r.src, o.Source, o.Recursive, r.destInfo); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Msg: "cannot search the source folder " + o.Source, Hint: "check that it is readable", Err: err}
	}
	r.logf("found %d files in %s (%d skipped while searching)", len(r.found.Files), o.Source, len(r.found.Skipped))
	// The labels after the folder: the model reads its text tower's weights meanwhile (tower.Spec.TextOnly).
	prompts := make([]string, len(r.labels))
	for i, l := range r.labels {
		prompts[i] = l.Prompt
	}
	text, err := r.m.EmbedTexts(prompts)
	if err != nil {
		return &Error{Msg: "the model could not encode the label prompts", Hint: "check the --model and the labels", Err: err}
	}
	if len(text) != len(prompts) || len(text[0]) == 0 {
		return fmt.Errorf("model bug: EmbedTexts returned %d embeddings for %d prompts", len(text), len(prompts))
	}
	for _, t := range text {
		if len(t) != len(text[0]) {
			return fmt.Errorf("model bug: text embeddings of different lengths")
		}
	}
	r.text = text
	if err := os.MkdirAll(r.dest, 0o755); err != nil {
		return &Error{Msg: "cannot create the destination folder " + o.Destination, Hint: "check the path and your permissions", Err: err}
	}
	return r.setupDestination()
}

// sort runs the pipeline and handles its batches.
func (r *runner) sort(ctx context.Context) (*Summary, error) {
	var files []candidate
	for _, c := range r.found.Files {
		if r.j == nil || !r.j.done[c.Path] {
			files = append(files, c)
		}
	}
	r.total = len(files)
	r.progress("")
	var folderErrs []*item
	for _, e := range r.found.Errors {
		if r.j == nil || !r.j.done[e.Path] {
			folderErrs = append(folderErrs, &item{c: candidate{Path: e.Path, Name: e.Path}, err: &e})
		}
	}
	var fatal error
	if len(folderErrs) > 0 {
		fatal = r.handle(&batch{items: folderErrs})
	}
	p := &pipeline{m: r.m, cache: r.cache, video: r.video, text: r.text, dim: len(r.text[0]), maxPixels: r.o.MaxPixels, workers: r.o.Workers, batchSize: batchSize(r.o.BatchSize, r.m),
		thumbnails: r.o.HTMLReport}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if fatal != nil {
		cancel()
	}
	scored, wait := p.start(pctx, files)
	for b := range scored {
		if fatal != nil {
			continue // drain
		}
		if err := r.handle(b); err != nil {
			fatal = err
			cancel()
		}
	}
	if err := wait(); err != nil && fatal == nil {
		fatal = err
	}
	if fatal == nil && ctx.Err() != nil {
		fatal = ctx.Err()
	}
	s := r.sum
	s.Stopped = fatal != nil
	s.CacheHits, s.CacheMisses, s.EmbedCalls = int(p.hits.Load()), int(p.misses.Load()), int(p.embedCalls.Load())
	if s.VideosNotRead = int(p.videosNotRead.Load()); s.VideosNotRead > 0 {
		s.VideoNote = r.video.why()
	}
	if err := r.finish(ctx); err != nil && fatal == nil {
		fatal = err
	}
	r.progress("")
	return s, fatal
}

// finish writes skipped.csv, closes the reports and completes the summary.
func (r *runner) finish(ctx context.Context) error {
	s := r.sum
	s.Skipped = append(s.Skipped, r.found.Skipped...)
	sortSkipped(s.Skipped)
	for _, l := range r.labels {
		s.Labels = append(s.Labels, LabelCount{Label: l.Text, Folder: l.Folder, Count: r.counts[l.Folder]})
	}
	s.Unsorted = r.counts[UnsortedFolder]
	s.Elapsed = time.Since(r.started)
	if secs := s.Elapsed.Seconds(); secs > 0 {
		s.ImagesPerSecond = float64(s.Sorted-s.Videos+s.Frames+len(s.Errors)) / secs
	}
	skippedPath := filepath.Join(r.dest, reportName(SkippedFile, r.o.DryRun))
	var err error
	if len(s.Skipped) > 0 {
		rows := make([][]string, len(s.Skipped))
		for i, k := range s.Skipped {
			rows[i] = skippedRow(k)
		}
		err = writeCSV(skippedPath, skippedHeader, rows)
		s.SkippedFile = skippedPath
	} else if rmErr := os.Remove(skippedPath); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
		err = rmErr
	}
	if cerr := r.out.close(); err == nil {
		err = cerr
	}
	if r.frames != nil {
		if cerr := r.frames.close(); err == nil {
			err = cerr
		}
		s.FramesFile, r.frames = r.framesAt, nil
	}
	if err == nil {
		o := r.o
		p := newProvenance("sort", r.m, o.Source, o.Template, r.started)
		p.Settings = [][2]string{{"labels", strings.Join(o.Labels, ", ")}, {"destination", o.Destination},
			{"operation", string(o.Operation)}, {"threshold", strconv.FormatFloat(o.Threshold, 'g', -1, 64)}}
		if o.DryRun {
			p.Settings = append(p.Settings, [2]string{"dry run", "yes: nothing was copied or moved"})
		}
		s.ProvenanceFile, err = writeProvenance(s.OutputFile, p)
		if err == nil && o.HTMLReport {
			err = r.sortPage(ctx, p)
		}
	}
	if cerr := r.errs.close(); err == nil {
		err = cerr
	}
	r.out, r.errs = nil, nil
	return err
}

func (r *runner) progress(current string) {
	if r.o.Progress == nil {
		return
	}
	el := time.Since(r.started)
	p := Progress{Done: r.done, Total: r.total, Elapsed: el, Current: current}
	if secs := el.Seconds(); secs > 0 && r.done > 0 {
		p.Rate = float64(r.done) / secs
		p.ETA = time.Duration(float64(r.total-r.done) / p.Rate * float64(time.Second))
	}
	r.o.Progress(p)
}
