package sorter

// Discovery lists the files to look at. Whether a file is an image is decided
// later, by its content, in the decoding workers (see pipeline.go), so that each
// file is opened once. Symbolic links to files are followed; links to folders
// are not, so a link loop can neither hang nor repeat the walk.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// candidate is a file that may be an image.
type candidate struct {
	Path string // absolute path under the resolved source folder
	Name string // image_name in the report: the source folder as given, joined with Rel (as the original tool)
	Rel  string // path relative to the source folder
	Link bool   // the folder entry is a symbolic link to a file
}

// Skipped is a file or folder that is not sorted, and why.
type Skipped struct {
	Path   string // as image_name shows it
	Reason string
}

// discovery is what a walk of the source folder found, sorted by path.
type discovery struct {
	Files   []candidate
	Skipped []Skipped
	Errors  []ImageError // folders that could not be read
}

// discover walks root (absolute, symbolic links resolved); given is the source
// as the investigator typed it, for report names. exclude, if not nil, is the
// destination folder: it is not searched when it lies inside the source.
func discover(ctx context.Context, root, given string, recursive bool, exclude fs.FileInfo) (*discovery, error) {
	d := &discovery{}
	name := func(path string) (rel, shown string) {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			rel = path
		}
		return rel, filepath.Join(given, rel)
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rel, shown := name(path)
		if err != nil {
			if path == root {
				return err
			}
			d.Errors = append(d.Errors, ImageError{Path: shown, Reason: "cannot read this folder: " + errText(err), Kind: "unreadable"})
			return nil // WalkDir already skips a folder it cannot read
		}
		if e.IsDir() {
			switch {
			case path == root:
				return nil
			case strings.HasPrefix(e.Name(), "."):
				d.Skipped = append(d.Skipped, Skipped{shown, "hidden folder, not searched"})
				return filepath.SkipDir
			case !recursive:
				return filepath.SkipDir
			}
			if exclude != nil {
				if info, err := e.Info(); err == nil && os.SameFile(info, exclude) {
					return filepath.SkipDir // the destination inside the source
				}
			}
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") {
			d.Skipped = append(d.Skipped, Skipped{shown, "hidden file"})
			return nil
		}
		c := candidate{Path: path, Name: shown, Rel: rel}
		switch t := e.Type(); {
		case t.IsRegular():
		case t&fs.ModeSymlink != 0:
			info, err := os.Stat(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				d.Skipped = append(d.Skipped, Skipped{shown, "broken symbolic link (its target does not exist)"})
				return nil
			case err != nil:
				d.Skipped = append(d.Skipped, Skipped{shown, "symbolic link that cannot be followed (a loop?): " + errText(err)})
				return nil
			case info.IsDir():
				d.Skipped = append(d.Skipped, Skipped{shown, "symbolic link to a folder, not followed (sort that folder on its own)"})
				return nil
			case !info.Mode().IsRegular():
				d.Skipped = append(d.Skipped, Skipped{shown, "symbolic link to something that is not a file"})
				return nil
			}
			c.Link = true
		default:
			d.Skipped = append(d.Skipped, Skipped{shown, "not a regular file (a pipe, socket or device)"})
			return nil
		}
		d.Files = append(d.Files, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Rel < d.Files[j].Rel })
	sort.Slice(d.Skipped, func(i, j int) bool { return d.Skipped[i].Path < d.Skipped[j].Path })
	return d, nil
}

// errText is an error's message without the path that our own message already names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
