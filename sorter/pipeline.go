package sorter

// The pipeline: parallel workers read, identify, hash and (on a cache miss)
// preprocess files; a collector puts them back in path order and groups them
// into batches of BatchSize images to embed (plus any cached ones); one goroutine embeds each batch's cache
// misses with a single EmbedImages call, stores them in the cache and scores the
// batch; the caller (run.go) places and reports each scored batch.
//
//	files -> [workers] -> ring (window) -> collector -> decoded -> model stage -> scored -> Run
//
// Memory stays bounded whatever the folder size: at most `window` files are
// between dispatch and collection (a semaphore), and the channels between
// stages hold one batch each.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bellingcat/smart-image-sorter/htmlreport"
	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/imageformat"
)

// item is one file on its way through the pipeline.
type item struct {
	c      candidate
	size   int64
	sum    [32]byte   // SHA-256 of the content: computed once per run, or from a trusted file record
	stamp  stamp      // what the file looked like when read
	width  int        // upright size from the header; 0 when unknown
	height int        //
	known  bool       // the file index's record matched: nothing to record
	rec    fileRecord // that record
	embed  []float32  // from the cache or the model
	pixels []float32  // preprocessed, waiting for EmbedImages
	thumb  []byte     // report.html's thumbnail, made from the decoded picture, waiting for the cache
	score  score
	video  *videoItem  // a video's frames (video.go); nil for an image
	skip   string      // not an image: why
	err    *ImageError // could not be read, decoded or placed
}

// isImage: an image or video to place (read, not skipped, no error).
func (it *item) isImage() bool { return it.skip == "" && it.err == nil }

// toEmbed is the number of pictures the model has still to embed for this item: its frames for a video.
func (it *item) toEmbed() int {
	switch {
	case !it.isImage():
		return 0
	case it.video != nil:
		return it.video.pending()
	case it.embed == nil:
		return 1
	}
	return 0
}

type batch struct{ items []*item }

type pipeline struct {
	m             Model
	cache         *embedCache  // nil: no cache
	video         *videoReader // how videos are read; nil: like a reader without ffmpeg
	text          [][]float32  // label prompt embeddings; nil: embed only, no scores
	dim           int          // embedding size
	trustIndex    bool         // take a file's SHA-256 from the file index when its stamp matches (fileindex.go)
	failHint      string       // what to do when the model fails on a batch; default: sort's --resume advice
	maxPixels     int64
	workers       int
	batchSize     int
	thumbnails    bool // make report.html's thumbnail of each image decoded (imageSeer), kept in the cache
	embedCalls    atomic.Int64
	hits          atomic.Int64
	misses        atomic.Int64
	videosNotRead atomic.Int64 // videos skipped: no ffmpeg, or videos left out

	err error // first fatal error (model failure), read after wait
}

// start runs the pipeline over files until they are done or ctx is cancelled.
// The caller must read the returned channel until it is closed, then call wait.
func (p *pipeline) start(ctx context.Context, files []candidate) (<-chan *batch, func() error) {
	ctx, cancel := context.WithCancel(ctx)
	window := p.batchSize + 2*p.workers
	sem := make(chan struct{}, window)
	jobs := make(chan int, window)
	ring := make([]chan *item, window)
	for i := range ring {
		ring[i] = make(chan *item, 1)
	}
	decoded := make(chan *batch, 1)
	scored := make(chan *batch, 1)
	var wg sync.WaitGroup

	wg.Go(func() { // dispatcher
		defer close(jobs)
		for i := range files {
			select {
			case sem <- struct{}{}:
				jobs <- i
			case <-ctx.Done():
				return
			}
		}
	})
	for range p.workers {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			for i := range jobs {
				var it *item
				if ctx.Err() != nil {
					it = &item{c: files[i]} // not looked at: the collector stops first
				} else {
					it = p.load(ctx, files[i], buf)
				}
				ring[i%window] <- it // never blocks: slot i%window was emptied before i was dispatched
			}
		})
	}
	wg.Go(func() { // collector: path order, batches of batchSize images
		defer close(decoded)
		b, images := &batch{}, 0
		for i := range files {
			var it *item
			select {
			case it = <-ring[i%window]:
				<-sem
			case <-ctx.Done():
				return
			}
			b.items = append(b.items, it)
			// Only pictures the model must embed fill a batch (a video's frames count one by one): cached ones
			// ride along. So model calls have BatchSize pictures but at the end of a run, and an engine compiles
			// one graph, not one per number of cache misses a batch happens to have.
			images += it.toEmbed()
			if images >= p.batchSize || len(b.items) >= 4*p.batchSize || i == len(files)-1 {
				select {
				case decoded <- b:
				case <-ctx.Done():
					return
				}
				b, images = &batch{}, 0
			}
		}
	})
	wg.Go(func() { // model stage: the only goroutine that calls EmbedImages
		defer close(scored)
		for b := range decoded {
			if ctx.Err() != nil {
				continue // cancelled: stop between batches
			}
			if err := p.embed(b); err != nil {
				p.err = err
				cancel()
				continue
			}
			select {
			case scored <- b:
			case <-ctx.Done():
			}
		}
	})
	wait := func() error {
		cancel()
		wg.Wait()
		return p.err
	}
	return scored, wait
}

