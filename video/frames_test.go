package video

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFramesKnownColours decodes a video of known colour segments in full and checks that a frame comes at each
// colour change (scene detection, to the frame), including the half-second yellow flash, that the others come
// every Interval, and that each frame's time matches its colour.
func TestFramesKnownColours(t *testing.T) {
	t.Parallel()
	path := makeColours(t, t.TempDir(), "known.mp4", knownSegments, h264(t)...)
	frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{ShortSide: 64})
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, frames, knownSegments)
	want := []time.Duration{0, 2 * time.Second, 3 * time.Second, 5 * time.Second, 6 * time.Second, 7 * time.Second, 7500 * time.Millisecond}
	if got := frameTimes(frames); !slices.Equal(got, want) {
		t.Errorf("times %v, want %v (first frame, every 2 s, and each colour change)", got, want)
	}
	for _, f := range frames {
		if size := f.Image.Bounds().Size(); size != (image.Point{114, 64}) { // 160x90 with the short side 64
			t.Errorf("frame at %v is %v, want 114x64", f.Time, size)
		}
	}
}

// TestFramesKnownColoursSeeking samples the same video by seeking (a keyframe every half second) and checks that
// each frame's time, computed from the seek point and ffmpeg's time after it, matches its colour.
func TestFramesKnownColoursSeeking(t *testing.T) {
	t.Parallel()
	path := makeColours(t, t.TempDir(), "known.mp4", knownSegments, append(h264(t), "-g", "5")...)
	opts := FrameOptions{ShortSide: 64, MaxFrames: 18, SeekAfter: time.Nanosecond}
	frames, err := testTool(t).Frames(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, frames, knownSegments)
	if len(frames) != 18 { // a decode in full would give 7
		t.Errorf("%d frames at %v, want one at each of the 18 points", len(frames), frameTimes(frames))
	}
	points := seekPoints(9*time.Second, 18)
	for i, f := range frames {
		if i < len(points) && (f.Time > points[i] || f.Time <= points[i]-500*time.Millisecond) {
			t.Errorf("frame %d at %v, want the keyframe at or before %v (one every 0.5 s)", i, f.Time, points[i])
		}
	}
}

// TestFramesCap checks that a two-minute video gives at most MaxFrames frames, spread over all of it, whether it
// is decoded in full or sampled by seeking.
func TestFramesCap(t *testing.T) {
	t.Parallel()
	const length = 120 * time.Second
	path := ffmpegMake(t, filepath.Join(t.TempDir(), "long.mp4"),
		append([]string{"-f", "lavfi", "-i", "testsrc2=s=64x36:r=5", "-t", "120", "-g", "25"}, h264(t)...)...)
	for _, tc := range []struct {
		name      string
		seekAfter time.Duration
	}{{"full", -1}, {"seek", time.Second}} {
		t.Run(tc.name, func(t *testing.T) {
			frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{MaxFrames: 8, SeekAfter: tc.seekAfter})
			if err != nil {
				t.Fatal(err)
			}
			times := frameTimes(frames)
			if len(frames) > 8 || len(frames) < 6 {
				t.Fatalf("%d frames at %v, want 6 to 8", len(frames), times)
			}
			if times[0] != 0 || times[len(times)-1] < length*9/10 {
				t.Errorf("times %v do not cover the first and last tenth", times)
			}
			for i := 1; i < len(times); i++ {
				if gap := times[i] - times[i-1]; gap <= 0 || gap > length/4 {
					t.Errorf("times %v: gap of %v", times, gap)
				}
			}
		})
	}
}

// TestFramesSceneStorm: a video that changes scene every 0.3 s (black and white in turn; ffmpeg's scene score is
// high when the amount of change changes, so a change every frame would score nothing) gives MaxFrames frames
// spread over it, most of them scene changes (at multiples of 0.3 s, where the interval's are at multiples of 2 s).
func TestFramesSceneStorm(t *testing.T) {
	t.Parallel()
	path := ffmpegMake(t, filepath.Join(t.TempDir(), "storm.mp4"), append([]string{
		"-f", "lavfi", "-i", "color=c=black:s=64x36:r=10:d=20",
		"-vf", "geq=lum='if(mod(floor(N/3),2),235,16)':cb=128:cr=128"}, h264(t)...)...)
	frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{MaxFrames: 10})
	if err != nil {
		t.Fatal(err)
	}
	times := frameTimes(frames)
	if len(frames) != 10 || times[len(times)-1] < 18*time.Second {
		t.Errorf("%d frames at %v, want 10 over the 20 s", len(frames), times)
	}
	scenes := 0
	for _, ts := range times {
		if ts%(2*time.Second) != 0 {
			scenes++
		}
	}
	if scenes < 5 {
		t.Errorf("times %v: %d scene changes", times, scenes)
	}
}

