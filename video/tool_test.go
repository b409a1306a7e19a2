package video

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestFind(t *testing.T) {
	tool := testTool(t)
	if !strings.HasPrefix(tool.Version, "ffmpeg version ") || strings.Contains(tool.Version, "Copyright") {
		t.Errorf("Version %q", tool.Version)
	}
	if !filepath.IsAbs(tool.FFmpeg) || !filepath.IsAbs(tool.FFprobe) {
		t.Errorf("paths %q, %q are not absolute", tool.FFmpeg, tool.FFprobe)
	}
	// A folder holding ffmpeg works as the override too.
	byDir, err := Find(filepath.Dir(tool.FFmpeg))
	if err != nil || byDir.FFmpeg != tool.FFmpeg {
		t.Errorf("Find(%s): %+v, %v", filepath.Dir(tool.FFmpeg), byDir, err)
	}
}

// TestFindMissing: no ffmpeg gives ErrNoFFmpeg with the install hint, whatever the reason.
func TestFindMissing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts stand in for ffmpeg")
	}
	dir := t.TempDir()
	notFFmpeg := writeScript(t, filepath.Join(dir, "not-ffmpeg"), "echo hello\n")
	broken := writeScript(t, filepath.Join(dir, "broken"), "echo 'error while loading shared libraries: libavdevice.so.59' >&2\nexit 127\n")
	dataFile := filepath.Join(dir, "data")
	if err := os.WriteFile(dataFile, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ override, want string }{
		{filepath.Join(dir, "nowhere", "ffmpeg"), "no such file or directory"},
		{notFFmpeg, `printed "hello", not a version`},
		{broken, "libavdevice.so.59"},
		{dataFile, "permission denied"},
	} {
		_, err := Find(tc.override)
		if errorKind(t, err) != ErrNoFFmpeg || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Find(%s): %v, want no ffmpeg, %q", tc.override, err, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "ffmpeg is needed to read videos") {
			t.Errorf("message %q", err)
		}
		ve := err.(*Error)
		if ve.Advice() != "install ffmpeg (Debian/Ubuntu: sudo apt install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg), or give its path with --ffmpeg PATH" {
			t.Errorf("advice %q", ve.Advice())
		}
		if ve.ImageErrorKind() != "no-ffmpeg" {
			t.Errorf("ImageErrorKind %q", ve.ImageErrorKind())
		}
	}

	t.Run("no ffprobe", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		ffmpeg := writeScript(t, filepath.Join(t.TempDir(), "ffmpeg"), "echo 'ffmpeg version 9.9-fake'\n")
		_, err := Find(ffmpeg)
		if errorKind(t, err) != ErrNoFFmpeg || !strings.Contains(err.Error(), "ffprobe cannot be used (it comes with ffmpeg, and is not beside") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("empty PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := Find("")
		if errorKind(t, err) != ErrNoFFmpeg || err.Error() != "ffmpeg is needed to read videos, and it was not found (not on PATH)" {
			t.Errorf("got %v", err)
		}
	})
}

// TestFindSilentVersion: an ffmpeg that does not answer -version is given up on.
func TestFindSilentVersion(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts stand in for ffmpeg")
	}
	defer func(d time.Duration) { versionTimeout = d }(versionTimeout)
	versionTimeout = 300 * time.Millisecond
	hangs := writeScript(t, filepath.Join(t.TempDir(), "ffmpeg"), "exec sleep 60\n")
	_, err := Find(hangs)
	if errorKind(t, err) != ErrNoFFmpeg || !strings.Contains(err.Error(), "did not answer within 0.3 s") {
		t.Errorf("got %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		line         string
		major, minor int
		fpsMode      bool
	}{
		{"ffmpeg version 5.1.9-0+deb12u1", 5, 1, true},
		{"ffmpeg version 4.4.2-0ubuntu0.22.04.1", 4, 4, false},
		{"ffmpeg version n6.0", 6, 0, true},
		{"ffmpeg version 7.1.1-essentials_build-www.gyan.dev", 7, 1, true},
		{"ffmpeg version N-112345-g0123456789", 0, 0, true}, // development build: assumed recent
		{"ffmpeg version 5.0", 5, 0, false},
	} {
		major, minor := parseVersion(tc.line)
		tool := &Tool{major: major, minor: minor}
		fpsMode := tool.passthroughArgs()[0] == "-fps_mode"
		if major != tc.major || minor != tc.minor || fpsMode != tc.fpsMode {
			t.Errorf("%q: %d.%d, -fps_mode %v; want %d.%d, %v", tc.line, major, minor, fpsMode, tc.major, tc.minor, tc.fpsMode)
		}
	}
}
