package video

import (
	"context"
	"image"
	"math"
	"time"
)

// Defaults for FrameOptions' zero fields; doc.go gives the measurements behind them.
const (
	DefaultMaxFrames      = 32
	DefaultInterval       = 2 * time.Second
	DefaultSceneThreshold = 0.3
	DefaultShortSide      = 448
	DefaultTimeout        = 60 * time.Second
	DefaultMaxPixels      = 40_000_000 // 8K (7680x4320 and the cinema 8192x4320) passes
	DefaultThreads        = 2
)

// sceneMinGap is the least time between two frames kept for a scene change, so that a video whose picture keeps
// jumping (flashes, fast cuts, noise) does not turn into hundreds of frames to scale and pass on.
const sceneMinGap = 250 * time.Millisecond

// referencePixelRate is the pixels per second of a 1280x720 video at 30 frames per second, the video SeekAfter is
// stated for.
const referencePixelRate = 1280 * 720 * 30

// maxSeekAfterScale bounds how much longer than SeekAfter a small video is decoded in full: decoding costs per
// frame too, not only per pixel.
const maxSeekAfterScale = 8

// FrameOptions says which frames Frames returns. Zero fields take the defaults above.
type FrameOptions struct {
	// MaxFrames is the most frames returned. When more are found they are thinned to MaxFrames spread over the
	// whole video, the first frame and scene changes kept in preference.
	MaxFrames int

	// Interval is the longest stretch of video without a frame when the video is decoded in full: a frame is
	// taken at least every Interval, besides the first frame and scene changes.
	Interval time.Duration

	// SceneThreshold is ffmpeg's scene score (0 to 1: roughly how much the brightness of the picture changed from
	// the frame before, on average, as a share of the full range) above which a frame is taken as the start of a
	// new scene. A negative value turns scene detection off.
	SceneThreshold float64

	// ShortSide is the size ffmpeg scales frames to: the shorter side gets this many pixels, the aspect ratio is
	// kept (non-square pixels made square), and frames are never made bigger than the video. The model's own
	// preprocessing resizes and crops them after. A negative value keeps the video's own size.
	ShortSide int

	// Timeout bounds all of ffmpeg's and ffprobe's work on one video. A negative value means no bound.
	Timeout time.Duration

	// MaxPixels is the largest frame (width x height, as coded) accepted, checked with ffprobe before anything is
	// decoded. A negative value means no limit.
	MaxPixels int64

	// SeekAfter is the length from which a 1280x720 30 frames-per-second video is sampled by seeking to
	// MaxFrames evenly spaced points instead of being decoded in full (so without scene detection). For other
	// videos it scales with their pixels per second: a 4K 60 fps video is sampled by seeking from 1/18 of it, a
	// 640x360 one from 4 times it (at most 8 times). 0 means MaxFrames x Interval; a negative value means never.
	SeekAfter time.Duration

	// Threads is how many CPU cores ffmpeg may keep busy: the decoder's threads, or the number of ffmpeg
	// processes seeking at once.
	Threads int
}

func (o FrameOptions) withDefaults() FrameOptions {
	if o.MaxFrames <= 0 {
		o.MaxFrames = DefaultMaxFrames
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.SceneThreshold == 0 {
		o.SceneThreshold = DefaultSceneThreshold
	}
	if o.ShortSide == 0 {
		o.ShortSide = DefaultShortSide
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.SeekAfter == 0 {
		o.SeekAfter = time.Duration(o.MaxFrames) * o.Interval
	}
	if o.Threads <= 0 {
		o.Threads = DefaultThreads
	}
	return o
}

// Frame is one picture of a video.
type Frame struct {
	Time  time.Duration // from the start of the video, as a player shows it
	Image *image.RGBA   // upright (rotation applied), scaled per FrameOptions.ShortSide, alpha 255
}

// Frames returns frames that show what a video holds, in time order: the first frame, a frame at each scene
// change, and at least one every Interval, thinned to MaxFrames spread over the whole video. Long videos (see
// SeekAfter) are instead sampled at MaxFrames evenly spaced points, taking the keyframe at or before each point,
// which costs the same for a minute as for ten hours. Animated GIFs work too (animated WebP only with an ffmpeg
// whose WebP decoder reads animations, which 5.1's does not).
//
// Failures are *Error: ErrNoVideoStream, ErrTooLarge, ErrCorrupt, ErrUnsupported, ErrTimeout (everything is
// bounded by Timeout, and ffmpeg is killed when it runs out or ctx ends), ErrUnreadable, or ErrNoFFmpeg if ffmpeg
// has gone. A video
// that is damaged part-way (cut short, say) gives the frames before the damage and no error: they still show what
// the video holds, and their times show how far it could be read. A cancelled ctx is returned wrapped.
func (t *Tool) Frames(ctx context.Context, path string, opts FrameOptions) ([]Frame, error) {
	frames, _, err := t.FramesInfo(ctx, path, opts)
	return frames, err
}

// bound is ctx limited to o.Timeout (none when it is negative); ending it makes the work a timeout *Error.
func (o FrameOptions) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, o.Timeout, &Error{Kind: ErrTimeout, Timeout: o.Timeout})
}

// FramesInfo is Frames, also returning what Probe found (the video's size and duration), read once for both.
func (t *Tool) FramesInfo(ctx context.Context, path string, opts FrameOptions) ([]Frame, Info, error) {
	o := opts.withDefaults()
	ctx, cancel := o.bound(ctx)
	defer cancel()
	info, err := t.Probe(ctx, path)
	if err != nil {
		return nil, info, err
	}
	if o.MaxPixels > 0 && int64(info.codedWidth)*int64(info.codedHeight) > o.MaxPixels {
		return nil, info, &Error{Path: path, Kind: ErrTooLarge, Width: info.codedWidth, Height: info.codedHeight, Limit: o.MaxPixels}
	}
	if o.seeks(info) {
		frames, err := t.seekFrames(ctx, path, info, o)
		if err != nil || 4*len(frames) >= o.MaxFrames {
			return frames, info, err
		}
		// Few distinct keyframes: the video has long gaps between keyframes, or is shorter than its header says
		// (seeks past its real end all land on its last keyframe). Decoding it in full finds what is there,
		// within what is left of Timeout.
	}
	frames, err := t.decodeFrames(ctx, path, info, o)
	return frames, info, err
}

// seeks says whether the video is long enough, for its size and frame rate, to be sampled by seeking.
func (o FrameOptions) seeks(info Info) bool {
	if o.SeekAfter < 0 || info.Duration <= 0 {
		return false
	}
	fps := info.FrameRate
	if fps <= 0 || fps > 240 { // unknown, or a container's timebase taken for a rate
		fps = 30
	}
	scale := math.Min(referencePixelRate/(float64(info.codedWidth)*float64(info.codedHeight)*fps), maxSeekAfterScale)
	return info.Duration.Seconds() > o.SeekAfter.Seconds()*scale
}
