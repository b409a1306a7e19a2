package hub

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	hfhub "github.com/gomlx/go-huggingface/hub"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
)

const (
	fixtureDir = "../../testdata/fixtures/clip-tiny"
	testID     = "test-org/clip-tiny"
	repoFolder = "models--test-org--clip-tiny"
)

// wantFiles are the files a download of the fixture must produce; golden.json and
// golden.safetensors are in the repo too but must not be downloaded.
var wantFiles = []string{
	"config.json", "merges.txt", "model.safetensors", "preprocessor_config.json",
	"special_tokens_map.json", "tokenizer_config.json", "vocab.json",
}

// cleanEnv points every Hugging Face variable away from the real machine.
func cleanEnv(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "xdg"))
	for _, v := range []string{"HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN",
		"HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} {
		t.Setenv(v, "")
	}
}

func newServer(t *testing.T) *hubtest.Server {
	t.Helper()
	return hubtest.NewServer(t, map[string]string{testID: fixtureDir})
}

func resolve(t *testing.T, model string, o Options) *Checkpoint {
	t.Helper()
	cp, err := Resolve(context.Background(), model, o)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", model, err)
	}
	return cp
}

// resolveErr expects Resolve to fail with kind and returns the *Error.
func resolveErr(t *testing.T, model string, o Options, kind error) *Error {
	t.Helper()
	cp, err := Resolve(context.Background(), model, o)
	if err == nil {
		t.Fatalf("Resolve(%q) = %+v, want an error", model, cp)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("Resolve(%q) error %q is not %v", model, err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Resolve(%q) error %q is not an *Error", model, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error message is not one line: %q", err)
	}
	return e
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobName is the name huggingface_hub gives the file's blob: sha256 for LFS files, git sha1
// for the others.
func blobName(name string, data []byte) string {
	if strings.HasSuffix(name, ".safetensors") {
		return hubtest.SHA256(data)
	}
	return hubtest.GitBlobSHA1(data)
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkLayout checks the cache holds the fixture at commit exactly as huggingface_hub lays it
// out, and nothing half-written.
func checkLayout(t *testing.T, cache, commit string, files []string) {
	t.Helper()
	repo := filepath.Join(cache, repoFolder)
	ref, err := os.ReadFile(filepath.Join(repo, "refs", "main"))
	if err != nil || string(ref) != commit {
		t.Errorf("refs/main = %q, %v; want %q", ref, err, commit)
	}
	snap := filepath.Join(repo, "snapshots", commit)
	if got := dirNames(t, snap); !slices.Equal(got, files) {
		t.Errorf("snapshot holds %v, want %v", got, files)
	}
	for _, f := range files {
		want := readFixture(t, f)
		target, err := os.Readlink(filepath.Join(snap, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if wantTarget := filepath.Join("..", "..", "blobs", blobName(f, want)); target != wantTarget {
			t.Errorf("%s -> %s, want -> %s", f, target, wantTarget)
		}
		got, err := os.ReadFile(filepath.Join(snap, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: content differs from the fixture (%d bytes, want %d; %v)", f, len(got), len(want), err)
		}
	}
	blobs, _ := os.ReadDir(filepath.Join(repo, "blobs"))
	for _, b := range blobs {
		if strings.HasSuffix(b.Name(), ".incomplete") {
			t.Errorf("blobs/%s left behind", b.Name())
		}
	}
	if len(blobs) != len(files) {
		t.Errorf("blobs/ holds %d files, want %d", len(blobs), len(files))
	}
}

func TestDownloadIntoCache(t *testing.T) {
	for _, redirect := range []bool{false, true} {
		name := "direct"
		if redirect {
			name = "redirected-to-cdn"
		}
		t.Run(name, func(t *testing.T) {
			cleanEnv(t)
			srv := newServer(t)
			srv.RedirectLFS(redirect)
			cache := t.TempDir()
			cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL(), Token: "hf_secret"})

			commit := srv.Commit(testID)
			want := Checkpoint{Dir: filepath.Join(cache, repoFolder, "snapshots", commit), ID: testID, Revision: commit, Weights: weightFormats[0]}
			if *cp != want {
				t.Errorf("Resolve = %+v, want %+v", *cp, want)
			}
			checkLayout(t, cache, commit, wantFiles)

			for _, r := range srv.Requests() {
				if strings.Contains(r.Path, "golden") || strings.Contains(r.RawQuery, "golden") {
					t.Errorf("requested %s %s: golden files must not be downloaded", r.Method, r.Path)
				}
				switch r.Server {
				case "hub":
					if r.Authorization != "Bearer hf_secret" {
						t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, r.Authorization)
					}
				case "cdn":
					if r.Authorization != "" {
						t.Errorf("the token leaked to the CDN: %s %s", r.Method, r.Path)
					}
				}
			}
			wantGETs := len(wantFiles)
			if redirect {
				wantGETs++ // model.safetensors: the Hub's 302, then the CDN
			}
			if got := srv.FileRequests("GET"); got != wantGETs {
				t.Errorf("%d file GETs, want %d", got, wantGETs)
			}
			if got := srv.Count("GET", "/api/models/"+testID+"/revision/main"); got != 1 {
				t.Errorf("%d model-info requests, want 1", got)
			}
		})
	}
}

func TestSecondResolveUsesCache(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	o := Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}
	first := resolve(t, testID, o)
	srv.Reset()
	second := resolve(t, testID, o)
	if *first != *second {
		t.Errorf("second Resolve = %+v, first %+v", *second, *first)
	}
	if n := srv.FileRequests("GET") + srv.FileRequests("HEAD"); n != 0 {
		t.Errorf("second Resolve made %d file requests, want 0: %v", n, srv.Counts())
	}
	if n := srv.Total(); n != 1 {
		t.Errorf("second Resolve made %d requests, want 1 (model info): %v", n, srv.Counts())
	}
}

func TestOffline(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	online := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL()})
	srv.Reset()

	t.Run("option", func(t *testing.T) {
		cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: true})
		if *cp != *online {
			t.Errorf("offline Resolve = %+v, want %+v", *cp, *online)
		}
	})
	t.Run("HF_HUB_OFFLINE", func(t *testing.T) {
		t.Setenv("HF_HUB_OFFLINE", "1")
		cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL()})
		if *cp != *online {
			t.Errorf("offline Resolve = %+v, want %+v", *cp, *online)
		}
	})
	t.Run("not cached", func(t *testing.T) {
		t.Setenv("HF_HUB_OFFLINE", "true")
		empty := t.TempDir()
		e := resolveErr(t, testID, Options{CacheDir: empty, Endpoint: srv.URL()}, ErrOffline)
		want := "model test-org/clip-tiny is not in the cache at " + empty + "; run once with internet"
		if !strings.HasPrefix(e.Error(), want) {
			t.Errorf("error %q\nwant prefix %q", e, want)
		}
	})
	t.Run("partly cached", func(t *testing.T) {
		if err := os.Remove(filepath.Join(online.Dir, "vocab.json")); err != nil {
			t.Fatal(err)
		}
		e := resolveErr(t, testID, Options{CacheDir: cache, Offline: true}, ErrOffline)
		if !slices.Equal(e.Missing, []string{"vocab.json"}) || !strings.Contains(e.Error(), "only partly in the cache") {
			t.Errorf("error %q, Missing %v", e, e.Missing)
		}
	})
	if n := srv.Total(); n != 0 {
		t.Errorf("offline Resolve made %d requests: %v", n, srv.Counts())
	}
}

