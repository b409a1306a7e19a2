package sorter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/bellingcat/smart-image-sorter/internal/csvtest"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// manyImages makes n images in three sub-folders whose names collide across
// folders (d0/x1.png, d1/x1.png, ...), so that resumed runs must get suffixes right.
// It returns the source and each image's content hash by absolute path.
func manyImages(t testing.TB, root string, n int) (string, map[string]string) {
	src := filepath.Join(root, "src")
	orig := map[string]string{}
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("d%d", i%3), fmt.Sprintf("x%d.png", i/3))
		writeImage(t, p, "png", []color.NRGBA{red, green, blue}[(i/2)%3], i)
		orig[p] = sumOf(t, p)
	}
	writeFile(t, filepath.Join(src, "readme.txt"), []byte("not an image"))
	return src, orig
}

// checkInterrupted: after a kill, each image is complete in the source or the
// destination, and no partial file is visible under an image's name.
func checkInterrupted(t *testing.T, orig map[string]string, dst string) {
	t.Helper()
	inDest := map[string]bool{}
	for rel, st := range snapshot(t, dst) {
		name := filepath.Base(rel)
		if !st.Mode.IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".csv") ||
			strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".html") {
			continue
		}
		inDest[st.Sum] = true
		found := false
		for _, s := range orig {
			found = found || s == st.Sum
		}
		if !found {
			t.Errorf("%s in the destination is not a complete image", rel)
		}
	}
	for p, sum := range orig {
		if data, err := os.ReadFile(p); err == nil && sumBytesHex(data) == sum {
			continue
		}
		if !inDest[sum] {
			t.Errorf("%s is neither in the source nor complete in the destination", p)
		}
	}
}

func sumBytesHex(b []byte) string { return hexSum(sumBytes(b)) }

// checkComplete: every image exactly once in the destination and in output.csv,
// the sources kept (or, for a move, gone), no temporary file left, no error.
func checkComplete(t *testing.T, op Operation, orig map[string]string, dst string) {
	t.Helper()
	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	seen := map[string]int{}
	dests := map[string]bool{}
	for i, s := range column(t, rows, "source_path") {
		seen[s]++
		d := column(t, rows, "destination_path")[i]
		if dests[d] {
			t.Errorf("two rows place an image at %s", d)
		}
		dests[d] = true
		switch op {
		case Symlink:
			if target, err := os.Readlink(d); err != nil || target != s {
				t.Errorf("%s -> %q, want %s", d, target, s)
			}
		default:
			if got := sumOf(t, d); got != orig[s] {
				t.Errorf("%s does not hold %s", d, s)
			}
		}
	}
	for p := range orig {
		if seen[p] != 1 {
			t.Errorf("%s appears %d times in output.csv, want once", p, seen[p])
		}
		_, err := os.Stat(p)
		if op == Move && err == nil {
			t.Errorf("%s was moved but is still in the source", p)
		}
		if op != Move && err != nil {
			t.Errorf("%s disappeared from the source: %v", p, err)
		}
	}
	if len(seen) != len(orig) {
		t.Errorf("output.csv has %d sources, want %d", len(seen), len(orig))
	}
	placed := 0
	for rel, st := range snapshot(t, dst) {
		name := filepath.Base(rel)
		if strings.HasPrefix(name, tempPrefix) {
			t.Errorf("temporary file left: %s", rel)
		}
		if filepath.Dir(rel) != "." && !st.Mode.IsDir() && !strings.HasPrefix(name, ".") {
			placed++
		}
	}
	if placed != len(orig) {
		t.Errorf("%d files in the label folders, want %d (one per image)", placed, len(orig))
	}
	if errRows := csvtest.Read(t, filepath.Join(dst, "errors.csv")); len(errRows) != 1 {
		t.Errorf("errors.csv: %q", errRows[1:])
	}
}

