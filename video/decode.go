package video

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// timeWait bounds the wait for a frame's showinfo line once the frame itself has arrived. ffmpeg logs the line
// before it writes the frame, so a longer wait means the line is not coming (an ffmpeg whose showinfo prints
// something else).
const timeWait = 10 * time.Second

// decodeRun is one ffmpeg run that writes frames to its stdout.
type decodeRun struct {
	seek     time.Duration // input seek (-ss before -i, to the keyframe at or before it); 0 for none
	exact    bool          // seek to the frame at seek (decoding from the keyframe before it), not to that keyframe
	selector string        // select filter expression; "" keeps every frame
	frames   int           // stop after this many frames (-frames:v); 0 for no limit
	threads  int           // decoder threads
	required bool          // finishing without a frame is an error (ErrCorrupt); else it gives 0 frames
}

// args is the ffmpeg command line for r. Frames come out as PPM images (-c:v ppm) rather than raw video, because
// each PPM carries its own width and height: a video whose size changes midway (a stream that switches
// resolution, a GIF's frames) cannot shift the frame boundaries, and odd sizes need no care.
func (t *Tool) args(r decodeRun, info Info, o FrameOptions, input, token string) []string {
	args := []string{"-nostdin", "-hide_banner", "-nostats",
		"-loglevel", t.logLevel(), // info, for showinfo's lines
		"-threads", strconv.Itoa(r.threads), "-filter_threads", "1",
		// The file's own timestamps: without -copyts, ffmpeg shifts them by the seek point rounded to its
		// microseconds and then to the stream's time base, which is off by up to a tick (2.999954 s for 3 s).
		// readFrames subtracts the file's start time instead, exactly.
		"-copyts"}
	if r.seek > 0 {
		args = append(args, "-ss", ffSeconds(r.seek))
		if !r.exact {
			args = append(args, "-noaccurate_seek")
		}
	}
	args = append(args, "-protocol_whitelist", "file", "-i", input, "-map", fmt.Sprintf("0:%d", info.stream))
	var filters []string
	if r.selector != "" {
		filters = append(filters, "select='"+r.selector+"'")
	}
	filters = append(filters, scaleFilter(o.ShortSide), "setsar=1", "showinfo@"+token)
	args = append(args, "-vf", strings.Join(filters, ","))
	if r.frames > 0 {
		args = append(args, "-frames:v", strconv.Itoa(r.frames))
	}
	args = append(args, t.passthroughArgs()...)
	return append(args, "-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "pipe:1")
}

// scaleFilter scales frames so their shorter side, as displayed, is shortSide pixels, never enlarging them, and
// makes non-square pixels square (sar is the input's pixel aspect ratio, 1 when unknown). ffmpeg has already
// turned the frames upright (its autorotate inserts a transpose before this filter), so iw and ih are upright.
func scaleFilter(shortSide int) string {
	if shortSide < 0 {
		shortSide = math.MaxInt32
	}
	const landscape = "gte(iw*sar,ih)"
	w := fmt.Sprintf("if(%s,max(1,round(min(ih,%d)*iw*sar/ih)),min(round(iw*sar),%d))", landscape, shortSide, shortSide)
	h := fmt.Sprintf("if(%s,min(ih,%d),max(1,round(min(round(iw*sar),%d)*ih/(iw*sar))))", landscape, shortSide, shortSide)
	return fmt.Sprintf("scale=w='%s':h='%s':flags=bicubic+accurate_rnd+full_chroma_int", w, h)
}

// selector is the select filter expression of a full decode: the first frame, a frame whose scene score is
// above the threshold (at least sceneMinGap after the last frame taken), and a frame when Interval has passed
// since the last one taken.
func selector(o FrameOptions) string {
	expr := fmt.Sprintf("eq(n,0)+gte(t-prev_selected_t,%s)", ffSeconds(o.Interval))
	if o.SceneThreshold > 0 {
		expr += fmt.Sprintf("+gt(scene,%g)*gte(t-prev_selected_t,%s)", o.SceneThreshold, ffSeconds(sceneMinGap))
	}
	return expr
}

func ffSeconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// decode runs r on path and passes each frame to onFrame as it arrives, returning how many there were. When
// ffmpeg fails after some frames (a file cut short) those frames stand and the error is dropped; when it fails
// before any, the error is an *Error.
func (t *Tool) decode(ctx context.Context, path string, info Info, o FrameOptions, r decodeRun, onFrame func(Frame)) (int, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	token := randomToken()
	input := inputURL(path)
	cmd := command(runCtx, t.FFmpeg, t.args(r, info, o, input, token)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	times := newTimeQueue()
	showinfo := newShowinfoParser(token)
	log := &stderrLog{onLine: func(line string) {
		if n, ts, ok := showinfo.parse(line); ok {
			times.put(n, ts)
		}
	}}
	if err := cmd.Start(); err != nil {
		return 0, runError(ctx, err, path, t.FFmpeg, log, input)
	}
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		log.read(stderr)
		times.close()
	}()

	n, readErr := readFrames(runCtx, stdout, times, info.start, o.MaxPixels, onFrame)
	if readErr != nil {
		stop() // ffmpeg may be blocked writing a frame nobody will read
	}
	<-logged
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil: // timeout or the caller's cancellation: partial frames are not kept
		return 0, runError(ctx, waitErr, path, t.FFmpeg, log, input)
	case readErr != nil && n == 0:
		detail := readErr.Error()
		if said := log.message(input); said != "" {
			detail += "; ffmpeg said: " + said
		}
		return 0, &Error{Path: path, Kind: ErrCorrupt, Detail: detail, Err: readErr}
	case waitErr != nil && n == 0:
		return 0, runError(ctx, waitErr, path, t.FFmpeg, log, input)
	case n == 0 && r.required:
		return 0, &Error{Path: path, Kind: ErrCorrupt, Detail: orDefault(log.message(input), "ffmpeg found no picture it could decode")}
	}
	return n, nil
}

