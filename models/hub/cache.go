package hub

// The Hugging Face cache layout, as huggingface_hub's file_download.py writes it (and
// go-huggingface's hub package reads it), so that models downloaded by Python are reused here
// and the other way round:
//
//	<cache>/models--<owner>--<name>/
//	    refs/main                          the commit sha that "main" pointed to, no newline
//	    blobs/<etag>                       file contents; etag = sha256 (LFS files) or git sha1
//	    blobs/<etag>.incomplete            a download in progress or interrupted (resumed later)
//	    snapshots/<sha>/<file>             symlink -> ../../blobs/<etag>
//	<cache>/.locks/models--<owner>--<name>/<etag>.lock   held while downloading that blob

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gofrs/flock"
	hfhub "github.com/gomlx/go-huggingface/hub"
)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func isCommit(rev string) bool { return commitRE.MatchString(rev) }

// repoCache locates one repo in the cache.
type repoCache struct {
	cacheDir string // the hub cache root
	folder   string // "models--owner--name"
}

func newRepoCache(cacheDir, id string) repoCache {
	parts := append([]string{string(hfhub.RepoTypeModel)}, strings.Split(id, "/")...)
	return repoCache{cacheDir: cacheDir, folder: strings.Join(parts, hfhub.RepoIdSeparator)}
}

func (c repoCache) dir() string { return filepath.Join(c.cacheDir, c.folder) }

func (c repoCache) snapshot(commit string) string {
	return filepath.Join(c.dir(), "snapshots", commit)
}

func (c repoCache) blob(etag string) string { return filepath.Join(c.dir(), "blobs", etag) }

func (c repoCache) lockPath(etag string) string {
	return filepath.Join(c.cacheDir, ".locks", c.folder, etag+".lock")
}

func (c repoCache) refPath(revision string) string {
	return filepath.Join(c.dir(), "refs", filepath.FromSlash(revision))
}

// commitFor returns the commit sha for revision from refs/, or "" if unknown. A revision that
// is itself a commit sha is returned as is.
func (c repoCache) commitFor(revision string) string {
	if isCommit(revision) {
		return revision
	}
	b, err := os.ReadFile(c.refPath(revision))
	if err != nil {
		return ""
	}
	if sha := strings.TrimSpace(string(b)); isCommit(sha) {
		return sha
	}
	return ""
}

// writeRef records that revision points to commit (atomically: never a half-written ref).
func (c repoCache) writeRef(revision, commit string) error {
	if revision == commit || c.commitFor(revision) == commit {
		return nil
	}
	return writeFileAtomic(c.refPath(revision), []byte(commit))
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}

// blobOK reports whether a complete blob is at path: it exists and, when size >= 0, has that
// size. Blobs only ever appear by renaming a finished download, so size is a sanity check
// against caches damaged by other tools.
func blobOK(path string, size int64) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && (size < 0 || fi.Size() == size)
}

// link makes snapshot file dst point to blob src: a relative symlink as huggingface_hub makes.
// Where symlinks are not allowed (Windows without Developer Mode) it falls back to a hard link,
// then to a copy. dst is replaced atomically, so it is never missing or half-written.
func link(dst, src string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d-%x", filepath.Base(dst), os.Getpid(), rand.Uint64()))
	rel, err := filepath.Rel(dir, src)
	if err != nil {
		rel = src
	}
	if err = os.Symlink(rel, tmp); err != nil {
		if err = os.Link(src, tmp); err != nil {
			err = copyFile(src, tmp)
		}
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("linking %s to %s: %w", dst, src, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockBlob takes the same file lock huggingface_hub takes for this blob, so that two programs
// (this one twice, or this one and Python) never write the same blob at once. It waits for the
// lock as long as ctx allows.
func (c repoCache) lockBlob(ctx context.Context, etag string) (unlock func(), err error) {
	p := c.lockPath(etag)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	l := flock.New(p)
	ok, err := l.TryLockContext(ctx, 200*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", p, err)
	}
	if !ok {
		return nil, fmt.Errorf("locking %s: %w", p, ctx.Err())
	}
	// The lock file stays, as huggingface_hub leaves it: removing it while another process
	// waits on it would let two processes hold "the" lock.
	return func() { _ = l.Unlock() }, nil
}
