package hub

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
)

const (
	binFixtureDir = "../../testdata/fixtures/clip-tiny-bin"
	openaiID      = "openai/clip-vit-base-patch32"
	openaiFolder  = "models--openai--clip-vit-base-patch32"
	// openaiPRCommit is the real commit of refs/pr/15 of openai/clip-vit-base-patch32.
	openaiPRCommit = "b33cedfd0df4e43b8238760678fcc89e1a0d38b3"
)

// binRepo writes a repo folder laid out as openai/clip-vit-base-patch32's main branch: PyTorch,
// TensorFlow and Flax weights, no model.safetensors.
func binRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config.json", "merges.txt", "preprocessor_config.json", "pytorch_model.bin",
		"special_tokens_map.json", "tokenizer_config.json", "vocab.json"} {
		b, err := os.ReadFile(filepath.Join(binFixtureDir, f))
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, f), b)
	}
	for _, f := range []string{".gitattributes", "README.md", "tokenizer.json", "tf_model.h5", "flax_model.msgpack"} {
		mustWrite(t, filepath.Join(dir, f), []byte(f+" of the test repo\n"))
	}
	return dir
}

// conversionPR is the pull request SFconvertbot opened on the repo.
func conversionPR(num int, commit string) hubtest.Discussion {
	return hubtest.Discussion{Num: num, Title: hubtest.ConversionTitle, Author: hubtest.ConversionBot,
		IsPullRequest: true, Commit: commit,
		Add: map[string][]byte{"model.safetensors": mustReadFile(filepath.Join(fixtureDir, "model.safetensors"))}}
}

func mustReadFile(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
}

// openaiServer serves openai/clip-vit-base-patch32 as the Hub has it: main without safetensors,
// the conversion pull request refs/pr/15 with them, and other discussions around it.
func openaiServer(t *testing.T) *hubtest.Server {
	t.Helper()
	srv := hubtest.NewServer(t, map[string]string{openaiID: binRepo(t)})
	srv.AddDiscussion(openaiID, hubtest.Discussion{Num: 3, Title: "How to use for zero-shot?", Author: "someone"})
	srv.AddDiscussion(openaiID, hubtest.Discussion{Num: 9, Title: hubtest.ConversionTitle, Author: "not-the-bot",
		IsPullRequest: true, Add: map[string][]byte{"model.safetensors": []byte("weights from a stranger")}})
	srv.AddDiscussion(openaiID, hubtest.Discussion{Num: 12, Title: "Update README.md", Author: "someone", IsPullRequest: true})
	srv.AddDiscussion(openaiID, conversionPR(15, openaiPRCommit))
	srv.AddDiscussion(openaiID, hubtest.Discussion{Num: 20, Title: "Add onnx weights", Author: "someone", IsPullRequest: true, Status: "closed"})
	return srv
}

