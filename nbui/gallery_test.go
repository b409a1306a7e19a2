package nbui

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestGalleryHTML(t *testing.T) {
	g := Gallery{
		Groups: []GalleryGroup{
			{Label: "a picture of a person", Folder: "a picture of a person", Total: 3, Items: []GalleryItem{
				{Name: "astronaut.jpg", Label: "a picture of a person", Score: 0.912, Thumb: "data:image/jpeg;base64,AAAA"},
				{Name: "sub/camera.jpg", Label: "a picture of a person", Score: 0.5, Thumb: "data:image/jpeg;base64,BBBB"},
			}},
			{Label: "a <meme>", Folder: "a _meme_", Total: 0},
			{Label: "unsorted", Folder: "unsorted", Unsorted: true, Total: 1, Items: []GalleryItem{
				{Name: `"><script>x</script>.png`, Label: "a <meme>", Score: 0.31},
			}},
		},
		Errors: []sorter.ImageError{{Path: "broken.jpg", Reason: "the file is truncated", Kind: "decode"}},
	}
	html := g.HTML()
	golden(t, "gallery.html", html)
	golden(t, "gallery.txt", g.Text())
	if strings.Contains(html, "<script>x") || strings.Contains(html, "<meme>") {
		t.Error("names or labels are not escaped")
	}
	if strings.Count(html, "<img ") != 2 {
		t.Errorf("want 2 images (the third has no preview)")
	}
}

func TestNewGallery(t *testing.T) {
	samples := filepath.Join(repoDir(t), "samples", "photos")
	dest := t.TempDir()
	placed := filepath.Join(dest, "animals", "cat.jpg")
	os.MkdirAll(filepath.Dir(placed), 0o755)
	data, _ := os.ReadFile(filepath.Join(samples, "cat.jpg"))
	os.WriteFile(placed, data, 0o644)
	res := func(name, label, folder string, score float64, dst string) sorter.Result {
		return sorter.Result{ImageName: filepath.Join(samples, name), Label: label, Folder: folder, Score: score,
			Unsorted: folder == "unsorted", SourcePath: filepath.Join(samples, name), DestinationPath: dst}
	}
	results := []sorter.Result{
		res("horse.png", "animals", "animals", 0.6, filepath.Join(dest, "animals", "gone.png")), // placed file gone: the source is used
		res("cat.jpg", "animals", "animals", 0.9, placed),
		res("coins.jpg", "animals", "animals", 0.7, ""),
		res("rocket.jpg", "space", "unsorted", 0.4, ""),
		res("missing.jpg", "space", "space", 0.8, ""), // neither file exists: no preview
	}
	sum := &sorter.Summary{Source: samples, Threshold: 0.5, Labels: []sorter.LabelCount{
		{Label: "animals", Folder: "animals", Count: 3}, {Label: "space", Folder: "space", Count: 1}},
		Errors: []sorter.ImageError{{Path: "x.jpg", Reason: "bad", Kind: "decode"}}}
	g := NewGallery(sum, results, GalleryOptions{PerLabel: 2})

	if len(g.Groups) != 3 || g.Groups[2].Label != "unsorted" || len(g.Errors) != 1 {
		t.Fatalf("groups %+v", g.Groups)
	}
	animals := g.Groups[0]
	if animals.Total != 3 || len(animals.Items) != 2 || animals.Items[0].Name != "cat.jpg" || animals.Items[1].Name != "coins.jpg" {
		t.Errorf("animals: total %d, items %+v; want the best 2 of 3, cat first", animals.Total, animals.Items)
	}
	for _, it := range animals.Items {
		if it.Thumb == "" {
			t.Errorf("%s has no thumbnail", it.Name)
		}
	}
	if sp := g.Groups[1]; sp.Total != 1 || sp.Items[0].Thumb != "" {
		t.Errorf("space: %+v; want missing.jpg without a preview", sp)
	}
	if u := g.Groups[2]; u.Total != 1 || u.Items[0].Name != "rocket.jpg" || u.Items[0].Label != "space" {
		t.Errorf("unsorted: %+v", u)
	}
	if !strings.Contains(g.HTML(), "… and 1 more in the folder.") {
		t.Errorf("the hidden image is not mentioned")
	}

	// The horse falls back to its source when its placed file is gone.
	g = NewGallery(sum, results, GalleryOptions{PerLabel: 3})
	if it := g.Groups[0].Items[2]; it.Name != "horse.png" || it.Thumb == "" {
		t.Errorf("horse: %+v", it)
	}
}

