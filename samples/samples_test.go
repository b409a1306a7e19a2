package samples

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExtract(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	if _, err := Extract(dir); err != nil {
		t.Fatal(err)
	}
	if n := len(Names()); n != 10 {
		t.Errorf("%d sample images, want 10", n)
	}
	for _, name := range append(Names(), "LICENSES.md") {
		want, _ := os.ReadFile(filepath.Join("photos", name))
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s not extracted identically: %v", name, err)
		}
	}
	if _, err := Extract(dir); err != nil {
		t.Errorf("second extract: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "cat.jpg"), []byte("changed"), 0o644)
	if _, err := Extract(dir); err == nil {
		t.Error("a changed sample file was not reported")
	}
}