func TestResumeAfterCancel(t *testing.T) {
	for _, op := range []Operation{Copy, Move} {
		t.Run(string(op), func(t *testing.T) {
			src, orig := manyImages(t, t.TempDir(), 20)
			dst := filepath.Join(t.TempDir(), "labelled")
			o := testOptions(t, src, dst, "red", "green", "blue")
			o.Operation = op
			ctx, cancel := context.WithCancel(context.Background())
			m := newFake()
			m.onEmbed = func(call, n int) {
				if call == 3 {
					cancel()
				}
			}
			s, err := Run(ctx, m, o)
			if !errors.Is(err, context.Canceled) || s == nil || !s.Stopped {
				t.Fatalf("Run = %v, %v; want a stopped summary and context.Canceled", s, err)
			}
			if s.Sorted == 0 || s.Sorted >= 20 || !strings.Contains(s.String(), "--resume") {
				t.Errorf("sorted %d before stopping; summary:\n%s", s.Sorted, s)
			}
			rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
			if len(rows)-1 != s.Sorted {
				t.Errorf("output.csv has %d rows, the summary says %d sorted", len(rows)-1, s.Sorted)
			}
			checkInterrupted(t, orig, dst)

			o.Resume = true
			s2 := runSort(t, newFake(), o)
			if s2.AlreadyDone != s.Sorted || s2.Sorted != 20-s.Sorted {
				t.Errorf("resume: already done %d, sorted %d; first run sorted %d", s2.AlreadyDone, s2.Sorted, s.Sorted)
			}
			checkComplete(t, op, orig, dst)
			// Resuming a finished sort does nothing more.
			s3 := runSort(t, newFake(), o)
			if s3.Sorted != 0 {
				t.Errorf("a third run sorted %d more", s3.Sorted)
			}
			checkComplete(t, op, orig, dst)
		})
	}
}

// The model failing mid-run keeps what was done; resume finishes.
func TestModelFailureThenResume(t *testing.T) {
	src, orig := manyImages(t, t.TempDir(), 10)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	m := newFake()
	m.failEmbed = func(call int) error {
		if call == 3 {
			return errors.New("out of memory")
		}
		return nil
	}
	s, err := Run(context.Background(), m, o)
	if err == nil || !strings.Contains(err.Error(), "the model failed on a batch of 2 images") || !strings.Contains(Hint(err), "--resume") {
		t.Fatalf("err = %v (hint %q)", err, Hint(err))
	}
	if s == nil || s.Sorted != 4 || !s.Stopped {
		t.Fatalf("summary %+v; want the 2 batches before the failure sorted", s)
	}
	if rows := csvtest.Read(t, filepath.Join(dst, "output.csv")); len(rows) != 5 {
		t.Errorf("output.csv has %d rows; the 2 finished batches must be in it", len(rows)-1)
	}
	paths := map[string]string{src: "$SRC", dst: "$DEST", o.CachePath: "$CACHE"}
	golden(t, "stopped_summary.golden", placeholders(s.String(), paths))
	o.Resume = true
	s = runSort(t, newFake(), o)
	checkComplete(t, Copy, orig, dst)
	golden(t, "resumed_summary.golden", placeholders(s.String(), paths))
}

// A resume with another model (or another revision of it) is refused: the journal records the
// model's cache key, which holds its id and commit.
func TestResumeWithAnotherModelRefused(t *testing.T) {
	src, _ := manyImages(t, t.TempDir(), 10)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	m := newFake()
	m.failEmbed = func(call int) error {
		if call == 2 {
			return errors.New("out of memory")
		}
		return nil
	}
	if _, err := Run(context.Background(), m, o); err == nil {
		t.Fatal("the first run did not fail")
	}
	o.Resume = true
	other := newFake()
	other.key = "fake/v2"
	_, err := Run(context.Background(), other, o)
	if err == nil || !strings.Contains(err.Error(), "cannot resume: the sort in "+dst+" used model fake/v1 (this run: fake/v2)") {
		t.Fatalf("err = %v", err)
	}
	runSort(t, newFake(), o)
}

// An image that could not be placed (here: its file vanished after it was
// read) is reported with a hint, and tried again by --resume.
func TestPlaceErrorRetriedOnResume(t *testing.T) {
	src, orig := manyImages(t, t.TempDir(), 4)
	dst := filepath.Join(t.TempDir(), "labelled")
	victim := filepath.Join(src, "d1", "x0.png")
	away := filepath.Join(t.TempDir(), "away.png")
	m := newFake()
	m.afterDecode = func(path string) {
		if path == victim {
			must(t, os.Rename(victim, away))
		}
	}
	o := testOptions(t, src, dst, "red", "green", "blue")
	s := runSort(t, m, o)
	if len(s.Errors) != 1 || s.Errors[0].Kind != "place" || !strings.Contains(s.String(), "with --resume to try these again") {
		t.Fatalf("errors %+v; summary:\n%s", s.Errors, s)
	}
	must(t, os.Rename(away, victim))
	o.Resume = true
	s = runSort(t, newFake(), o)
	if s.Sorted != 1 {
		t.Errorf("resume sorted %d, want the 1 image that failed", s.Sorted)
	}
	rows := csvtest.Read(t, filepath.Join(dst, "output.csv"))
	if n := strings.Count(strings.Join(column(t, rows, "source_path"), "\n"), victim); n != 1 || len(rows) != 5 {
		t.Errorf("output.csv: %d rows, %s %d times", len(rows)-1, victim, n)
	}
	_ = orig
}