// TestReusesPythonCache lays out a cache the way huggingface_hub's snapshot_download leaves it
// and checks that it is used without downloading.
func TestReusesPythonCache(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	commit := srv.Commit(testID)
	repo := filepath.Join(cache, repoFolder)
	// snapshot_download fetches every file of the repo, golden files included.
	entries, _ := os.ReadDir(fixtureDir)
	for _, e := range entries {
		data := readFixture(t, e.Name())
		blob := blobName(e.Name(), data)
		mustWrite(t, filepath.Join(repo, "blobs", blob), data)
		mustMkdir(t, filepath.Join(repo, "snapshots", commit))
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(repo, "snapshots", commit, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(repo, "refs", "main"), []byte(commit))
	mustMkdir(t, filepath.Join(cache, ".locks", repoFolder))

	cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL()})
	if cp.Dir != filepath.Join(repo, "snapshots", commit) || cp.Revision != commit {
		t.Errorf("Resolve = %+v", *cp)
	}
	if n := srv.FileRequests("GET") + srv.FileRequests("HEAD"); n != 0 {
		t.Errorf("%d file requests with a complete Python cache, want 0: %v", n, srv.Counts())
	}
	srv.Reset()
	resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: true})
	if n := srv.Total(); n != 0 {
		t.Errorf("offline: %d requests, want 0", n)
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	o := Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}
	e := resolveErr(t, "nobody/nothing", o, ErrNotFound)
	want := "model nobody/nothing not found on the Hugging Face Hub; check the spelling, e.g. openai/clip-vit-base-patch32"
	if e.Error() != want {
		t.Errorf("error %q\nwant  %q", e, want)
	}

	o.Revision = "v9"
	e = resolveErr(t, testID, o, ErrNotFound)
	if !strings.Contains(e.Error(), `revision "v9" of model test-org/clip-tiny not found`) {
		t.Errorf("error %q", e)
	}

	o.Revision = "../../../etc"
	resolveErr(t, testID, o, ErrNotFound)
}

