package sorter

import (
	"context"
	"errors"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"image/color"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSortCopy(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.TopK = 2
	before := snapshot(t, src)
	m := newFake()
	s := runSort(t, m, o)

	if after := snapshot(t, src); !maps.Equal(before, after) {
		t.Errorf("copy changed the source folder")
	}
	paths := map[string]string{src: "$SRC", dst: "$DEST", o.CachePath: "$CACHE"}
	golden(t, "copy_tree.golden", strings.Join(listing(t, dst), "\n")+"\n")
	golden(t, "copy_output.csv.golden", placeholders(readFile(t, filepath.Join(dst, "output.csv")), paths))
	golden(t, "copy_skipped.csv.golden", placeholders(readFile(t, filepath.Join(dst, "skipped.csv")), paths))
	golden(t, "copy_summary.golden", placeholders(s.String(), paths))

	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	if got := rows[0][:3]; !slices.Equal(got, []string{"image_name", "label", "score"}) {
		t.Errorf("first columns %q, want the original's image_name,label,score", got)
	}
	if len(rows) != 9 {
		t.Fatalf("output.csv has %d rows, want header + 8 images", len(rows))
	}
	// Every copy is complete, in its label's folder, with the source's modification time.
	for i, name := range column(t, rows, "source_path") {
		dest := column(t, rows, "destination_path")[i]
		if sumOf(t, name) != sumOf(t, dest) {
			t.Errorf("%s differs from its source %s", dest, name)
		}
		si, _ := os.Stat(name)
		di, _ := os.Stat(dest)
		if !si.ModTime().Equal(di.ModTime()) {
			t.Errorf("%s: modification time %v, source has %v", dest, di.ModTime(), si.ModTime())
		}
		if want := filepath.Join(dst, column(t, rows, "folder")[i]); filepath.Dir(dest) != want {
			t.Errorf("%s is not in %s", dest, want)
		}
	}
	counts := map[string]int{}
	for _, l := range s.Labels {
		counts[l.Label] = l.Count
	}
	if counts["red"] != 3 || counts["green"] != 2 || counts["blue"]+s.Unsorted != 3 || s.Sorted != 8 {
		t.Errorf("counts %v, unsorted %d, sorted %d; want red 3, green 2, blue 2 + the grey one", counts, s.Unsorted, s.Sorted)
	}
	if m.textCalls.Load() != 1 || len(m.texts) != 3 || m.texts[0] != "This is a photo of red." {
		t.Errorf("EmbedTexts: %d calls with %q; want one call with the 3 prompts", m.textCalls.Load(), m.texts)
	}
	if s.CacheMisses != 8 || s.CacheHits != 0 || len(s.Errors) != 0 {
		t.Errorf("cache %d hits %d misses, %d errors", s.CacheHits, s.CacheMisses, len(s.Errors))
	}
	if errRows := csvtest.Read(t, filepath.Join(dst, "errors.csv")); len(errRows) != 1 {
		t.Errorf("errors.csv: %q", errRows)
	}
}

func TestSortMove(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	want := images(t, src)
	delete(want, sumOf(t, filepath.Join(src, ".thumbs", "x.png"))) // hidden: not sorted
	mtimes := map[string]int64{}
	for rel, st := range snapshot(t, src) {
		mtimes[st.Sum] = st.MTime.UnixNano()
		_ = rel
	}
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.Operation = Move
	s := runSort(t, newFake(), o)
	if s.Sorted != 8 {
		t.Errorf("sorted %d, want 8", s.Sorted)
	}
	if got := images(t, dst); !maps.Equal(got, want) {
		t.Errorf("destination images %v, want the source's %v", got, want)
	}
	left := listing(t, src)
	if !slices.Equal(left, []string{".thumbs/x.png", "notes.txt"}) {
		t.Errorf("left in the source: %q; want only the hidden image and the text file", left)
	}
	for _, st := range snapshot(t, dst) {
		if st.Sum != "" && mtimes[st.Sum] != 0 && mtimes[st.Sum] != st.MTime.UnixNano() {
			t.Errorf("a moved file lost its modification time")
		}
	}
	golden(t, "move_output.csv.golden", placeholders(readFile(t, filepath.Join(dst, "output.csv")), map[string]string{src: "$SRC", dst: "$DEST"}))
}

// A move from another filesystem copies, syncs, then removes the source.
func TestSortMoveAcrossFilesystems(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "sorter-test-")
	if err != nil {
		t.Skipf("no /dev/shm to put the source on another filesystem: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	dst := filepath.Join(t.TempDir(), "labelled")
	if sameDevice(t, shm, filepath.Dir(dst)) {
		t.Skip("/dev/shm and the test's temporary folder are on the same filesystem")
	}
	writeImage(t, filepath.Join(shm, "a.png"), "png", red, 1)
	writeImage(t, filepath.Join(shm, "b.png"), "png", blue, 2)
	want := images(t, shm)
	o := testOptions(t, shm, dst, "red", "blue")
	o.Operation = Move
	runSort(t, newFake(), o)
	if got := images(t, dst); !maps.Equal(got, want) {
		t.Errorf("destination images %v, want %v", got, want)
	}
	if left := listing(t, shm); len(left) != 0 {
		t.Errorf("sources not removed: %q", left)
	}
	if got := listing(t, dst); !slices.Contains(got, "red/a.png") || !slices.Contains(got, "blue/b.png") {
		t.Errorf("destination: %q", got)
	}
}

func TestSortLinkAndSymlink(t *testing.T) {
	for _, op := range []Operation{Link, Symlink} {
		t.Run(string(op), func(t *testing.T) {
			src := colourTree(t)
			dst := filepath.Join(t.TempDir(), "labelled")
			o := testOptions(t, src, dst, "red", "green", "blue")
			o.Operation = op
			runSort(t, newFake(), o)
			rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
			for i, s := range column(t, rows, "source_path") {
				d := column(t, rows, "destination_path")[i]
				si, _ := os.Stat(s)
				di, err := os.Lstat(d)
				if err != nil {
					t.Fatal(err)
				}
				switch op {
				case Link:
					if !os.SameFile(si, di) {
						t.Errorf("%s is not a hard link to %s", d, s)
					}
				case Symlink:
					target, err := os.Readlink(d)
					if err != nil || target != s || !filepath.IsAbs(target) {
						t.Errorf("%s -> %q, want an absolute link to %s", d, target, s)
					}
				}
			}
		})
	}
}

func TestThreshold(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.Threshold = 0.5
	s := runSort(t, newFake(), o)
	if s.Unsorted != 1 {
		t.Errorf("unsorted = %d, want 1 (the grey image)", s.Unsorted)
	}
	if _, err := os.Stat(filepath.Join(dst, UnsortedFolder, "fog.png")); err != nil {
		t.Errorf("the grey image is not in unsorted/: %v", err)
	}
	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	for i, name := range column(t, rows, "image_name") {
		unsorted := column(t, rows, "unsorted")[i] == "true"
		folder := column(t, rows, "folder")[i]
		if unsorted != (filepath.Base(name) == "fog.png") || unsorted != (folder == UnsortedFolder) {
			t.Errorf("%s: unsorted=%v folder=%s", name, unsorted, folder)
		}
		if unsorted && column(t, rows, "label")[i] == "" {
			t.Errorf("%s: the best label should still be reported", name)
		}
	}
	if !strings.Contains(s.String(), "unsorted") || !strings.Contains(s.String(), "below 0.5") {
		t.Errorf("summary does not explain unsorted:\n%s", s)
	}
}

// TestAboveThreshold: every label that reaches the threshold is listed (best first), though the image goes to
// its best label's folder only. With the fake model the grey image scores 0.36, 0.32 and 0.32: all three pass
// 0.3; the coloured images pass with one label.
func TestAboveThreshold(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.Threshold = 0.3
	s := runSort(t, newFake(), o)
	results, err := ReadResults(s.OutputFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		want := []string{r.Label}
		if filepath.Base(r.ImageName) == "fog.png" {
			want = []string{"blue", "red", "green"}
		}
		if !slices.Equal(r.AboveThreshold, want) {
			t.Errorf("%s: above the threshold %q, want %q", r.ImageName, r.AboveThreshold, want)
		}
		if r.Folder != FolderName(r.Label) {
			t.Errorf("%s: placed in %q, want its best label's folder %q", r.ImageName, r.Folder, r.Label)
		}
	}
	o.Threshold = 0
	o.Destination = filepath.Join(t.TempDir(), "no-threshold")
	s = runSort(t, newFake(), o)
	if results, err = ReadResults(s.OutputFile); err != nil || len(results) == 0 || results[0].AboveThreshold != nil {
		t.Errorf("without a threshold, above_threshold should be empty: %+v, %v", results, err)
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	src := colourTree(t)
	parent := t.TempDir()
	dst := filepath.Join(parent, "labelled")
	before := snapshot(t, src)
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.DryRun = true
	m := newFake()
	s := runSort(t, m, o)
	if after := snapshot(t, src); !maps.Equal(before, after) {
		t.Errorf("a dry run changed the source folder")
	}
	if got, want := listing(t, dst), []string{"errors.dry-run.csv", "output.dry-run.csv", "output.dry-run.json", "report.dry-run.html", "skipped.dry-run.csv"}; !slices.Equal(got, want) {
		t.Errorf("destination after a dry run: %q, want only %q", got, want)
	}
	if s.Sorted != 8 || !strings.HasPrefix(s.String(), "Dry run: nothing was copied or moved.") {
		t.Errorf("summary:\n%s", s)
	}
	predicted := column(t, csvtest.Read(t, filepath.Join(dst, "output.dry-run.csv")), "destination_path")

	// The real run then computes no embedding and puts every file where the dry run said.
	o.DryRun = false
	m2 := newFake()
	runSort(t, m2, o)
	if n := m2.embedCalls.Load(); n != 0 {
		t.Errorf("the run after a dry run called EmbedImages %d times; the dry run should have filled the cache", n)
	}
	actual := column(t, csvtest.Read(t, filepath.Join(dst, "output.csv")), "destination_path")
	if !slices.Equal(predicted, actual) {
		t.Errorf("dry run predicted %q, the run did %q", predicted, actual)
	}
	// A dry run over a finished sort leaves its journal and reports alone.
	journal := readFile(t, filepath.Join(dst, JournalFile))
	o.DryRun = true
	runSort(t, newFake(), o)
	if readFile(t, filepath.Join(dst, JournalFile)) != journal {
		t.Errorf("a dry run changed the journal")
	}
}

func TestNameCollisions(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "a", "x.jpg"), "jpeg", red, 1)
	writeImage(t, filepath.Join(src, "b", "x.jpg"), "jpeg", red, 2)
	writeImage(t, filepath.Join(src, "c", "x.jpg"), "jpeg", red, 1) // same content as a/x.jpg: still its own file
	writeImage(t, filepath.Join(src, "x.jpg"), "jpeg", blue, 3)
	dst := filepath.Join(t.TempDir(), "labelled")
	writeImage(t, filepath.Join(dst, "blue", "x.jpg"), "png", blue, 99) // already there, not ours
	o := testOptions(t, src, dst, "red", "blue")
	runSort(t, newFake(), o)
	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	got := map[string]string{}
	for i, s := range column(t, rows, "source_path") {
		rel, _ := filepath.Rel(src, s)
		d, _ := filepath.Rel(dst, column(t, rows, "destination_path")[i])
		got[filepath.ToSlash(rel)] = filepath.ToSlash(d)
	}
	want := map[string]string{"a/x.jpg": "red/x.jpg", "b/x.jpg": "red/x (1).jpg", "c/x.jpg": "red/x (2).jpg", "x.jpg": "blue/x (1).jpg"}
	if !maps.Equal(got, want) {
		t.Errorf("placements %v, want %v", got, want)
	}
	if sumOf(t, filepath.Join(dst, "blue", "x.jpg")) == sumOf(t, filepath.Join(src, "x.jpg")) {
		t.Errorf("the file already in the destination was overwritten")
	}
}

func TestSuffixed(t *testing.T) {
	for _, tc := range []struct {
		base string
		n    int
		want string
	}{
		{"cat.jpg", 0, "cat.jpg"},
		{"cat.jpg", 1, "cat (1).jpg"},
		{"cat", 2, "cat (2)"},
		{"archive.tar.gz", 1, "archive.tar (1).gz"},
		{strings.Repeat("a", 251) + ".jpg", 12, strings.Repeat("a", 246) + " (12).jpg"},
	} {
		if got := suffixed(tc.base, tc.n); got != tc.want {
			t.Errorf("suffixed(%q, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
	}
}

// The destination inside the source is not searched, on the first run or the next.
func TestDestinationInsideSource(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(src, "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	s := runSort(t, newFake(), o)
	if s.Sorted != 8 {
		t.Errorf("sorted %d, want 8", s.Sorted)
	}
	o.Resume = true
	s = runSort(t, newFake(), o)
	if s.Sorted != 0 || s.AlreadyDone != 8 {
		t.Errorf("second run sorted %d (already done %d); the destination's copies must not be sorted again", s.Sorted, s.AlreadyDone)
	}
	for _, f := range listing(t, dst) {
		if strings.Count(f, "/") > 1 {
			t.Errorf("nested result %s", f)
		}
	}
}

func TestRefusals(t *testing.T) {
	src := colourTree(t)
	file := filepath.Join(src, "apple.png")
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T) Options
		err, hnt string
	}{
		{"missing source", func(t *testing.T) Options {
			return testOptions(t, filepath.Join(src, "nope"), t.TempDir(), "red", "blue")
		}, "does not exist", "spelling"},
		{"source is a file", func(t *testing.T) Options { return testOptions(t, file, t.TempDir(), "red", "blue") }, "is a file", "folder"},
		{"destination is the source", func(t *testing.T) Options { return testOptions(t, src, src, "red", "blue") }, "is the source folder itself", "--destination"},
		{"source inside destination", func(t *testing.T) Options {
			return testOptions(t, filepath.Join(src, "sub"), src, "red", "blue")
		}, "lies inside the destination", "outside"},
		{"destination is a file", func(t *testing.T) Options { return testOptions(t, t.TempDir(), file, "red", "blue") }, "not a folder", "folder name"},
		{"foreign output.csv", func(t *testing.T) Options {
			dst := t.TempDir()
			writeFile(t, filepath.Join(dst, "output.csv"), []byte("someone's results\n"))
			return testOptions(t, src, dst, "red", "blue")
		}, "would be overwritten", "new --destination"},
		{"earlier sort without resume", func(t *testing.T) Options {
			o := testOptions(t, src, t.TempDir(), "red", "blue")
			runSort(t, newFake(), o)
			return o
		}, "already holds a sort", "--resume"},
		{"resume with other labels", func(t *testing.T) Options {
			o := testOptions(t, src, t.TempDir(), "red", "blue")
			runSort(t, newFake(), o)
			o.Labels, o.Resume = []string{"red", "green"}, true
			return o
		}, `used labels ["red" "blue"] (this run: ["red" "green"])`, "same settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.setup(t)
			_, err := Run(context.Background(), newFake(), o)
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(Hint(err), tc.hnt) {
				t.Errorf("err = %v (hint %q); want %q with hint %q", err, Hint(err), tc.err, tc.hnt)
			}
		})
	}
}

// A label folder that is a symbolic link is never written through.
func TestLabelFolderLinkRefused(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	outside := t.TempDir()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dst, "red")); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), newFake(), testOptions(t, src, dst, "red", "green", "blue"))
	if err == nil || !strings.Contains(err.Error(), "symbolic link") || Hint(err) == "" {
		t.Errorf("err = %v; want a refusal to write through the link", err)
	}
	if got := listing(t, outside); len(got) != 0 {
		t.Errorf("files written outside the destination: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dst, JournalFile)); !os.IsNotExist(err) {
		t.Errorf("a journal was started although the run was refused: the next run would need --resume")
	}
}