// load reads one file: is it an image (or a video), its hash, its embedding if cached, else its pixels.
func (p *pipeline) load(ctx context.Context, c candidate, buf []byte) *item {
	it := &item{c: c}
	if p.trustIndex && p.cache != nil {
		if info, err := os.Stat(c.Path); err == nil && info.Mode().IsRegular() {
			// A known file with its embedding is done; a known image without one (another model's) needs no
			// hashing; a known video without one is read below, as its frames need ffmpeg anyway.
			if rec, vec, ok := p.cache.lookup(c.Path, fileStamp(info), p.dim); ok && (vec != nil || !rec.Video) {
				it.size, it.sum, it.stamp, it.width, it.height, it.known = rec.Size, rec.Sum, rec.stamp, rec.Width, rec.Height, true
				it.rec = rec
				if vec == nil {
					return p.preprocess(it)
				}
				it.embed = vec
				p.hits.Add(1)
				return it
			}
		}
	}
	f, err := os.Open(c.Path)
	if err != nil {
		it.err = &ImageError{Path: c.Name, Reason: "cannot open: " + errText(err), Kind: "unreadable"}
		return it
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		it.skip = "not a regular file"
		return it
	}
	if info.Size() == 0 {
		it.skip = "empty file (0 bytes)"
		return it
	}
	it.size, it.stamp = info.Size(), fileStamp(info)
	n, err := io.ReadFull(f, buf[:sniffLen])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		it.err = &ImageError{Path: c.Name, Reason: "cannot read: " + errText(err), Kind: "unreadable"}
		return it
	}
	head := buf[:n]
	format := imageformat.Sniff(head)
	readOn := false // animatedGIF read past the head: hashing goes back there
	container, isVideo := p.video.isVideo(head, format, func() bool {
		readOn = true
		return animatedGIF(io.MultiReader(bytes.NewReader(head), f))
	})
	switch {
	case isVideo && p.video.ffmpeg() == nil:
		it.skip = "a video (" + container + "), not read: " + p.video.why()
		p.videosNotRead.Add(1)
		return it
	case format == "" && !isVideo:
		it.skip = skipReason(c.Path, head)
		return it
	}
	if readOn {
		if _, err := f.Seek(int64(n), io.SeekStart); err != nil {
			it.err = &ImageError{Path: c.Name, Reason: "cannot read: " + errText(err), Kind: "unreadable"}
			return it
		}
	}
	h := sha256.New()
	h.Write(head)
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			it.err = &ImageError{Path: c.Name, Reason: "cannot read: " + errText(err), Kind: "unreadable"}
			return it
		}
	}
	h.Sum(it.sum[:0])
	if isVideo {
		return p.loadVideo(ctx, it, container)
	}
	if _, err := f.Seek(0, io.SeekStart); err == nil {
		// A header that cannot be read leaves the size unknown; decoding then says what is wrong.
		it.width, it.height, _ = imagefile.Size(f)
	}
	if p.cache != nil {
		if v, ok := p.cache.get(it.sum, p.dim); ok {
			it.embed = v
			p.hits.Add(1)
			return it
		}
	}
	return p.preprocess(it)
}

// preprocess decodes an image the cache does not have.
func (p *pipeline) preprocess(it *item) *item {
	var pixels []float32
	var err error
	if seer, ok := p.m.(imageSeer); ok && p.thumbnails && p.cache != nil {
		pixels, err = seer.PreprocessImageSeen(it.c.Path, p.maxPixels, func(img *image.RGBA) {
			if t, err := htmlreport.ThumbnailOf(img, htmlreport.ThumbnailSize); err == nil {
				it.thumb = t
			} // else the report makes it, or says why not
		})
	} else {
		pixels, err = p.m.PreprocessImage(it.c.Path, p.maxPixels)
	}
	if err != nil {
		it.err = &ImageError{Path: it.c.Name, Reason: strings.TrimPrefix(err.Error(), it.c.Path+": "), Kind: errorKind(err)}
		return it
	}
	it.pixels = pixels
	return it
}

// errorKind is the model error's category as a report word ("too large" ->
// "too-large"), or "decode" when the error does not say.
func errorKind(err error) string {
	var k imageErrorKind
	if errors.As(err, &k) {
		if kind := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k.ImageErrorKind())), " ", "-"); kind != "" {
			return kind
		}
	}
	return "decode"
}

