package sorter

// Collect: a folder's images with their embeddings, for the jobs that compare images rather than place them
// (search.go, duplicates.go). It is the sort's pipeline without labels: found by content, hashed, embedded in
// batches, cached; and, unlike the sort, it trusts the file index (fileindex.go), so a folder embedded before
// is read back without opening a file.

import (
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// Collection is a folder's images, each with its embedding, in path order.
type Collection struct {
	Source    string  // the folder as given
	Images    []Image // every image that could be read
	Dim       int     // embedding size
	Vectors   []float32
	Errors    []ImageError // files that look like images but could not be read or decoded
	Skipped   []Skipped    // files that are not images, hidden files and folders
	CachePath string       // "" without a cache
	CacheHits int          // images whose embedding came from the cache
	Computed  int          // images the model embedded in this run
	Elapsed   time.Duration

	videos *videoReader       // for the reports' thumbnails of videos
	frames map[int]*videoItem // per video (index in Images) whose frames are known: their times and embeddings
}

// Image is one image of a Collection.
type Image struct {
	Name          string // as reports show it: the source folder as given joined with Rel, like sort's image_name
	Path          string // absolute, links of the source folder resolved
	Rel           string // inside the source folder
	SHA256        [32]byte
	Size          int64 // bytes
	Width, Height int   // upright, in pixels; 0 when the header could not be read
	Video         bool  // a video: its embedding is the mean of its frames' (video.go)
}

// Hash is the image's SHA-256 in hexadecimal, as reports print it.
func (im Image) Hash() string { return hex.EncodeToString(im.SHA256[:]) }

// Vector is image i's L2-normalised embedding (a view into Vectors).
func (c *Collection) Vector(i int) []float32 { return c.Vectors[i*c.Dim : (i+1)*c.Dim : (i+1)*c.Dim] }

// Collect finds and embeds the images of f.Source (from the cache where it can). Errors meant for the
// investigator are *Error values with a Hint.
func Collect(ctx context.Context, m Model, f Folder) (*Collection, error) {
	return collect(ctx, m, f, "to search", nil)
}

// collect is Collect for a job that writes into a folder (exclude: skipped when it lies inside the source);
// what completes "pass the folder of images ... with --source".
func collect(ctx context.Context, m Model, f Folder, what string, exclude fs.FileInfo) (*Collection, error) {
	started := time.Now()
	f, err := f.normalized(what)
	if err != nil {
		return nil, err
	}
	src, _, err := resolveSource(f.Source)
	if err != nil {
		return nil, err
	}
	logf := lockedLogf(f.Logf)
	dim := m.EmbeddingSize()
	if dim <= 0 {
		return nil, fmt.Errorf("model bug: embedding size %d", dim)
	}
	col := &Collection{Source: f.Source, Dim: dim, frames: map[int]*videoItem{}}
	var cache *embedCache
	if !f.NoCache {
		if col.CachePath, err = cachePath(f.CachePath); err != nil {
			return nil, err
		}
		if cache, err = openCache(col.CachePath, m.CacheKey(), f.CacheTimeout, logf); err != nil {
			return nil, err
		}
		defer cache.close()
		logf("embedding cache: %s", col.CachePath)
	}
	videos, err := newVideoReader(f.Videos, frameSide(m), logf)
	if err != nil {
		return nil, err
	}
	col.videos = videos
	found, err := discover(ctx, src, f.Source, f.Recursive, exclude)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Msg: "cannot search the source folder " + f.Source, Hint: "check that it is readable", Err: err}
	}
	logf("found %d files in %s (%d skipped while searching)", len(found.Files), f.Source, len(found.Skipped))
	col.Skipped, col.Errors = found.Skipped, found.Errors
	col.Vectors = make([]float32, 0, len(found.Files)*dim)

	progress := func(done int) {
		if f.Progress == nil {
			return
		}
		p := Progress{Done: done, Total: len(found.Files), Elapsed: time.Since(started)}
		if secs := p.Elapsed.Seconds(); secs > 0 && done > 0 {
			p.Rate = float64(done) / secs
			p.ETA = time.Duration(float64(p.Total-done) / p.Rate * float64(time.Second))
		}
		f.Progress(p)
	}
	progress(0)
	// Files the index knows, with their embeddings, in one pass; the pipeline reads the rest.
	known := indexed{at: make([]int, len(found.Files))}
	for i := range known.at {
		known.at[i] = -1
	}
	if cache != nil {
		known = cache.lookupAll(found.Files, statAll(ctx, found.Files, f.Workers), dim, f.Workers)
	}
	var rest []candidate
	restAt := map[int]int{} // index in rest -> index in found.Files
	for i, c := range found.Files {
		if known.at[i] < 0 {
			restAt[len(rest)] = i
			rest = append(rest, c)
		}
	}
	done := len(found.Files) - len(rest)
	progress(done)
	read := make([]*item, len(found.Files)) // the pipeline's items, by file
	p := &pipeline{m: m, cache: cache, video: videos, dim: dim, trustIndex: true, maxPixels: f.MaxPixels, workers: f.Workers, batchSize: batchSize(f.BatchSize, m),
		failHint: "the embeddings computed so far are in the cache; run the same command again to continue (a smaller --batch_size needs less memory)"}
	batches, wait := p.start(ctx, rest)
	n := 0
	for b := range batches {
		for _, it := range b.items {
			read[restAt[n]] = it
			n++
		}
		done += len(b.items)
		progress(done)
	}
	if err := wait(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(rest) == 0 {
		col.Vectors = known.vectors // everything was known: no copy
	} else {
		col.Vectors = make([]float32, 0, (len(known.recs)+len(rest))*dim)
	}
	for i, c := range found.Files {
		if k := known.at[i]; k >= 0 {
			r := known.recs[k]
			col.Images = append(col.Images, Image{Name: c.Name, Path: c.Path, Rel: c.Rel, SHA256: r.Sum, Size: r.Size, Width: r.Width, Height: r.Height,
				Video: r.Video})
			if r.Video && cache != nil {
				if v := cache.frames(videos.frameKey(r.Sum), dim); v != nil {
					col.frames[len(col.Images)-1] = v
				}
			}
			if len(rest) > 0 {
				col.Vectors = append(col.Vectors, known.vectors[k*dim:(k+1)*dim]...)
			}
			continue
		}
		it := read[i]
		switch {
		case it == nil:
			return nil, fmt.Errorf("bug: %s was not read", c.Name)
		case it.skip != "":
			col.Skipped = append(col.Skipped, Skipped{Path: it.c.Name, Reason: it.skip})
		case it.err != nil:
			col.Errors = append(col.Errors, *it.err)
		default:
			col.Images = append(col.Images, Image{Name: it.c.Name, Path: it.c.Path, Rel: it.c.Rel, SHA256: it.sum,
				Size: it.size, Width: it.width, Height: it.height, Video: it.video != nil || it.rec.Video})
			if it.video != nil && it.video.embeds != nil {
				col.frames[len(col.Images)-1] = it.video
			}
			col.Vectors = append(col.Vectors, it.embed...)
		}
	}
	hits := len(known.recs)
	sortSkipped(col.Skipped)
	col.CacheHits, col.Computed = hits+int(p.hits.Load()), int(p.misses.Load())
	col.Elapsed = time.Since(started)
	return col, nil
}

// cachePath is the embedding cache file to use: the one given, or DefaultCachePath().
func cachePath(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	return DefaultCachePath()
}

// statAll reads the stamps of files (in parallel: a large folder has 100,000 of them); nil where the file cannot
// be read or is not a regular file, which the pipeline then reports.
func statAll(ctx context.Context, files []candidate, workers int) []*stamp {
	stamps := make([]*stamp, len(files))
	var wg sync.WaitGroup
	chunk := (len(files) + workers - 1) / max(workers, 1)
	for start := 0; start < len(files); start += max(chunk, 1) {
		end := min(start+chunk, len(files))
		wg.Go(func() {
			for i := start; i < end; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					return
				}
				if info, err := os.Stat(files[i].Path); err == nil && info.Mode().IsRegular() {
					s := fileStamp(info)
					stamps[i] = &s
				}
			}
		})
	}
	wg.Wait()
	return stamps
}
