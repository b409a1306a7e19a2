package video

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFramesEmptyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "empty.mp4")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
	if errorKind(t, err) != ErrCorrupt || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("got %v, want corrupt, empty file", err)
	}
}

// TestFramesGarbage: an mp4 header followed by random bytes, and text named .mp4.
func TestFramesGarbage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	noise := make([]byte, 64<<10)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>5)
	}
	for name, data := range map[string][]byte{
		"header.mp4": append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), noise...),
		"text.mp4":   bytes.Repeat([]byte("not a video at all\n"), 100),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
		var ve *Error
		if !errors.As(err, &ve) || (ve.Kind != ErrCorrupt && ve.Kind != ErrNoVideoStream) {
			t.Errorf("%s: %v, want corrupt", name, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: message %q is not one line starting with the path", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestFramesUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing.mp4"), dir} {
		_, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
		if errorKind(t, err) != ErrUnreadable {
			t.Errorf("%s: %v, want unreadable", path, err)
		}
	}
}

func TestFramesTooLarge(t *testing.T) {
	t.Parallel()
	path := makeColours(t, t.TempDir(), "clip.mp4", knownSegments[:1], h264(t)...)
	_, err := testTool(t).Frames(context.Background(), path, FrameOptions{MaxPixels: 10_000})
	if errorKind(t, err) != ErrTooLarge || !strings.Contains(err.Error(), "160x90 pixels per frame is over the limit of 10000 pixels") {
		t.Errorf("got %v, want too large", err)
	}
}

// TestFramesNoVideo: sound only, and sound with a cover picture (a one-frame "video" stream ffprobe marks as an
// attached picture), are not videos.
func TestFramesNoVideo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sine := []string{"-f", "lavfi", "-i", "sine=d=1"}
	cover := append(append([]string{}, sine...), "-f", "lavfi", "-i", "color=red:s=64x64:d=0.1",
		"-map", "0", "-map", "1", "-frames:v", "1", "-c:v", "mjpeg", "-disposition:v", "attached_pic")
	for _, tc := range []struct {
		name, encoder string
		args          []string
		detail        string
	}{
		{"sound.m4a", "aac", append(sine, "-c:a", "aac"), "only sound"},
		{"sound.mka", "libopus", append(sine, "-c:a", "libopus"), "only sound"},
		{"cover.m4a", "aac", append(cover, "-c:a", "aac"), "only sound and a cover picture"},
		{"cover.mp3", "libmp3lame", append(cover, "-c:a", "libmp3lame", "-id3v2_version", "3"), "only sound and a cover picture"},
	} {
		if !hasEncoder(t, tc.encoder) {
			t.Logf("%s: no %s encoder", tc.name, tc.encoder)
			continue
		}
		path := ffmpegMake(t, filepath.Join(dir, tc.name), tc.args...)
		_, err := testTool(t).Frames(context.Background(), path, FrameOptions{})
		if errorKind(t, err) != ErrNoVideoStream || !strings.Contains(err.Error(), tc.detail) {
			t.Errorf("%s: %v, want no video stream (%s)", tc.name, err, tc.detail)
		}
	}
}

// TestFramesLyingDuration: a Matroska file whose header says 10 hours but that holds 5 seconds is sampled by
// seeking first; the seeks past its end all land on its last keyframe, so it is decoded in full instead, which
// finds the 5 seconds, quickly.
func TestFramesLyingDuration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	segs := []segment{{"red", red, 0, 2500 * time.Millisecond}, {"blue", blue, 2500 * time.Millisecond, 2500 * time.Millisecond}}
	path := makeColours(t, dir, "liar.mkv", segs, h264(t)...)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Segment Info's Duration element: ID 0x4489, size 8, a big-endian float64 in milliseconds.
	at := bytes.Index(data, []byte{0x44, 0x89, 0x88})
	if at < 0 {
		t.Fatal("no 8-byte Duration element in the Matroska file")
	}
	binary.BigEndian.PutUint64(data[at+3:], math.Float64bits(10*3600*1000))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	tool := testTool(t)
	info, err := tool.Probe(context.Background(), path)
	if err != nil || info.Duration != 10*time.Hour {
		t.Fatalf("probe: %v %v, want a 10-hour duration", info.Duration, err)
	}
	start := time.Now()
	frames, err := tool.Frames(context.Background(), path, FrameOptions{ShortSide: 32})
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, frames, segs)
	if times := frameTimes(frames); len(frames) < 3 || times[len(times)-1] >= 5*time.Second {
		t.Errorf("times %v, want frames over the 5 s", times)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestFramesUnknownDuration: Matroska written to a pipe has no duration, so it cannot be sampled by seeking; it is
// decoded in full.
func TestFramesUnknownDuration(t *testing.T) {
	t.Parallel()
	tool := testTool(t)
	args := append(colourArgs(knownSegments, "160x90", 10), h264(t)...)
	cmd := exec.Command(tool.FFmpeg, append(append([]string{"-nostdin", "-loglevel", "error"}, args...), "-f", "matroska", "pipe:1")...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "piped.mkv")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := tool.Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration != 0 {
		t.Logf("this ffprobe estimates a duration of %v", info.Duration)
	}
	frames, err := tool.Frames(context.Background(), path, FrameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkColours(t, frames, knownSegments)
	if len(frames) != 7 {
		t.Errorf("times %v, want 7 frames as for the same video with a duration", frameTimes(frames))
	}
}

// fakeFFmpeg writes an "ffmpeg" script into a new folder that answers -version and does body otherwise.
func fakeFFmpeg(t *testing.T, body string) (dir, ffmpeg string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts stand in for ffmpeg")
	}
	dir = t.TempDir()
	script := "if [ \"$1\" = -version ]; then echo 'ffmpeg version 9.9-fake Copyright (c) nobody'; exit 0; fi\n" + body
	return dir, writeScript(t, filepath.Join(dir, "ffmpeg"), script)
}

// alive reports whether process pid exists and is not a zombie (this test is not its parent, so a killed
// grandchild may linger as a zombie until something reaps it).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return runtime.GOOS != "linux"
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z")
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && perr == nil {
			return pid
		}
	}
	t.Fatalf("%s was not written", path)
	return 0
}

