package sorter

import (
	"bytes"
	"context"
	"fmt"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needFFmpeg skips a test without ffmpeg, unless VIDEO_REQUIRE_FFMPEG=1 (CI installs it).
func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("VIDEO_REQUIRE_FFMPEG") == "1" {
			t.Fatal("ffmpeg is not on PATH and VIDEO_REQUIRE_FFMPEG=1")
		}
		t.Skip("ffmpeg is not on PATH: video tests skipped (apt install ffmpeg)")
	}
}

// segment is a stretch of one colour in a test video.
type segment struct {
	colour  string // ffmpeg's colour name
	seconds float64
}

// writeVideo makes a small MPEG-4 video of coloured segments, one after the other, at 10 frames per second.
func writeVideo(t testing.TB, path string, segments ...segment) {
	t.Helper()
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
	var concat strings.Builder
	for i, s := range segments {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=96x64:r=10:d=%g", s.colour, s.seconds))
		fmt.Fprintf(&concat, "[%d:v]", i)
	}
	fmt.Fprintf(&concat, "concat=n=%d:v=1:a=0[v]", len(segments))
	args = append(args, "-filter_complex", concat.String(), "-map", "[v]", "-c:v", "mpeg4", "-q:v", "2", "-f", "mp4", path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v\n%s", path, err, out)
	}
}

// videoTree: two images and three videos; the videos are mostly grey, with a stretch of one colour.
func videoTree(t testing.TB) string {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "apple.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "sea.png"), "png", blue, 2)
	writeVideo(t, filepath.Join(src, "clip one.mp4"), segment{"gray", 4}, segment{"blue", 1}, segment{"gray", 3})
	writeVideo(t, filepath.Join(src, "-i weapon.mov"), segment{"gray", 2}, segment{"red", 1.5}, segment{"gray", 1})
	writeVideo(t, filepath.Join(src, "sub", "no extension"), segment{"green", 2}, segment{"gray", 2})
	return src
}

// frameRowsByVideo reads frames.csv: per video, per label, the best frame's seconds.
func frameRowsByVideo(t *testing.T, path string) map[string]map[string]float64 {
	t.Helper()
	rows := csvtest.Read(t, path)
	if !slices.Equal(rows[0], framesHeader) {
		t.Fatalf("frames.csv header %v", rows[0])
	}
	out := map[string]map[string]float64{}
	for _, r := range rows[1:] {
		secs, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatalf("seconds %q: %v", r[3], err)
		}
		if out[r[0]] == nil {
			out[r[0]] = map[string]float64{}
		}
		if _, dup := out[r[0]][r[1]]; dup {
			t.Errorf("frames.csv has %s / %s twice", r[0], r[1])
		}
		out[r[0]][r[1]] = secs
	}
	return out
}

