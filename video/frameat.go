package video

import (
	"context"
	"image"
	"time"
)

// FrameAt returns the picture a player shows at time at (a Frame.Time that Frames gave), scaled as opts.ShortSide
// says, with opts.Timeout (default DefaultTimeout) bounding ffprobe's and ffmpeg's work. Reports show a video by
// the frame that decided its label. Failures are *Error, as Frames'.
func (t *Tool) FrameAt(ctx context.Context, path string, at time.Duration, opts FrameOptions) (*image.RGBA, error) {
	o := opts.withDefaults()
	ctx, cancel := o.bound(ctx)
	defer cancel()
	info, err := t.Probe(ctx, path)
	if err != nil {
		return nil, err
	}
	var got *image.RGBA
	run := decodeRun{seek: max(at, 0), exact: true, frames: 1, threads: o.Threads, required: true}
	if _, err := t.decode(ctx, path, info, o, run, func(f Frame) { got = f.Image }); err != nil {
		return nil, err
	}
	return got, nil
}

// ReadsAnimatedWebP reports whether this ffmpeg decodes animated WebP: its decoder skipped the ANIM and ANMF
// chunks, giving no frame, until FFmpeg 9.0 ("Animated WebP decoder" in its Changelog).
func (t *Tool) ReadsAnimatedWebP() bool { return t.atLeast(9, 0) }
