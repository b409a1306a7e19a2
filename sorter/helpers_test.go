package sorter

// Test helpers: image trees in t.TempDir(), snapshots, CSV columns (reading: internal/csvtest), golden
// files, and the child process used by the kill and lock tests (TestMain
// re-executes the test binary with SORTER_TEST_CHILD set).

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	red   = color.NRGBA{220, 20, 20, 255}
	green = color.NRGBA{20, 200, 30, 255}
	blue  = color.NRGBA{10, 30, 210, 255}
	grey  = color.NRGBA{128, 128, 128, 255}
)

// writeImage writes an 8x6 image of colour c; seed changes one pixel so that files differ.
func writeImage(t testing.TB, path, format string, c color.NRGBA, seed int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 6))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	img.Pix[0] = byte(seed)
	img.Pix[1] = byte(seed >> 8)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	switch format {
	case "png":
		err = png.Encode(f, img)
	case "jpeg":
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	case "gif":
		err = gif.Encode(f, img, nil)
	case "bmp":
		err = bmp.Encode(f, img)
	case "tiff":
		err = tiff.Encode(f, img, nil)
	default:
		t.Fatalf("writeImage: unknown format %q", format)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// colourTree makes a small source folder: 3 red, 2 green, 2 blue, 1 grey
// image in several formats and a sub-folder, a text file and a hidden folder.
func colourTree(t testing.TB) string {
	src := filepath.Join(t.TempDir(), "src")
	writeImage(t, filepath.Join(src, "apple.png"), "png", red, 1)
	writeImage(t, filepath.Join(src, "brick.jpg"), "jpeg", red, 2)
	writeImage(t, filepath.Join(src, "sub", "cherry.gif"), "gif", red, 3)
	writeImage(t, filepath.Join(src, "leaf.bmp"), "bmp", green, 4)
	writeImage(t, filepath.Join(src, "sub", "grass.tiff"), "tiff", green, 5)
	writeImage(t, filepath.Join(src, "sea.png"), "png", blue, 6)
	writeImage(t, filepath.Join(src, "sky"), "jpeg", blue, 7) // no extension: found by content
	writeImage(t, filepath.Join(src, "fog.png"), "png", grey, 8)
	writeFile(t, filepath.Join(src, "notes.txt"), []byte("not an image\n"))
	writeImage(t, filepath.Join(src, ".thumbs", "x.png"), "png", red, 9)
	return src
}

// testOptions: defaults, a private cache, small batches and two workers.
func testOptions(t testing.TB, src, dst string, labels ...string) Options {
	o := DefaultOptions()
	o.Source, o.Destination, o.Labels = src, dst, labels
	o.CachePath = filepath.Join(t.TempDir(), "cache", "embeddings.bbolt")
	o.BatchSize, o.Workers = 2, 2
	o.Logf = func(format string, args ...any) { t.Logf("sorter: "+format, args...) }
	return o
}

func runSort(t testing.TB, m Model, o Options) *Summary {
	t.Helper()
	s, err := Run(context.Background(), m, o)
	if err != nil {
		t.Fatalf("Run: %v (hint: %s)", err, Hint(err))
	}
	return s
}

// column returns the values of a named column (header excluded).
func column(t testing.TB, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// fileState is what a snapshot records of one path.
type fileState struct {
	Mode  fs.FileMode
	Size  int64
	MTime time.Time
	Sum   string // content hash of regular files
	Link  string // target of symbolic links
}

func snapshot(t testing.TB, root string) map[string]fileState {
	t.Helper()
	snap := map[string]fileState{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		st := fileState{Mode: info.Mode(), Size: info.Size(), MTime: info.ModTime()}
		if info.IsDir() {
			st.Size = 0
		}
		switch {
		case info.Mode().IsRegular():
			st.Sum = sumOf(t, path)
		case info.Mode()&fs.ModeSymlink != 0:
			st.Link, _ = os.Readlink(path)
		}
		snap[rel] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func sumOf(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// listing is the sorted list of files under root (relative, "/"-separated),
// with " -> target" for symbolic links; the cache is not in it.
func listing(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	for rel, st := range snapshot(t, root) {
		switch {
		case st.Mode.IsRegular():
			out = append(out, filepath.ToSlash(rel))
		case st.Link != "":
			out = append(out, filepath.ToSlash(rel)+" -> "+st.Link)
		}
	}
	slices.Sort(out)
	return out
}

// images returns the content hashes of the image files under root (reports,
// journal and hidden files excluded), as a multiset.
func images(t testing.TB, root string) map[string]int {
	t.Helper()
	set := map[string]int{}
	for rel, st := range snapshot(t, root) {
		name := filepath.Base(rel)
		if !st.Mode.IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".txt") ||
			strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".html") {
			continue
		}
		set[st.Sum]++
	}
	return set
}

var elapsedRE = regexp.MustCompile(`in [0-9.]+(ms|s|m[0-9.]*s|µs|ns) \([0-9.]+ images/s\)`)

// placeholders replaces machine paths and timings, for golden files.
func placeholders(s string, paths map[string]string) string {
	type kv struct{ k, v string }
	var list []kv
	for k, v := range paths {
		list = append(list, kv{k, v})
	}
	slices.SortFunc(list, func(a, b kv) int { return len(b.k) - len(a.k) }) // longest first
	for _, p := range list {
		s = strings.ReplaceAll(s, p.k, p.v)
	}
	return elapsedRE.ReplaceAllString(s, "in $$ELAPSED ($$RATE images/s)")
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// --- child process -------------------------------------------------------

// childSpec is what the parent test passes to a child process (as JSON in SORTER_TEST_SPEC).
type childSpec struct {
	Source, Destination, CachePath string
	Labels                         []string
	Operation                      Operation
	BatchSize                      int
	Resume                         bool
	Delay                          time.Duration // per EmbedImages call
	KillAt                         string        // "point:n": SIGKILL itself at the n-th crashPoint(point)
}

func TestMain(m *testing.M) {
	switch os.Getenv("SORTER_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "sort":
		os.Exit(childSort())
	case "holdcache":
		os.Exit(childHoldCache())
	}
	os.Exit(2)
}

func childSort() int {
	var spec childSpec
	if err := json.Unmarshal([]byte(os.Getenv("SORTER_TEST_SPEC")), &spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if spec.KillAt != "" {
		point, nth, _ := strings.Cut(spec.KillAt, ":")
		n, _ := strconv.Atoi(nth)
		seen := 0
		crashHook = func(p string) {
			if p == point {
				if seen++; seen == n {
					killSelf()
					time.Sleep(time.Minute)
				}
			}
		}
	}
	o := DefaultOptions()
	o.Source, o.Destination, o.CachePath, o.Labels = spec.Source, spec.Destination, spec.CachePath, spec.Labels
	o.Operation, o.BatchSize, o.Resume, o.Workers = spec.Operation, spec.BatchSize, spec.Resume, 2
	o.Progress = func(p Progress) { fmt.Printf("progress %d/%d\n", p.Done, p.Total) }
	m := newFake()
	m.embedDelay = spec.Delay
	if _, err := Run(context.Background(), m, o); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	fmt.Println("done")
	return 0
}

// childHoldCache opens the cache, says "ready", and holds it until stdin closes.
func childHoldCache() int {
	c, err := openCache(os.Getenv("SORTER_TEST_CACHE"), "fake/v1", time.Second, func(string, ...any) {})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	c.close()
	return 0
}

// startChild runs the test binary as a child in the given mode; its stdout lines arrive on the channel.
func startChild(t *testing.T, mode string, env ...string) (*exec.Cmd, <-chan string, io.WriteCloser) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"SORTER_TEST_CHILD=" + mode}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	})
	return cmd, lines, stdin
}
