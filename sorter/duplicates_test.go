package sorter

import (
	"context"
	"fmt"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func duplicatesOptions(t *testing.T, src string) DuplicatesOptions {
	o := DefaultDuplicatesOptions()
	o.Folder = testFolder(t, src)
	o.Destination = filepath.Join(t.TempDir(), "dups")
	return o
}

func copyFileT(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, data)
}

// groupsText is the groups as "kind: a b c" lines, members by Rel.
func groupsText(res *DuplicatesResult) string {
	var lines []string
	for _, g := range res.Groups {
		var names []string
		for _, m := range g.Members {
			names = append(names, string(m.Match)[:1]+":"+filepath.ToSlash(m.Image.Rel))
		}
		lines = append(lines, fmt.Sprintf("%d %v %s", g.Number, g.Identical, strings.Join(names, " ")))
	}
	return strings.Join(lines, "\n")
}

func TestDuplicates(t *testing.T) {
	src := colourTree(t)
	copyFileT(t, filepath.Join(src, "fog.png"), filepath.Join(src, "sub", "fog copy.png"))
	copyFileT(t, filepath.Join(src, "apple.png"), filepath.Join(src, "zz apple again.png"))
	before := snapshot(t, src)
	res, err := Duplicates(context.Background(), newFake(), duplicatesOptions(t, src))
	if err != nil {
		t.Fatal(err)
	}
	// The fake model's embeddings are the mean colour plus a little noise from the bytes: images of one colour
	// are near-duplicates, fog.png is only identical to its copy.
	want := strings.Join([]string{
		"1 false f:apple.png s:brick.jpg s:sub/cherry.gif i:zz apple again.png",
		"2 true f:fog.png i:sub/fog copy.png",
		"3 false f:leaf.bmp s:sub/grass.tiff",
		"4 false f:sea.png s:sky",
	}, "\n")
	if got := groupsText(res); got != want {
		t.Errorf("groups:\n%s\nwant:\n%s", got, want)
	}
	rows := csvtest.Read(t, res.CSV)
	if len(rows) != 11 || strings.Join(rows[0], ",") != strings.Join(duplicatesHeader, ",") {
		t.Fatalf("duplicates.csv: %v", rows)
	}
	for _, row := range rows[1:] {
		if row[4] != sumOf(t, row[3]) {
			t.Errorf("%s: sha256 column %s is not the file's", row[2], row[4])
		}
		if row[1] == "identical" && row[5] != "1.000000" {
			t.Errorf("%s: identical with similarity %s", row[2], row[5])
		}
	}
	after := snapshot(t, src)
	if len(after) != len(before) {
		t.Errorf("the source changed: %d entries, was %d", len(after), len(before))
	}
	for path, st := range before {
		if after[path] != st {
			t.Errorf("%s changed", path)
		}
	}
	if !strings.Contains(res.String(), "Nothing was moved or deleted.") {
		t.Errorf("summary: %s", res.String())
	}

	// similarity 1: only identical files.
	o := duplicatesOptions(t, src)
	o.Similarity = 1
	res, err = Duplicates(context.Background(), newFake(), o)
	if err != nil {
		t.Fatal(err)
	}
	want = "1 true f:apple.png i:zz apple again.png\n2 true f:fog.png i:sub/fog copy.png"
	if got := groupsText(res); got != want {
		t.Errorf("similarity 1:\n%s\nwant:\n%s", got, want)
	}
}

func TestDuplicatesBadInput(t *testing.T) {
	src := colourTree(t)
	for _, sim := range []float64{0, -0.5, 1.01, 2} {
		o := duplicatesOptions(t, src)
		o.Similarity = sim
		_, err := Duplicates(context.Background(), newFake(), o)
		if err == nil || !strings.Contains(err.Error(), "not in (0, 1]") || Hint(err) == "" {
			t.Errorf("similarity %v: %v", sim, err)
		}
	}
	o := duplicatesOptions(t, src)
	o.Destination = src
	if _, err := Duplicates(context.Background(), newFake(), o); err == nil || !strings.Contains(err.Error(), "source folder itself") {
		t.Errorf("destination = source: %v", err)
	}
	// Empty folder, one image: no groups, a report with its header.
	for _, n := range []int{0, 1} {
		dir := t.TempDir()
		for i := range n {
			writeImage(t, filepath.Join(dir, fmt.Sprint(i, ".png")), "png", red, i)
		}
		res, err := Duplicates(context.Background(), newFake(), duplicatesOptions(t, dir))
		if err != nil || len(res.Groups) != 0 {
			t.Fatalf("%d images: %v %v", n, res, err)
		}
		if rows := csvtest.Read(t, res.CSV); len(rows) != 1 {
			t.Errorf("%d images: %d rows", n, len(rows))
		}
	}
}

// Many identical files make one group and take no quadratic work: they share one embedding.
func TestDuplicatesManyIdentical(t *testing.T) {
	src := t.TempDir()
	writeImage(t, filepath.Join(src, "a.png"), "png", red, 1)
	data, err := os.ReadFile(filepath.Join(src, "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := range n - 1 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("copy%04d.png", i)), data)
	}
	m := newFake()
	res, err := Duplicates(context.Background(), m, duplicatesOptions(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || len(res.Groups[0].Members) != n || !res.Groups[0].Identical {
		t.Fatalf("groups: %d", len(res.Groups))
	}
}
