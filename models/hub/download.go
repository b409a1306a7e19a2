package hub

// Talking to the Hub over HTTP, following huggingface_hub's file_download.py (hf_hub_download,
// get_hf_file_metadata, http_get) and hf_api.py (model_info): the requests, headers, redirect
// rules and cache writes are the same, so the cache is interchangeable with Python's.
//
// go-huggingface v0.4.3's hub package does this too, but its download path cannot be used as
// is (read in its internal/downloader/downloader.go and hub/files.go, and tried against hubtest):
//   - a connection dropped mid-file is reported as success: downloader.go:163 wraps the outer,
//     nil `err` instead of the read error, so DownloadFiles returns nil and leaves a dangling
//     snapshot symlink to a blob that was never written;
//   - it always asks the network (repo.go:223 forces a fresh model-info request): no offline
//     mode, and it never writes refs/<revision>, so Python's offline mode cannot find what it
//     downloaded;
//   - its http.Client is built inside each call: no way to pass ours, no response-header timeout,
//     no stall detection;
//   - HEAD follows every redirect, so for LFS files (which huggingface.co redirects to its CDN)
//     the ETag is read from the CDN's answer instead of the Hub's X-Linked-Etag; a weak "W/"
//     ETag is not normalised;
//   - errors are formatted strings ("bad status code 404: ..."), not types a caller can test;
//   - it prints progress to stdout (files.go:216; packages here never print), does not resume
//     interrupted downloads (Python's blobs/<etag>.incomplete), checks neither size nor sha256,
//     and updates its download counters from several goroutines without a lock (files.go:288
//     and :307; -race reports it when two files download at once).
// What is reused from it: the API's file-list schema (hub.FileInfo), the header names and the
// cache-folder naming. hubtest checks that go-huggingface can download from the fake Hub, and a
// test checks that a cache go-huggingface filled is reused here.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	hfhub "github.com/gomlx/go-huggingface/hub"
)

// stallTimeout: a request that receives nothing (no response headers, no body bytes) for this
// long is abandoned. There is deliberately no whole-request timeout: a 600 MB checkpoint on a
// slow link can take an hour and that is fine as long as bytes keep coming. A variable so tests
// can shorten it.
var stallTimeout = 60 * time.Second

// progressInterval limits how often Options.Progress is called during one file.
const progressInterval = 100 * time.Millisecond

const userAgent = "smart-image-sorter (Go; github.com/bellingcat/smart-image-sorter)"

// defaultHTTPClient has timeouts on each step that should be quick (connect, TLS handshake,
// waiting for response headers) and none on the transfer itself; the stall watchdog covers that.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          10,
	},
}

// sibling is one file in the model info's "siblings" list.
type sibling = hfhub.FileInfo

// modelInfo is the part of GET /api/models/{id}/revision/{rev} that is used. (Decoding into
// go-huggingface's full RepoInfo would also parse dates and model-card fields that do not matter
// here and could only make a download fail.)
type modelInfo struct {
	SHA      string    `json:"sha"`
	Siblings []sibling `json:"siblings"`
}

// knownSize is the file size from the model info, or -1.
func knownSize(s sibling) int64 {
	switch {
	case s.LFS != nil && s.LFS.Size > 0:
		return s.LFS.Size
	case s.Size > 0:
		return s.Size
	}
	return -1
}

// client makes the requests for one Resolve.
type client struct {
	s          settings
	id         string
	getClient  *http.Client // follows redirects; drops Authorization when the host changes
	headClient *http.Client // follows only same-host redirects, like huggingface_hub's HEAD
}

func newClient(s settings, id string) *client {
	base := s.HTTPClient
	if base == nil {
		base = defaultHTTPClient
	}
	get, head := *base, *base
	get.CheckRedirect = dropAuthAcrossHosts
	head.CheckRedirect = sameHostOnly
	return &client{s: s, id: id, getClient: &get, headClient: &head}
}