// TestFramesRotation: a phone video stored landscape with a 90-degree rotation in its metadata comes out
// portrait, turned clockwise as players show it.
func TestFramesRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Top half red, bottom half blue.
	plain := ffmpegMake(t, filepath.Join(dir, "plain.mp4"), append([]string{"-f", "lavfi", "-i", "color=c=red:s=160x90:r=10:d=1",
		"-vf", "drawbox=x=0:y=45:w=160:h=45:color=blue:t=fill"}, h264(t)...)...)
	// ffmpeg 5.1 writes the rotate tag into the display matrix only when copying (-display_rotation came in 6.0).
	rotated := ffmpegMake(t, filepath.Join(dir, "rotated.mp4"), "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90")
	tool := testTool(t)
	info, err := tool.Probe(context.Background(), rotated)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 90 || info.Height != 160 {
		t.Errorf("probe: %dx%d, want 90x160", info.Width, info.Height)
	}
	frames, err := tool.Frames(context.Background(), rotated, FrameOptions{ShortSide: 64})
	if err != nil {
		t.Fatal(err)
	}
	img := frames[0].Image
	if size := img.Bounds().Size(); size != (image.Point{64, 114}) {
		t.Fatalf("frame is %v, want 64x114", size)
	}
	// The display matrix turns the picture a quarter counter-clockwise (ffprobe's rotation 90; ffmpeg 5.1 stores
	// the rotate tag so) or clockwise (-90), taking the top (red) to the left or the right, as players show it.
	var p probeJSON
	out, err := exec.Command(tool.FFprobe, "-v", "error", "-print_format", "json", "-show_streams", rotated).Output()
	if err != nil || json.Unmarshal(out, &p) != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	wantLeft, wantRight := red, blue
	if p.Streams[0].rotation() == 270 {
		wantLeft, wantRight = blue, red
	}
	left, right := img.RGBAAt(8, 57), img.RGBAAt(56, 57)
	if !closeColour(left, wantLeft) || !closeColour(right, wantRight) {
		t.Errorf("rotation %d: left %v, right %v, want %v and %v", p.Streams[0].rotation(), left, right, wantLeft, wantRight)
	}
}

// TestFramesAnamorphic: a video with non-square pixels (2:1) comes out with square ones.
func TestFramesAnamorphic(t *testing.T) {
	t.Parallel()
	path := ffmpegMake(t, filepath.Join(t.TempDir(), "wide.mp4"),
		append([]string{"-f", "lavfi", "-i", "color=c=red:s=160x90:r=10:d=1", "-vf", "setsar=2"}, h264(t)...)...)
	tool := testTool(t)
	info, err := tool.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 320 || info.Height != 90 {
		t.Errorf("probe: %dx%d, want 320x90", info.Width, info.Height)
	}
	frames, err := tool.Frames(context.Background(), path, FrameOptions{ShortSide: 64})
	if err != nil {
		t.Fatal(err)
	}
	if size := frames[0].Image.Bounds().Size(); size != (image.Point{228, 64}) {
		t.Errorf("frame is %v, want 228x64", size)
	}
}

// TestFramesNoUpscale: a video smaller than ShortSide keeps its size.
func TestFramesNoUpscale(t *testing.T) {
	t.Parallel()
	path := makeColours(t, t.TempDir(), "small.mp4", knownSegments[:1], h264(t)...)
	frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{ShortSide: 448})
	if err != nil {
		t.Fatal(err)
	}
	if size := frames[0].Image.Bounds().Size(); size != (image.Point{160, 90}) {
		t.Errorf("frame is %v, want 160x90", size)
	}
}

// TestFramesAnimatedGIF: GIFs stay images for Sniff, but Frames reads them.
func TestFramesAnimatedGIF(t *testing.T) {
	t.Parallel()
	segs := []segment{{"red", red, 0, time.Second}, {"lime", lime, time.Second, time.Second}, {"blue", blue, 2 * time.Second, time.Second}}
	path := makeColours(t, t.TempDir(), "anim.gif", segs)
	if got := Sniff(head(t, path)); got != "" {
		t.Errorf("Sniff(GIF) = %q, want none", got)
	}
	frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, frames, segs)
	if got := frameTimes(frames); !slices.Equal(got, []time.Duration{0, time.Second, 2 * time.Second}) {
		t.Errorf("times %v, want 0s 1s 2s", got)
	}
}

// TestFramesAnimatedWebP: an animated WebP gives frames, or, with an ffmpeg whose WebP decoder reads still
// pictures only (5.1 among them), ErrUnsupported saying so.
func TestFramesAnimatedWebP(t *testing.T) {
	t.Parallel()
	if !hasEncoder(t, "libwebp_anim") {
		t.Skip("this ffmpeg has no libwebp_anim encoder")
	}
	segs := []segment{{"red", red, 0, time.Second}, {"lime", lime, time.Second, time.Second}}
	path := makeColours(t, t.TempDir(), "anim.webp", segs, "-c:v", "libwebp_anim", "-loop", "0")
	frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
	if err != nil {
		if errorKind(t, err) != ErrUnsupported || !strings.Contains(err.Error(), "animated WebP") {
			t.Errorf("got %v, want unsupported, animated WebP", err)
		}
		return
	}
	checkColours(t, frames, segs)
}