// readFrames reads PPM frames from ffmpeg's stdout and gives each its time, that of the showinfo line with the
// same frame number less the file's start time (with -copyts, timestamps are the file's own, and players count
// from the file's start).
func readFrames(ctx context.Context, stdout io.Reader, times *timeQueue, start time.Duration, maxPixels int64, onFrame func(Frame)) (int, error) {
	br := bufio.NewReaderSize(stdout, 1<<20)
	var buf []byte
	last := time.Duration(-1)
	for n := 0; ; n++ {
		img, err := readPPM(br, maxPixels, &buf)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		ts, ok := times.get(ctx, n)
		if !ok {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("ffmpeg gave frame %d without its time (showinfo's output not understood)", n)
		}
		at := ts - start
		if ts == noTime || at < 0 { // no timestamp, or before the start (edit lists, B-frame delay)
			at = max(last, 0)
		}
		last = at
		onFrame(Frame{Time: at, Image: img})
	}
}

// showinfoParser reads frame numbers and times from the lines of the showinfo filter named showinfo@token:
//
//	[showinfo@1f2e3d4c @ 0x55d0c8a3c480] [info] config in time_base: 1/15360, frame_rate: 30/1
//	[showinfo@1f2e3d4c @ 0x55d0c8a3c480] [info] n:   3 pts:  46080 pts_time:3       pos: ... s:398x224 ...
//
// The random token means a file name or metadata that ffmpeg prints cannot pass for such a line. The time is
// pts x time_base when the time base was logged (exact), else pts_time, which ffmpeg prints with 6 significant
// digits (to a tenth of a second after 28 hours). A frame without a time ("pts_time:NOPTS") gets noTime.
type showinfoParser struct {
	prefix       string
	tbNum, tbDen int64 // time base, 0/0 until logged
}

func newShowinfoParser(token string) *showinfoParser {
	return &showinfoParser{prefix: "[showinfo@" + token + " @ "}
}

func (p *showinfoParser) parse(line string) (n int, ts time.Duration, ok bool) {
	if !strings.HasPrefix(line, p.prefix) {
		return 0, 0, false
	}
	if _, tb, found := strings.Cut(line, "] config in time_base: "); found {
		tb, _, _ = strings.Cut(tb, ",")
		num, den, _ := strings.Cut(tb, "/")
		p.tbNum, _ = strconv.ParseInt(num, 10, 64)
		p.tbDen, _ = strconv.ParseInt(den, 10, 64)
		return 0, 0, false
	}
	_, rest, found := strings.Cut(line, "] n:")
	if !found {
		return 0, 0, false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil {
		return 0, 0, false
	}
	ts = noTime
	for _, f := range fields[1:] {
		if v, isTime := strings.CutPrefix(f, "pts_time:"); isTime {
			if secs, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(secs) && !math.IsInf(secs, 0) {
				ts = time.Duration(math.Round(secs * float64(time.Second)))
			}
			break
		}
	}
	if pts, ok := ptsField(fields); ok && p.tbNum > 0 && p.tbDen > 0 && ts != noTime {
		// float64 is exact to the nanosecond for 104 days
		ts = time.Duration(math.Round(float64(pts) * float64(p.tbNum) / float64(p.tbDen) * float64(time.Second)))
	}
	return n, ts, true
}

// ptsField reads "pts: 46080" (two fields, as showinfo pads the number to 7 places) or "pts:12345678".
func ptsField(fields []string) (int64, bool) {
	for i, f := range fields {
		v, ok := strings.CutPrefix(f, "pts:")
		if !ok {
			continue
		}
		if v == "" && i+1 < len(fields) {
			v = fields[i+1]
		}
		pts, err := strconv.ParseInt(v, 10, 64)
		return pts, err == nil
	}
	return 0, false
}

// noTime is the time of a frame that has none.
const noTime = time.Duration(math.MinInt64)

// timeQueue hands frame times from the stderr reader to the stdout reader.
type timeQueue struct {
	mu     sync.Mutex
	times  map[int]time.Duration
	closed bool
	added  chan struct{} // closed and replaced whenever a time is added or the queue closes
}

func newTimeQueue() *timeQueue {
	return &timeQueue{times: map[int]time.Duration{}, added: make(chan struct{})}
}

func (q *timeQueue) put(n int, ts time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.times[n] = ts
	close(q.added)
	q.added = make(chan struct{})
}

func (q *timeQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	close(q.added)
	q.added = make(chan struct{})
}

// get waits for frame n's time, until stderr ends, timeWait passes or ctx ends.
func (q *timeQueue) get(ctx context.Context, n int) (time.Duration, bool) {
	timer := time.NewTimer(timeWait)
	defer timer.Stop()
	for {
		q.mu.Lock()
		ts, ok := q.times[n]
		delete(q.times, n)
		closed, added := q.closed, q.added
		q.mu.Unlock()
		if ok || closed {
			return ts, ok
		}
		select {
		case <-added:
		case <-ctx.Done():
			return 0, false
		case <-timer.C:
			return 0, false
		}
	}
}

// randomToken names this run's showinfo filter.
func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
