package hub

// SigLIP and SigLIP2 checkpoints: their tokenizers are other files than CLIP's (spiece.model,
// tokenizer.json), and their repos hold tokenizer files their loaders do not read.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
)

const (
	siglipFixture  = fixturesDir + "/siglip-tiny"
	siglip2Fixture = fixturesDir + "/siglip2-tiny"
)

func TestPickTokenizer(t *testing.T) {
	for _, tc := range []struct {
		name           string
		have           []string
		files, missing []string
	}{
		{"CLIP, whose repos also hold tokenizer.json", []string{"vocab.json", "merges.txt", "tokenizer.json"},
			[]string{"vocab.json", "merges.txt"}, nil},
		{"SigLIP, whose repos also hold tokenizer.json", []string{"spiece.model", "tokenizer.json"},
			[]string{"spiece.model"}, nil},
		{"SigLIP2, whose tokenizer.model is not read", []string{"tokenizer.json", "tokenizer.model"},
			[]string{"tokenizer.json"}, nil},
		{"a fast tokenizer alone", []string{"tokenizer.json"}, []string{"tokenizer.json"}, nil},
		{"half of CLIP's beside a complete one", []string{"merges.txt", "tokenizer.json"}, []string{"tokenizer.json"}, nil},
		{"half of CLIP's", []string{"vocab.json", "tokenizer.model"}, nil, []string{"merges.txt"}},
		{"SentencePiece source only", []string{"tokenizer.model", "tokenizer_config.json"}, nil, []string{MissingTokenizer}},
		{"nothing", nil, nil, []string{MissingTokenizer}},
	} {
		files, missing := pickTokenizer(func(name string) bool { return slices.Contains(tc.have, name) })
		if !slices.Equal(files, tc.files) || !slices.Equal(missing, tc.missing) {
			t.Errorf("%s: files %v, missing %v; want %v, %v", tc.name, files, missing, tc.files, tc.missing)
		}
	}
}

// TestSigLIPFolders: the fixtures, laid out as google/siglip-base-patch16-224 and
// google/siglip2-base-patch16-224, are complete checkpoint folders.
func TestSigLIPFolders(t *testing.T) {
	cleanEnv(t)
	t.Setenv("HF_ENDPOINT", hubtest.ClosedURL(t))
	for _, dir := range []string{siglipFixture, siglip2Fixture} {
		w, missing, err := checkDir(dir, dir)
		if err != nil || len(missing) > 0 || w != weightFormats[0] {
			t.Errorf("checkDir(%s) = %+v, missing %v, %v", dir, w, missing, err)
		}
		abs, _ := filepath.Abs(dir)
		if cp := resolve(t, dir, Options{}); *cp != (Checkpoint{Dir: abs, ID: abs, Weights: weightFormats[0]}) {
			t.Errorf("Resolve(%s) = %+v", dir, *cp)
		}
	}
}

// copyFiles copies files of the fixture src into a new folder.
func copyFiles(t *testing.T, src string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		mustWrite(t, filepath.Join(dir, f), mustReadFile(filepath.Join(src, f)))
	}
	return dir
}

func TestFolderWithoutTokenizer(t *testing.T) {
	cleanEnv(t)
	// A SigLIP2 folder that lost tokenizer.json: its SentencePiece source is no tokenizer here.
	dir := copyFiles(t, siglip2Fixture, "config.json", "preprocessor_config.json", "model.safetensors",
		"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json")
	e := resolveErr(t, dir, Options{}, ErrMissingFiles)
	if !slices.Equal(e.Missing, []string{MissingTokenizer}) {
		t.Errorf("Missing = %v", e.Missing)
	}
	want := "folder " + dir + " is missing a tokenizer: vocab.json and merges.txt (CLIP), spiece.model (SigLIP) or " +
		"tokenizer.json (SigLIP2); a checkpoint folder holds config.json, preprocessor_config.json, a tokenizer " +
		"and model.safetensors (or pytorch_model.bin, or a sharded index and its shards)"
	if e.Error() != want {
		t.Errorf("error %q\nwant  %q", e, want)
	}

	// Half of CLIP's tokenizer is reported by the file it lacks.
	dir = copyFiles(t, fixtureDir, "config.json", "preprocessor_config.json", "model.safetensors", "vocab.json")
	e = resolveErr(t, dir, Options{}, ErrMissingFiles)
	if !slices.Equal(e.Missing, []string{"merges.txt"}) || !strings.HasPrefix(e.Error(), "folder "+dir+" is missing merges.txt; ") {
		t.Errorf("error %q, Missing %v", e, e.Missing)
	}
}

