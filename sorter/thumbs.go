package sorter

// Thumbnails for report.html, kept in the embedding cache (bucket "thumbnails-<size>-q<quality>", keyed by the
// content's SHA-256), so that a report of a folder seen before — a search after a sort, duplicates run twice —
// decodes no image again. A thumbnail belongs to no model.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bellingcat/smart-image-sorter/htmlreport"
)

var bucketThumbs = []byte(fmt.Sprintf("thumbnails-%d-q%d", htmlreport.ThumbnailSize, htmlreport.ThumbnailQuality))

// thumbJob is an image (or a video's frame) whose thumbnail a report needs.
type thumbJob struct {
	path  string // a readable copy of the image (the source, or the placed file after a move)
	sum   [32]byte
	video bool          // path is a video: the thumbnail is of its frame at at
	at    time.Duration // for a video
}

// key is where the job's thumbnail is cached: its content's SHA-256, or for a video's frame a hash of the video's
// and the time.
func (j thumbJob) key() [32]byte {
	if !j.video {
		return j.sum
	}
	var at [8]byte
	binary.LittleEndian.PutUint64(at[:], uint64(j.at))
	return sha256.Sum256(append(append([]byte("frame\x00"), j.sum[:]...), at[:]...))
}

// openThumbCache opens f's cache for thumbnails only; nil without a cache, or when it cannot be opened (then
// every thumbnail is made, which is slower but loses nothing). The caller closes it.
func openThumbCache(f Folder, logf func(string, ...any)) *embedCache {
	if f.NoCache {
		return nil
	}
	path, err := cachePath(f.CachePath)
	if err != nil {
		return nil
	}
	c, err := openCache(path, "thumbnails", f.CacheTimeout, logf)
	if err != nil {
		logf("report.html: the cache %s cannot be opened (%v); making every thumbnail", path, err)
		return nil
	}
	return c
}

// thumbnails returns a JPEG thumbnail per job (nil where the image cannot be decoded), from cache where it has
// them (nil: no cache), made with `workers` goroutines otherwise and then stored. Identical contents are made
// once. Videos' frames come from ffmpeg (videos: nil, or without ffmpeg, gives them no thumbnail).
func thumbnails(ctx context.Context, jobs []thumbJob, cache *embedCache, workers int, videos *videoReader) [][]byte {
	out := make([][]byte, len(jobs))
	have := map[[32]byte][]byte{}
	if cache != nil && cache.usable() {
		have = cache.getThumbs(jobs)
	}
	var paths []string
	var keys [][32]byte
	var frames []thumbJob
	queued := map[[32]byte]bool{}
	for _, j := range jobs {
		k := j.key()
		if _, ok := have[k]; ok || queued[k] {
			continue
		}
		queued[k] = true
		if j.video {
			frames = append(frames, j)
			continue
		}
		paths, keys = append(paths, j.path), append(keys, k)
	}
	thumbs, errs := htmlreport.Thumbnails(ctx, paths, htmlreport.ThumbnailSize, workers, nil)
	made := map[[32]byte][]byte{}
	for i, t := range thumbs {
		if errs[i] == nil && t != nil {
			have[keys[i]], made[keys[i]] = t, t
		}
	}
	if len(frames) > 0 && videos.ffmpeg() != nil {
		for _, j := range frames {
			if ctx.Err() != nil {
				break
			}
			if t, err := videos.thumbnail(ctx, j.path, j.at, htmlreport.ThumbnailSize); err == nil {
				have[j.key()], made[j.key()] = t, t
			}
		}
	}
	if cache != nil && cache.usable() && len(made) > 0 {
		cache.putThumbs(made)
	}
	for i, j := range jobs {
		out[i] = have[j.key()]
	}
	return out
}

func (c *embedCache) getThumbs(jobs []thumbJob) map[[32]byte][]byte {
	have := map[[32]byte][]byte{}
	defer func() {
		if r := recover(); r != nil {
			c.fail("reading thumbnails", r)
		}
	}()
	err := c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketThumbs)
		if b == nil {
			return nil
		}
		for _, j := range jobs {
			k := j.key()
			if v := b.Get(k[:]); v != nil {
				have[k] = append([]byte(nil), v...)
			}
		}
		return nil
	})
	if err != nil {
		c.fail("reading thumbnails", err)
	}
	return have
}

func (c *embedCache) putThumbs(thumbs map[[32]byte][]byte) {
	defer func() {
		if r := recover(); r != nil {
			c.fail("writing thumbnails", r)
		}
	}()
	if err := c.db.Update(func(tx *bolt.Tx) error { return putThumbs(tx, thumbs) }); err != nil {
		c.fail("writing thumbnails", err)
	}
}

// putThumbs stores thumbnails by key in tx (nothing to do for none).
func putThumbs(tx *bolt.Tx, thumbs map[[32]byte][]byte) error {
	if len(thumbs) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketThumbs)
	if err != nil {
		return err
	}
	for sum, t := range thumbs {
		if err := b.Put(sum[:], t); err != nil {
			return err
		}
	}
	return nil
}