// dropAuthAcrossHosts keeps the token from leaving the Hub: huggingface.co redirects LFS files to
// CDN hosts that must not see it. (net/http itself forwards it to subdomains and other ports.)
func dropAuthAcrossHosts(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// sameHostOnly follows redirects within the Hub (a renamed repo) but returns a redirect to
// another host (the CDN) as is, because the Hub's metadata headers are on that redirect.
func sameHostOnly(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

var errStalled = errors.New("stalled")

// watchdog cancels a request that receives nothing for stallTimeout.
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
}

func newWatchdog(parent context.Context) *watchdog {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{ctx: ctx, cancel: cancel}
	w.timer = time.AfterFunc(stallTimeout, func() { cancel(errStalled) })
	return w
}

func (w *watchdog) kick()         { w.timer.Reset(stallTimeout) }
func (w *watchdog) stalled() bool { return errors.Is(context.Cause(w.ctx), errStalled) }
func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// kickReader resets the watchdog whenever bytes arrive.
type kickReader struct {
	r io.Reader
	w *watchdog
}

func (k kickReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.w.kick()
	}
	return n, err
}

// do sends a request with the token and a stall watchdog. The caller must call done.
func (c *client) do(ctx context.Context, hc *http.Client, method, u string, header http.Header) (resp *http.Response, wd *watchdog, err error) {
	wd = newWatchdog(ctx)
	req, err := http.NewRequestWithContext(wd.ctx, method, u, nil)
	if err != nil {
		wd.stop()
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", userAgent)
	if c.s.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.s.token)
	}
	resp, err = hc.Do(req)
	if err != nil {
		wd.stop()
		return nil, wd, err
	}
	wd.kick()
	resp.Body = struct {
		io.Reader
		io.Closer
	}{kickReader{resp.Body, wd}, resp.Body}
	return resp, wd, nil
}

// requestError turns an error from do (no HTTP answer) into an *Error.
func (c *client) requestError(ctx context.Context, wd *watchdog, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("resolving %s: %w", c.id, ctx.Err())
	}
	if wd != nil && wd.stalled() {
		return &Error{Kind: ErrNoNetwork, Model: c.id,
			What: fmt.Sprintf("%s did not answer within %v", hostOf(c.s.endpoint), stallTimeout),
			Hint: "check the internet connection and try again, or set HF_HUB_OFFLINE=1 to use models already downloaded",
			Err:  err}
	}
	return networkError(c.id, c.s.endpoint, err)
}

