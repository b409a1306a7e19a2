package nbui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestDefaultSettings(t *testing.T) {
	isolate(t)
	s := DefaultSettings()
	if s.Model != models.DefaultModel || s.Operation != "copy" || s.Threshold != 0 || s.Labels != DefaultLabels {
		t.Errorf("defaults %+v", s)
	}
	if want := filepath.Join(repoDir(t), "samples", "photos"); s.Source != want {
		t.Errorf("source %s, want the repository's samples %s", s.Source, want)
	}
	wd, _ := os.Getwd()
	if s.Destination != filepath.Join(wd, DefaultDestination) {
		t.Errorf("destination %s, want %s beside the notebook", s.Destination, DefaultDestination)
	}
	if err := s.Check(); err != nil {
		t.Errorf("the defaults do not pass Check: %v", err)
	}
	if labels, note, _ := sorter.ParseLabels(DefaultLabels); len(labels) < 4 || note != "" {
		t.Errorf("default labels %q", DefaultLabels)
	}

	t.Setenv(ModelEnv, " /fixtures/clip-tiny ")
	if got := DefaultSettings().Model; got != "/fixtures/clip-tiny" {
		t.Errorf("with $%s set: model %q", ModelEnv, got)
	}
}

func TestRepoDir(t *testing.T) {
	isolate(t)
	if got, err := RepoDir(); err != nil || got != repoDir(t) {
		t.Errorf("RepoDir() = %q, %v; want %s", got, err, repoDir(t))
	}
	t.Setenv(RepoEnv, repoDir(t))
	if got, err := RepoDir(); err != nil || got != repoDir(t) {
		t.Errorf("with $%s: %q, %v", RepoEnv, got, err)
	}
	t.Setenv(RepoEnv, t.TempDir())
	if _, err := RepoDir(); err == nil || !strings.Contains(err.Error(), "not a copy of the smart-image-sorter repository") {
		t.Errorf("with $%s wrong: error %v", RepoEnv, err)
	}
}

func TestSampleFolderWithoutTheRepository(t *testing.T) {
	isolate(t)
	t.Setenv(RepoEnv, t.TempDir()) // not the repository: the embedded copy is extracted
	dir, err := SampleFolder()
	if err != nil {
		t.Fatal(err)
	}
	if cache, _ := os.UserCacheDir(); !strings.HasPrefix(dir, cache) {
		t.Errorf("samples extracted to %s, want under the user cache %s", dir, cache)
	}
	if _, err := os.Stat(filepath.Join(dir, "cat.jpg")); err != nil {
		t.Error(err)
	}
}

func TestSorterOptions(t *testing.T) {
	isolate(t)
	src := t.TempDir()
	file := filepath.Join(src, "f.jpg")
	os.WriteFile(file, []byte("x"), 0o644)
	ok := Settings{Source: src, Destination: "out", Model: "m", Labels: "a cat, a dog", Operation: "move", Threshold: 0.3}
	o, note, err := ok.SorterOptions()
	if err != nil {
		t.Fatal(err)
	}
	if note != "" {
		t.Errorf("note %q, want none", note)
	}
	if o.Source != src || o.Destination != "out" || len(o.Labels) != 2 || o.Operation != sorter.Move || o.Threshold != 0.3 ||
		o.BatchSize != 0 || !o.Recursive {
		t.Errorf("options %+v", o)
	}
	home, _ := os.UserHomeDir()
	tilde := ok
	tilde.Destination = "~/labelled"
	if o, _, _ := tilde.SorterOptions(); o.Destination != filepath.Join(home, "labelled") {
		t.Errorf("~ not expanded: %s", o.Destination)
	}
	for _, tc := range []struct {
		name string
		edit func(*Settings)
		want string
	}{
		{"no source", func(s *Settings) { s.Source = " " }, "no source folder"},
		{"missing source", func(s *Settings) { s.Source = filepath.Join(src, "nope") }, "does not exist"},
		{"file source", func(s *Settings) { s.Source = file }, "is a file"},
		{"no destination", func(s *Settings) { s.Destination = "" }, "no destination"},
		{"no model", func(s *Settings) { s.Model = "" }, "no model"},
		{"one label", func(s *Settings) { s.Labels = "a cat" }, "only one label"},
		{"one label and a trailing comma", func(s *Settings) { s.Labels = "a cat," }, "only one label"},
		{"no labels", func(s *Settings) { s.Labels = " , " }, "no labels given"},
		{"same label twice", func(s *Settings) { s.Labels = "a cat, a dog, A cat" }, "are the same label"},
		{"label named unsorted", func(s *Settings) { s.Labels = "a cat, Unsorted" }, "reserved"},
		{"bad operation", func(s *Settings) { s.Operation = "delete" }, "unknown operation"},
		{"threshold 1", func(s *Settings) { s.Threshold = 1 }, "not between 0 and 1"},
		{"negative threshold", func(s *Settings) { s.Threshold = -0.1 }, "not between 0 and 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if sorter.Hint(err) == "" {
				t.Errorf("%v: no hint of what to do", err)
			}
		})
	}
}

// A trailing or doubled comma in Labels is left out, with a note for the notebook to show.
func TestSorterOptionsEmptyLabels(t *testing.T) {
	isolate(t)
	s := Settings{Source: t.TempDir(), Destination: "out", Model: "m", Labels: "a cat,, a dog,", Operation: "copy"}
	o, note, err := s.SorterOptions()
	if err != nil || strings.Join(o.Labels, "|") != "a cat|a dog" {
		t.Fatalf("labels %q, err %v; want [a cat a dog]", o.Labels, err)
	}
	if note != "ignored 2 empty labels (trailing or doubled commas)" {
		t.Errorf("note %q", note)
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	if html := noteHTML(note); !strings.Contains(html, `class="sis sis-note"`) || !strings.Contains(html, "Note: ignored 2 empty labels") {
		t.Errorf("noteHTML = %s", html)
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]float64{"": 0, " ": 0, "0": 0, "0.5": 0.5, "0,25": 0.25, "50%": 0.5, " 7.5 % ": 0.075} {
		if got, err := ParseThreshold(in); err != nil || got != want {
			t.Errorf("ParseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"1", "100%", "-0.1", "x", "NaN", "0.5.1"} {
		if _, err := ParseThreshold(in); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", in)
		}
	}
}
