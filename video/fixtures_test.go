package video

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test videos are made by ffmpeg in t.TempDir(), small (160x90, 10 frames a second) so that each takes a tenth
// of a second.

var (
	toolOnce sync.Once
	toolErr  error
	theTool  *Tool
)

// testTool returns ffmpeg from PATH, or skips the test when there is none (fails instead when
// VIDEO_REQUIRE_FFMPEG=1, as in CI).
func testTool(t testing.TB) *Tool {
	t.Helper()
	toolOnce.Do(func() { theTool, toolErr = Find("") })
	if toolErr != nil {
		if os.Getenv("VIDEO_REQUIRE_FFMPEG") == "1" {
			t.Fatalf("VIDEO_REQUIRE_FFMPEG=1 but: %v", toolErr)
		}
		t.Skipf("needs ffmpeg: %v", toolErr)
	}
	return theTool
}

// ffmpegMake runs ffmpeg with args, writing out (a path).
func ffmpegMake(t testing.TB, out string, args ...string) string {
	t.Helper()
	tool := testTool(t)
	all := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	cmd := exec.Command(tool.FFmpeg, append(all, out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(all, " "), err, b)
	}
	return out
}

var (
	encodersOnce sync.Once
	encoders     string
)

// hasEncoder reports whether this ffmpeg has the named encoder.
func hasEncoder(t testing.TB, name string) bool {
	tool := testTool(t)
	encodersOnce.Do(func() {
		out, _ := exec.Command(tool.FFmpeg, "-hide_banner", "-encoders").Output()
		encoders = string(out)
	})
	return strings.Contains(encoders, " "+name+" ")
}

// h264 is the codec arguments for a small H.264 video, or MPEG-4 part 2 when this ffmpeg lacks libx264.
func h264(t testing.TB) []string {
	if hasEncoder(t, "libx264") {
		return []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
	}
	return []string{"-c:v", "mpeg4", "-q:v", "2"}
}

// segment is a stretch of solid colour.
type segment struct {
	name  string // ffmpeg's colour name
	rgb   color.RGBA
	start time.Duration
	dur   time.Duration
}

var (
	red    = color.RGBA{255, 0, 0, 255}
	lime   = color.RGBA{0, 255, 0, 255}
	blue   = color.RGBA{0, 0, 255, 255}
	yellow = color.RGBA{255, 255, 0, 255}
)

// knownSegments: 0-3 s red, 3-6 s lime, 6-7 s blue, a 0.5 s yellow flash at 7 s, then blue to 9 s. (Lime, not
// green: ffmpeg's scene score compares brightness only, and red and ffmpeg's "green" are equally bright.)
var knownSegments = []segment{
	{"red", red, 0, 3 * time.Second},
	{"lime", lime, 3 * time.Second, 3 * time.Second},
	{"blue", blue, 6 * time.Second, time.Second},
	{"yellow", yellow, 7 * time.Second, 500 * time.Millisecond},
	{"blue", blue, 7500 * time.Millisecond, 1500 * time.Millisecond},
}

// colourArgs are ffmpeg input arguments for segs at size and rate, joined by the concat filter.
func colourArgs(segs []segment, size string, rate int) []string {
	var args []string
	for _, s := range segs {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=%s:r=%d:d=%g", s.name, size, rate, s.dur.Seconds()))
	}
	return append(args, "-filter_complex", fmt.Sprintf("concat=n=%d:v=1:a=0", len(segs)))
}

// makeColours writes segs as a 160x90 10 fps video named name in dir, with extra output arguments (codec and
// container options).
func makeColours(t testing.TB, dir, name string, segs []segment, extra ...string) string {
	args := append(colourArgs(segs, "160x90", 10), extra...)
	return ffmpegMake(t, filepath.Join(dir, name), args...)
}

// segmentAt is the segment shown at time at.
func segmentAt(segs []segment, at time.Duration) segment {
	for _, s := range segs {
		if at >= s.start && at < s.start+s.dur {
			return s
		}
	}
	return segs[len(segs)-1]
}

// meanColour is the average colour of the middle half of f.
func meanColour(f Frame) color.RGBA {
	b := f.Image.Bounds()
	var sum [3]int
	n := 0
	for y := b.Min.Y + b.Dy()/4; y < b.Max.Y-b.Dy()/4; y++ {
		for x := b.Min.X + b.Dx()/4; x < b.Max.X-b.Dx()/4; x++ {
			c := f.Image.RGBAAt(x, y)
			sum[0] += int(c.R)
			sum[1] += int(c.G)
			sum[2] += int(c.B)
			n++
		}
	}
	return color.RGBA{uint8(sum[0] / n), uint8(sum[1] / n), uint8(sum[2] / n), 255}
}

// colourTolerance allows for 4:2:0 chroma and limited-range rounding in lossy codecs.
const colourTolerance = 40

func closeColour(a, b color.RGBA) bool {
	d := func(x, y uint8) float64 { return math.Abs(float64(x) - float64(y)) }
	return d(a.R, b.R) <= colourTolerance && d(a.G, b.G) <= colourTolerance && d(a.B, b.B) <= colourTolerance
}

// checkColours checks that every frame shows the colour of the segment at its time, and that times increase.
func checkColours(t *testing.T, frames []Frame, segs []segment) {
	t.Helper()
	if len(frames) == 0 {
		t.Fatal("no frames")
	}
	for i, f := range frames {
		want := segmentAt(segs, f.Time)
		if got := meanColour(f); !closeColour(got, want.rgb) {
			t.Errorf("frame %d at %v: colour %v, want %s %v", i, f.Time, got, want.name, want.rgb)
		}
		if i > 0 && f.Time <= frames[i-1].Time {
			t.Errorf("frame %d at %v is not after frame %d at %v", i, f.Time, i-1, frames[i-1].Time)
		}
	}
}

func frameTimes(frames []Frame) []time.Duration {
	ts := make([]time.Duration, len(frames))
	for i, f := range frames {
		ts[i] = f.Time
	}
	return ts
}

// truncate writes the first fraction of src to dst.
func truncate(t testing.TB, src, dst string, fraction float64) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data[:int(float64(len(data))*fraction)], 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// head is the first HeadLen bytes of a file.
func head(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data[:min(len(data), HeadLen)]
}

// writeScript writes an executable shell script.
func writeScript(t testing.TB, path, body string) string {
	t.Helper()
	// The usual places first, so that the script finds sleep and kill whatever PATH the test runs with.
	if err := os.WriteFile(path, []byte("#!/bin/sh\nPATH=/usr/bin:/bin:$PATH\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// errorKind returns err's *Error kind, failing the test if err is not one.
func errorKind(t *testing.T, err error) ErrorKind {
	t.Helper()
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *video.Error", err, err)
	}
	return ve.Kind
}
