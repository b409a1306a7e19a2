package video

import (
	"context"
	"time"
)

// decodeFrames decodes the whole video once, ffmpeg's select filter taking the first frame, scene changes and a
// frame every Interval (selector), and thins them as they come (sampler), so that memory stays at twice MaxFrames
// frames however many are selected; twice, so that the final thinning still has a choice.
func (t *Tool) decodeFrames(ctx context.Context, path string, info Info, o FrameOptions) ([]Frame, error) {
	kept := newSampler(2 * o.MaxFrames)
	prev := time.Duration(-1)
	onFrame := func(f Frame) {
		kind := keptForInterval
		switch {
		case prev < 0:
			kind = keptAsFirst
		case f.Time-prev < o.Interval-o.Interval/100: // before the interval was up: selected for its scene score
			kind = keptForScene
		}
		prev = f.Time
		kept.add(candidate{f, kind})
	}
	run := decodeRun{selector: selector(o), threads: o.Threads, required: true}
	if _, err := t.decode(ctx, path, info, o, run, onFrame); err != nil {
		return nil, err
	}
	return framesOf(kept.thin(o.MaxFrames)), nil
}

func framesOf(cands []candidate) []Frame {
	frames := make([]Frame, len(cands))
	for i, c := range cands {
		frames[i] = c.Frame
	}
	return frames
}
