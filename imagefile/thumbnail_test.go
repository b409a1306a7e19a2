package imagefile

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
)

func TestDraftShortSide(t *testing.T) {
	for _, tc := range []struct{ w, h, minLong, d int }{
		{1280, 960, 256, 4},  // 320x240
		{960, 1280, 256, 4},  // portrait: the same
		{1280, 960, 160, 8},  // 160x120
		{1280, 960, 161, 4},  // 1/8 would give 160
		{1280, 960, 1281, 1}, // already too small
		{300, 200, 256, 1},   // 1/2 gives 150
		{512, 512, 256, 2},   // exactly 256
		{4000, 3000, 256, 8}, // 500x375
		{4000, 6, 256, 8},    // 500x1
		{1100, 2, 256, 1},    // 1/4 and 1/8 both give a short side of 1: no reduction rather than too much
	} {
		want := tc.d
		s := draftShortSide(tc.w, tc.h, tc.minLong)
		got := jpegDraftDenominator(tc.w, tc.h, s)
		if got != want {
			t.Errorf("%dx%d, longest side at least %d: short side %d gives 1/%d, want 1/%d", tc.w, tc.h, tc.minLong, s, got, want)
		}
	}
}

func TestLoadAtLeast(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		turbo image.Rectangle // with libjpeg-turbo
	}{
		{"14_astronaut_512x512.jpg", 128, image.Rect(0, 0, 256, 256)},
		{"14_astronaut_512x512.jpg", 64, image.Rect(0, 0, 128, 128)},
		{"14_astronaut_512x512.jpg", 300, image.Rect(0, 0, 512, 512)},
		{"06_exif_orientation6_320x200.jpg", 80, image.Rect(0, 0, 100, 160)}, // reduced, then rotated
		{"02_shapes_640x480.png", 64, image.Rect(0, 0, 640, 480)},            // only JPEGs are reduced
	} {
		path := fixtureImage(tc.name)
		full, err := Load(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := LoadAtLeast(path, tc.size, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.turbo
		if turboLibrary() == nil {
			want = full.Rect
		}
		if m.Rect != want {
			t.Errorf("%s at %d px: bounds %v, want %v", tc.name, tc.size, m.Rect, want)
		}
	}
}

func TestLoadAtLeastErrors(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.jpg")
	data, err := os.ReadFile(fixtureImage("13_coffee_512x341.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.jpg")
	if err := os.WriteFile(notImage, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		kind ErrorKind
	}{
		{broken, ErrCorrupt},
		{notImage, ErrUnknownFormat},
		{filepath.Join(dir, "missing.jpg"), ErrUnreadable},
	} {
		_, err := LoadAtLeast(tc.path, 128, Options{})
		var ie *Error
		if !errors.As(err, &ie) || ie.Kind != tc.kind || ie.Path != tc.path {
			t.Errorf("%s: error %v, want a %v *Error naming the file", filepath.Base(tc.path), err, tc.kind)
		}
	}
}
