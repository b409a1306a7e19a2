package sorter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFolderName(t *testing.T) {
	long := strings.Repeat("é", 80) // 160 bytes
	for _, tc := range []struct{ label, want string }{
		{"weapon", "weapon"},
		{"  a meme  ", "a meme"},
		{"screenshot of a newspaper article", "screenshot of a newspaper article"},
		{"../x", "___x"},
		{"..", "__"},
		{".", "_"},
		{".hidden", "_hidden"},
		{"a/b", "a_b"},
		{`a\b`, "a_b"},
		{"/etc/passwd", "_etc_passwd"},
		{"con", "con_"},
		{"CON", "CON_"},
		{"nul.txt", "nul_.txt"},
		{"com1", "com1_"},
		{"LPT9", "LPT9_"},
		{"com10", "com10"},
		{"console", "console"},
		{"a\x00b", "a_b"},
		{"tab\there", "tab_here"},
		{"new\nline", "new_line"},
		{"bell\x07", "bell_"},
		{"trailing dots...", "trailing dots"},
		{"trailing space . ", "trailing space"},
		{`what? "this" <is> a|b*c:d`, "what_ _this_ _is_ a_b_c_d"},
		{"abc\u202Egpj.exe", "abc_gpj.exe"},
		{"\xff\xfe", "__"},
		{"café 🐱", "café 🐱"},
		{long, strings.Repeat("é", 50)},
		{"...", "___"},
		{" . ", "_"},
	} {
		got := FolderName(tc.label)
		if got != tc.want {
			t.Errorf("FolderName(%q) = %q, want %q", tc.label, got, tc.want)
		}
		if len(got) > maxFolderBytes || got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\\x00") {
			t.Errorf("FolderName(%q) = %q is not a safe single folder name", tc.label, got)
		}
	}
}

// Every folder name can be created inside a folder and stays there.
func TestFolderNameStaysInside(t *testing.T) {
	dir := t.TempDir()
	for _, label := range []string{"../x", "a/b", "..", ".", "con", "a\x00b", strings.Repeat("x", 300), "/", "~", "$HOME"} {
		name := FolderName(label)
		p := filepath.Join(dir, name)
		if filepath.Dir(p) != dir {
			t.Errorf("FolderName(%q) = %q leaves the folder", label, name)
			continue
		}
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Errorf("FolderName(%q) = %q: %v", label, name, err)
		}
	}
}

func TestParseLabels(t *testing.T) {
	got, note, err := ParseLabels(" weapon, a meme ,screenshot of a newspaper article,a picture of a person")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"weapon", "a meme", "screenshot of a newspaper article", "a picture of a person"}
	if strings.Join(got, "|") != strings.Join(want, "|") || note != "" {
		t.Errorf("ParseLabels = %q, note %q; want %q, no note", got, note, want)
	}
	for _, tc := range []struct{ in, errPart, hintPart string }{
		{"", "no labels given", "at least two"},
		{" , ,", "no labels given", "at least two"},
		{"cat", "only one label", "at least two"},
		{"cat,", "only one label", "at least two"},
		{",, cat ,", `only one label given ("cat")`, "at least two"},
		{"cat, dog, cat", `labels "cat" and "cat" are the same`, "keep only one of them"},
		{"Cat, dog, cat", `labels "Cat" and "cat" are the same label (letter case is ignored)`, "keep only one of them"},
		{`a/b, a\b`, `labels "a/b" and "a\\b" would both be sorted into the folder "a_b"`, "differ"},
		{"x., x", `labels "x." and "x" would both be sorted into the folder "x"`, "differ"},
		{"dog, Unsorted", `label "Unsorted" would use the folder "Unsorted", which is reserved`, `rename the label, e.g. "Unsorted (label)"`},
		{"dog, unsorted.", `reserved`, "rename"},
	} {
		_, note, err := ParseLabels(tc.in)
		if err == nil {
			t.Errorf("ParseLabels(%q): no error", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.errPart) || !strings.Contains(Hint(err), tc.hintPart) || note != "" {
			t.Errorf("ParseLabels(%q) = %q (hint %q, note %q), want it to contain %q (hint %q), no note",
				tc.in, err, Hint(err), note, tc.errPart, tc.hintPart)
		}
	}
	// Hostile labels that are fine once neutralised.
	if _, _, err := ParseLabels("../x, a/b, con"); err != nil {
		t.Errorf("ParseLabels(hostile but distinct): %v", err)
	}
}

// Empty items (a trailing or doubled comma) are a typing habit: left out, with one note.
func TestParseLabelsIgnoresEmptyItems(t *testing.T) {
	for _, tc := range []struct{ in, note string }{
		{"cat, dog,", "ignored an empty label (a trailing or doubled comma)"},
		{"cat,,dog", "ignored an empty label (a trailing or doubled comma)"},
		{", cat, dog", "ignored an empty label (a trailing or doubled comma)"},
		{"cat, , dog, ,", "ignored 3 empty labels (trailing or doubled commas)"},
	} {
		got, note, err := ParseLabels(tc.in)
		if err != nil || strings.Join(got, "|") != "cat|dog" || note != tc.note {
			t.Errorf("ParseLabels(%q) = %q, note %q, err %v; want [cat dog], note %q", tc.in, got, note, err, tc.note)
		}
	}
	// A list (Options.Labels) is not typed text: an empty label in it is an error.
	if err := CheckLabels([]string{"cat", "", "dog"}); err == nil || !strings.Contains(err.Error(), "label 2 of 3 is empty") || Hint(err) == "" {
		t.Errorf("CheckLabels with an empty label = %v (hint %q), want an error with a hint", err, Hint(err))
	}
}

func TestParseOperation(t *testing.T) {
	for _, s := range []string{"copy", "MOVE", " link ", "symlink"} {
		if _, err := ParseOperation(s); err != nil {
			t.Errorf("ParseOperation(%q): %v", s, err)
		}
	}
	_, err := ParseOperation("delete")
	if err == nil || !strings.Contains(Hint(err), "copy, move, link, symlink") {
		t.Errorf("ParseOperation(delete) = %v, hint %q; want the valid choices listed", err, Hint(err))
	}
}

func TestOptionsChecks(t *testing.T) {
	base := DefaultOptions()
	base.Source, base.Labels = "x", []string{"a", "b"}
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		wants string
	}{
		{"no source", func(o *Options) { o.Source = "" }, "no source folder"},
		{"template without {}", func(o *Options) { o.Template = "a photo" }, "has no {}"},
		{"threshold above 1", func(o *Options) { o.Threshold = 1.5 }, "not between 0 and 1"},
		{"output outside", func(o *Options) { o.OutputFile = "../out.csv" }, "outside the destination"},
		{"label named like a report", func(o *Options) { o.Labels = []string{"errors.csv", "b"} }, "report file"},
		{"bad operation", func(o *Options) { o.Operation = "delete" }, "unknown operation"},
	} {
		o := base
		tc.edit(&o)
		_, _, err := o.normalized()
		if err == nil || !strings.Contains(err.Error(), tc.wants) || Hint(err) == "" {
			t.Errorf("%s: err = %v (hint %q), want %q and a hint", tc.name, err, Hint(err), tc.wants)
		}
	}
}