// statusError turns an HTTP error answer into an *Error, reading the Hub's X-Error-Code as
// huggingface_hub's hf_raise_for_status does. file is "" for the model-info request.
func (c *client) statusError(resp *http.Response, file string) error {
	code := resp.Header.Get("X-Error-Code")
	msg := resp.Header.Get("X-Error-Message")
	if msg == "" {
		var body struct {
			Error string `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(b, &body) == nil {
			msg = body.Error
		}
	}
	status := resp.Status
	if msg != "" {
		status += ": " + msg
	}
	cause := fmt.Errorf("%s %s: %s", resp.Request.Method, resp.Request.URL.Redacted(), status)
	tokenSent := c.s.token != ""
	e := &Error{Model: c.id, File: file, Err: cause}
	page := c.s.endpoint + "/" + c.id
	switch {
	case code == "RevisionNotFound":
		e.Kind = ErrNotFound
		e.What = fmt.Sprintf("revision %q of model %s not found on the Hugging Face Hub", c.s.revision, c.id)
		e.Hint = "check the revision (a branch, tag or commit of " + page + "), or leave it empty for main"
	case code == "GatedRepo":
		e.Kind = ErrUnauthorized
		if tokenSent {
			e.What = fmt.Sprintf("model %s is gated and the token in HF_TOKEN has no access to it", c.id)
			e.Hint = "accept its terms at " + page + " with the account the token belongs to"
		} else {
			e.What = fmt.Sprintf("model %s is gated: it needs a Hugging Face login", c.id)
			e.Hint = "accept its terms at " + page + ", then set HF_TOKEN to an access token of that account (" + tokensPage + ")"
		}
	case code == "RepoNotFound" || (resp.StatusCode == http.StatusNotFound && file == ""):
		e.Kind = ErrNotFound
		e.What = fmt.Sprintf("model %s not found on the Hugging Face Hub", c.id)
		e.Hint = "check the spelling, e.g. " + exampleID
		if !tokenSent && resp.StatusCode == http.StatusUnauthorized {
			e.Hint += "; if it is a private model, set HF_TOKEN to an access token (" + tokensPage + ")"
		}
	case code == "EntryNotFound" || resp.StatusCode == http.StatusNotFound:
		e.Kind = ErrNotFound
		e.What = fmt.Sprintf("file %s of model %s is listed but not found on the Hugging Face Hub", file, c.id)
		e.Hint = "try again later, or pick another checkpoint"
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = ErrUnauthorized
		if tokenSent {
			e.What = fmt.Sprintf("the Hugging Face Hub rejected the token in HF_TOKEN for %s", c.id)
			e.Hint = "check the token at " + tokensPage
		} else {
			e.What = fmt.Sprintf("model %s needs a Hugging Face login", c.id)
			e.Hint = "set HF_TOKEN to an access token (" + tokensPage + ")"
		}
	case resp.StatusCode == http.StatusForbidden:
		e.Kind = ErrUnauthorized
		e.What = fmt.Sprintf("access to model %s is forbidden (%s)", c.id, status)
		e.Hint = "set HF_TOKEN to a token of an account that has access to it (" + tokensPage + ")"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrHub
		e.What = "the Hugging Face Hub is limiting requests from this address (429 Too Many Requests)"
		e.Hint = "wait a few minutes and try again; a token in HF_TOKEN raises the limit"
	default:
		e.Kind = ErrHub
		e.What = fmt.Sprintf("the Hugging Face Hub answered %s for %s", status, c.id)
		e.Hint = "try again later"
	}
	return e
}

const tokensPage = "https://huggingface.co/settings/tokens"

// info gets the commit sha and file list of the model at revision.
func (c *client) info(ctx context.Context, revision string) (*modelInfo, error) {
	// url.PathEscape, like huggingface_hub's quote(revision, safe=""), keeps "refs/pr/15" one
	// path segment: refs%2Fpr%2F15.
	u := fmt.Sprintf("%s/api/models/%s/revision/%s?blobs=true", c.s.endpoint, c.id, url.PathEscape(revision))
	resp, wd, err := c.do(ctx, c.getClient, http.MethodGet, u, nil)
	if err != nil {
		return nil, c.requestError(ctx, wd, err)
	}
	defer wd.stop()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp, "")
	}
	var info modelInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&info); err != nil {
		if ctx.Err() != nil || wd.stalled() || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, c.requestError(ctx, wd, err)
		}
		return nil, &Error{Kind: ErrHub, Model: c.id, What: fmt.Sprintf("unreadable model info for %s from %s: %v", c.id, hostOf(c.s.endpoint), err),
			Hint: "try again later; if HF_ENDPOINT is set, check it", Err: err}
	}
	if !isCommit(info.SHA) {
		return nil, &Error{Kind: ErrHub, Model: c.id, What: fmt.Sprintf("model info for %s from %s has no commit sha (got %q)", c.id, hostOf(c.s.endpoint), info.SHA),
			Hint: "try again later; if HF_ENDPOINT is set, check it"}
	}
	return &info, nil
}

// resolveURL is {endpoint}/{id}/resolve/{commit}/{file}, as huggingface_hub's hf_hub_url.
func (c *client) resolveURL(commit, file string) string {
	parts := strings.Split(file, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return fmt.Sprintf("%s/%s/resolve/%s/%s", c.s.endpoint, c.id, commit, strings.Join(parts, "/"))
}

// fileMeta is what HEAD tells about a file.
type fileMeta struct {
	etag string // blob name: sha256 for LFS files, git sha1 otherwise
	size int64  // -1 if unknown
}

var etagRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

// normalizeETag strips the weak marker and quotes, as huggingface_hub's _normalize_etag.
func normalizeETag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	return strings.Trim(s, `"`)
}

// head asks the Hub for the file's blob name and size without downloading it, as
// get_hf_file_metadata: the answer may be a redirect to the CDN, whose headers are the Hub's.
func (c *client) head(ctx context.Context, commit, file string, sib sibling) (fileMeta, error) {
	resp, wd, err := c.do(ctx, c.headClient, http.MethodHead, c.resolveURL(commit, file),
		http.Header{"Accept-Encoding": {"identity"}})
	if err != nil {
		return fileMeta{}, c.requestError(ctx, wd, err)
	}
	defer wd.stop()
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fileMeta{}, c.statusError(resp, file)
	}
	m := fileMeta{size: -1}
	m.etag = normalizeETag(resp.Header.Get(hfhub.HeaderXLinkedETag))
	if m.etag == "" {
		m.etag = normalizeETag(resp.Header.Get("ETag"))
	}
	if !etagRE.MatchString(m.etag) {
		// No usable ETag (a proxy may strip it): the model info names the same blob.
		m.etag = sib.BlobID
		if sib.LFS != nil {
			m.etag = sib.LFS.SHA256
		}
	}
	if !etagRE.MatchString(m.etag) {
		return fileMeta{}, &Error{Kind: ErrHub, Model: c.id, File: file,
			What: fmt.Sprintf("the Hub sent no usable ETag for %s of %s", file, c.id),
			Hint: "try again later; if HF_ENDPOINT is set, check it"}
	}
	if n, err := strconv.ParseInt(resp.Header.Get(hfhub.HeaderXLinkedSize), 10, 64); err == nil && n >= 0 {
		m.size = n
	} else if resp.StatusCode == http.StatusOK && resp.ContentLength >= 0 {
		m.size = resp.ContentLength
	} else {
		m.size = knownSize(sib)
	}
	return m, nil
}

// fetchBlob downloads file into blobs/<etag>, resuming blobs/<etag>.incomplete if an earlier
// run left one, and renames it into place only when complete (and, for LFS files, when its
// sha256 matches). It holds the blob's lock meanwhile.
func (c *client) fetchBlob(ctx context.Context, rc repoCache, commit, file string, m fileMeta, wantSHA string) error {
	unlock, err := rc.lockBlob(ctx, m.etag)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("resolving %s: %w", c.id, ctx.Err())
		}
		return cacheError(rc.cacheDir, err)
	}
	defer unlock()
	blob := rc.blob(m.etag)
	if blobOK(blob, m.size) { // another process finished it while we waited for the lock
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return cacheError(rc.cacheDir, err)
	}
	part := blob + ".incomplete"
	for attempt := 0; ; attempt++ {
		retry, err := c.getInto(ctx, c.resolveURL(commit, file), part, file, m.size, wantSHA)
		if err == nil {
			break
		}
		if !retry || attempt > 0 {
			return err
		}
	}
	if err := os.Rename(part, blob); err != nil {
		return cacheError(rc.cacheDir, err)
	}
	return nil
}