// A video goes to the label of its best frame, wherever in the video that frame is; frames.csv says when.
func TestSortVideos(t *testing.T) {
	needFFmpeg(t)
	src := videoTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	m := newFake()
	s := runSort(t, m, o)
	if s.Sorted != 5 || s.Videos != 3 || len(s.Errors) != 0 || s.VideosNotRead != 0 {
		t.Fatalf("sorted %d (videos %d), errors %v, not read %d; want 5, 3, none, 0", s.Sorted, s.Videos, s.Errors, s.VideosNotRead)
	}
	for path, folder := range map[string]string{"clip one.mp4": "blue", "-i weapon.mov": "red", "sub/no extension": "green",
		"apple.png": "red", "sea.png": "blue"} {
		if _, err := os.Stat(filepath.Join(dst, folder, filepath.Base(path))); err != nil {
			t.Errorf("%s not in %s/: %v", path, folder, err)
		}
	}
	if text := s.String(); !strings.Contains(text, "Copied 5 files (2 images, 3 videos)") || !strings.Contains(text, FramesFile) ||
		s.Frames < 6 || !strings.Contains(text, fmt.Sprintf("(%d frames looked at)", s.Frames)) {
		t.Errorf("summary does not mention the videos:\n%s", s)
	}
	frames := frameRowsByVideo(t, s.FramesFile)
	if len(frames) != 3 {
		t.Fatalf("frames.csv has %d videos, want 3: %v", len(frames), frames)
	}
	// The winning frame's time lies in its coloured stretch, within one sampling step (2 s) of it.
	for name, want := range map[string][2]float64{"clip one.mp4": {4, 5}, "-i weapon.mov": {2, 3.5}, "no extension": {0, 2}} {
		var got map[string]float64
		for k, v := range frames {
			if strings.HasSuffix(k, name) {
				got = v
			}
		}
		label := map[string]string{"clip one.mp4": "blue", "-i weapon.mov": "red", "no extension": "green"}[name]
		if secs, ok := got[label]; !ok || secs < want[0] || secs >= want[1] {
			t.Errorf("%s: best %s frame at %v s, want within [%v, %v)", name, label, secs, want[0], want[1])
		}
	}
	out := csvtest.Read(t, s.OutputFile)
	if len(out) != 6 {
		t.Fatalf("output.csv has %d rows, want 6", len(out))
	}
	for _, r := range out[1:] {
		if strings.HasSuffix(r[0], "clip one.mp4") {
			if r[1] != "blue" || r[2] == "" {
				t.Errorf("output.csv row of the video: %v", r)
			}
			if w, h := column(t, [][]string{out[0], r}, "width")[0], column(t, [][]string{out[0], r}, "height")[0]; w != "96" || h != "64" {
				t.Errorf("video dimensions %sx%s, want 96x64", w, h)
			}
		}
	}

	// report.html shows each video by the frame that decided its label.
	page, err := os.ReadFile(s.ReportFile)
	must(t, err)
	if n := strings.Count(string(page), "video, best frame at "); n != 3 {
		t.Errorf("report.html captions %d videos, want 3", n)
	}
	if strings.Count(string(page), "data:image/jpeg;base64,") != 5 {
		t.Errorf("report.html has %d thumbnails, want 5 (videos included)", strings.Count(string(page), "data:image/jpeg;base64,"))
	}
	results, err := ReadResults(s.OutputFile)
	must(t, err)
	for _, r := range results {
		isVideo := strings.HasSuffix(r.ImageName, ".mp4") || strings.HasSuffix(r.ImageName, ".mov") || strings.HasSuffix(r.ImageName, "no extension")
		if r.Video != isVideo {
			t.Errorf("%s: Video %v", r.ImageName, r.Video)
		}
		if strings.HasSuffix(r.ImageName, "clip one.mp4") && (r.FrameTime < 4*time.Second || r.FrameTime >= 5*time.Second) {
			t.Errorf("clip one.mp4: frame_seconds %v, want within the blue stretch [4 s, 5 s)", r.FrameTime)
		}
	}

	// Search and duplicates see a video through the mean of its frames' embeddings.
	f := o.Folder
	col, err := Collect(context.Background(), newFake(), f)
	must(t, err)
	videos := 0
	for _, im := range col.Images {
		if im.Video {
			videos++
		}
	}
	if len(col.Images) != 5 || videos != 3 {
		t.Errorf("Collect: %d images, %d videos; want 5, 3", len(col.Images), videos)
	}
	// Another model: the file index knows the files, but the videos' frames are read again (not taken for images).
	other := newFake()
	other.key = "fake/v2"
	col2, err := Collect(context.Background(), other, f)
	must(t, err)
	if len(col2.Images) != 5 || len(col2.Errors) != 0 || col2.Computed != 5 || other.frames.Load() == 0 {
		t.Errorf("Collect with another model: %d images, errors %v, computed %d, %d frames", len(col2.Images), col2.Errors, col2.Computed, other.frames.Load())
	}

	// Sorting again with other labels reads every frame from the cache: ffmpeg is not run, no frame is
	// preprocessed, and the videos land as before.
	m2 := newFake()
	o2 := testOptions(t, src, filepath.Join(t.TempDir(), "again"), "blue", "green", "red", "a cat")
	o2.CachePath = o.CachePath
	o2.Videos.FFmpeg = fakeFFmpeg(t, "exit 1") // would fail every video if it ran
	s2 := runSort(t, m2, o2)
	if m2.frames.Load() != 0 || s2.Videos != 3 || len(s2.Errors) != 0 {
		t.Errorf("second sort: %d frames preprocessed, %d videos, errors %v; want 0, 3, none", m2.frames.Load(), s2.Videos, s2.Errors)
	}
	if _, err := os.Stat(filepath.Join(o2.Destination, "blue", "clip one.mp4")); err != nil {
		t.Errorf("second sort: %v", err)
	}
}

