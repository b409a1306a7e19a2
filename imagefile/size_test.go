package imagefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Size must agree with what Load decodes, orientation included (image 06 is stored 320x200 with EXIF
// orientation 6, so it is 200x320 upright).
func TestSizeMatchesLoad(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixturesDir, "images", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range paths {
		if strings.HasSuffix(path, ".md") {
			continue
		}
		n++
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		w, h, err := Size(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		img, err := Load(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%s: Size %dx%d, Load %dx%d", filepath.Base(path), w, h, b.Dx(), b.Dy())
		}
		if strings.HasPrefix(filepath.Base(path), "06_") && (w != 200 || h != 320) {
			t.Errorf("image 06: %dx%d, want 200x320 (orientation 6 applied)", w, h)
		}
	}
	if n < 10 {
		t.Fatalf("only %d fixture images found", n)
	}
}

func TestSizeRefusesNonImages(t *testing.T) {
	for name, data := range map[string][]byte{
		"text":      []byte("hello, this is not an image"),
		"empty":     nil,
		"truncated": []byte("\xff\xd8\xff\xe0\x00\x10JFIF"),
	} {
		_, _, err := Size(bytes.NewReader(data))
		var ie *Error
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %v, want an *Error", name, err)
		}
	}
}