// TestFramesContainers makes a short video in each container, and checks Sniff and Frames on it.
func TestFramesContainers(t *testing.T) {
	t.Parallel()
	segs := []segment{{"red", red, 0, time.Second}, {"lime", lime, time.Second, time.Second}}
	for _, tc := range []struct {
		name    string
		encoder string // skipped when this ffmpeg lacks it
		sniff   string
		args    []string
	}{
		{"clip.mp4", "libx264", MP4, []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}},
		{"clip.mov", "libx264", MP4, []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}},
		{"clip.3gp", "mpeg4", MP4, []string{"-c:v", "mpeg4"}},
		{"clip.mkv", "libx264", Matroska, []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}},
		{"clip8.webm", "libvpx", WebM, []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"}},
		{"clip9.webm", "libvpx-vp9", WebM, []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"}},
		{"clip.avi", "mpeg4", AVI, []string{"-c:v", "mpeg4"}},
		{"clip.ts", "mpeg2video", MPEGTS, []string{"-c:v", "mpeg2video", "-r", "25"}},
		{"clip.m2ts", "libx264", MPEGTS, []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts", "-mpegts_m2ts_mode", "1"}},
		{"clip.flv", "flv", FLV, []string{"-c:v", "flv"}},
		{"clip.mpg", "mpeg1video", MPEG, []string{"-c:v", "mpeg1video", "-r", "25", "-f", "mpeg"}},
		{"clip.wmv", "wmv2", ASF, []string{"-c:v", "wmv2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !hasEncoder(t, tc.encoder) {
				t.Skipf("this ffmpeg has no %s encoder", tc.encoder)
			}
			path := makeColours(t, t.TempDir(), tc.name, segs, tc.args...)
			if got := Sniff(head(t, path)); got != tc.sniff {
				t.Errorf("Sniff = %q, want %q", got, tc.sniff)
			}
			frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{ShortSide: 64})
			if err != nil {
				t.Fatal(err)
			}
			checkColours(t, frames, segs)
			if len(frames) < 2 {
				t.Errorf("%d frames at %v, want red and lime", len(frames), frameTimes(frames))
			}
			// Seeking in this container gives frames whose times match their colours too.
			sought, err := testTool(t).Frames(context.Background(), path, FrameOptions{ShortSide: 64, MaxFrames: 4, SeekAfter: time.Nanosecond})
			if err != nil {
				t.Fatalf("seeking: %v", err)
			}
			checkColours(t, sought, segs)
		})
	}
}

// TestFramesOddNames: names that look like options, hold spaces and newlines, or colons that look like
// protocols.
func TestFramesOddNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := makeColours(t, dir, "src.mp4", knownSegments[:1], h264(t)...)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"-i evil.mp4", "-", "with space and\nnewline.mp4", "colon:name.mp4", "http:example.com.mp4",
		"concat:a.mp4|b.mp4", "100%d.mp4", "quote'and\"double.mp4", "ünïcode 映像.mp4"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Logf("%q: this file system refuses the name: %v", name, err)
			continue
		}
		frames, err := testTool(t).Frames(context.Background(), path, FrameOptions{ShortSide: 32})
		if err != nil || len(frames) == 0 {
			t.Errorf("%q: %d frames, %v", name, len(frames), err)
		}
	}
}

// TestFramesTruncated: with the index at the end (ffmpeg's default for mp4), the first half of a file cannot be
// read; with it at the start (faststart, as phones and web videos have), the frames before the cut come back,
// without an error.
func TestFramesTruncated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tool := testTool(t)

	indexLast := makeColours(t, dir, "last.mp4", knownSegments, h264(t)...)
	_, err := tool.Frames(context.Background(), truncate(t, indexLast, filepath.Join(dir, "last-half.mp4"), 0.5), FrameOptions{})
	if errorKind(t, err) != ErrCorrupt {
		t.Errorf("index last, cut in half: %v, want corrupt", err)
	}

	// Noise makes the frames big enough that a cut falls among them rather than in the first one.
	args := colourArgs(knownSegments, "160x90", 10)
	args[len(args)-1] += ",noise=alls=20:allf=t+u"
	indexFirst := ffmpegMake(t, filepath.Join(dir, "first.mp4"), append(args, append(h264(t), "-movflags", "+faststart")...)...)
	frames, err := tool.Frames(context.Background(), truncate(t, indexFirst, filepath.Join(dir, "first-half.mp4"), 0.6), FrameOptions{})
	if err != nil {
		t.Fatalf("index first, cut: %v", err)
	}
	checkColours(t, frames, knownSegments)
	if last := frames[len(frames)-1].Time; len(frames) < 2 || last >= 9*time.Second {
		t.Errorf("index first, cut: frames at %v", frameTimes(frames))
	}
}