func TestConversionPullRequest(t *testing.T) {
	cleanEnv(t)
	srv := openaiServer(t)
	cache := t.TempDir()
	o := Options{CacheDir: cache, Endpoint: srv.URL()}
	cp := resolve(t, openaiID, o)

	repo := filepath.Join(cache, openaiFolder)
	wantDir := filepath.Join(repo, "snapshots", openaiPRCommit)
	if cp.Dir != wantDir || cp.Revision != openaiPRCommit || cp.Ref != "refs/pr/15" || cp.Weights != weightFormats[0] {
		t.Errorf("Checkpoint %+v, want Dir %s, Revision %s, Ref refs/pr/15, model.safetensors", cp, wantDir, openaiPRCommit)
	}
	wantNote := "openai/clip-vit-base-patch32 has no model.safetensors on main: using model.safetensors from the Hub's safetensors conversion pull request refs/pr/15 (commit b33cedfd0df4)"
	if cp.Note != wantNote {
		t.Errorf("Note %q\nwant %q", cp.Note, wantNote)
	}
	// The cache is laid out as huggingface_hub lays out a revision.
	if ref, _ := os.ReadFile(filepath.Join(repo, "refs", "refs", "pr", "15")); string(ref) != openaiPRCommit {
		t.Errorf("refs/refs/pr/15 = %q", ref)
	}
	mainSHA := srv.Commit(openaiID)
	if ref, _ := os.ReadFile(filepath.Join(repo, "refs", "main")); string(ref) != mainSHA {
		t.Errorf("refs/main = %q, want %s", ref, mainSHA)
	}
	if got := dirNames(t, wantDir); !slices.Equal(got, wantFiles) {
		t.Errorf("PR snapshot holds %v, want %v", got, wantFiles)
	}
	wantMain := slices.DeleteFunc(slices.Clone(wantFiles), func(f string) bool { return f == "model.safetensors" })
	if got := dirNames(t, filepath.Join(repo, "snapshots", mainSHA)); !slices.Equal(got, wantMain) {
		t.Errorf("main snapshot holds %v, want %v", got, wantMain)
	}
	target, _ := os.Readlink(filepath.Join(wantDir, "model.safetensors"))
	if want := filepath.Join("..", "..", "blobs", hubtest.SHA256(readFixture(t, "model.safetensors"))); target != want {
		t.Errorf("model.safetensors -> %s, want %s", target, want)
	}
	// Neither the PyTorch weights nor the stranger's PR were downloaded.
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/pytorch_model.bin") || strings.Contains(r.Path, "refs/pr/9") || strings.Contains(r.Path, "refs%2Fpr%2F9") {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}

	t.Run("second run downloads nothing", func(t *testing.T) {
		srv.Reset()
		cp2 := resolve(t, openaiID, o)
		if cp2.Dir != cp.Dir || srv.FileRequests("GET") != 0 {
			t.Errorf("Dir %s, %d file GETs", cp2.Dir, srv.FileRequests("GET"))
		}
	})
	t.Run("offline", func(t *testing.T) {
		srv.Reset()
		cp2 := resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: true})
		if cp2.Dir != cp.Dir || cp2.Ref != "refs/pr/15" || cp2.Revision != openaiPRCommit || srv.Total() != 0 {
			t.Errorf("offline: %+v, %d requests", cp2, srv.Total())
		}
	})
	t.Run("explicit revision", func(t *testing.T) {
		srv.Reset()
		cp2 := resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL(), Revision: "refs/pr/15"})
		if cp2.Dir != cp.Dir || cp2.Note != "" || srv.FileRequests("GET") != 0 {
			t.Errorf("--revision refs/pr/15: %+v, %d file GETs", cp2, srv.FileRequests("GET"))
		}
		if n := srv.Count("GET", "/api/models/"+openaiID+"/revision/refs/pr/15"); n != 1 {
			t.Errorf("%d model-info requests for refs/pr/15: %v", n, srv.Counts())
		}
	})
}

// TestConversionPythonCache: transformers reads the config from main and only model.safetensors
// from refs/pr/15, so Python's cache has the PR's snapshot with that one file. It is reused.
func TestConversionPythonCache(t *testing.T) {
	cleanEnv(t)
	srv := openaiServer(t)
	cache := t.TempDir()
	repo := filepath.Join(cache, openaiFolder)
	mainSHA := srv.Commit(openaiID)
	for _, f := range wantFiles {
		data := readFixture(t, f)
		blob := filepath.Join(repo, "blobs", blobName(f, data))
		mustWrite(t, blob, data)
		snap := mainSHA
		if f == "model.safetensors" {
			snap = openaiPRCommit
		}
		mustMkdir(t, filepath.Join(repo, "snapshots", snap))
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blobName(f, data)), filepath.Join(repo, "snapshots", snap, f)); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(repo, "refs", "main"), []byte(mainSHA))
	mustWrite(t, filepath.Join(repo, "refs", "refs", "pr", "15"), []byte(openaiPRCommit))

	cp := resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: true})
	if cp.Revision != openaiPRCommit || cp.Ref != "refs/pr/15" {
		t.Errorf("offline: %+v", cp)
	}
	if _, missing, err := checkDir(cp.Dir, openaiID); err != nil || len(missing) > 0 {
		t.Errorf("offline checkpoint %s incomplete: %v %v", cp.Dir, missing, err)
	}
	srv.Reset()
	cp = resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL()})
	if cp.Revision != openaiPRCommit || srv.FileRequests("GET") != 0 {
		t.Errorf("online: %+v after %d file GETs", cp, srv.FileRequests("GET"))
	}
}