// A file already in place with the same content counts as done when resuming.
func TestResumeAdoptsIdenticalFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "a.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "b.png"), "png", red, 2)
	dst := filepath.Join(t.TempDir(), "labelled")
	writeImage(t, filepath.Join(dst, "red", "a.png"), "png", red, 1)   // identical: adopted
	writeImage(t, filepath.Join(dst, "red", "b.png"), "png", red, 999) // different: kept, b gets a suffix
	o := testOptions(t, src, dst, "red", "blue")
	o.Resume = true
	runSort(t, newFake(), o)
	if got := strings.Join(listing(t, filepath.Join(dst, "red")), ","); got != "a.png,b (1).png,b.png" {
		t.Errorf("red/: %s", got)
	}
	if rows := csvtest.Read(t, filepath.Join(dst, "output.csv")); len(rows) != 3 {
		t.Errorf("output.csv: %q", rows)
	}
}

// A journal whose last line was cut by a kill is repaired; one damaged in the middle is refused.
func TestJournalDamage(t *testing.T) {
	src, orig := manyImages(t, t.TempDir(), 6)
	dst := filepath.Join(t.TempDir(), "labelled")
	o := testOptions(t, src, dst, "red", "green", "blue")
	ctx, cancel := context.WithCancel(context.Background())
	m := newFake()
	m.onEmbed = func(call, n int) {
		if call == 2 {
			cancel()
		}
	}
	Run(ctx, m, o)
	jpath := filepath.Join(dst, JournalFile)
	good := readFile(t, jpath)
	writeFile(t, jpath, []byte(good+`{"type":"plan","batch":9,"entr`))
	o.Resume = true
	runSort(t, newFake(), o)
	checkComplete(t, Copy, orig, dst)

	lines := strings.SplitAfter(readFile(t, jpath), "\n")
	lines[1] = "{not json}\n"
	writeFile(t, jpath, []byte(strings.Join(lines, "")))
	_, err := Run(context.Background(), newFake(), o)
	if err == nil || !strings.Contains(err.Error(), "line 2 of the journal") || Hint(err) == "" {
		t.Errorf("err = %v; want the damaged line named, with a hint", err)
	}
}

// childSpecEnv encodes a child's task.
func childSpecEnv(t *testing.T, spec childSpec) string {
	b, err := json.Marshal(spec)
	must(t, err)
	return "SORTER_TEST_SPEC=" + string(b)
}

// waitKilled waits for a child and reports whether SIGKILL ended it.
func waitKilled(t *testing.T, cmd *exec.Cmd, lines <-chan string) bool {
	t.Helper()
	for range lines {
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
		t.Fatalf("child failed: %v", err)
	}
	return false
}

// A child process sorting slowly is killed with SIGKILL twice in mid-run; resume finishes.
func TestResumeAfterKill(t *testing.T) {
	for _, op := range []Operation{Copy, Move} {
		t.Run(string(op), func(t *testing.T) {
			src, orig := manyImages(t, t.TempDir(), 30)
			dst := filepath.Join(t.TempDir(), "labelled")
			spec := childSpec{Source: src, Destination: dst, CachePath: filepath.Join(t.TempDir(), "c.bbolt"),
				Labels: []string{"red", "green", "blue"}, Operation: op, BatchSize: 2, Delay: 20 * time.Millisecond}
			for round, killAfter := range []int{3, 4} {
				spec.Resume = round > 0
				cmd, lines, _ := startChild(t, "sort", childSpecEnv(t, spec))
				progressed := 0
				for l := range lines {
					if strings.HasPrefix(l, "progress") {
						if progressed++; progressed == killAfter {
							time.Sleep(time.Duration(round*7) * time.Millisecond) // vary the moment
							cmd.Process.Kill()
							break
						}
					}
				}
				if !waitKilled(t, cmd, lines) {
					t.Fatalf("round %d: the child finished before it could be killed", round)
				}
				checkInterrupted(t, orig, dst)
			}
			o := testOptions(t, src, dst, "red", "green", "blue")
			o.Operation, o.Resume, o.CachePath = op, true, spec.CachePath
			s := runSort(t, newFake(), o)
			if s.AlreadyDone == 0 {
				t.Errorf("nothing was done before the kills")
			}
			checkComplete(t, op, orig, dst)
		})
	}
}

