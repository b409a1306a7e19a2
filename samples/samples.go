// Package samples ships the ten public-domain photos in photos/ that `sorter sort` sorts when no --source is given, so
// the tool works out of the box. Sources and licences: photos/LICENSES.md.
package samples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed photos
var embedded embed.FS

// files is the photos folder.
var files, _ = fs.Sub(embedded, "photos")

// Extract writes the sample images into dir (created if needed) and returns dir. Files already there with the
// right size are left alone, so repeated runs are cheap and never overwrite a changed file.
func Extract(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the sample folder: %w", err)
	}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		data, err := fs.ReadFile(files, e.Name())
		if err != nil {
			return "", err
		}
		path := filepath.Join(dir, e.Name())
		if info, err := os.Stat(path); err == nil {
			if info.Size() != int64(len(data)) {
				return "", fmt.Errorf("%s exists and differs from the shipped sample; remove it or pass --source", path)
			}
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return "", fmt.Errorf("writing sample %s: %w", path, err)
		}
	}
	return dir, nil
}

// Names lists the sample images.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if e.Name() != "LICENSES.md" {
			names = append(names, e.Name())
		}
	}
	return names
}