func TestPyTorchOnlyWithoutPullRequest(t *testing.T) {
	cleanEnv(t)
	srv := hubtest.NewServer(t, map[string]string{"someone/clip-ft": binRepo(t)})
	cache := t.TempDir()
	cp := resolve(t, "someone/clip-ft", Options{CacheDir: cache, Endpoint: srv.URL()})
	if cp.Weights != (Weights{File: "pytorch_model.bin", PyTorch: true}) || cp.Ref != "" || cp.Revision != srv.Commit("someone/clip-ft") {
		t.Errorf("Checkpoint %+v", cp)
	}
	want := "someone/clip-ft has no model.safetensors (and no safetensors conversion pull request): reading its pytorch_model.bin with the safe loader, which never runs code from the file"
	if cp.Note != want {
		t.Errorf("Note %q\nwant %q", cp.Note, want)
	}
	if got := dirNames(t, cp.Dir); !slices.Contains(got, "pytorch_model.bin") || slices.Contains(got, "tf_model.h5") {
		t.Errorf("snapshot holds %v", got)
	}

	t.Run("offline", func(t *testing.T) {
		cp2 := resolve(t, "someone/clip-ft", Options{CacheDir: cache, Offline: true})
		if cp2.Dir != cp.Dir || !cp2.Weights.PyTorch {
			t.Errorf("offline: %+v", cp2)
		}
	})
	t.Run("a complete PyTorch copy in the cache is used as it is", func(t *testing.T) {
		srv.Reset()
		cp2 := resolve(t, "someone/clip-ft", Options{CacheDir: cache, Endpoint: srv.URL()})
		if cp2.Dir != cp.Dir || srv.Total() != 1 {
			t.Errorf("%+v after requests %v; want only the model info", cp2, srv.Counts())
		}
	})
}

func TestConversionPullRequestNotUsed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(srv *hubtest.Server, id string)
		why   string
	}{
		{"stale: main's config changed since", func(srv *hubtest.Server, id string) {
			srv.AddDiscussion(id, conversionPR(4, ""))
			cfg := strings.Replace(string(readFixture(t, "config.json")), "{", "{\n  \"_comment\": \"edited\",", 1)
			srv.SetFile(id, "config.json", []byte(cfg))
		}, "its conversion pull request refs/pr/4 is out of date: its config.json differs from main's"},
		{"stale: main's weights changed since", func(srv *hubtest.Server, id string) {
			srv.AddDiscussion(id, conversionPR(4, ""))
			srv.SetFile(id, "pytorch_model.bin", append(mustReadFile(filepath.Join(binFixtureDir, "pytorch_model.bin")), 0))
		}, "its pytorch_model.bin differs from main's"},
		{"closed", func(srv *hubtest.Server, id string) {
			pr := conversionPR(4, "")
			pr.Status = "closed"
			srv.AddDiscussion(id, pr)
		}, "and no safetensors conversion pull request"},
		{"merged", func(srv *hubtest.Server, id string) {
			pr := conversionPR(4, "")
			pr.Status = "merged"
			srv.AddDiscussion(id, pr)
		}, "and no safetensors conversion pull request"},
		{"by another user", func(srv *hubtest.Server, id string) {
			pr := conversionPR(4, "")
			pr.Author = "SFconvertbot-fan"
			srv.AddDiscussion(id, pr)
		}, "and no safetensors conversion pull request"},
		{"a discussion, not a pull request", func(srv *hubtest.Server, id string) {
			srv.AddDiscussion(id, hubtest.Discussion{Num: 4, Title: hubtest.ConversionTitle, Author: hubtest.ConversionBot})
		}, "and no safetensors conversion pull request"},
		{"discussions disabled", func(srv *hubtest.Server, id string) {
			srv.AddDiscussion(id, conversionPR(4, ""))
			srv.DisableDiscussions(id)
		}, "its pull requests could not be listed"},
		{"pull request without safetensors", func(srv *hubtest.Server, id string) {
			pr := conversionPR(4, "")
			pr.Add = map[string][]byte{"model.onnx": []byte("onnx")}
			srv.AddDiscussion(id, pr)
		}, "its conversion pull request refs/pr/4 has no model.safetensors"},
		{"pull request that drops a file", func(srv *hubtest.Server, id string) {
			pr := conversionPR(4, "")
			pr.Remove = []string{"tf_model.h5"}
			srv.AddDiscussion(id, pr)
		}, "its conversion pull request refs/pr/4 is out of date: it lacks main's tf_model.h5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			const id = "org/clip-bin"
			srv := hubtest.NewServer(t, map[string]string{id: binRepo(t)})
			tc.setup(srv, id)
			cp := resolve(t, id, Options{CacheDir: t.TempDir(), Endpoint: srv.URL()})
			if !cp.Weights.PyTorch || cp.Ref != "" || cp.Revision != srv.Commit(id) {
				t.Errorf("Checkpoint %+v, want main's pytorch_model.bin", cp)
			}
			if !strings.Contains(cp.Note, tc.why) || !strings.Contains(cp.Note, "safe loader") {
				t.Errorf("Note %q, want it to say %q", cp.Note, tc.why)
			}
			for _, r := range srv.Requests() {
				if strings.HasSuffix(r.Path, "model.safetensors") && r.Method == "GET" {
					t.Errorf("downloaded %s", r.Path)
				}
			}
		})
	}
}