// fakeFFmpeg writes a shell script that answers -version like ffmpeg and runs body otherwise; ffprobe beside it.
func fakeFFmpeg(t testing.TB, body string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = -version ]; then echo 'ffmpeg version 5.1.9-fake'; exit 0; fi\n" + body + "\n"
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ffmpeg")
}

// Without ffmpeg, videos are listed in skipped.csv with how to install it, and the images are sorted.
func TestVideosWithoutFFmpeg(t *testing.T) {
	needFFmpeg(t) // to make the videos
	src := videoTree(t)
	t.Setenv("PATH", t.TempDir())
	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "green", "blue")
	s := runSort(t, newFake(), o)
	if s.Sorted != 2 || s.Videos != 0 || s.VideosNotRead != 3 {
		t.Fatalf("sorted %d, videos %d, not read %d; want 2, 0, 3", s.Sorted, s.Videos, s.VideosNotRead)
	}
	skipped := csvtest.Read(t, s.SkippedFile)
	n := 0
	for _, r := range skipped[1:] {
		if strings.Contains(r[1], "a video (mp4)") && strings.Contains(r[1], "apt install ffmpeg") && strings.Contains(r[1], "--ffmpeg") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("skipped.csv names %d videos with the install hint, want 3:\n%v", n, skipped)
	}
	if text := s.String(); !strings.Contains(text, "3 videos not read") || !strings.Contains(text, "brew install ffmpeg") {
		t.Errorf("summary:\n%s", text)
	}
	if s.FramesFile != "" {
		t.Errorf("frames.csv %q written without videos", s.FramesFile)
	}

	// An ffmpeg the investigator named that does not exist is an error, not a quiet skip.
	o2 := testOptions(t, src, filepath.Join(t.TempDir(), "named"), "red", "green")
	o2.Videos.FFmpeg = filepath.Join(t.TempDir(), "no-such-ffmpeg")
	if _, err := Run(context.Background(), newFake(), o2); err == nil || !strings.Contains(err.Error(), "--ffmpeg") || Hint(err) == "" {
		t.Errorf("a missing --ffmpeg: %v (hint %q)", err, Hint(err))
	}
	// --no-videos leaves them out, saying so.
	o3 := testOptions(t, src, filepath.Join(t.TempDir(), "none"), "red", "green")
	o3.Videos.Skip = true
	if s := runSort(t, newFake(), o3); s.VideosNotRead != 3 || !strings.Contains(s.String(), "--no-videos") {
		t.Errorf("--no-videos: %d not read; summary:\n%s", s.VideosNotRead, s)
	}
}

// Damaged videos and a hanging ffmpeg are reported in errors.csv; nothing is lost and the run finishes.
func TestHostileVideos(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "apple.png"), "png", red, 1)
	good := filepath.Join(t.TempDir(), "good.mp4")
	writeVideo(t, good, segment{"blue", 3})
	data, err := os.ReadFile(good)
	must(t, err)
	writeFile(t, filepath.Join(src, "cut.mp4"), data[:len(data)/3])                                             // truncated
	writeFile(t, filepath.Join(src, "zero.mp4"), nil)                                                           // zero bytes
	writeFile(t, filepath.Join(src, "lies.mp4"), append(append([]byte{}, data[:32]...), make([]byte, 4096)...)) // an mp4 head, then zeros
	audio := filepath.Join(src, "voice.m4a")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", audio).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	writeVideo(t, filepath.Join(src, "new\nline video.mp4"), segment{"blue", 1})
	before := snapshot(t, src)

	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "green", "blue")
	s := runSort(t, newFake(), o)
	kinds := map[string]string{}
	for _, e := range s.Errors {
		kinds[filepath.Base(e.Path)] = e.Kind
		if e.Reason == "" || strings.Contains(e.Reason, "\n") {
			t.Errorf("%s: reason %q is not one line", e.Path, e.Reason)
		}
	}
	if kinds["voice.m4a"] != "no-video-stream" || kinds["lies.mp4"] == "" || kinds["cut.mp4"] == "" && !placed(t, o.Destination, "cut.mp4") {
		t.Errorf("errors by kind %v; want voice.m4a no-video-stream, lies.mp4 listed, cut.mp4 listed or sorted from the frames before the damage", kinds)
	}
	if !placed(t, o.Destination, "new\nline video.mp4") || !placed(t, o.Destination, "apple.png") {
		t.Errorf("the good video or the image was not sorted; errors %v", s.Errors)
	}
	if !slices.ContainsFunc(s.Skipped, func(k Skipped) bool { return strings.HasSuffix(k.Path, "zero.mp4") }) {
		t.Errorf("zero.mp4 not skipped: %v", s.Skipped)
	}
	if after := snapshot(t, src); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the source changed in a copy sort")
	}

	// An ffmpeg that hangs is killed after the time allowed, per video; the run goes on.
	o2 := testOptions(t, src, filepath.Join(t.TempDir(), "hang"), "red", "green", "blue")
	o2.Videos.FFmpeg = fakeFFmpeg(t, "sleep 60")
	o2.Videos.Timeout = 300 * time.Millisecond
	o2.NoCache = true
	start := time.Now()
	s2 := runSort(t, newFake(), o2)
	if time.Since(start) > 30*time.Second {
		t.Errorf("the hanging ffmpeg held the run for %v", time.Since(start))
	}
	timeouts := 0
	for _, e := range s2.Errors {
		if e.Kind == "timeout" {
			timeouts++
		}
	}
	if timeouts < 3 || !placed(t, o2.Destination, "apple.png") {
		t.Errorf("%d timeouts (want one per readable video), errors %v", timeouts, s2.Errors)
	}
}

