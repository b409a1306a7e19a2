package sorter

// Videos: a video is sorted by what its frames show. Package video has ffmpeg pick the frames (the first, scene
// changes, one every two seconds, at most VideoOptions.MaxFrames); each frame goes through the model like an
// image, in the same batches; the video's score for a label is its best frame's score, and the video goes to the
// label whose best frame scores highest. The video file itself is then placed like an image.
//
// In the embedding cache a video has two entries in its model's bucket: under its SHA-256, as an image has, the
// mean of its frames' embeddings (normalised), which is what search and duplicates compare; and under frameKey,
// every frame's time and embedding, which a sort needs to score the frames again with other labels. Without
// ffmpeg, videos are listed in skipped.csv with how to install it, and images are sorted as before.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bellingcat/smart-image-sorter/htmlreport"
	"github.com/bellingcat/smart-image-sorter/imageformat"
	"github.com/bellingcat/smart-image-sorter/video"
)

// VideoOptions say whether and how videos are read.
type VideoOptions struct {
	FFmpeg          string        // the ffmpeg to run; "" finds ffmpeg and ffprobe on PATH
	MaxFrames       int           // frames looked at per video, at most; default video.DefaultMaxFrames
	Timeout         time.Duration // ffmpeg's time per video, at most; default video.DefaultTimeout
	AnimatedAsVideo bool          // look at every frame of animated GIFs too (default: the first, as the original tool)
	Skip            bool          // leave videos out: they are listed in skipped.csv
}

// frameCacheVersion is part of every frames entry's key: a change of the entry's layout or of how frames are
// chosen gets new keys, so old entries are never misread.
const frameCacheVersion = 1

// videoReader turns video files into frames for the pipeline.
type videoReader struct {
	override string // VideoOptions.FFmpeg
	logf     func(string, ...any)
	once     sync.Once
	tool     *video.Tool // found by ffmpeg(); nil: videos are skipped, for the reason in missing
	missing  string
	opts     video.FrameOptions
	key      string // what changes the frames chosen: part of frameKey
	animated bool   // AnimatedAsVideo
}

// newVideoReader prepares to read videos. ffmpeg is looked for at the first video (ffmpeg()), so that a folder
// without videos never starts it; without it, videos are skipped (with how to install it). When o.FFmpeg names
// one, it is checked now: the investigator asked for that ffmpeg, and not finding it is an error. Frames are
// scaled by ffmpeg to shortSide pixels (0: video.DefaultShortSide), the size the model's preprocessing needs.
func newVideoReader(o VideoOptions, shortSide int, logf func(string, ...any)) (*videoReader, error) {
	r := &videoReader{override: o.FFmpeg, logf: logf, animated: o.AnimatedAsVideo,
		opts: video.FrameOptions{MaxFrames: o.MaxFrames, Timeout: o.Timeout, ShortSide: shortSide}}
	if r.opts.ShortSide <= 0 {
		r.opts.ShortSide = video.DefaultShortSide
	}
	if r.opts.MaxFrames <= 0 {
		r.opts.MaxFrames = video.DefaultMaxFrames
	}
	if r.opts.Timeout <= 0 {
		r.opts.Timeout = video.DefaultTimeout
	}
	r.key = fmt.Sprintf("frames|v%d|max %d|every %s|scene %g|side %d", frameCacheVersion, r.opts.MaxFrames,
		video.DefaultInterval, video.DefaultSceneThreshold, r.opts.ShortSide)
	switch {
	case o.Skip:
		r.missing = "videos are left out (--no-videos)"
		r.once.Do(func() {}) // nothing to find
	case o.FFmpeg != "":
		if _, err := findTool(o.FFmpeg); err != nil {
			return nil, &Error{Msg: "cannot use the ffmpeg given with --ffmpeg", Hint: Hint(err), Err: err}
		}
	}
	return r, nil
}

