package video

import (
	"context"
	"testing"
	"time"
)

// FrameAt gives the frame Frames found at each time, including frames between keyframes (the yellow flash), and
// the info FramesInfo returns is Probe's.
func TestFrameAt(t *testing.T) {
	tool := testTool(t)
	path := makeColours(t, t.TempDir(), "known.mp4", knownSegments, h264(t)...)
	frames, info, err := tool.FramesInfo(context.Background(), path, FrameOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 160 || info.Height != 90 || info.Duration < 8*time.Second {
		t.Errorf("FramesInfo's info: %+v", info)
	}
	for _, f := range frames {
		img, err := tool.FrameAt(context.Background(), path, f.Time, FrameOptions{ShortSide: 64})
		if err != nil {
			t.Fatalf("FrameAt(%v): %v", f.Time, err)
		}
		if img.Rect.Dy() != 64 {
			t.Errorf("FrameAt(%v): %v, want 64 pixels high", f.Time, img.Rect)
		}
		want := segmentAt(knownSegments, f.Time)
		if got := meanColour(Frame{Image: img}); !closeColour(got, want.rgb) {
			t.Errorf("FrameAt(%v): colour %v, want %s", f.Time, got, want.name)
		}
	}
	if _, err := tool.FrameAt(context.Background(), path+".missing", 0, FrameOptions{}); errorKind(t, err) != ErrUnreadable {
		t.Errorf("a missing file: %v", err)
	}
}