// placed says whether a file of this name is in one of dst's label folders.
func placed(t *testing.T, dst, name string) bool {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dst, "*", name))
	return len(matches) > 0
}

// writeAnimatedGIF writes a GIF whose first frame is grey and second blue.
func writeAnimatedGIF(t testing.TB, path string) {
	t.Helper()
	frame := func(c color.Color) *image.Paletted {
		img := image.NewPaletted(image.Rect(0, 0, 16, 12), palette.Plan9)
		for i := range img.Pix {
			img.Pix[i] = uint8(color.Palette(palette.Plan9).Index(c))
		}
		return img
	}
	var buf bytes.Buffer
	must(t, gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame(grey), frame(blue)}, Delay: []int{100, 100}}))
	writeFile(t, path, buf.Bytes())
}

// Animated GIFs: the first frame by default (as the original tool); every frame with AnimatedAsVideo.
func TestAnimatedGIF(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "src")
	writeAnimatedGIF(t, filepath.Join(src, "flag.gif"))
	writeImage(t, filepath.Join(src, "still.gif"), "gif", blue, 1)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "first"), "red", "blue")
	if s := runSort(t, newFake(), o); s.Videos != 0 || placed(t, o.Destination, "flag.gif") && !fileIn(o.Destination, "red", "flag.gif") {
		// grey scores the same for both labels: the first label wins a tie
		t.Errorf("default: %d videos; flag.gif should be read as its first (grey) frame", s.Videos)
	}
	o2 := testOptions(t, src, filepath.Join(t.TempDir(), "every"), "red", "blue")
	o2.Videos.AnimatedAsVideo = true
	s2 := runSort(t, newFake(), o2)
	if s2.Videos != 1 || !fileIn(o2.Destination, "blue", "flag.gif") || !fileIn(o2.Destination, "blue", "still.gif") {
		t.Errorf("AnimatedAsVideo: %d videos (want 1: the still GIF stays an image), flag.gif in blue: %v", s2.Videos, fileIn(o2.Destination, "blue", "flag.gif"))
	}
	// Looking for a second frame read on in the file: its SHA-256 is still of all of it.
	out := csvtest.Read(t, s2.OutputFile)
	for i, name := range column(t, out, "image_name") {
		if want := sumOf(t, filepath.Join(src, filepath.Base(name))); column(t, out, "sha256")[i] != want {
			t.Errorf("%s: sha256 %s, want %s", name, column(t, out, "sha256")[i], want)
		}
	}
}

func fileIn(dst, folder, name string) bool {
	_, err := os.Stat(filepath.Join(dst, folder, name))
	return err == nil
}

