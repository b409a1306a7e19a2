package sorter_test

// End to end with the real model: the fixture checkpoint (tiny random weights, labels meaningless but
// deterministic) sorts the 15 fixture images into the folders of the reference pipeline's top-1 labels.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
			f, err := os.Open(filepath.Join(opts.Destination, "output.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
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
