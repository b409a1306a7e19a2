package sorter

import (
	"bytes"
	"encoding/binary"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pngHeader is a PNG signature and IHDR chunk claiming w x h pixels, and nothing else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestHostileInputs(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "good.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "png-named.jpg"), "png", blue, 2)
	writeImage(t, filepath.Join(src, "whole.jpg"), "jpeg", red, 3)
	whole, _ := os.ReadFile(filepath.Join(src, "whole.jpg"))
	writeFile(t, filepath.Join(src, "truncated.jpg"), whole[:len(whole)/2])
	writeFile(t, filepath.Join(src, "empty.jpg"), nil)
	writeFile(t, filepath.Join(src, "text.jpg"), []byte("<html><body>403 Forbidden</body></html>"))
	writeFile(t, filepath.Join(src, "huge.png"), pngHeader(100000, 100000))
	must(t, os.Symlink("loop2", filepath.Join(src, "loop1.jpg")))
	must(t, os.Symlink("loop1.jpg", filepath.Join(src, "loop2")))
	must(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(t, os.Symlink("..", filepath.Join(src, "sub", "up"))) // a folder loop, if followed
	must(t, os.Symlink("missing.png", filepath.Join(src, "broken.png")))
	must(t, os.Symlink("good.png", filepath.Join(src, "link-to-good.png")))
	fifo := mkfifo(filepath.Join(src, "pipe.jpg")) == nil

	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "blue")
	done := make(chan struct{})
	var s *Summary
	go func() { defer close(done); s = runSort(t, newFake(), o) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the sort hangs on hostile input")
	}
	if t.Failed() {
		return
	}
	if got := strings.Join(listing(t, filepath.Join(dst, "red")), ","); got != "good.png,link-to-good.png,whole.jpg" {
		t.Errorf("red/: %s", got)
	}
	if got := strings.Join(listing(t, filepath.Join(dst, "blue")), ","); got != "png-named.jpg" {
		t.Errorf("blue/: %s", got)
	}
	errs := map[string]string{}
	for _, r := range csvtest.Read(t, filepath.Join(dst, "errors.csv"))[1:] {
		errs[filepath.Base(r[0])] = r[2] + ": " + r[1]
	}
	for name, want := range map[string]string{
		"truncated.jpg": "decode: ",
		"huge.png":      "too-large: 100000x100000 is 10000000000 pixels, over the limit of 100000000",
	} {
		if !strings.HasPrefix(errs[name], want) {
			t.Errorf("errors.csv for %s: %q, want %q...", name, errs[name], want)
		}
	}
	if len(errs) != 2 || len(s.Errors) != 2 {
		t.Errorf("errors.csv: %v; summary errors %v", errs, s.Errors)
	}
	skipped := map[string]string{}
	for _, r := range csvtest.Read(t, filepath.Join(dst, "skipped.csv"))[1:] {
		rel, _ := filepath.Rel(src, r[0])
		skipped[filepath.ToSlash(rel)] = r[1]
	}
	for name, want := range map[string]string{
		"empty.jpg":  "empty file (0 bytes)",
		"text.jpg":   "named .jpg but the content is an HTML page",
		"loop1.jpg":  "symbolic link that cannot be followed (a loop?): too many levels of symbolic links",
		"loop2":      "symbolic link that cannot be followed",
		"sub/up":     "symbolic link to a folder, not followed",
		"broken.png": "broken symbolic link",
		"pipe.jpg":   "not a regular file",
	} {
		if name == "pipe.jpg" && !fifo {
			continue
		}
		if !strings.HasPrefix(skipped[name], want) {
			t.Errorf("skipped.csv for %s: %q, want %q...", name, skipped[name], want)
		}
	}
	if summary := s.String(); !strings.Contains(summary, "2 images could not be sorted") || !strings.Contains(summary, "truncated.jpg") {
		t.Errorf("summary does not report the errors:\n%s", summary)
	}
	paths := map[string]string{src: "$SRC", dst: "$DEST", o.CachePath: "$CACHE"}
	if fifo {
		golden(t, "hostile_summary.golden", placeholders(s.String(), paths))
		golden(t, "hostile_skipped.csv.golden", placeholders(readFile(t, filepath.Join(dst, "skipped.csv")), paths))
	}
}

// MaxPixels reaches the model's PreprocessImage.
func TestMaxPixels(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "a.png"), "png", red, 1) // 8x6 = 48 pixels
	writeImage(t, filepath.Join(src, "b.png"), "png", blue, 2)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "blue")
	o.MaxPixels = 40
	s := runSort(t, newFake(), o)
	if len(s.Errors) != 2 || s.Errors[0].Kind != "too-large" || !strings.Contains(s.Errors[0].Reason, "over the limit of 40") {
		t.Errorf("errors %+v; want both images too large", s.Errors)
	}
}

func TestUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod 000 does not stop root from reading, so unreadable files cannot be made here")
	}
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "good.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "secret.png"), "png", red, 2)
	writeImage(t, filepath.Join(src, "locked", "x.png"), "png", red, 3)
	must(t, os.Chmod(filepath.Join(src, "secret.png"), 0))
	must(t, os.Chmod(filepath.Join(src, "locked"), 0))
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "locked"), 0o755) })
	dst := filepath.Join(t.TempDir(), "labelled")
	s := runSort(t, newFake(), testOptions(t, src, dst, "red", "blue"))
	if s.Sorted != 1 || len(s.Errors) != 2 {
		t.Errorf("sorted %d, errors %+v; want 1 sorted and 2 unreadable", s.Sorted, s.Errors)
	}
	for _, e := range s.Errors {
		if e.Kind != "unreadable" || !strings.Contains(e.Reason, "permission denied") {
			t.Errorf("error %+v", e)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
