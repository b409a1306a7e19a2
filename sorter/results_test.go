package sorter

import (
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestReadResultsOfARun(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.Threshold = 0.5
	s := runSort(t, newFake(), o)

	got, err := ReadResults(s.OutputFile)
	if err != nil {
		t.Fatal(err)
	}
	rows := csvtest.Read(t, s.OutputFile)
	if len(got) != len(rows)-1 || len(got) != s.Sorted {
		t.Fatalf("%d results, want %d (the report's rows, the summary's sorted images)", len(got), len(rows)-1)
	}
	unsorted := 0
	for i, r := range got {
		want := func(name string) string { return column(t, rows, name)[i] }
		if r.ImageName != want("image_name") || r.Label != want("label") || r.Folder != want("folder") ||
			r.SourcePath != want("source_path") || r.DestinationPath != want("destination_path") {
			t.Errorf("result %d = %+v, want the report's row %q", i, r, rows[i+1])
		}
		if p, _ := strconv.ParseFloat(want("prob_"+r.Label), 64); r.Score != p {
			t.Errorf("%s: score %v, want prob_%s %v", r.ImageName, r.Score, r.Label, p)
		}
		if len(r.Probs) != 3 || r.Probs[0].Label != "red" || r.Probs[1].Label != "green" || r.Probs[2].Label != "blue" {
			t.Errorf("%s: probabilities %+v, want red, green, blue in order", r.ImageName, r.Probs)
		}
		if r.Unsorted != (r.Folder == UnsortedFolder) {
			t.Errorf("%s: unsorted %v in folder %q", r.ImageName, r.Unsorted, r.Folder)
		}
		if r.Unsorted {
			unsorted++
		}
	}
	if unsorted != s.Unsorted {
		t.Errorf("%d unsorted results, the summary says %d", unsorted, s.Unsorted)
	}
}

func TestReadResultsOfTheOriginalTool(t *testing.T) {
	// classifier.py writes only these three columns.
	got, err := readResults(strings.NewReader("image_name,label,score\ncat.jpg,a cat,0.97\n\"a,b.png\",a dog,1.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ImageName != "cat.jpg" || got[0].Label != "a cat" || got[0].Score != 0.97 ||
		got[1].ImageName != "a,b.png" || got[1].Score != 1 || got[1].Probs != nil {
		t.Errorf("got %+v", got)
	}
}

func TestReadResultsErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"empty", "", "empty"},
		{"not a report", "path,reason,kind\nx,y,z\n", "no image_name column"},
		{"bad score", "image_name,label,score\ncat.jpg,a cat,high\n", `line 2: score: "high" is not a number`},
		{"bad prob", "image_name,label,score,prob_a cat\ncat.jpg,a cat,0.5,?\n", `line 2: prob_a cat: "?" is not a number`},
		{"short row", "image_name,label,score\ncat.jpg,a cat\n", "wrong number of fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readResults(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadResults(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "reading the report") {
		t.Errorf("missing file: error %v", err)
	}
}