func TestGated(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	srv.Gate(testID, "hf_good")
	base := Options{Endpoint: srv.URL()}

	t.Run("no token", func(t *testing.T) {
		o := base
		o.CacheDir = t.TempDir()
		e := resolveErr(t, testID, o, ErrUnauthorized)
		if !strings.Contains(e.Error(), "is gated") || !strings.Contains(e.Error(), "set HF_TOKEN") {
			t.Errorf("error %q", e)
		}
		if entries, _ := os.ReadDir(filepath.Join(o.CacheDir, repoFolder, "snapshots")); len(entries) > 0 {
			snap, _ := os.ReadDir(filepath.Join(o.CacheDir, repoFolder, "snapshots", entries[0].Name()))
			if len(snap) > 0 {
				t.Errorf("files in the snapshot after a refused download: %v", snap)
			}
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		o := base
		o.CacheDir, o.Token = t.TempDir(), "hf_bad"
		e := resolveErr(t, testID, o, ErrUnauthorized)
		if !strings.Contains(e.Error(), "has no access") {
			t.Errorf("error %q", e)
		}
	})
	check := func(t *testing.T, o Options) {
		t.Helper()
		srv.Reset()
		o.CacheDir = t.TempDir()
		resolve(t, testID, o)
		for _, r := range srv.Requests() {
			if r.Authorization != "Bearer hf_good" {
				t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, r.Authorization)
			}
		}
	}
	t.Run("Options.Token", func(t *testing.T) {
		o := base
		o.Token = "hf_good"
		check(t, o)
	})
	t.Run("HF_TOKEN", func(t *testing.T) {
		t.Setenv("HF_TOKEN", "hf_good")
		check(t, base)
	})
	t.Run("token file in HF_HOME", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HF_HOME", home)
		mustWrite(t, filepath.Join(home, "token"), []byte("hf_good\n"))
		check(t, base)
	})
}

func TestPrivate(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	srv.MakePrivate(testID, "hf_good")
	o := Options{Endpoint: srv.URL(), CacheDir: t.TempDir()}
	// The Hub answers 401 RepoNotFound for a private repo and for a missing one alike.
	e := resolveErr(t, testID, o, ErrNotFound)
	if !strings.Contains(e.Error(), "not found on the Hugging Face Hub") || !strings.Contains(e.Error(), "private model, set HF_TOKEN") {
		t.Errorf("error %q", e)
	}
	o.Token = "hf_good"
	resolve(t, testID, o)
}

func TestDroppedConnection(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	o := Options{CacheDir: cache, Endpoint: srv.URL()}
	const cut = 1 << 20
	srv.DropAfter(testID, "model.safetensors", cut)

	e := resolveErr(t, testID, o, ErrInterrupted)
	if e.File != "model.safetensors" || !strings.Contains(e.Error(), "run again") {
		t.Errorf("error %q (file %q)", e, e.File)
	}
	weights := readFixture(t, "model.safetensors")
	commit := srv.Commit(testID)
	repo := filepath.Join(cache, repoFolder)
	blob := filepath.Join(repo, "blobs", hubtest.SHA256(weights))
	if _, err := os.Lstat(filepath.Join(repo, "snapshots", commit, "model.safetensors")); !os.IsNotExist(err) {
		t.Errorf("snapshot has model.safetensors after an interrupted download (%v)", err)
	}
	if _, err := os.Lstat(blob); !os.IsNotExist(err) {
		t.Errorf("blob exists under its final name after an interrupted download (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(repo, "refs", "main")); !os.IsNotExist(err) {
		t.Errorf("refs/main written before the snapshot was complete (%v)", err)
	}
	// The part received stays under Python's name for an unfinished blob, to be resumed.
	part, err := os.ReadFile(blob + ".incomplete")
	if err != nil || len(part) != cut || !bytes.Equal(part, weights[:cut]) {
		t.Errorf("blob.incomplete: %d bytes, %v; want the first %d bytes", len(part), err, cut)
	}
	e = resolveErr(t, testID, Options{CacheDir: cache, Offline: true}, ErrOffline)
	if !strings.Contains(e.Error(), "not in the cache") {
		t.Errorf("offline after an interrupted download: %q", e)
	}

	srv.Reset()
	resolve(t, testID, o)
	checkLayout(t, cache, commit, wantFiles)
	var ranges []string
	for _, r := range srv.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/model.safetensors") {
			ranges = append(ranges, r.Range)
		}
	}
	if !slices.Equal(ranges, []string{"bytes=1048576-"}) {
		t.Errorf("rerun fetched model.safetensors with Range %q, want one request resuming at %d", ranges, cut)
	}
}