func TestThumbnail(t *testing.T) {
	samples := filepath.Join(repoDir(t), "samples", "photos")
	for _, name := range []string{"cat.jpg", "horse.png", "text.jpg"} {
		uri, err := Thumbnail(filepath.Join(samples, name), 128)
		if err != nil {
			t.Fatal(err)
		}
		img := decodeURI(t, uri)
		src, err := os.Open(filepath.Join(samples, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, err := image.DecodeConfig(src)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if max(w, h) != 128 {
			t.Errorf("%s: thumbnail %dx%d, want the longest side 128", name, w, h)
		}
		if ratio, want := float64(w)/float64(h), float64(cfg.Width)/float64(cfg.Height); ratio/want < 0.97 || ratio/want > 1.03 {
			t.Errorf("%s: aspect %.3f, source %.3f", name, ratio, want)
		}
		if len(uri) > 16000 {
			t.Errorf("%s: thumbnail of %d bytes, want a small one", name, len(uri))
		}
	}
	small := filepath.Join(t.TempDir(), "small.jpg")
	f, _ := os.Create(small)
	jpeg.Encode(f, image.NewRGBA(image.Rect(0, 0, 40, 20)), nil)
	f.Close()
	uri, err := Thumbnail(small, 128)
	if err != nil {
		t.Fatal(err)
	}
	if b := decodeURI(t, uri).Bounds(); b.Dx() != 40 || b.Dy() != 20 {
		t.Errorf("a small image was resized to %v", b)
	}
	if _, err := Thumbnail(filepath.Join(samples, "LICENSES.md"), 128); err == nil {
		t.Error("a text file made a thumbnail")
	}
}

func decodeURI(t *testing.T, uri template.URL) image.Image {
	t.Helper()
	data, ok := strings.CutPrefix(string(uri), "data:image/jpeg;base64,")
	if !ok {
		t.Fatalf("not a JPEG data URI: %.40s", uri)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// A video shows the frame that scored its label, with its time; without ffmpeg it has no preview, and the rest
// of the gallery is as before.
func TestGalleryVideo(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("VIDEO_REQUIRE_FFMPEG") == "1" {
			t.Fatal("ffmpeg is not on PATH and VIDEO_REQUIRE_FFMPEG=1")
		}
		t.Skip("ffmpeg is not on PATH")
	}
	dir := t.TempDir()
	video := filepath.Join(dir, "clip.mp4")
	out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=gray:s=96x64:r=10:d=2",
		"-f", "lavfi", "-i", "color=c=blue:s=96x64:r=10:d=2", "-filter_complex", "concat=n=2:v=1:a=0", "-c:v", "mpeg4", video).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	results := []sorter.Result{{ImageName: video, Label: "sky", Folder: "sky", Score: 0.8, SourcePath: video,
		Video: true, FrameTime: 2500 * time.Millisecond}}
	sum := &sorter.Summary{Source: dir, Labels: []sorter.LabelCount{{Label: "sky", Folder: "sky", Count: 1}}}
	it := NewGallery(sum, results, GalleryOptions{}).Groups[0].Items[0]
	if it.Frame != "0:02.500" || it.Thumb == "" {
		t.Fatalf("video item: frame %q, thumbnail %d bytes", it.Frame, len(it.Thumb))
	}
	if c := decodeURI(t, it.Thumb).At(10, 10); !isBlue(c) {
		t.Errorf("the thumbnail is not the blue frame at 2.5 s: %v", c)
	}
	if g := NewGallery(sum, results, GalleryOptions{}); !strings.Contains(g.HTML(), "video, frame at 0:02.500") || !strings.Contains(g.Text(), "at 0:02.500") {
		t.Errorf("the frame's time is not shown:\n%s", g.Text())
	}
	t.Setenv("PATH", t.TempDir())
	if it := NewGallery(sum, results, GalleryOptions{}).Groups[0].Items[0]; it.Thumb != "" || it.Frame == "" {
		t.Errorf("without ffmpeg: %+v", it)
	}
}

func isBlue(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return b > 0x9000 && r < 0x5000 && g < 0x5000
}
