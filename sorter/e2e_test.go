package sorter_test

// End to end with the real model: the fixture checkpoint (tiny random weights, labels meaningless but
// deterministic) sorts the 15 fixture images into the folders of the reference pipeline's top-1 labels.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"github.com/bellingcat/smart-image-sorter/models/clip"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

const fixtures = "../testdata/fixtures"

func TestSortFixturesWithCLIP(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	var golden struct {
		Images []struct{ File, Top1 string } `json:"images"`
		Labels []string                      `json:"labels"`
	}
	data, err := os.ReadFile(filepath.Join(fixtures, "clip-tiny", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	m, err := clip.Load(filepath.Join(fixtures, "clip-tiny"), clip.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	for _, op := range []sorter.Operation{sorter.Copy, sorter.Move} {
		t.Run(string(op), func(t *testing.T) {
			src := t.TempDir()
			for _, img := range golden.Images {
				data, err := os.ReadFile(filepath.Join(fixtures, "images", img.File))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(src, img.File), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			opts := sorter.DefaultOptions()
			opts.Source, opts.Destination = src, filepath.Join(t.TempDir(), "out")
			opts.Labels, opts.Operation = golden.Labels, op
			opts.CachePath = filepath.Join(t.TempDir(), "cache.bbolt")
			opts.BatchSize = 4
			summary, err := sorter.Run(context.Background(), m, opts)
			if err != nil {
				t.Fatal(err)
			}
			if summary.Sorted != len(golden.Images) || len(summary.Errors) != 0 {
				t.Fatalf("sorted %d with %d errors, want %d:\n%s", summary.Sorted, len(summary.Errors), len(golden.Images), summary)
			}
			for _, img := range golden.Images {
				folder := sorter.FolderName(img.Top1)
				if _, err := os.Stat(filepath.Join(opts.Destination, folder, img.File)); err != nil {
					t.Errorf("%s is not in %q (the reference top-1): %v", img.File, folder, err)
				}
				_, err := os.Stat(filepath.Join(src, img.File))
				if gone := os.IsNotExist(err); gone != (op == sorter.Move) {
					t.Errorf("%s: source removed = %v after %s", img.File, gone, op)
				}
			}
			rows := csvtest.Read(t, filepath.Join(opts.Destination, "output.csv"))
			want := map[string]string{}
			for _, img := range golden.Images {
				want[filepath.Join(src, img.File)] = img.Top1
			}
			if len(rows) != len(golden.Images)+1 || rows[0][0] != "image_name" || rows[0][1] != "label" || rows[0][2] != "score" {
				t.Fatalf("output.csv has %d rows, header %v", len(rows), rows[0])
			}
			for _, row := range rows[1:] {
				if want[row[0]] != row[1] {
					t.Errorf("output.csv: %s labelled %q, want %q", row[0], row[1], want[row[0]])
				}
			}
		})
	}
}

// A video made of two fixture photos (Chelsea, the reference's "a picture of a person" at 0.96, then a second of
// the gradient, its "a meme" at 0.92, then Chelsea again): with the real model, each label's best frame is in
// the stretch of the photo that scores it, and frames.csv says so within one sampling step.
func TestSortVideoWithCLIP(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("VIDEO_REQUIRE_FFMPEG") == "1" {
			t.Fatal("ffmpeg is not on PATH and VIDEO_REQUIRE_FFMPEG=1")
		}
		t.Skip("ffmpeg is not on PATH")
	}
	t.Setenv("GOMLX_BACKEND", "go")
	m, err := clip.Load(filepath.Join(fixtures, "clip-tiny"), clip.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	src := t.TempDir()
	person, meme := filepath.Join(fixtures, "images", "12_chelsea_451x300.jpg"), filepath.Join(fixtures, "images", "01_gradient_300x200.jpg")
	var args []string
	for _, in := range []struct {
		path    string
		seconds string
	}{{person, "3"}, {meme, "1"}, {person, "2"}} {
		args = append(args, "-loop", "1", "-t", in.seconds, "-i", in.path)
	}
	scale := "scale=450:300,setsar=1,fps=10"
	args = append(args, "-filter_complex", "[0]"+scale+"[a];[1]"+scale+"[b];[2]"+scale+"[c];[a][b][c]concat=n=3:v=1:a=0",
		"-c:v", "mpeg4", "-q:v", "2", filepath.Join(src, "two photos.mp4"))
	if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-loglevel", "error"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	opts := sorter.DefaultOptions()
	opts.Source, opts.Destination = src, filepath.Join(t.TempDir(), "out")
	opts.Labels = []string{"weapon", "a meme", "screenshot of a newspaper article", "a picture of a person", "cat"}
	opts.CachePath = filepath.Join(t.TempDir(), "cache.bbolt")
	s, err := sorter.Run(context.Background(), m, opts)
	if err != nil || s.Videos != 1 {
		t.Fatalf("Run: %v; %d videos", err, s.Videos)
	}
	best := map[string]float64{}
	for _, r := range csvtest.Read(t, s.FramesFile)[1:] {
		if best[r[1]], err = strconv.ParseFloat(r[3], 64); err != nil {
			t.Fatal(err)
		}
	}
	if at := best["a meme"]; at < 3 || at >= 4 {
		t.Errorf(`"a meme" best frame at %v s, want within the gradient's second [3, 4)`, at)
	}
	if at := best["a picture of a person"]; at >= 3 && at < 4 {
		t.Errorf(`"a picture of a person" best frame at %v s, in the gradient's second`, at)
	}
}