func TestStalledDownload(t *testing.T) {
	cleanEnv(t)
	old := stallTimeout
	stallTimeout = 300 * time.Millisecond
	t.Cleanup(func() { stallTimeout = old })
	srv := newServer(t)
	srv.StallAfter(testID, "model.safetensors", 4096)
	o := Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}
	start := time.Now()
	e := resolveErr(t, testID, o, ErrInterrupted)
	if !strings.Contains(e.Error(), "no data for 300ms") {
		t.Errorf("error %q", e)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to notice the stall", d)
	}
	resolve(t, testID, o)
}

// TestCorruptPartialIsDiscarded: a leftover .incomplete whose bytes are wrong is caught by the
// sha256 check, deleted, and the next run downloads the file anew.
func TestCorruptPartialIsDiscarded(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	weights := readFixture(t, "model.safetensors")
	part := filepath.Join(cache, repoFolder, "blobs", hubtest.SHA256(weights)+".incomplete")
	mustWrite(t, part, bytes.Repeat([]byte{7}, len(weights)-10))
	o := Options{CacheDir: cache, Endpoint: srv.URL()}

	e := resolveErr(t, testID, o, ErrInterrupted)
	if !strings.Contains(e.Error(), "arrived corrupted") {
		t.Errorf("error %q", e)
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf("corrupt .incomplete kept (%v)", err)
	}
	resolve(t, testID, o)
	checkLayout(t, cache, srv.Commit(testID), wantFiles)
}

func TestEnvironment(t *testing.T) {
	t.Run("HF_HUB_CACHE and HF_ENDPOINT", func(t *testing.T) {
		cleanEnv(t)
		srv := newServer(t)
		cache := t.TempDir()
		t.Setenv("HF_HUB_CACHE", cache)
		t.Setenv("HF_HOME", t.TempDir()) // HF_HUB_CACHE wins
		t.Setenv("HF_ENDPOINT", srv.URL()+"/")
		cp := resolve(t, testID, Options{})
		if want := filepath.Join(cache, repoFolder, "snapshots", srv.Commit(testID)); cp.Dir != want {
			t.Errorf("Dir = %s, want %s", cp.Dir, want)
		}
	})
	t.Run("HF_HOME", func(t *testing.T) {
		cleanEnv(t)
		srv := newServer(t)
		home := t.TempDir()
		t.Setenv("HF_HOME", home)
		cp := resolve(t, testID, Options{Endpoint: srv.URL()})
		if want := filepath.Join(home, "hub", repoFolder, "snapshots", srv.Commit(testID)); cp.Dir != want {
			t.Errorf("Dir = %s, want %s", cp.Dir, want)
		}
	})
	t.Run("default ~/.cache/huggingface/hub", func(t *testing.T) {
		cleanEnv(t)
		t.Setenv("XDG_CACHE_HOME", "")
		srv := newServer(t)
		cp := resolve(t, testID, Options{Endpoint: srv.URL()})
		home, _ := os.UserHomeDir()
		if want := filepath.Join(home, ".cache", "huggingface", "hub", repoFolder); !strings.HasPrefix(cp.Dir, want) {
			t.Errorf("Dir = %s, want under %s", cp.Dir, want)
		}
	})
}

