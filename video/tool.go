package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// versionTimeout bounds "ffmpeg -version": a binary that does not answer within it is not a working ffmpeg.
var versionTimeout = 10 * time.Second // a variable for tests

// Tool is a working ffmpeg and ffprobe pair. Its methods may be called from several goroutines.
type Tool struct {
	FFmpeg  string // path of ffmpeg
	FFprobe string // path of ffprobe
	Version string // first line of "ffmpeg -version" without the copyright, e.g. "ffmpeg version 5.1.9-0+deb12u1"

	major, minor int // from Version; 0, 0 for development builds ("N-112345-g...") and versions not understood
}

// Find returns the ffmpeg to use: the one at override when it is not empty (ffprobe is then looked for beside it,
// else on PATH), otherwise ffmpeg and ffprobe from PATH. It runs both with -version, so that a binary that is
// there but does not run (wrong architecture, missing libraries) is found now rather than on the first video.
// A missing or broken ffmpeg is an *Error of kind ErrNoFFmpeg.
func Find(override string) (*Tool, error) {
	ffmpeg, err := findFFmpeg(override)
	if err != nil {
		return nil, err
	}
	version, err := runVersion(ffmpeg)
	if err != nil {
		return nil, err
	}
	ffprobe, err := findFFprobe(ffmpeg, override != "")
	if err != nil {
		return nil, err
	}
	if _, err := runVersion(ffprobe); err != nil {
		return nil, err
	}
	t := &Tool{FFmpeg: ffmpeg, FFprobe: ffprobe, Version: version}
	t.major, t.minor = parseVersion(version)
	return t, nil
}

func findFFmpeg(override string) (string, error) {
	if override == "" {
		p, err := exec.LookPath("ffmpeg")
		if err != nil {
			return "", &Error{Kind: ErrNoFFmpeg, Err: errors.New("not on PATH")}
		}
		return absolute(p), nil
	}
	st, err := os.Stat(override)
	if err != nil {
		return "", &Error{Path: override, Kind: ErrNoFFmpeg, Err: err}
	}
	if st.IsDir() { // a folder holding ffmpeg, as unpacked from a Windows or static build
		return findFFmpeg(filepath.Join(override, exeName("ffmpeg")))
	}
	return absolute(override), nil
}

// findFFprobe looks beside ffmpeg, then on PATH; overridden says ffmpeg was given, for the message.
func findFFprobe(ffmpeg string, overridden bool) (string, error) {
	name := exeName("ffprobe")
	if strings.EqualFold(filepath.Ext(ffmpeg), ".exe") {
		name = "ffprobe.exe"
	}
	beside := filepath.Join(filepath.Dir(ffmpeg), name)
	if st, err := os.Stat(beside); err == nil && !st.IsDir() {
		return beside, nil
	}
	p, err := exec.LookPath("ffprobe")
	if err != nil {
		where := "on PATH"
		if overridden {
			where = "beside " + ffmpeg + " nor on PATH"
		}
		return "", &Error{Path: "ffprobe", Kind: ErrNoFFmpeg, Err: fmt.Errorf("it comes with ffmpeg, and is not %s", where)}
	}
	return absolute(p), nil
}

func exeName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// runVersion runs "bin -version" and returns its first line without the copyright.
func runVersion(bin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
	defer cancel()
	cmd := command(ctx, bin, "-version")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	first, _, _ := strings.Cut(out.String(), "\n")
	first = strings.TrimSpace(first)
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%s -version did not answer within %s", filepath.Base(bin), seconds(versionTimeout))
	case err != nil:
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		if first != "" {
			err = fmt.Errorf("%w: %s", err, first)
		}
	case !strings.Contains(first, " version "):
		err = fmt.Errorf("%s -version printed %q, not a version", filepath.Base(bin), first)
	}
	if err != nil {
		return "", &Error{Path: bin, Kind: ErrNoFFmpeg, Err: err}
	}
	first, _, _ = strings.Cut(first, " Copyright")
	return first, nil
}

// parseVersion reads "ffmpeg version 5.1.9-0+deb12u1" or "... version n6.0" as 5, 1 or 6, 0. Development builds
// ("N-112345-gabcdef") and anything else give 0, 0, which callers treat as recent.
func parseVersion(v string) (major, minor int) {
	_, v, ok := strings.Cut(v, " version ")
	if !ok {
		return 0, 0
	}
	v = strings.TrimPrefix(v, "n")
	end := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if end >= 0 {
		v = v[:end]
	}
	parts := strings.Split(v, ".")
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0
	}
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

// atLeast reports whether the ffmpeg is version major.minor or later (development builds count as later).
func (t *Tool) atLeast(major, minor int) bool {
	if t.major == 0 && t.minor == 0 {
		return true
	}
	return t.major > major || t.major == major && t.minor >= minor
}