// TestSigLIP2PythonCache: a cache snapshot_download filled (every file of the repo, tokenizer.model
// and the goldens too) is used as it is; one that lost tokenizer.json is incomplete offline and
// completed with that one file online.
func TestSigLIP2PythonCache(t *testing.T) {
	cleanEnv(t)
	const id = "google/siglip2-base-patch16-224"
	srv := hubtest.NewServer(t, map[string]string{id: siglip2Fixture})
	cache := t.TempDir()
	commit := srv.Commit(id)
	repo := filepath.Join(cache, "models--google--siglip2-base-patch16-224")
	snap := filepath.Join(repo, "snapshots", commit)
	entries, err := os.ReadDir(siglip2Fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data := mustReadFile(filepath.Join(siglip2Fixture, e.Name()))
		mustWrite(t, filepath.Join(repo, "blobs", blobName(e.Name(), data)), data)
		mustMkdir(t, snap)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blobName(e.Name(), data)), filepath.Join(snap, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(repo, "refs", "main"), []byte(commit))

	for _, offline := range []bool{true, false} {
		srv.Reset()
		cp := resolve(t, id, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: offline})
		if cp.Dir != snap || cp.Revision != commit {
			t.Errorf("offline=%v: %+v", offline, *cp)
		}
		if n := srv.FileRequests("GET") + srv.FileRequests("HEAD"); n != 0 {
			t.Errorf("offline=%v: %d file requests with a complete cache: %v", offline, n, srv.Counts())
		}
	}

	if err := os.Remove(filepath.Join(snap, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	e := resolveErr(t, id, Options{CacheDir: cache, Offline: true}, ErrOffline)
	want := "model " + id + " is only partly in the cache at " + cache + ": it lacks a tokenizer: vocab.json and merges.txt (CLIP), " +
		"spiece.model (SigLIP) or tokenizer.json (SigLIP2); run once with internet, not in offline mode, to download it"
	if !slices.Equal(e.Missing, []string{MissingTokenizer}) || e.Error() != want {
		t.Errorf("error %q\nwant  %q\nMissing %v", e, want, e.Missing)
	}
	// Online, only tokenizer.json is asked for (its blob is still there: a HEAD and a link).
	srv.Reset()
	resolve(t, id, Options{CacheDir: cache, Endpoint: srv.URL()})
	var got []string
	for _, r := range srv.Requests() {
		if f, ok := resolvedFile(r); ok {
			got = append(got, r.Method+" "+f)
		}
	}
	if !slices.Equal(got, []string{"HEAD tokenizer.json"}) {
		t.Errorf("completing the cache asked for %v, want tokenizer.json only", got)
	}
	if !isFile(filepath.Join(snap, "tokenizer.json")) {
		t.Errorf("tokenizer.json not back in the snapshot")
	}
}

// siglipPyTorchLayout is google/siglip-base-patch16-224 as it would be with PyTorch weights on
// main and model.safetensors only in the conversion pull request refs/pr/3.
func siglipPyTorchLayout(t *testing.T) hubtest.Layout {
	t.Helper()
	l := *hubtest.LayoutFor("google/siglip-base-patch16-224")
	l.Main = slices.Clone(l.Main)
	l.Main[slices.Index(l.Main, "model.safetensors")] = "pytorch_model.bin"
	slices.Sort(l.Main)
	l.Conversion = []hubtest.ConversionPR{{Num: 3, Commit: "3333333333333333333333333333333333333333"}}
	return l
}

func TestSigLIPConversionPullRequest(t *testing.T) {
	cleanEnv(t)
	l := siglipPyTorchLayout(t)
	srv := hubtest.NewServer(t, nil)
	srv.AddLayout(l, l.Content(fixturesDir))
	cache := t.TempDir()
	cp := resolve(t, l.ID, Options{CacheDir: cache, Endpoint: srv.URL()})
	if cp.Ref != "refs/pr/3" || cp.Revision != l.Conversion[0].Commit || cp.Weights != weightFormats[0] {
		t.Fatalf("Checkpoint %+v, want refs/pr/3's model.safetensors", cp)
	}
	if got := dirNames(t, cp.Dir); !slices.Equal(got, siglipFiles) {
		t.Errorf("PR snapshot holds %v, want %v", got, siglipFiles)
	}
	repo := filepath.Join(cache, "models--google--siglip-base-patch16-224")
	wantMain := slices.DeleteFunc(slices.Clone(siglipFiles), func(f string) bool { return f == "model.safetensors" })
	if got := dirNames(t, filepath.Join(repo, "snapshots", l.MainCommit)); !slices.Equal(got, wantMain) {
		t.Errorf("main snapshot holds %v, want %v", got, wantMain)
	}
	for _, r := range srv.Requests() {
		if f, ok := resolvedFile(r); ok && !slices.Contains(siglipFiles, f) {
			t.Errorf("requested %s %s", r.Method, r.Path)
		}
	}
	srv.Reset()
	off := resolve(t, l.ID, Options{CacheDir: cache, Offline: true})
	if off.Dir != cp.Dir || off.Ref != "refs/pr/3" || srv.Total() != 0 {
		t.Errorf("offline: %+v", off)
	}

	// Python's cache: main's snapshot with the config and tokenizer files transformers read,
	// the PR's with model.safetensors only.
	t.Run("python cache", func(t *testing.T) {
		cache := t.TempDir()
		repo := filepath.Join(cache, "models--google--siglip-base-patch16-224")
		for _, f := range siglipFiles {
			data := mustReadFile(filepath.Join(siglipFixture, f))
			snap := l.MainCommit
			if f == "model.safetensors" {
				snap = l.Conversion[0].Commit
			}
			mustWrite(t, filepath.Join(repo, "blobs", blobName(f, data)), data)
			mustMkdir(t, filepath.Join(repo, "snapshots", snap))
			if err := os.Symlink(filepath.Join("..", "..", "blobs", blobName(f, data)), filepath.Join(repo, "snapshots", snap, f)); err != nil {
				t.Fatal(err)
			}
		}
		mustWrite(t, filepath.Join(repo, "refs", "main"), []byte(l.MainCommit))
		mustWrite(t, filepath.Join(repo, "refs", "refs", "pr", "3"), []byte(l.Conversion[0].Commit))
		cp := resolve(t, l.ID, Options{CacheDir: cache, Offline: true})
		if cp.Ref != "refs/pr/3" || cp.Weights != weightFormats[0] {
			t.Errorf("offline: %+v", cp)
		}
		if got := dirNames(t, cp.Dir); !slices.Equal(got, siglipFiles) {
			t.Errorf("PR snapshot holds %v after filling it from main, want %v", got, siglipFiles)
		}
	})
}