func TestAnimatedGIFDetection(t *testing.T) {
	dir := t.TempDir()
	writeAnimatedGIF(t, filepath.Join(dir, "a.gif"))
	writeImage(t, filepath.Join(dir, "s.gif"), "gif", blue, 1)
	for name, want := range map[string]bool{"a.gif": true, "s.gif": false} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		if got := animatedGIF(bytes.NewReader(data)); got != want {
			t.Errorf("%s: animated %v, want %v", name, got, want)
		}
		// Cut anywhere, it is never animated by mistake, and never a panic.
		for i := range len(data) - 1 {
			if animatedGIF(bytes.NewReader(data[:i])) && !want {
				t.Fatalf("%s cut at %d: animated", name, i)
			}
		}
	}
}

// The frames entry of the cache round-trips, and anything else is not taken for one.
func TestFramesEntry(t *testing.T) {
	v := &videoItem{width: 1920, height: 1080, times: []time.Duration{0, 2500 * time.Millisecond},
		embeds: [][]float32{{1, 0, 0}, {0, 0.6, 0.8}}}
	b := marshalFrames(v, 3)
	got := unmarshalFrames(b, 3)
	if got == nil || fmt.Sprint(got.times, got.embeds, got.width, got.height) != fmt.Sprint(v.times, v.embeds, 1920, 1080) {
		t.Fatalf("round trip: %+v", got)
	}
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(append([]byte{}, b...), 0), append([]byte{9}, b[1:]...)} {
		if unmarshalFrames(bad, 3) != nil {
			t.Errorf("%d bytes taken for a frames entry", len(bad))
		}
	}
	if unmarshalFrames(b, 4) != nil {
		t.Errorf("an entry of another embedding size accepted")
	}
	if got := FrameClock(41*time.Second + 250*time.Millisecond); got != "0:41.250" {
		t.Errorf("clock = %q", got)
	}
	if got := FrameClock(time.Hour + 2*time.Minute + 3*time.Second); got != "1:02:03.000" {
		t.Errorf("clock = %q", got)
	}
}

// A sort killed while placing videos resumes without losing or repeating a row of frames.csv.
func TestResumeWithVideos(t *testing.T) {
	needFFmpeg(t)
	src := videoTree(t)
	for _, point := range []string{"planned:2", "placed:2", "reported:1", "reported:2"} {
		t.Run(point, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "labelled")
			spec := childSpec{Source: src, Destination: dst, CachePath: filepath.Join(t.TempDir(), "c.bbolt"),
				Labels: []string{"red", "green", "blue"}, Operation: Copy, BatchSize: 2, KillAt: point}
			cmd, lines, _ := startChild(t, "sort", childSpecEnv(t, spec))
			if !waitKilled(t, cmd, lines) {
				t.Fatalf("the child never reached %s", point)
			}
			o := testOptions(t, src, dst, "red", "green", "blue")
			o.Resume, o.CachePath = true, spec.CachePath
			s := runSort(t, newFake(), o)
			if got := len(csvtest.Read(t, s.OutputFile)) - 1; got != 5 {
				t.Errorf("output.csv has %d rows, want 5", got)
			}
			frames := frameRowsByVideo(t, filepath.Join(dst, FramesFile)) // fails on a repeated row
			if len(frames) != 3 {
				t.Errorf("frames.csv has %d videos, want 3", len(frames))
			}
			for v, labels := range frames {
				if len(labels) != 3 {
					t.Errorf("frames.csv: %s has %d labels, want 3", v, len(labels))
				}
			}
		})
	}
}

// Animated WebP is told from a still one by its VP8X flags; with an ffmpeg before 9.0, which decodes no frame of
// it, --animated-as-video leaves it an image.
func TestAnimatedWebPDetection(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	anim, still := filepath.Join(dir, "anim.webp"), filepath.Join(dir, "still.webp")
	for _, c := range [][]string{
		{"-f", "lavfi", "-i", "testsrc=s=32x32:r=5:d=1", "-c:v", "libwebp_anim", "-loop", "0", anim},
		{"-f", "lavfi", "-i", "color=c=blue:s=32x32:d=0.2", "-frames:v", "1", "-c:v", "libwebp", still},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-loglevel", "error"}, c...)...).CombinedOutput(); err != nil {
			t.Skipf("this ffmpeg cannot write WebP (%v): %s", err, out)
		}
	}
	for path, want := range map[string]bool{anim: true, still: false} {
		data, err := os.ReadFile(path)
		must(t, err)
		if got := animatedWebP(data[:min(len(data), sniffLen)]); got != want {
			t.Errorf("%s: animated %v, want %v", filepath.Base(path), got, want)
		}
	}
	r, err := newVideoReader(VideoOptions{AnimatedAsVideo: true}, 0, t.Logf)
	must(t, err)
	data, err := os.ReadFile(anim)
	must(t, err)
	_, isVideo := r.isVideo(data[:min(len(data), sniffLen)], "webp", func() bool { return false })
	if isVideo != r.ffmpeg().ReadsAnimatedWebP() {
		t.Errorf("animated WebP read as a video: %v, with %s", isVideo, r.ffmpeg().Version)
	}
}

