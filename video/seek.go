package video

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// seekFrames samples a long video at MaxFrames evenly spaced points (seekPoints), one ffmpeg per point, Threads
// of them at once, each seeking in the file (-ss before -i) and decoding only the keyframe at or before its point
// (-noaccurate_seek): the cost is a keyframe's per point, whatever the video's length. Points that land on the
// same keyframe give one frame. The first point (the first frame) must decode; the others may fail (a damaged
// stretch) without failing the video.
//
// When the first quarter of the points finds so few keyframes that the whole would find fewer than MaxFrames/4
// (Frames then decodes the video in full instead), the rest are not tried.
func (t *Tool) seekFrames(ctx context.Context, path string, info Info, o FrameOptions) ([]Frame, error) {
	n := o.MaxFrames
	points := seekPoints(info.Duration, n)
	same := min(info.Duration/time.Duration(2*n), 200*time.Millisecond) // closer frames are one keyframe
	found := make([]*Frame, n)
	grab := func(i int) error {
		run := decodeRun{seek: points[i], frames: 1, threads: 1, required: i == 0}
		_, err := t.decode(ctx, path, info, o, run, func(f Frame) { found[i] = &f })
		return err
	}
	if err := grab(0); err != nil {
		return nil, err
	}
	quarter := max(n/4, 1)
	grabAll(ctx, o.Threads, 1, quarter, grab)
	if 16*len(distinct(found[:quarter], same)) >= n {
		grabAll(ctx, o.Threads, quarter, n, grab)
	}
	if ctx.Err() != nil {
		return nil, runError(ctx, ctx.Err(), path, t.FFmpeg, &stderrLog{}, "")
	}
	return distinct(found, same), nil
}

// grabAll runs grab for points from to to-1, workers at once, until ctx ends. A point that fails is a point
// without a frame.
func grabAll(ctx context.Context, workers, from, to int, grab func(int) error) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, to-from) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_ = grab(i)
			}
		}()
	}
	for i := from; i < to && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// distinct is the frames found, in time order, one for each run of frames no more than same apart (points that
// landed on the same keyframe).
func distinct(found []*Frame, same time.Duration) []Frame {
	var frames []Frame
	for _, f := range found {
		if f != nil {
			frames = append(frames, *f)
		}
	}
	slices.SortStableFunc(frames, func(a, b Frame) int { return cmp.Compare(a.Time, b.Time) })
	return slices.CompactFunc(frames, func(a, b Frame) bool { return absDuration(a.Time-b.Time) <= same })
}

// seekPoints are n evenly spaced times from 0 to half a step before the end: the last keyframe before the end is
// then found even in a file whose stated duration runs a little past its last frame.
func seekPoints(d time.Duration, n int) []time.Duration {
	if n == 1 {
		return []time.Duration{0}
	}
	last := float64(d) * (1 - 1/float64(2*n))
	points := make([]time.Duration, n)
	for i := range points {
		points[i] = time.Duration(last * float64(i) / float64(n-1))
	}
	return points
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