// TestFramesHangingFFmpeg: an ffmpeg that never finishes (here a script waiting on a child that sleeps) is
// stopped at Timeout, with its child, and the error says so.
func TestFramesHangingFFmpeg(t *testing.T) {
	t.Parallel()
	video := makeColours(t, t.TempDir(), "clip.mp4", knownSegments[:1], h264(t)...)
	dir, ffmpeg := fakeFFmpeg(t, "echo $$ > \"$0.pid\"\nsleep 60 &\necho $! > \"$0.child\"\nwait\n")
	_ = dir
	tool, err := Find(ffmpeg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tool.Frames(context.Background(), video, FrameOptions{Timeout: time.Second})
	took := time.Since(start)
	if errorKind(t, err) != ErrTimeout || !strings.Contains(err.Error(), "ffmpeg took longer than 1 s on this video; skipped") {
		t.Errorf("got %v, want a timeout", err)
	}
	if took > time.Second+waitDelay+time.Second {
		t.Errorf("took %v for a 1 s timeout", took)
	}
	for _, f := range []string{ffmpeg + ".pid", ffmpeg + ".child"} {
		pid := readPid(t, f)
		for deadline := time.Now().Add(2 * time.Second); alive(pid) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("process %d (%s) still runs", pid, filepath.Base(f))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestProbeHanging: an ffprobe that never finishes is stopped at Frames' Timeout too.
func TestProbeHanging(t *testing.T) {
	t.Parallel()
	video := makeColours(t, t.TempDir(), "clip.mp4", knownSegments[:1], h264(t)...)
	dir, ffmpeg := fakeFFmpeg(t, "exec \""+testTool(t).FFmpeg+"\" \"$@\"\n")
	writeScript(t, filepath.Join(dir, "ffprobe"), "if [ \"$1\" = -version ]; then echo 'ffprobe version 9.9-fake'; exit 0; fi\nexec sleep 60\n")
	tool, err := Find(ffmpeg)
	if err != nil {
		t.Fatal(err)
	}
	if tool.FFprobe != filepath.Join(dir, "ffprobe") {
		t.Fatalf("ffprobe %s, want the one beside ffmpeg", tool.FFprobe)
	}
	_, err = tool.Frames(context.Background(), video, FrameOptions{Timeout: 500 * time.Millisecond})
	if errorKind(t, err) != ErrTimeout {
		t.Errorf("got %v, want a timeout", err)
	}
}

// TestFramesCrashingFFmpeg: an ffmpeg that dies of a signal, or fails with a message, gives a corrupt-file error
// that says what happened.
func TestFramesCrashingFFmpeg(t *testing.T) {
	t.Parallel()
	video := makeColours(t, t.TempDir(), "clip.mp4", knownSegments[:1], h264(t)...)
	for _, tc := range []struct{ body, want string }{
		{"echo 'about to fail' >&2\nkill -SEGV $$\n", "ffmpeg crashed (signal 11, segmentation fault); it said: about to fail"},
		{"exit 139\n", "ffmpeg stopped with exit status 139 and gave no reason"},
		{"echo '[error] [h264 @ 0x1234] something specific' >&2\necho 'Conversion failed!' >&2\nexit 1\n", "(something specific)"},
	} {
		_, ffmpeg := fakeFFmpeg(t, tc.body)
		tool, err := Find(ffmpeg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tool.Frames(context.Background(), video, FrameOptions{})
		if errorKind(t, err) != ErrCorrupt || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want corrupt with %q", err, tc.want)
		}
	}
}

// TestFramesCancelled: the caller's cancellation is returned as such, not as a timeout or a damaged file.
func TestFramesCancelled(t *testing.T) {
	t.Parallel()
	video := makeColours(t, t.TempDir(), "clip.mp4", knownSegments[:1], h264(t)...)
	_, ffmpeg := fakeFFmpeg(t, "exec sleep 60\n")
	tool, err := Find(ffmpeg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err = tool.Frames(ctx, video, FrameOptions{})
	var ve *Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &ve) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