// ffmpeg returns the ffmpeg that reads videos, looking for it on the first call (starting ffmpeg and ffprobe
// takes 0.12 s here, a sixth of a search over 100,000 cached images); nil without one, r.missing then says why.
// Nil-safe; safe for concurrent use.
func (r *videoReader) ffmpeg() *video.Tool {
	if r == nil {
		return nil
	}
	r.once.Do(func() {
		tool, err := findTool(r.override)
		if err != nil {
			r.missing = "ffmpeg is needed to read videos: " + Hint(err)
			return
		}
		r.tool = tool
		r.logf("videos: %s (%s)", tool.FFmpeg, tool.Version)
	})
	return r.tool
}

// foundTools keeps video.Find's successes, by ffmpeg asked for and PATH: a notebook sorts, searches and draws
// video thumbnails many times in one process. A failure is not kept: ffmpeg may be installed meanwhile.
var foundTools sync.Map

func findTool(override string) (*video.Tool, error) {
	key := override + "\x00" + os.Getenv("PATH")
	if t, ok := foundTools.Load(key); ok {
		return t.(*video.Tool), nil
	}
	t, err := video.Find(override)
	if err == nil {
		foundTools.Store(key, t)
	}
	return t, err
}

// frameSide is the short side frames need for m: its image size when it says (a CLIP model resizes the short
// side to it, a SigLIP model squashes to a square of it), else video.DefaultShortSide.
func frameSide(m Model) int {
	if s, ok := m.(interface{ ImageSize() int }); ok && s.ImageSize() > 0 {
		return s.ImageSize()
	}
	return video.DefaultShortSide
}

// isVideo says whether a file with this head (and image format, "" when not an image) is read as a video, and
// its container's name for messages.
func (r *videoReader) isVideo(head []byte, format string, animated func() bool) (string, bool) {
	if format == "" {
		c := video.Sniff(head)
		return c, c != ""
	}
	switch {
	case r == nil || !r.animated:
	case format == imageformat.GIF && animated():
		return "animated GIF", true
	case format == imageformat.WebP && animatedWebP(head) && r.ffmpeg() != nil && r.ffmpeg().ReadsAnimatedWebP():
		return "animated WebP", true // older ffmpegs decode no frame of it: it stays an image (its first frame)
	}
	return "", false
}

// animatedWebP: a WebP whose VP8X chunk has the animation flag (WebP container specification, "Extended file
// format").
func animatedWebP(head []byte) bool {
	return len(head) > 20 && string(head[12:16]) == "VP8X" && head[20]&0x02 != 0
}

// videoItem is what the pipeline knows of a video on its way through.
type videoItem struct {
	container     string
	width, height int             // as displayed
	times         []time.Duration // of each frame, from the start
	pixels        [][]float32     // preprocessed frames waiting for the model; nil once embedded
	embeds        [][]float32     // each frame's embedding
	best          []frameScore    // per label (in label order): the frame that scores highest for it
}

// frameScore is a label's best frame in a video.
type frameScore struct {
	frame int
	time  time.Duration
	prob  float32
}

// pending is the number of frames still to embed.
func (v *videoItem) pending() int {
	if v.embeds != nil {
		return 0
	}
	return len(v.pixels)
}

// frames reads a video's frames with ffmpeg and preprocesses them for m.
func (r *videoReader) frames(ctx context.Context, m Model, path string) (*videoItem, error) {
	frames, info, err := r.ffmpeg().FramesInfo(ctx, path, r.opts)
	if err != nil {
		return nil, err
	}
	if len(frames) == 0 {
		return nil, &video.Error{Path: path, Kind: video.ErrCorrupt, Detail: "ffmpeg found no picture in it"}
	}
	v := &videoItem{width: info.Width, height: info.Height, times: make([]time.Duration, len(frames)), pixels: make([][]float32, len(frames))}
	for i, f := range frames {
		v.times[i], v.pixels[i] = f.Time, m.PreprocessRGBA(f.Image)
	}
	return v, nil
}

// meanEmbedding is the normalised mean of the frames' embeddings: the video's one embedding, for search and
// duplicates.
func meanEmbedding(embeds [][]float32) []float32 {
	if len(embeds) == 0 {
		return nil
	}
	mean := make([]float32, len(embeds[0]))
	for _, e := range embeds {
		for i, x := range e {
			mean[i] += x
		}
	}
	var norm float64
	for _, x := range mean {
		norm += float64(x) * float64(x)
	}
	if norm = math.Sqrt(norm); norm > 0 {
		for i := range mean {
			mean[i] = float32(float64(mean[i]) / norm)
		}
	}
	return mean
}

