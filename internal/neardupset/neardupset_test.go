package neardupset

import (
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const fixtureImages = "../../testdata/fixtures/images"

// quickSources: a photo, a synthetic PNG, an EXIF-rotated JPEG and two degenerate sizes (10x12, 1000x50).
var quickSources = []string{
	fixtureImages + "/12_chelsea_451x300.jpg",
	fixtureImages + "/02_shapes_640x480.png",
	fixtureImages + "/06_exif_orientation6_320x200.jpg",
	fixtureImages + "/07_tiny_10x12.png",
	fixtureImages + "/08_wide_1000x50.png",
}

// goldenHash is the SHA-256 over every written file's name and bytes for quickSources, with Go's image/jpeg
// and image/png and golang.org/x/image/draw. A toolchain or x/image upgrade that changes an encoder's output
// changes it: check the images still look right (go test -run TestMake -v -keep), then update it.
const goldenHash = "a1c713b68939d4c87863e659d300360884785b9188bbc94720cf7838ba1eb93e"

// TestMake checks that every file decodes with its expected kind, that the pairs are complete, and that two runs
// write the same bytes (and the bytes recorded in goldenHash).
func TestMake(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	setA, err := Make(dirA, quickSources)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Make(dirB, quickSources); err != nil {
		t.Fatal(err)
	}
	if want := len(quickSources) * len(Transforms); len(setA.Files) != want {
		t.Fatalf("%d files, want %d", len(setA.Files), want)
	}
	nearDups := 0
	for _, tr := range Transforms {
		if tr.NearDup {
			nearDups++
		}
	}
	if want := len(quickSources) * (nearDups + len(partPairs)); len(setA.Pairs) != want {
		t.Errorf("%d pairs, want %d", len(setA.Pairs), want)
	}
	for _, p := range setA.Pairs {
		if p.A == "" || p.B == "" {
			t.Errorf("pair %+v misses a file", p)
		}
	}
	for _, f := range setA.Files {
		r, err := os.Open(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		img, format, err := image.Decode(r)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
			t.Errorf("%s: empty image %v", f.Path, b)
		}
		if want := map[bool]string{true: "jpeg", false: "png"}[filepath.Ext(f.Path) == ".jpg"]; format != want {
			t.Errorf("%s: format %s, want %s", f.Path, format, want)
		}
	}
	hashA, hashB := hashDir(t, dirA), hashDir(t, dirB)
	if hashA != hashB {
		t.Fatalf("two runs differ: %s vs %s", hashA, hashB)
	}
	if hashA != goldenHash {
		t.Errorf("output hash %s, want %s (see goldenHash)", hashA, goldenHash)
	}
}

func hashDir(t *testing.T, dir string) string {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	h := sha256.New()
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(filepath.ToSlash(rel)))
		h.Write([]byte{0})
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(h, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}
