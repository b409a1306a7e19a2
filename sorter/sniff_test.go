package sorter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSniffImage(t *testing.T) {
	bmpHead := append([]byte("BM"), make([]byte, 16)...)
	bmpHead[14] = 40
	for _, tc := range []struct {
		head []byte
		want string
	}{
		{[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "jpeg"},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "png"},
		{[]byte("GIF89a\x01\x00"), "gif"},
		{[]byte("GIF87a\x01\x00"), "gif"},
		{bmpHead, "bmp"},
		{[]byte("BM is how this text starts, not a bitmap"), ""},
		{[]byte("RIFF\x10\x00\x00\x00WEBPVP8L"), "webp"},
		{[]byte("RIFF\x10\x00\x00\x00WAVEfmt "), ""},
		{[]byte("II*\x00\x08\x00\x00\x00"), "tiff"},
		{[]byte("MM\x00*\x00\x00\x00\x08"), "tiff"},
		{[]byte("hello"), ""},
		{nil, ""},
		{[]byte{0xFF, 0xD8}, ""},
	} {
		if got := sniffImage(tc.head); got != tc.want {
			t.Errorf("sniffImage(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}

// Every fixture image of the repository is recognised by content.
func TestSniffFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "images", "*"))
	if len(files) == 0 {
		t.Skip("no fixture images in ../testdata/fixtures/images")
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if sniffImage(data[:min(len(data), sniffLen)]) == "" {
			t.Errorf("%s not recognised as an image", f)
		}
	}
}

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