// scoreVideo scores every frame against the labels (probs: one row per frame) and keeps, per label, the best
// frame. The video's score for a label is its best frame's.
func scoreVideo(v *videoItem, probs [][]float32) score {
	labels := len(probs[0])
	v.best = make([]frameScore, labels)
	top := make([]float32, labels)
	for l := range labels {
		b := frameScore{frame: -1, prob: float32(math.Inf(-1))}
		for f, row := range probs {
			if row[l] > b.prob || b.frame < 0 {
				b = frameScore{frame: f, time: v.times[f], prob: row[l]}
			}
		}
		v.best[l], top[l] = b, b.prob
	}
	return newScore(top)
}

// frameKey is where a video's frames are cached in its model's bucket.
func (r *videoReader) frameKey(sum [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(r.key))
	h.Write([]byte{0})
	h.Write(sum[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// framesHeaderLen: the version byte, then frame count, width and height as uint32s.
const framesHeaderLen = 1 + 3*4

// marshalFrames is a frames entry: a version byte, the frame count, the video's width and height (uint32s),
// each frame's time (int64 nanoseconds), then each frame's embedding (dim float32s), all little-endian.
func marshalFrames(v *videoItem, dim int) []byte {
	n := len(v.times)
	b := make([]byte, framesHeaderLen+8*n+4*dim*n)
	b[0] = frameCacheVersion
	le := binary.LittleEndian
	le.PutUint32(b[1:], uint32(n))
	le.PutUint32(b[5:], uint32(min(v.width, math.MaxUint32)))
	le.PutUint32(b[9:], uint32(min(v.height, math.MaxUint32)))
	off := framesHeaderLen
	for _, t := range v.times {
		le.PutUint64(b[off:], uint64(t))
		off += 8
	}
	for _, e := range v.embeds {
		encodeFloats(b[off:], e)
		off += 4 * len(e)
	}
	return b
}

// unmarshalFrames reads a frames entry; nil when it is not one of embeddings of length dim.
func unmarshalFrames(b []byte, dim int) *videoItem {
	if len(b) < framesHeaderLen || b[0] != frameCacheVersion {
		return nil
	}
	le := binary.LittleEndian
	n := int(le.Uint32(b[1:]))
	if n == 0 || n > 1<<20 || len(b) != framesHeaderLen+8*n+4*dim*n {
		return nil
	}
	v := &videoItem{times: make([]time.Duration, n), embeds: make([][]float32, n),
		width: int(le.Uint32(b[5:])), height: int(le.Uint32(b[9:]))}
	off := framesHeaderLen
	for i := range v.times {
		v.times[i] = time.Duration(le.Uint64(b[off:]))
		off += 8
	}
	for i := range v.embeds {
		v.embeds[i] = make([]float32, dim)
		decodeFloats(v.embeds[i], b[off:])
		off += 4 * dim
	}
	return v
}

// framesHeader is frames.csv's: for every video and label, the best frame's time and score.
var framesHeader = []string{"image_name", "label", "time", "seconds", "score", "frames_read"}

// frameRows are a sorted video's frames.csv rows, labels in the order of their best frame's score.
func frameRows(it *item, labels []label) [][]string {
	v := it.video
	rows := make([][]string, 0, len(v.best))
	for _, l := range it.score.order {
		b := v.best[l]
		rows = append(rows, []string{it.c.Name, labels[l].Text, FrameClock(b.time),
			strconv.FormatFloat(b.time.Seconds(), 'f', 3, 64), formatProb(b.prob), strconv.Itoa(len(v.times))})
	}
	return rows
}

// FrameClock writes a time from the start of a video as a player shows it: 0:41.250, 1:02:03.000.
func FrameClock(d time.Duration) string {
	ms := d.Milliseconds()
	h, m, s, frac := ms/3600000, ms/60000%60, ms/1000%60, ms%1000
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%03d", h, m, s, frac)
	}
	return fmt.Sprintf("%d:%02d.%03d", m, s, frac)
}

// why says why videos are not read (nil-safe; after ffmpeg() found none).
func (r *videoReader) why() string {
	if r == nil || r.missing == "" {
		return "videos are not read by this job"
	}
	return r.missing
}

// loadVideo finishes a video's item after hashing: its frames' embeddings from the cache, or its frames from ffmpeg,
// preprocessed for the model.
func (p *pipeline) loadVideo(ctx context.Context, it *item, container string) *item {
	if p.cache != nil {
		if v := p.cache.frames(p.video.frameKey(it.sum), p.dim); v != nil {
			v.container = container
			it.video, it.embed, it.width, it.height = v, meanEmbedding(v.embeds), v.width, v.height
			p.hits.Add(1)
			return it
		}
	}
	fail := func(err error) *item {
		it.err = &ImageError{Path: it.c.Name, Reason: strings.TrimPrefix(err.Error(), it.c.Path+": "), Kind: errorKind(err)}
		return it
	}
	v, err := p.video.frames(ctx, p.m, it.c.Path)
	if err != nil {
		return fail(err)
	}
	v.container = container
	it.video, it.width, it.height = v, v.width, v.height
	return it
}

// animatedGIF says whether the GIF r reads (from its first byte) has more than one frame. It walks the file's
// blocks (GIF89a, section 17 on): image/gif would decode every frame to count them.
func animatedGIF(r io.Reader) bool {
	br := bufio.NewReader(r)
	skip := func(n int) bool { _, err := br.Discard(n); return err == nil }
	subBlocks := func() bool {
		for {
			size, err := br.ReadByte()
			if err != nil {
				return false
			}
			if size == 0 {
				return true
			}
			if !skip(int(size)) {
				return false
			}
		}
	}
	header := make([]byte, 13) // signature, version, logical screen descriptor
	if _, err := io.ReadFull(br, header); err != nil {
		return false
	}
	if header[10]&0x80 != 0 && !skip(3<<(header[10]&7+1)) { // global colour table
		return false
	}
	frames := 0
	for {
		b, err := br.ReadByte()
		if err != nil {
			return false
		}
		switch b {
		case 0x21: // extension: label, then sub-blocks
			if !skip(1) || !subBlocks() {
				return false
			}
		case 0x2C: // image descriptor
			if frames++; frames > 1 {
				return true
			}
			desc := make([]byte, 9)
			if _, err := io.ReadFull(br, desc); err != nil {
				return false
			}
			if desc[8]&0x80 != 0 && !skip(3<<(desc[8]&7+1)) { // local colour table
				return false
			}
			if !skip(1) || !subBlocks() { // LZW minimum code size, then the image data
				return false
			}
		default: // 0x3B, the trailer, or damage
			return false
		}
	}
}

// thumbnail is a JPEG of the video's frame at at, longest side size.
func (r *videoReader) thumbnail(ctx context.Context, path string, at time.Duration, size int) ([]byte, error) {
	img, err := r.ffmpeg().FrameAt(ctx, path, at, video.FrameOptions{ShortSide: size, Timeout: r.opts.Timeout})
	if err != nil {
		return nil, err
	}
	return htmlreport.ThumbnailOf(img, size)
}

// VideoThumbnail is a JPEG of a video's frame at at (the time output.csv's frame_seconds gives), its longest side
// size pixels, from the ffmpeg at ffmpeg ("": on PATH). The notebook's gallery shows videos with it.
func VideoThumbnail(ctx context.Context, ffmpeg, path string, at time.Duration, size int) ([]byte, error) {
	r, err := newVideoReader(VideoOptions{FFmpeg: ffmpeg}, 0, func(string, ...any) {})
	if err != nil {
		return nil, err
	}
	if r.ffmpeg() == nil {
		return nil, &Error{Msg: "cannot show a frame of " + path, Hint: r.missing}
	}
	return r.thumbnail(ctx, path, at, size)
}
