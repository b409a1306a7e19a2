package hubtest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	hfhub "github.com/gomlx/go-huggingface/hub"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
)

const fixtureDir = "../../../testdata/fixtures/clip-tiny"

// TestGoHuggingfaceDownloads checks that the fake Hub speaks the protocol go-huggingface's hub
// package uses: it can list and download files from it, directly and through a CDN redirect.
func TestGoHuggingfaceDownloads(t *testing.T) {
	for _, redirect := range []bool{false, true} {
		srv := hubtest.NewServer(t, map[string]string{"org/clip": fixtureDir})
		srv.RedirectLFS(redirect)
		repo := hfhub.New("org/clip").WithEndpoint(srv.URL()).WithCacheDir(t.TempDir())
		repo.Verbosity = 0
		var names []string
		for name, err := range repo.IterFileNames() {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		if len(names) != 9 {
			t.Errorf("listed %v, want the 9 fixture files", names)
		}
		// One file per call: go-huggingface updates its counters from several goroutines
		// without a lock, which -race reports when files download in parallel.
		for _, name := range []string{"config.json", "model.safetensors"} {
			path, err := repo.DownloadFile(name)
			if err != nil {
				t.Fatalf("redirect=%v: %v", redirect, err)
			}
			got, err := os.ReadFile(path)
			want, _ := os.ReadFile(filepath.Join(fixtureDir, name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("redirect=%v: %s differs from the fixture (%v)", redirect, name, err)
			}
		}
		if redirect && srv.Count("GET", "/repos/"+hubtest.SHA256(mustRead(t, "model.safetensors"))) != 1 {
			t.Errorf("model.safetensors not fetched from the CDN: %v", srv.Counts())
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
