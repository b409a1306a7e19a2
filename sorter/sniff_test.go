package sorter

import (
	"strings"
	"testing"
)

func TestSkipReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		head string
		want string
	}{
		{"notes.jpg", "just some text\n", "named .jpg but the content is text, not a JPEG"},
		{"page.png", "<!DOCTYPE html><html>", "HTML page"},
		{"notes.txt", "hello", "not an image (text)"},
		{"IMG_1.HEIC", "\x00\x00\x00\x18ftypheic\x00\x00", "HEIC/HEIF photo (unsupported: convert it to JPEG first)"},
		{"clip.mp4", "\x00\x00\x00\x18ftypisom\x00\x00", "video"},
		{"doc.pdf", "%PDF-1.7", "PDF document"},
		{"logo.svg", "<?xml version=\"1.0\"?><svg xmlns=", "SVG drawing"},
		{"blob.bin", "\x00\x01\x02\x03\xfe", "unrecognised data"},
	} {
		if got := skipReason(tc.name, []byte(tc.head)); !strings.Contains(got, tc.want) {
			t.Errorf("skipReason(%q) = %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}
