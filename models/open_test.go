package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/clip"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
)

const (
	fixturesDir = "../testdata/fixtures"
	fixture     = fixturesDir + "/clip-tiny"
)

// TestOpenFromFakeHub downloads the fixture checkpoint from a loopback Hub into a temporary cache, loads it,
// then opens it again offline from the cache alone.
func TestOpenFromFakeHub(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	srv := hubtest.NewServer(t, map[string]string{"test/clip-tiny": fixture})
	cache := t.TempDir()
	m, err := Open(context.Background(), "test/clip-tiny", Options{Hub: hub.Options{Endpoint: srv.URL(), CacheDir: cache}})
	if err != nil {
		t.Fatal(err)
	}
	if c := m.(*clip.Model); c.ID != "test/clip-tiny" || c.Revision == "" {
		t.Errorf("ID %q revision %q, want the Hub id and its commit", c.ID, c.Revision)
	}
	local, err := Open(context.Background(), fixture, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.EmbedTexts([]string{"a cat"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.EmbedTexts([]string{"a cat"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a[0] {
		if a[0][i] != b[0][i] {
			t.Fatalf("downloaded and local checkpoints differ at %d: %g vs %g", i, a[0][i], b[0][i])
		}
	}
	if m.CacheKey() == local.CacheKey() {
		t.Errorf("a Hub model and a folder share the cache key %q", m.CacheKey())
	}
	before := srv.Total()
	if _, err := Open(context.Background(), "test/clip-tiny", Options{Hub: hub.Options{Endpoint: srv.URL(), CacheDir: cache, Offline: true}}); err != nil {
		t.Fatal(err)
	}
	if srv.Total() != before {
		t.Errorf("offline open made %d requests", srv.Total()-before)
	}
	_, err = Open(context.Background(), "test/missing", Options{Hub: hub.Options{Endpoint: srv.URL(), CacheDir: cache}})
	if !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want ErrNotFound", err)
	}
	abs, _ := filepath.Abs(fixture)
	if id := local.(*clip.Model).ID; id != abs {
		t.Errorf("folder model ID %q, want %q", id, abs)
	}
}

// TestChoicesLoadFromRealLayouts opens every model offered in the menus from a fake Hub laid out as the real Hub
// has it, with its family's tiny fixture as contents: whichever way each stores its weights (safetensors on main,
// in a conversion pull request, or only pytorch_model.bin) and its tokenizer, the loaded model computes the
// fixture's embeddings exactly.
func TestChoicesLoadFromRealLayouts(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	srv := hubtest.NewServer(t, nil)
	for _, c := range Choices {
		l := hubtest.LayoutFor(c.ID)
		if l == nil {
			t.Errorf("%s is offered but has no layout in hubtest.Layouts: its loading path is untested", c.ID)
			continue
		}
		srv.AddLayout(*l, l.Content(fixturesDir))
	}
	for _, c := range Choices {
		t.Run(c.ID, func(t *testing.T) {
			l := hubtest.LayoutFor(c.ID)
			if l == nil {
				t.Skip("no layout")
			}
			local, err := Open(context.Background(), filepath.Join(fixturesDir, l.Fixtures[0]), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()
			want, err := local.EmbedTexts([]string{"a cat"})
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			m, err := Open(context.Background(), c.ID, Options{
				Hub:  hub.Options{Endpoint: srv.URL(), CacheDir: t.TempDir()},
				Logf: func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			got, err := m.EmbedTexts([]string{"a cat"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got[0], want[0]) {
				t.Errorf("embedding differs from the fixture's")
			}
			if f := FamilyOfModel(m); f == nil || f != FamilyOfModel(local) {
				t.Errorf("family %v, want the fixture's", f)
			}
			t.Logf("notes: %q", notes)
		})
	}
}