// TestConversionPullRequestReadmeOnly: main moved past the PR with a README edit only; the
// weights and config are the PR's parents', so it is used (transformers' parent-commit check
// would refuse it).
func TestConversionPullRequestReadmeOnly(t *testing.T) {
	cleanEnv(t)
	const id = "org/clip-bin"
	srv := hubtest.NewServer(t, map[string]string{id: binRepo(t)})
	srv.AddDiscussion(id, conversionPR(7, ""))
	srv.SetFile(id, "README.md", []byte("new model card"))
	cp := resolve(t, id, Options{CacheDir: t.TempDir(), Endpoint: srv.URL()})
	if cp.Ref != "refs/pr/7" || cp.Weights.PyTorch {
		t.Errorf("Checkpoint %+v, want refs/pr/7's model.safetensors", cp)
	}
}

// TestConversionPullRequestOnPageTwo: the Hub lists 50 discussions per page, newest first.
func TestConversionPullRequestOnPageTwo(t *testing.T) {
	cleanEnv(t)
	const id = "org/popular"
	srv := hubtest.NewServer(t, map[string]string{id: binRepo(t)})
	srv.AddDiscussion(id, conversionPR(1, ""))
	for i := 0; i < 60; i++ {
		srv.AddDiscussion(id, hubtest.Discussion{Title: fmt.Sprintf("PR %d", i), Author: "someone", IsPullRequest: true})
	}
	cp := resolve(t, id, Options{CacheDir: t.TempDir(), Endpoint: srv.URL()})
	if cp.Ref != "refs/pr/1" {
		t.Errorf("Checkpoint %+v, want refs/pr/1", cp)
	}
	if n := srv.Count("GET", "/api/models/"+id+"/discussions"); n != 2 {
		t.Errorf("%d discussion pages read, want 2", n)
	}
}

func TestConversionPullRequestGated(t *testing.T) {
	cleanEnv(t)
	const id = "org/gated-clip"
	srv := hubtest.NewServer(t, map[string]string{id: binRepo(t)})
	srv.AddDiscussion(id, conversionPR(2, ""))
	srv.Gate(id, "hf_secret")
	e := resolveErr(t, id, Options{CacheDir: t.TempDir(), Endpoint: srv.URL()}, ErrUnauthorized)
	if !strings.Contains(e.Error(), "gated") || !strings.Contains(e.Error(), "HF_TOKEN") {
		t.Errorf("error %q", e)
	}
	cp := resolve(t, id, Options{CacheDir: t.TempDir(), Endpoint: srv.URL(), Token: "hf_secret"})
	if cp.Ref != "refs/pr/2" {
		t.Errorf("with token: %+v", cp)
	}
}

// fixturesDir is the repository's testdata/fixtures, whose tiny checkpoints stand in for the
// files of real layouts (hubtest.Layout.Content).
const fixturesDir = "../../testdata/fixtures"

// Files each family's download must produce (a snapshot's exact listing).
var (
	siglipFiles = []string{"config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json",
		"spiece.model", "tokenizer_config.json"}
	siglip2Files = []string{"config.json", "model.safetensors", "preprocessor_config.json", "special_tokens_map.json",
		"tokenizer.json", "tokenizer_config.json"}
	clipPyTorchFiles = []string{"config.json", "merges.txt", "preprocessor_config.json", "pytorch_model.bin",
		"special_tokens_map.json", "tokenizer_config.json", "vocab.json"}
)