func TestLocalFolder(t *testing.T) {
	cleanEnv(t)
	t.Setenv("HF_ENDPOINT", hubtest.ClosedURL(t)) // a folder never needs the network
	abs, _ := filepath.Abs(fixtureDir)
	cp := resolve(t, fixtureDir, Options{})
	if *cp != (Checkpoint{Dir: abs, ID: abs, Weights: Weights{File: "model.safetensors"}}) {
		t.Errorf("Resolve = %+v, want Dir and ID %s", *cp, abs)
	}

	t.Run("tilde", func(t *testing.T) {
		home, _ := os.UserHomeDir()
		dir := filepath.Join(home, "ckpt")
		mustMkdir(t, dir)
		for _, f := range wantFiles {
			mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
		}
		if cp := resolve(t, "~/ckpt", Options{}); cp.Dir != dir {
			t.Errorf("Dir = %s, want %s", cp.Dir, dir)
		}
	})
	t.Run("missing files", func(t *testing.T) {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "config.json"), readFixture(t, "config.json"))
		e := resolveErr(t, dir, Options{}, ErrMissingFiles)
		want := []string{"preprocessor_config.json", MissingTokenizer, "model.safetensors"}
		if !slices.Equal(e.Missing, want) {
			t.Errorf("Missing = %v, want %v", e.Missing, want)
		}
		wantMsg := "folder " + dir + " is missing preprocessor_config.json, model.safetensors and a tokenizer: " +
			"vocab.json and merges.txt (CLIP), spiece.model (SigLIP) or tokenizer.json (SigLIP2); " +
			"a checkpoint folder holds config.json, preprocessor_config.json, a tokenizer and model.safetensors " +
			"(or pytorch_model.bin, or a sharded index and its shards)"
		if e.Error() != wantMsg {
			t.Errorf("error %q\nwant  %q", e, wantMsg)
		}
	})
	t.Run("missing shard", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"} {
			mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
		}
		mustWrite(t, filepath.Join(dir, indexFile), []byte(`{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`))
		mustWrite(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), []byte("x"))
		e := resolveErr(t, dir, Options{}, ErrMissingFiles)
		if !slices.Equal(e.Missing, []string{"model-00002-of-00002.safetensors"}) {
			t.Errorf("Missing = %v", e.Missing)
		}
	})
	t.Run("only pytorch weights", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"} {
			mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
		}
		mustWrite(t, filepath.Join(dir, "pytorch_model.bin"), []byte("pickle"))
		cp := resolve(t, dir, Options{})
		if cp.Weights != (Weights{File: "pytorch_model.bin", PyTorch: true}) || !strings.Contains(cp.Note, "safe loader") {
			t.Errorf("Weights %+v, Note %q", cp.Weights, cp.Note)
		}
		// safetensors are preferred whenever both exist
		mustWrite(t, filepath.Join(dir, "model.safetensors"), []byte("st"))
		if cp := resolve(t, dir, Options{}); cp.Weights.File != "model.safetensors" || cp.Note != "" {
			t.Errorf("with both: Weights %+v, Note %q", cp.Weights, cp.Note)
		}
	})
	t.Run("only tensorflow and flax weights", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"} {
			mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
		}
		mustWrite(t, filepath.Join(dir, "tf_model.h5"), []byte("h5"))
		mustWrite(t, filepath.Join(dir, "flax_model.msgpack"), []byte("msgpack"))
		e := resolveErr(t, dir, Options{}, ErrNoWeights)
		if !strings.Contains(e.Error(), "only as tf_model.h5 and flax_model.msgpack, which this tool does not read") {
			t.Errorf("error %q", e)
		}
	})
	t.Run("a file", func(t *testing.T) {
		e := resolveErr(t, filepath.Join(fixtureDir, "config.json"), Options{}, ErrNotFound)
		if !strings.Contains(e.Error(), "is a file, not a folder") {
			t.Errorf("error %q", e)
		}
	})
}

func TestPathThatDoesNotExist(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	for _, model := range []string{"./nope", "../nope", "/no/such/dir", "~/nope", "a/b/c", `C:\models\clip`, "models\\clip", "clip/"} {
		e := resolveErr(t, model, Options{Endpoint: srv.URL(), CacheDir: t.TempDir()}, ErrNotFound)
		if !strings.HasPrefix(e.Error(), "folder "+model+" does not exist; check the path") {
			t.Errorf("%q: error %q", model, e)
		}
	}
	for _, model := range []string{"", "has space/x", "a--b/c", "a/b..c"} {
		resolveErr(t, model, Options{Endpoint: srv.URL(), CacheDir: t.TempDir()}, ErrNotFound)
	}
	if n := srv.Total(); n != 0 {
		t.Errorf("%d requests for paths", n)
	}
}