// getInto fetches url into part, continuing from part's current size with a Range request.
// On success part holds the whole verified file. retry is true when part was reset because
// the server could not continue it, and a fresh attempt should follow.
func (c *client) getInto(ctx context.Context, u, part, file string, size int64, wantSHA string) (retry bool, err error) {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false, cacheError(c.s.cacheDir, err)
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return false, cacheError(c.s.cacheDir, err)
	}
	offset := fi.Size()
	if size >= 0 && offset > size {
		offset = 0
	}
	var h hash.Hash
	if wantSHA != "" {
		h = sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, offset)); err != nil {
			return false, cacheError(c.s.cacheDir, err)
		}
	}
	reset := func() error {
		offset = 0
		if h != nil {
			h.Reset()
		}
		return f.Truncate(0)
	}
	if offset == 0 {
		if err := f.Truncate(0); err != nil {
			return false, cacheError(c.s.cacheDir, err)
		}
	}

	if size < 0 || offset < size {
		// identity: sizes and ranges then count the bytes stored (Go would otherwise ask for
		// gzip and decompress behind our back).
		hdr := http.Header{"Accept-Encoding": {"identity"}}
		if offset > 0 {
			hdr.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		}
		resp, wd, err := c.do(ctx, c.getClient, http.MethodGet, u, hdr)
		if err != nil {
			if ctx.Err() == nil && (wd == nil || !wd.stalled()) {
				return false, c.requestError(ctx, wd, err)
			}
			return false, c.interrupted(ctx, wd, file, offset, size, err)
		}
		defer wd.stop()
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			if offset > 0 { // the server ignored Range: start over
				if err := reset(); err != nil {
					return false, cacheError(c.s.cacheDir, err)
				}
			}
		case http.StatusPartialContent:
			if !strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", offset)) {
				_ = reset()
				return true, fmt.Errorf("unexpected Content-Range %q", resp.Header.Get("Content-Range"))
			}
		case http.StatusRequestedRangeNotSatisfiable:
			_ = reset()
			return true, fmt.Errorf("range not satisfiable")
		default:
			return false, c.statusError(resp, file)
		}
		if size < 0 && resp.ContentLength >= 0 {
			size = offset + resp.ContentLength
		}
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return false, cacheError(c.s.cacheDir, err)
		}
		done, err := c.copyBody(f, h, resp.Body, file, offset, size)
		offset = done
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) { // writing to disk failed, not the network
				return false, cacheError(c.s.cacheDir, err)
			}
			return false, c.interrupted(ctx, wd, file, offset, size, err)
		}
	}

	if size >= 0 && offset != size {
		return false, c.interrupted(ctx, nil, file, offset, size, io.ErrUnexpectedEOF)
	}
	if h != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
			_ = f.Close()
			f = nil
			_ = os.Remove(part)
			return false, &Error{Kind: ErrInterrupted, Model: c.id, File: file,
				What: fmt.Sprintf("%s of %s arrived corrupted (sha256 %s, expected %s) and was deleted", file, c.id, got, wantSHA),
				Hint: "run again to download it anew"}
		}
	}
	if err := f.Sync(); err != nil {
		return false, cacheError(c.s.cacheDir, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return false, cacheError(c.s.cacheDir, err)
	}
	return false, nil
}

