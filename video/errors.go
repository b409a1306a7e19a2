package video

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrorKind says why a video could not be used.
type ErrorKind int

const (
	// ErrNoFFmpeg: ffmpeg or ffprobe was not found, or does not run.
	ErrNoFFmpeg ErrorKind = iota + 1
	// ErrNoVideoStream: the file is a media file with no pictures in it (sound only, or only a cover picture).
	ErrNoVideoStream
	// ErrCorrupt: ffmpeg cannot make sense of the file (damaged, cut short, not a video at all), or crashed on it.
	ErrCorrupt
	// ErrTimeout: ffmpeg ran longer than FrameOptions.Timeout on the file and was stopped.
	ErrTimeout
	// ErrTooLarge: the frames are bigger than FrameOptions.MaxPixels.
	ErrTooLarge
	// ErrUnreadable: the file could not be opened or read.
	ErrUnreadable
	// ErrUnsupported: a video this ffmpeg cannot decode: a codec it does not know, or an animated WebP (ffmpeg's
	// WebP decoder reads still pictures only).
	ErrUnsupported
)

func (k ErrorKind) String() string {
	switch k {
	case ErrNoFFmpeg:
		return "no ffmpeg"
	case ErrNoVideoStream:
		return "no video stream"
	case ErrCorrupt:
		return "corrupt"
	case ErrTimeout:
		return "timeout"
	case ErrTooLarge:
		return "too large"
	case ErrUnreadable:
		return "unreadable"
	case ErrUnsupported:
		return "unsupported"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is returned for any video that cannot be used, and by Find when ffmpeg is missing; Kind lets callers count
// them.
type Error struct {
	Path          string // the video as given; for ErrNoFFmpeg the ffmpeg or ffprobe that was looked for
	Kind          ErrorKind
	Detail        string        // what ffmpeg or ffprobe said, one line, when they said something useful
	Width, Height int           // frame size, for ErrTooLarge
	Limit         int64         // the pixel limit for ErrTooLarge
	Timeout       time.Duration // the time allowed, for ErrTimeout
	Err           error         // the underlying error, if any
}

// Error gives one line saying what happened to which file.
func (e *Error) Error() string {
	name := e.Path
	if name == "" {
		name = "video"
	}
	switch e.Kind {
	case ErrNoFFmpeg:
		msg := "ffmpeg is needed to read videos, and it was not found"
		if e.Path != "" {
			msg = fmt.Sprintf("ffmpeg is needed to read videos, and %s cannot be used", e.Path)
		}
		if e.Err != nil {
			msg += " (" + describe(e.Err) + ")"
		}
		return msg
	case ErrNoVideoStream:
		return fmt.Sprintf("%s: no pictures in this file (%s), nothing to sort by", name, e.detail("sound only"))
	case ErrCorrupt:
		return fmt.Sprintf("%s: damaged or not a video, ffmpeg cannot decode it (%s)", name, e.detail("no reason given"))
	case ErrTimeout:
		return fmt.Sprintf("%s: ffmpeg took longer than %s on this video; skipped", name, seconds(e.Timeout))
	case ErrTooLarge:
		return fmt.Sprintf("%s: %dx%d pixels per frame is over the limit of %s", name, e.Width, e.Height, pixelCount(e.Limit))
	case ErrUnreadable:
		return fmt.Sprintf("%s: cannot read the file (%s)", name, describe(e.Err))
	case ErrUnsupported:
		return fmt.Sprintf("%s: this ffmpeg cannot decode it (%s)", name, e.detail("unknown codec"))
	}
	return fmt.Sprintf("%s: unusable video (%s)", name, e.detail("no reason given"))
}

func (e *Error) Unwrap() error { return e.Err }

// Advice says what to do about the problem, one line without a final full stop; the command line prints it as its
// hint.
func (e *Error) Advice() string {
	switch e.Kind {
	case ErrNoFFmpeg:
		return "install ffmpeg (Debian/Ubuntu: sudo apt install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg), or give its path with --ffmpeg PATH"
	case ErrNoVideoStream:
		return "the file holds sound but no pictures: leave it out, or listen to it"
	case ErrCorrupt:
		return "the file is damaged, cut short or not a video: try playing it (VLC plays most damaged files), or copy it again from its source"
	case ErrTimeout:
		return "the video is very long or damaged: allow more time per video, or cut out the part you need"
	case ErrTooLarge:
		return "scale the video down (ffmpeg -i IN -vf scale=-2:2160 OUT.mp4), or leave it out"
	case ErrUnreadable:
		return "check the path, and that you may read the file"
	case ErrUnsupported:
		return "try a newer ffmpeg (give its path with --ffmpeg PATH), or convert the file to MP4 with another program"
	}
	return ""
}

// ImageErrorKind names the kind of problem in lower case with hyphens ("no-video-stream", "timeout", ...) for the
// sorter's errors.csv, where image errors have their kinds too.
func (e *Error) ImageErrorKind() string { return strings.ReplaceAll(e.Kind.String(), " ", "-") }

// detail is what ffmpeg said, or fallback.
func (e *Error) detail(fallback string) string {
	switch {
	case e.Detail != "":
		return e.Detail
	case e.Err != nil:
		return describe(e.Err)
	}
	return fallback
}

// describe is err's message without the path an *os.PathError or *exec.Error repeats.
func describe(err error) string {
	if err == nil {
		return "unknown error"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// seconds writes d as a person would say it: "60 s", "1.5 s", "90 min".
func seconds(d time.Duration) string {
	switch {
	case d >= 10*time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", d.Seconds()), "0"), ".") + " s"
}

func pixelCount(n int64) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d megapixels", n/1_000_000)
	}
	return fmt.Sprintf("%d pixels", n)
}