func TestUnreachable(t *testing.T) {
	cleanEnv(t)
	url := hubtest.ClosedURL(t)
	start := time.Now()
	e := resolveErr(t, testID, Options{CacheDir: t.TempDir(), Endpoint: url}, ErrNoNetwork)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to fail", d)
	}
	host := strings.TrimPrefix(url, "http://")
	if !strings.HasPrefix(e.Error(), "could not reach "+host+": ") ||
		!strings.HasSuffix(e.Error(), "; connect to the internet, or set HF_HUB_OFFLINE=1 to use models already downloaded") {
		t.Errorf("error %q", e)
	}
}

// TestUnreachableUsesCache: with no network, a model already cached is used, as
// huggingface_hub does, and the reason is reported.
func TestUnreachableUsesCache(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	online := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL()})
	cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: hubtest.ClosedURL(t)})
	if cp.Dir != online.Dir || cp.Revision != online.Revision || !errors.Is(cp.CacheFallback, ErrNoNetwork) {
		t.Errorf("Resolve = %+v, want %+v with CacheFallback ErrNoNetwork", *cp, *online)
	}
}

func TestCommitRevisionNeedsNoNetwork(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	commit := srv.Commit(testID)
	resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL(), Revision: commit})
	srv.Reset()
	cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL(), Revision: commit})
	if cp.Revision != commit || srv.Total() != 0 {
		t.Errorf("Resolve = %+v after %d requests; want revision %s and no request", *cp, srv.Total(), commit)
	}
}

// TestNewCommitReusesBlobs: when main moves to a commit with the same files, a new snapshot is
// made from the blobs already there: HEAD requests only, no download.
func TestNewCommitReusesBlobs(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	o := Options{CacheDir: cache, Endpoint: srv.URL()}
	resolve(t, testID, o)
	commit := srv.NewCommit(testID)
	srv.Reset()
	cp := resolve(t, testID, o)
	if cp.Revision != commit {
		t.Errorf("Revision = %s, want %s", cp.Revision, commit)
	}
	if n := srv.FileRequests("GET"); n != 0 {
		t.Errorf("%d file GETs, want 0", n)
	}
	if n := srv.FileRequests("HEAD"); n != len(wantFiles) {
		t.Errorf("%d file HEADs, want %d", n, len(wantFiles))
	}
	checkLayout(t, cache, commit, wantFiles)
}

func TestShardedWeights(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt", "tokenizer_config.json"} {
		mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
	}
	weights := readFixture(t, "model.safetensors")
	mustWrite(t, filepath.Join(dir, "model-00001-of-00002.safetensors"), weights[:len(weights)/2])
	mustWrite(t, filepath.Join(dir, "model-00002-of-00002.safetensors"), weights[len(weights)/2:])
	mustWrite(t, filepath.Join(dir, indexFile), []byte(`{"metadata":{"total_size":1},"weight_map":{
		"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}`))
	mustWrite(t, filepath.Join(dir, "pytorch_model.bin"), []byte("not to be downloaded"))
	srv := hubtest.NewServer(t, map[string]string{"big/clip": dir})

	cp := resolve(t, "big/clip", Options{CacheDir: t.TempDir(), Endpoint: srv.URL()})
	got := dirNames(t, cp.Dir)
	want := []string{"config.json", "merges.txt", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
		indexFile, "preprocessor_config.json", "tokenizer_config.json", "vocab.json"}
	if !slices.Equal(got, want) {
		t.Errorf("snapshot holds %v, want %v", got, want)
	}
}

func TestOnlyTensorFlowWeights(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"} {
		mustWrite(t, filepath.Join(dir, f), readFixture(t, f))
	}
	mustWrite(t, filepath.Join(dir, "tf_model.h5"), []byte("h5"))
	srv := hubtest.NewServer(t, map[string]string{"openai/xyz": dir})
	e := resolveErr(t, "openai/xyz", Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}, ErrNoWeights)
	want := "openai/xyz has its weights only as tf_model.h5, which this tool does not read; pick a checkpoint in Hugging Face transformers format"
	if !strings.HasPrefix(e.Error(), want) {
		t.Errorf("error %q\nwant  %q", e, want)
	}
	if n := srv.FileRequests("GET") + srv.FileRequests("HEAD"); n != 0 {
		t.Errorf("%d file requests before refusing", n)
	}
}

