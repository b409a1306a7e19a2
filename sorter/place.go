package sorter

// Placing files into label folders without ever losing or overwriting one.
//
// A name already taken gets a suffix: cat.jpg, cat (1).jpg, cat (2).jpg, ...
// A copy is written to a hidden temporary file in the target folder, synced,
// given the source's modification time, then linked to its final name (link(2)
// fails rather than overwrite) and the temporary name removed. A move on one
// filesystem is a link plus removal of the source (or a rename where hard links
// are not supported); across filesystems it is a copy as above, then removal of
// the source. So at every moment each image is complete in the source, the
// destination, or both; journal.go tells --resume which.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// crashHook is called at the points where a kill is most dangerous; tests set
// it to kill the process there. Nil otherwise.
var crashHook func(point string)

func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}

// errNameTaken: the chosen name appeared between choosing and placing.
var errNameTaken = errors.New("name already taken")

const maxSuffix = 100000

// placer puts images into the destination (or, in a dry run, only works out where they would go).
type placer struct {
	dest    string // absolute, symbolic links resolved
	op      Operation
	dryRun  bool
	resume  bool
	claimed map[string]bool // destination paths (relative) in the journal or chosen by this run
	checked map[string]bool // folders known to be real folders inside dest
	dirty   map[string]bool // folders whose entries changed since the last sync
	logf    func(string, ...any)
	noted   bool // the link->copy fallback was logged
}

func newPlacer(dest string, op Operation, dryRun, resume bool, claimed map[string]bool, logf func(string, ...any)) *placer {
	if claimed == nil {
		claimed = map[string]bool{}
	}
	return &placer{dest: dest, op: op, dryRun: dryRun, resume: resume, claimed: claimed,
		checked: map[string]bool{}, dirty: map[string]bool{}, logf: logf}
}

// inside is the final check that a path lies within the destination.
func (p *placer) inside(path string) error {
	rel, err := filepath.Rel(p.dest, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return fmt.Errorf("refusing to write %s: it is outside the destination %s", path, p.dest)
	}
	return nil
}

// folder checks (and outside a dry run creates) a label folder. A folder that
// is a symbolic link is refused: writing through it could leave the destination.
func (p *placer) folder(name string) error {
	if p.checked[name] || name == "." { // "." is the destination itself (search's --copy-to)
		return nil
	}
	dir := filepath.Join(p.dest, name)
	if err := p.inside(dir); err != nil || filepath.Base(dir) != name {
		return fmt.Errorf("refusing folder name %q: not a plain name inside the destination", name)
	}
	info, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !p.dryRun {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("creating the folder %s: %w", dir, err)
			}
			p.dirty[p.dest] = true
		}
	case err != nil:
		return fmt.Errorf("checking the folder %s: %w", dir, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return errorf("remove the link, or choose another --destination",
			"%s is a symbolic link; the sorter does not write through links, which could lead outside the destination", dir)
	case !info.IsDir():
		return errorf("move that file away, or choose another --destination", "%s exists and is not a folder", dir)
	}
	p.checked[name] = true
	return nil
}

// suffixed is base with " (n)" before its extension: cat.jpg, cat (1).jpg, ...
// The stem is shortened if needed to keep the name within 255 bytes.
func suffixed(base string, n int) string {
	if n == 0 {
		return base
	}
	ext := filepath.Ext(base)
	if len(ext) > 32 || ext == base {
		ext = ""
	}
	stem, suffix := strings.TrimSuffix(base, ext), fmt.Sprintf(" (%d)", n)
	if over := len(stem) + len(suffix) + len(ext) - 255; over > 0 {
		stem = truncateUTF8(stem, len(stem)-over)
	}
	return stem + suffix + ext
}

func truncateUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// target chooses the destination path (relative) of an image in a folder: the
// first free name; or, when resuming, a file of that name already holding the
// same content that no committed entry claims (already is then true).
func (p *placer) target(folder string, it *item) (rel string, already bool, err error) {
	if err := p.folder(folder); err != nil {
		return "", false, err
	}
	base := filepath.Base(it.c.Path)
	for n := 0; n < maxSuffix; n++ {
		rel := filepath.Join(folder, suffixed(base, n))
		if p.claimed[rel] {
			continue
		}
		full := filepath.Join(p.dest, rel)
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			return rel, false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("checking %s: %w", full, err)
		}
		if p.resume && p.holds(full, info, it.c.Path, it.size, it.sum) {
			return rel, true, nil
		}
	}
	return "", false, fmt.Errorf("more than %d files named like %s in %s", maxSuffix, base, folder)
}

