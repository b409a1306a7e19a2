package video

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMeasure times Frames on the videos doc.go reports on: 1280x720 30 fps H.264 (testsrc2, x264 veryfast, CRF
// 30, a keyframe every 250 frames as x264 sets by default) of 60 seconds, 10 minutes and 10 hours (the
// 10-minute file 60 times over, stream-copied: 4.7 GB), and 30 seconds of the same at 3840x2160. It runs only with VIDEO_MEASURE=1, and keeps the files in
// VIDEO_MEASURE_DIR when set, so that a second run does not make them again (making them takes about 2 minutes):
//
//	VIDEO_MEASURE=1 VIDEO_MEASURE_DIR=/tmp/video-measure go test -run TestMeasure -v -timeout 60m ./video/
func TestMeasure(t *testing.T) {
	if os.Getenv("VIDEO_MEASURE") != "1" {
		t.Skip("set VIDEO_MEASURE=1 to measure (it writes 5 GB)")
	}
	dir := os.Getenv("VIDEO_MEASURE_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tool := testTool(t)
	t.Logf("%s, %s, %d CPUs, %s", cpuModel(), tool.Version, runtime.NumCPU(), runtime.GOARCH)

	ensure := func(name string, args ...string) string {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			start := time.Now()
			ffmpegMake(t, path+".part.mp4", args...)
			if err := os.Rename(path+".part.mp4", path); err != nil {
				t.Fatal(err)
			}
			t.Logf("made %s in %v", name, time.Since(start).Round(time.Second))
		}
		return path
	}
	tenMinutes := ensure("720p-10min.mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "600",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p")
	oneMinute := ensure("720p-60s.mp4", "-i", tenMinutes, "-t", "60", "-c", "copy")
	list := filepath.Join(dir, "10h.txt")
	if err := os.WriteFile(list, []byte(strings.Repeat("file '"+tenMinutes+"'\n", 60)), 0o644); err != nil {
		t.Fatal(err)
	}
	tenHours := ensure("720p-10h.mp4", "-f", "concat", "-safe", "0", "-i", list, "-c", "copy")
	uhd := ensure("2160p-30s.mp4", "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30", "-t", "30",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p")

	for _, tc := range []struct {
		name string
		path string
		opts FrameOptions
	}{
		{"60 s, defaults (decoded in full)", oneMinute, FrameOptions{}},
		{"60 s, sampled by seeking", oneMinute, FrameOptions{SeekAfter: time.Second}},
		{"10 min, defaults (sampled by seeking)", tenMinutes, FrameOptions{}},
		{"10 min, decoded in full", tenMinutes, FrameOptions{SeekAfter: -1, Timeout: -1}},
		{"10 h, defaults (sampled by seeking)", tenHours, FrameOptions{}},
		{"10 h, decoded in full, 60 s timeout", tenHours, FrameOptions{SeekAfter: -1}},
		{"4K 30 s, defaults (seeks, then in full)", uhd, FrameOptions{}},
		{"4K 30 s, decoded in full", uhd, FrameOptions{SeekAfter: -1, Timeout: -1}},
	} {
		var took []time.Duration
		var result string
		for range 3 {
			start := time.Now()
			frames, err := tool.Frames(context.Background(), tc.path, tc.opts)
			took = append(took, time.Since(start))
			if err != nil {
				result = err.Error()
				break
			}
			result = fmt.Sprintf("%d frames, %v to %v", len(frames), frames[0].Time.Round(time.Second), frames[len(frames)-1].Time.Round(time.Second))
		}
		slices.Sort(took)
		t.Logf("%-40s median %6.2f s (of %d, %.2f to %.2f): %s", tc.name, took[len(took)/2].Seconds(), len(took),
			took[0].Seconds(), took[len(took)-1].Seconds(), result)
	}
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOOS
}