func TestNotRecursive(t *testing.T) {
	src := colourTree(t)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "green", "blue")
	o.Recursive = false
	s := runSort(t, newFake(), o)
	if s.Sorted != 6 {
		t.Errorf("sorted %d, want the 6 images at the top level only", s.Sorted)
	}
}

// An absolute --output_file is written there; errors.csv stays in the destination.
func TestOutputFileElsewhere(t *testing.T) {
	src := colourTree(t)
	dst := filepath.Join(t.TempDir(), "labelled")
	out := filepath.Join(t.TempDir(), "results.csv")
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.OutputFile = out
	s := runSort(t, newFake(), o)
	if s.OutputFile != out || len(csvtest.Read(t, out)) != 9 {
		t.Errorf("report at %s (summary says %s)", out, s.OutputFile)
	}
	if _, err := os.Stat(filepath.Join(dst, ErrorsFile)); err != nil {
		t.Error(err)
	}
}

// Labels that try to leave the destination end up as folders inside it.
func TestHostileLabels(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	for i := range 6 {
		writeImage(t, filepath.Join(src, string(rune('a'+i))+".png"), "png", []color.NRGBA{red, green, blue}[i%3], i)
	}
	root := t.TempDir()
	dst := filepath.Join(root, "out", "labelled")
	o := testOptions(t, src, dst, "../red", "green/../../x", "con blue")
	s := runSort(t, newFake(), o)
	if s.Sorted != 6 {
		t.Fatalf("sorted %d, want 6", s.Sorted)
	}
	for _, f := range listing(t, root) {
		if !strings.HasPrefix(f, "out/labelled/") {
			t.Errorf("%s written outside the destination", f)
		}
	}
	var folders []string
	for _, l := range s.Labels {
		folders = append(folders, l.Folder)
	}
	if want := []string{"___red", "green_.._.._x", "con blue"}; !slices.Equal(folders, want) {
		t.Errorf("folders %q, want %q", folders, want)
	}
	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	if labels := column(t, rows, "label"); !slices.Contains(labels, "../red") {
		t.Errorf("the report lost the original label text: %q", labels)
	}
}

func TestProgress(t *testing.T) {
	src := colourTree(t)
	o := testOptions(t, src, filepath.Join(t.TempDir(), "labelled"), "red", "green", "blue")
	var seen []Progress
	o.Progress = func(p Progress) { seen = append(seen, p) }
	runSort(t, newFake(), o)
	if len(seen) < 3 {
		t.Fatalf("progress called %d times", len(seen))
	}
	last := seen[len(seen)-1]
	if last.Total != 9 || last.Done != last.Total || last.Rate <= 0 {
		t.Errorf("last progress %+v; want all 9 files done", last)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Done < seen[i-1].Done {
			t.Errorf("progress went backwards: %+v then %+v", seen[i-1], seen[i])
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameDevice(t testing.TB, a, b string) bool {
	t.Helper()
	ia, err1 := os.Stat(a)
	ib, err2 := os.Stat(b)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return deviceOf(ia) == deviceOf(ib)
}