// A search finds a video by its best-matching frame and says when it is: the mostly grey video with one blue second
// ranks with the blue image, not with the grey ones; a second search reads the frames from the cache.
func TestSearchVideoFrames(t *testing.T) {
	needFFmpeg(t)
	src := videoTree(t)
	o := DefaultSearchOptions()
	o.Folder = testFolder(t, src)
	o.Texts = []string{"blue"}
	o.Top = 3
	for round := range 2 {
		m := newFake()
		res, err := Search(context.Background(), m, o)
		must(t, err)
		var names []string
		for _, h := range res.Hits {
			names = append(names, filepath.Base(h.Image.Name))
		}
		if len(res.Hits) != 3 || !slices.Contains(names[:2], "clip one.mp4") || !slices.Contains(names[:2], "sea.png") {
			t.Fatalf("round %d: hits %v; want the blue image and the video with a blue second first", round, names)
		}
		for _, h := range res.Hits {
			if filepath.Base(h.Image.Name) == "clip one.mp4" && (!h.HasFrame || h.Frame < 4*time.Second || h.Frame >= 5*time.Second || h.Score < 0.9) {
				t.Errorf("round %d: the video's hit: frame %v (known %v), score %v; want its blue second", round, h.Frame, h.HasFrame, h.Score)
			}
			if !h.Image.Video && h.HasFrame {
				t.Errorf("%s: an image with a frame time", h.Image.Name)
			}
		}
		if round == 1 && m.frames.Load() != 0 {
			t.Errorf("the second search read %d frames again", m.frames.Load())
		}
	}
}

// duplicates finds a re-encoded copy of a video (compared by the mean of its frames), and not the other videos.
func TestDuplicateVideos(t *testing.T) {
	needFFmpeg(t)
	src := videoTree(t)
	orig := filepath.Join(src, "clip one.mp4")
	copyPath := filepath.Join(src, "reposted.webm")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", orig, "-vf", "scale=72:48",
		"-c:v", "libvpx", "-b:v", "100k", copyPath).CombinedOutput(); err != nil {
		t.Skipf("this ffmpeg cannot write VP8 WebM (%v): %s", err, out)
	}
	o := DefaultDuplicatesOptions()
	o.Folder = testFolder(t, src)
	o.Destination = filepath.Join(t.TempDir(), "dups")
	o.Similarity = 0.95
	res, err := Duplicates(context.Background(), newFake(), o)
	must(t, err)
	if len(res.Groups) != 1 || len(res.Groups[0].Members) != 2 {
		t.Fatalf("groups %+v; want the video and its re-encoded copy", res.Groups)
	}
	for _, mem := range res.Groups[0].Members {
		if name := filepath.Base(mem.Image.Name); (name != "clip one.mp4" && name != "reposted.webm") || !mem.Image.Video {
			t.Errorf("member %s (video %v)", name, mem.Image.Video)
		}
	}
}

// A folder without videos never starts ffmpeg (0.12 s of every run otherwise).
func TestNoVideosNoFFmpeg(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	fake := fakeFFmpeg(t, "")
	script := "#!/bin/sh\n/usr/bin/touch " + marker + "\nif [ \"$1\" = -version ]; then echo 'ffmpeg version 5.1.9-fake'; fi\n"
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		must(t, os.WriteFile(filepath.Join(filepath.Dir(fake), name), []byte(script), 0o755))
	}
	t.Setenv("PATH", filepath.Dir(fake))
	o := testOptions(t, colourTree(t), filepath.Join(t.TempDir(), "labelled"), "red", "green", "blue")
	if s := runSort(t, newFake(), o); s.Sorted != 8 {
		t.Fatalf("sorted %d", s.Sorted)
	}
	if _, err := Collect(context.Background(), newFake(), o.Folder); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("ffmpeg was started for a folder without videos")
	}
}