// TestRealLayouts resolves every curated model laid out as the Hub has it, with its family's tiny
// fixture as contents: exactly its files are downloaded (one tokenizer: CLIP's vocab.json and
// merges.txt though the repos also hold tokenizer.json; SigLIP's spiece.model though its repos also
// hold tokenizer.json; SigLIP2's tokenizer.json, not tokenizer.model), then it resolves offline
// from the cache without a request.
func TestRealLayouts(t *testing.T) {
	want := map[string]struct {
		ref     string
		pytorch bool
		files   []string
	}{
		"openai/clip-vit-base-patch32":          {ref: "refs/pr/66", files: wantFiles}, // the newest fitting conversion, as transformers picks
		"openai/clip-vit-base-patch16":          {files: wantFiles},
		"openai/clip-vit-large-patch14":         {files: wantFiles},
		"openai/clip-vit-large-patch14-336":     {pytorch: true, files: clipPyTorchFiles},
		"laion/CLIP-ViT-B-32-laion2B-s34B-b79K": {files: wantFiles},
		"geolocal/StreetCLIP":                   {files: wantFiles},
		"google/siglip-base-patch16-224":        {files: siglipFiles},
		"google/siglip-so400m-patch14-384":      {files: siglipFiles},
		"google/siglip2-base-patch16-224":       {files: siglip2Files},
		"google/siglip2-so400m-patch14-384":     {files: siglip2Files},
	}
	for _, l := range hubtest.Layouts {
		t.Run(l.ID, func(t *testing.T) {
			cleanEnv(t)
			w, ok := want[l.ID]
			if !ok {
				t.Fatalf("no expectation for layout %s", l.ID)
			}
			srv := hubtest.NewServer(t, nil)
			content := l.Content(fixturesDir)
			srv.AddLayout(l, content)
			cache := t.TempDir()
			cp := resolve(t, l.ID, Options{CacheDir: cache, Endpoint: srv.URL()})
			if cp.Ref != w.ref || cp.Weights.PyTorch != w.pytorch {
				t.Errorf("Checkpoint %+v; want Ref %q, PyTorch %v", cp, w.ref, w.pytorch)
			}
			if w.ref == "" && cp.Revision != l.MainCommit {
				t.Errorf("Revision %s, want main's %s", cp.Revision, l.MainCommit)
			}
			if got := dirNames(t, cp.Dir); !slices.Equal(got, w.files) {
				t.Errorf("snapshot holds %v, want %v", got, w.files)
			}
			for _, f := range w.files {
				if got, err := os.ReadFile(filepath.Join(cp.Dir, f)); err != nil || !bytes.Equal(got, content(f)) {
					t.Errorf("%s differs from what the Hub serves (%v)", f, err)
				}
			}
			for _, r := range srv.Requests() {
				if file, ok := resolvedFile(r); ok && !slices.Contains(w.files, file) {
					t.Errorf("requested %s %s: not a file of the checkpoint", r.Method, r.Path)
				}
			}

			srv.Reset()
			off := resolve(t, l.ID, Options{CacheDir: cache, Endpoint: srv.URL(), Offline: true})
			if off.Dir != cp.Dir || off.Revision != cp.Revision || off.Ref != cp.Ref || off.Weights != cp.Weights {
				t.Errorf("offline: %+v, want %+v", off, cp)
			}
			if n := srv.Total(); n != 0 {
				t.Errorf("offline: %d requests: %v", n, srv.Counts())
			}
		})
	}
}

// resolvedFile is the file a request for a resolve URL asks for.
func resolvedFile(r hubtest.Request) (string, bool) {
	_, rest, ok := strings.Cut(r.Path, "/resolve/")
	if !ok {
		return "", false
	}
	_, file, ok := strings.Cut(rest, "/")
	return file, ok
}

// TestConversionAlreadyCachedIsPreferred: a cache holding refs/pr/15's weights (as candle's CLIP
// example leaves it) is reused rather than downloading the newer refs/pr/66's (different here).
func TestConversionAlreadyCachedIsPreferred(t *testing.T) {
	cleanEnv(t)
	srv := hubtest.NewServer(t, map[string]string{openaiID: binRepo(t)})
	srv.AddDiscussion(openaiID, conversionPR(15, openaiPRCommit))
	newer := conversionPR(66, "c237dc49a33fc61debc9276459120b7eac67e7ef")
	newer.Add = map[string][]byte{"model.safetensors": mustReadFile("../../testdata/fixtures/clip-tiny-gelu-f16/model.safetensors")}
	srv.AddDiscussion(openaiID, newer)
	cache := t.TempDir()
	cp := resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL(), Revision: "refs/pr/15"})
	if cp.Revision != openaiPRCommit {
		t.Fatalf("refs/pr/15: %+v", cp)
	}
	srv.Reset()
	cp = resolve(t, openaiID, Options{CacheDir: cache, Endpoint: srv.URL()})
	if cp.Ref != "refs/pr/15" || cp.Revision != openaiPRCommit || srv.FileRequests("GET") != 0 {
		t.Errorf("Checkpoint %+v after %d file GETs; want the cached refs/pr/15", cp, srv.FileRequests("GET"))
	}
}