func TestNotACLIPCheckpoint(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "config.json"), []byte("{}"))
	mustWrite(t, filepath.Join(dir, "model.safetensors"), []byte("x"))
	srv := hubtest.NewServer(t, map[string]string{"someone/bert": dir})
	e := resolveErr(t, "someone/bert", Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}, ErrMissingFiles)
	if !slices.Equal(e.Missing, []string{"preprocessor_config.json", MissingTokenizer}) ||
		!strings.Contains(e.Error(), "lacks preprocessor_config.json and a tokenizer: vocab.json and merges.txt (CLIP), spiece.model (SigLIP) or tokenizer.json (SigLIP2); ") ||
		!strings.Contains(e.Error(), "not a CLIP or SigLIP checkpoint") {
		t.Errorf("error %q, Missing %v", e, e.Missing)
	}
}

func TestProgress(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	type call struct {
		file        string
		done, total int64
	}
	var calls []call
	o := Options{CacheDir: t.TempDir(), Endpoint: srv.URL(), Progress: func(file string, done, total int64) {
		calls = append(calls, call{file, done, total})
	}}
	resolve(t, testID, o)
	size := int64(len(readFixture(t, "model.safetensors")))
	var w []call
	for _, c := range calls {
		if c.file == "model.safetensors" {
			w = append(w, c)
		}
	}
	if len(w) < 2 || w[0] != (call{"model.safetensors", 0, size}) || w[len(w)-1] != (call{"model.safetensors", size, size}) {
		t.Fatalf("progress for model.safetensors: %v", w)
	}
	for i := 1; i < len(w); i++ {
		if w[i].done < w[i-1].done {
			t.Errorf("progress went back: %v", w)
		}
	}
	calls = nil
	resolve(t, testID, o)
	if len(calls) != 0 {
		t.Errorf("progress reported for cached files: %v", calls)
	}
}

func TestCancelled(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Resolve(ctx, testID, Options{CacheDir: t.TempDir(), Endpoint: srv.URL()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestLooksLikePathAndRepoID(t *testing.T) {
	for _, tc := range []struct {
		s          string
		path, repo bool
	}{
		{"openai/clip-vit-base-patch32", false, true},
		{"laion/CLIP-ViT-B-32-laion2B-s34B-b79K", false, true},
		{"clip-vit-base-patch32", false, true},
		{"./clip", true, false},
		{"/models/clip", true, false},
		{"~/clip", true, false},
		{"a/b/c", true, false},
		{`models\clip`, true, false},
		{"owner/", true, false},
		{"a--b/c", false, false},
		{"a/b.git", false, false},
		{"-a/b", false, false},
	} {
		if got := looksLikePath(tc.s); got != tc.path {
			t.Errorf("looksLikePath(%q) = %v", tc.s, got)
		}
		if got := validRepoID(tc.s); got != tc.repo {
			t.Errorf("validRepoID(%q) = %v", tc.s, got)
		}
	}
}

func TestNormalizeETag(t *testing.T) {
	for in, want := range map[string]string{
		`"abc123"`:   "abc123",
		`W/"abc123"`: "abc123",
		`abc123`:     "abc123",
		` "a" `:      "a",
	} {
		if got := normalizeETag(in); got != want {
			t.Errorf("normalizeETag(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReusesGoHuggingfaceCache: files go-huggingface downloaded are used without downloading
// them again. (It writes no refs/main, so offline mode finds them only after one online run.)
func TestReusesGoHuggingfaceCache(t *testing.T) {
	cleanEnv(t)
	srv := newServer(t)
	cache := t.TempDir()
	repo := hfhub.New(testID).WithEndpoint(srv.URL()).WithCacheDir(cache)
	repo.Verbosity = 0
	for _, f := range wantFiles { // one at a time: see hubtest's TestGoHuggingfaceDownloads
		if _, err := repo.DownloadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	srv.Reset()
	cp := resolve(t, testID, Options{CacheDir: cache, Endpoint: srv.URL()})
	if n := srv.FileRequests("GET") + srv.FileRequests("HEAD"); n != 0 {
		t.Errorf("%d file requests, want 0: %v", n, srv.Counts())
	}
	if cp.Revision != srv.Commit(testID) {
		t.Errorf("Revision %s, want %s", cp.Revision, srv.Commit(testID))
	}
}
