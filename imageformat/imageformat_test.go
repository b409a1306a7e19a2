package imageformat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSniffFixtures(t *testing.T) {
	want := map[string]string{".jpg": JPEG, ".png": PNG, ".gif": GIF, ".bmp": BMP, ".webp": WebP}
	files, _ := filepath.Glob("../testdata/fixtures/images/*.*")
	if len(files) < 15 {
		t.Fatalf("found %d fixture images", len(files))
	}
	for _, f := range files {
		ext := filepath.Ext(f)
		if ext == ".md" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(data[:HeadLen]); got != want[ext] {
			t.Errorf("%s: %q, want %q", f, got, want[ext])
		}
	}
}

func TestSniffNonImages(t *testing.T) {
	for _, head := range []string{
		"", "\xff\xd8", "BM is how this text starts", "RIFF\x00\x00\x00\x00WAVEfmt ", "<html><body>404</body>",
		"%PDF-1.7", "GIF8", "BM\x00\x00\x00\x00\x01\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00",
	} {
		if got := Sniff([]byte(head)); got != "" {
			t.Errorf("Sniff(%q) = %q, want none", head, got)
		}
	}
	if got := Sniff([]byte("II*\x00" + strings.Repeat("\x00", 10))); got != TIFF {
		t.Errorf("little-endian TIFF: %q", got)
	}
}

func TestSniffSignatures(t *testing.T) {
	bmpHead := append([]byte("BM"), make([]byte, 16)...)
	bmpHead[14] = 40
	for _, tc := range []struct {
		head []byte
		want string
	}{
		{[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, JPEG},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), PNG},
		{[]byte("GIF89a\x01\x00"), GIF},
		{[]byte("GIF87a\x01\x00"), GIF},
		{bmpHead, BMP},
		{[]byte("BM is how this text starts, not a bitmap"), ""},
		{[]byte("RIFF\x10\x00\x00\x00WEBPVP8L"), WebP},
		{[]byte("RIFF\x10\x00\x00\x00WAVEfmt "), ""},
		{[]byte("II*\x00\x08\x00\x00\x00"), TIFF},
		{[]byte("MM\x00*\x00\x00\x00\x08"), TIFF},
		{[]byte("hello"), ""},
		{nil, ""},
		{[]byte{0xFF, 0xD8}, ""},
	} {
		if got := Sniff(tc.head); got != tc.want {
			t.Errorf("Sniff(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}