// embed computes the batch's missing embeddings (EmbedImages calls of at most batchSize pictures: a video's
// frames count one by one), caches them, and scores every image and video of the batch.
func (p *pipeline) embed(b *batch) error {
	var pixels [][]float32
	var need []*item
	first := map[[32]byte]*item{} // identical files in a batch are embedded once
	var dups []*item
	for _, it := range b.items {
		if it.toEmbed() == 0 {
			continue
		}
		if _, ok := first[it.sum]; ok {
			dups = append(dups, it)
			continue
		}
		first[it.sum] = it
		if it.video != nil {
			pixels = append(pixels, it.video.pixels...)
		} else {
			pixels = append(pixels, it.pixels)
		}
		need = append(need, it)
	}
	dim := p.dim
	var sums [][32]byte
	var embeds [][]float32
	var raw []rawEntry
	if len(pixels) > 0 {
		frames, err := p.embedPixels(pixels, need[0].c.Name)
		if err != nil {
			return err
		}
		at := 0
		for _, it := range need {
			if it.video == nil {
				it.embed, it.pixels = frames[at], nil
				at++
				continue
			}
			v := it.video
			v.embeds, v.pixels = frames[at:at+len(v.pixels):at+len(v.pixels)], nil
			at += len(v.embeds)
			it.embed = meanEmbedding(v.embeds)
			if p.video != nil {
				raw = append(raw, rawEntry{p.video.frameKey(it.sum), marshalFrames(v, dim)})
			}
		}
		// The cache gets a video's mean embedding where an image's embedding goes: search and duplicates read that.
		for _, it := range need {
			sums, embeds = append(sums, it.sum), append(embeds, it.embed)
		}
		p.misses.Add(int64(len(need)))
	}
	if p.cache != nil {
		var files []fileEntry
		thumbs := map[[32]byte][]byte{}
		for _, it := range b.items {
			if it.isImage() && !it.known {
				files = append(files, fileEntry{it.c.Path, fileRecord{stamp: it.stamp, Sum: it.sum, Width: it.width, Height: it.height,
					Video: it.video != nil}})
			}
			if it.thumb != nil {
				thumbs[it.sum], it.thumb = it.thumb, nil
			}
		}
		p.cache.put(sums, embeds, raw, files, thumbs)
	}
	for _, it := range dups {
		f := first[it.sum]
		it.embed, it.pixels, it.video = f.embed, nil, f.video
		p.misses.Add(1)
	}
	if p.text == nil {
		return nil // embedding only
	}
	// One Probabilities call for the batch: a row per image, a row per video frame.
	var rows [][]float32
	for _, it := range b.items {
		switch {
		case !it.isImage():
		case it.video != nil:
			rows = append(rows, it.video.embeds...)
		default:
			rows = append(rows, it.embed)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	probs := p.m.Probabilities(rows, p.text)
	if len(probs) != len(rows) {
		return fmt.Errorf("model bug: Probabilities returned %d rows for %d images", len(probs), len(rows))
	}
	for _, row := range probs {
		if len(row) != len(p.text) {
			return fmt.Errorf("model bug: Probabilities returned %d values for %d labels", len(row), len(p.text))
		}
	}
	at := 0
	for _, it := range b.items {
		switch {
		case !it.isImage():
		case it.video != nil:
			n := len(it.video.embeds)
			it.score = scoreVideo(it.video, probs[at:at+n])
			at += n
		default:
			it.score = newScore(probs[at])
			at++
		}
	}
	return nil
}

// embedPixels runs the model on pixels, at most batchSize at a time (a batch with a video's frames holds more), and
// checks what it returns. name is the batch's first file, for the message when the model fails.
func (p *pipeline) embedPixels(pixels [][]float32, name string) ([][]float32, error) {
	embeds := make([][]float32, 0, len(pixels))
	for start := 0; start < len(pixels); start += p.batchSize {
		chunk := pixels[start:min(start+p.batchSize, len(pixels))]
		p.embedCalls.Add(1)
		out, err := p.m.EmbedImages(chunk)
		if err != nil {
			hint := p.failHint
			if hint == "" {
				hint = "everything before this batch is saved; run again with --resume to continue (a smaller --batch_size needs less memory)"
			}
			return nil, &Error{Msg: fmt.Sprintf("the model failed on a batch of %d images (the first is %s)", len(chunk), name),
				Hint: hint, Err: err}
		}
		if len(out) != len(chunk) {
			return nil, fmt.Errorf("model bug: EmbedImages returned %d embeddings for %d images", len(out), len(chunk))
		}
		for _, e := range out {
			if len(e) != p.dim {
				return nil, fmt.Errorf("model bug: image embeddings have %d values, not the model's %d", len(e), p.dim)
			}
		}
		embeds = append(embeds, out...)
	}
	return embeds, nil
}