// The child kills itself at each dangerous point of placing a file; resume finishes.
func TestResumeAfterKillAt(t *testing.T) {
	shm := ""
	if d, err := os.MkdirTemp("/dev/shm", "sorter-test-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(d) })
		if !sameDevice(t, d, t.TempDir()) {
			shm = d
		}
	}
	for _, tc := range []struct {
		op       Operation
		point    string
		otherDev bool   // source on another filesystem, so that a move copies
		then     string // a second kill, of the first resume
	}{
		{Copy, "started:1", false, ""},
		{Copy, "planned", false, ""},
		{Copy, "temp-written", false, ""},
		{Copy, "linked-before-temp-removed", false, ""},
		{Copy, "placed", false, ""},
		{Copy, "reported", false, ""},
		{Move, "planned", false, ""},
		{Move, "moved-before-source-removed", false, ""},
		{Move, "placed", false, ""},
		{Move, "reported", false, ""},
		{Move, "temp-written", true, ""},
		{Move, "linked-before-temp-removed", true, ""},
		{Move, "moved-before-source-removed", true, ""},
		{Link, "placed", false, ""},
		{Symlink, "planned", false, ""},
		{Symlink, "reported", false, ""},
		{Copy, "placed", false, "recovered:1"},
		{Move, "moved-before-source-removed", false, "recovered:1"},
		{Move, "placed", true, "recovered:1"},
	} {
		name := fmt.Sprintf("%s/%s", tc.op, tc.point)
		if tc.otherDev {
			name += "/other-filesystem"
		}
		if tc.then != "" {
			name += "/then-" + tc.then
		}
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			if tc.otherDev {
				if shm == "" {
					t.Skip("no second filesystem (/dev/shm) to move across")
				}
				root, _ = os.MkdirTemp(shm, "case-")
			}
			src, orig := manyImages(t, root, 9)
			dst := filepath.Join(t.TempDir(), "labelled")
			cache := filepath.Join(t.TempDir(), "c.bbolt")
			spec := childSpec{Source: src, Destination: dst, CachePath: cache, Labels: []string{"red", "green", "blue"},
				Operation: tc.op, BatchSize: 2, KillAt: tc.point}
			if !strings.Contains(tc.point, ":") {
				spec.KillAt += ":3"
			}
			for _, kill := range []string{spec.KillAt, tc.then} {
				if kill == "" {
					break
				}
				spec.KillAt = kill
				cmd, lines, _ := startChild(t, "sort", childSpecEnv(t, spec))
				if !waitKilled(t, cmd, lines) {
					t.Fatalf("the child never reached %s", kill)
				}
				if tc.op == Copy || tc.op == Move {
					checkInterrupted(t, orig, dst)
				}
				spec.Resume = true
			}
			o := testOptions(t, src, dst, "red", "green", "blue")
			o.Operation, o.Resume, o.CachePath = tc.op, true, cache
			runSort(t, newFake(), o)
			checkComplete(t, tc.op, orig, dst)
		})
	}
}

// Two processes never sort into the same destination at once.
func TestDestinationInUse(t *testing.T) {
	src, _ := manyImages(t, t.TempDir(), 12)
	dst := filepath.Join(t.TempDir(), "labelled")
	spec := childSpec{Source: src, Destination: dst, CachePath: filepath.Join(t.TempDir(), "c.bbolt"),
		Labels: []string{"red", "green", "blue"}, Operation: Copy, BatchSize: 2, Delay: 300 * time.Millisecond}
	cmd, lines, _ := startChild(t, "sort", childSpecEnv(t, spec))
	for l := range lines {
		if strings.HasPrefix(l, "progress 0/") {
			break
		}
	}
	o := testOptions(t, src, dst, "red", "green", "blue")
	o.Resume = true
	_, err := Run(context.Background(), newFake(), o)
	if !errors.Is(err, ErrDestinationInUse) || Hint(err) == "" {
		t.Errorf("err = %v; want ErrDestinationInUse with a hint", err)
	}
	cmd.Process.Kill()
	waitKilled(t, cmd, lines)
}
