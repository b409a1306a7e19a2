package video

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err      *Error
		msg      string
		kind     string
		hasAdice bool
	}{
		{&Error{Path: "a.mp4", Kind: ErrNoVideoStream, Detail: "only sound"}, "a.mp4: no pictures in this file (only sound), nothing to sort by", "no-video-stream", true},
		{&Error{Path: "a.mp4", Kind: ErrCorrupt, Detail: "moov atom not found"}, "a.mp4: damaged or not a video, ffmpeg cannot decode it (moov atom not found)", "corrupt", true},
		{&Error{Path: "a.mp4", Kind: ErrTimeout, Timeout: 90 * time.Second}, "a.mp4: ffmpeg took longer than 90 s on this video; skipped", "timeout", true},
		{&Error{Path: "a.mp4", Kind: ErrTimeout, Timeout: 1500 * time.Millisecond}, "a.mp4: ffmpeg took longer than 1.5 s on this video; skipped", "timeout", true},
		{&Error{Path: "a.mp4", Kind: ErrTooLarge, Width: 15360, Height: 8640, Limit: 40_000_000}, "a.mp4: 15360x8640 pixels per frame is over the limit of 40 megapixels", "too-large", true},
		{&Error{Path: "a.mp4", Kind: ErrUnreadable, Err: &os.PathError{Op: "open", Path: "a.mp4", Err: os.ErrPermission}}, "a.mp4: cannot read the file (permission denied)", "unreadable", true},
		{&Error{Kind: ErrNoFFmpeg, Err: errors.New("not on PATH")}, "ffmpeg is needed to read videos, and it was not found (not on PATH)", "no-ffmpeg", true},
	} {
		if got := tc.err.Error(); got != tc.msg {
			t.Errorf("Error() = %q, want %q", got, tc.msg)
		}
		if got := tc.err.ImageErrorKind(); got != tc.kind {
			t.Errorf("%s: ImageErrorKind() = %q, want %q", tc.msg, got, tc.kind)
		}
		if (tc.err.Advice() != "") != tc.hasAdice {
			t.Errorf("%s: Advice() = %q", tc.msg, tc.err.Advice())
		}
	}
}