// copyBody streams body to f (and h), reporting progress. It returns the file size reached.
func (c *client) copyBody(f *os.File, h hash.Hash, body io.Reader, file string, done, total int64) (int64, error) {
	progress := c.s.Progress
	if progress != nil {
		progress(file, done, total)
	}
	last := time.Now()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return done, err
			}
			if h != nil {
				h.Write(buf[:n])
			}
			done += int64(n)
			if progress != nil && (done == total || time.Since(last) >= progressInterval) {
				progress(file, done, total)
				last = time.Now()
			}
		}
		if rerr == io.EOF {
			if progress != nil && done != total {
				progress(file, done, total)
			}
			return done, nil
		}
		if rerr != nil {
			return done, rerr
		}
	}
}

// interrupted is the error for a download that stopped part way.
func (c *client) interrupted(ctx context.Context, wd *watchdog, file string, done, total int64, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("downloading %s of %s: %w", file, c.id, ctx.Err())
	}
	of := ""
	if total >= 0 {
		of = " of " + humanBytes(total)
	}
	why := err.Error()
	if wd != nil && wd.stalled() {
		why = fmt.Sprintf("no data for %v", stallTimeout)
	}
	return &Error{Kind: ErrInterrupted, Model: c.id, File: file,
		What: fmt.Sprintf("download of %s for %s stopped after %s%s (%s)", file, c.id, humanBytes(done), of, why),
		Hint: "check the internet connection and run again: the download resumes where it stopped",
		Err:  err}
}

func cacheError(dir string, err error) error {
	return &Error{Dir: dir,
		What: fmt.Sprintf("cannot write to the model cache: %v", err),
		Hint: "free some disk space, or set HF_HUB_CACHE to a folder you can write to",
		Err:  err}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