// holds reports whether the file at full is a complete placement of src.
func (p *placer) holds(full string, info fs.FileInfo, src string, size int64, sum [32]byte) bool {
	if p.op == Symlink {
		target, err := os.Readlink(full)
		return err == nil && target == src
	}
	if !info.Mode().IsRegular() || (size >= 0 && info.Size() != size) {
		return false
	}
	got, err := hashFile(full)
	return err == nil && got == sum
}

// place puts an image at rel. It returns errNameTaken if the name was taken meanwhile.
func (p *placer) place(it *item, rel string) error {
	full := filepath.Join(p.dest, rel)
	if err := p.inside(full); err != nil {
		return err
	}
	p.dirty[filepath.Dir(full)] = true
	src := it.c.Path
	switch p.op {
	case Symlink:
		return taken(os.Symlink(src, full))
	case Link:
		if it.c.Link {
			if real, err := filepath.EvalSymlinks(src); err == nil {
				src = real
			}
		}
		err := os.Link(src, full)
		if err == nil || errors.Is(err, fs.ErrExist) {
			return taken(err)
		}
		if !p.noted {
			p.logf("cannot hard-link here (%v); copying instead", errText(err))
			p.noted = true
		}
		return copyFile(src, full)
	case Move:
		if !it.c.Link { // a link's own name is removed after copying its content
			err := os.Link(src, full)
			if errors.Is(err, fs.ErrExist) {
				return errNameTaken
			}
			if err != nil { // other filesystem, or no hard links: try a rename, then a copy
				if _, lerr := os.Lstat(full); lerr == nil {
					return errNameTaken
				}
				err = os.Rename(src, full)
			}
			if err == nil {
				crashPoint("moved-before-source-removed")
				return removeSource(src)
			}
		}
		if err := copyFile(src, full); err != nil {
			return err
		}
		crashPoint("moved-before-source-removed")
		return removeSource(src)
	default:
		return copyFile(src, full)
	}
}

func taken(err error) error {
	if errors.Is(err, fs.ErrExist) {
		return errNameTaken
	}
	return err
}

// errSourceKept: the image is safely in the destination but its source could not be removed.
type errSourceKept struct{ err error }

func (e errSourceKept) Error() string {
	return "placed in the destination, but the original could not be removed: " + errText(e.err)
}

func removeSource(src string) error {
	if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errSourceKept{err}
	}
	return nil
}

// copyFile copies src to dst through a synced temporary file in dst's folder,
// keeping the modification time and permission bits, and never overwrites dst.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), tempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return err
	}
	if err = tmp.Chmod(info.Mode().Perm()); err != nil {
		return err
	}
	if err = os.Chtimes(tmp.Name(), time.Time{}, info.ModTime()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	crashPoint("temp-written")
	return linkNoReplace(tmp.Name(), dst)
}

// linkNoReplace gives the file old the name new unless new exists, then drops
// the name old. Where hard links are not supported it renames after checking.
func linkNoReplace(old, new string) error {
	err := os.Link(old, new)
	if err == nil {
		crashPoint("linked-before-temp-removed")
		return os.Remove(old)
	}
	if errors.Is(err, fs.ErrExist) {
		return errNameTaken
	}
	if _, lerr := os.Lstat(new); lerr == nil {
		return errNameTaken
	}
	return os.Rename(old, new)
}

// sync makes the changed folder entries durable (fsync of each folder).
func (p *placer) sync() error {
	for dir := range p.dirty {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("syncing the folder %s: %w", dir, err)
		}
	}
	clear(p.dirty)
	return nil
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be synced there; NTFS journals renames
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && (errors.Is(err, errors.ErrUnsupported) || strings.Contains(err.Error(), "invalid argument")) {
		return nil // some filesystems (and Windows) cannot sync a folder
	}
	return err
}

// removeTemps deletes partial copies left by a killed run in the destination's folders.
func removeTemps(dest string, logf func(string, ...any)) {
	dirs, _ := os.ReadDir(dest)
	for _, d := range append([]fs.DirEntry{nil}, dirs...) {
		dir := dest
		if d != nil {
			if !d.IsDir() {
				continue
			}
			dir = filepath.Join(dest, d.Name())
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tempPrefix) && e.Type().IsRegular() {
				if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
					logf("removed %s, a partial copy left by an interrupted run", filepath.Join(dir, e.Name()))
				}
			}
		}
	}
}

// hashFile is the SHA-256 of a file's content.
func hashFile(path string) (sum [32]byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

func hexSum(sum [32]byte) string { return hex.EncodeToString(sum[:]) }
