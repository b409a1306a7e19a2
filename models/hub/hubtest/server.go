// Package hubtest runs a fake Hugging Face Hub on 127.0.0.1 for tests.
//
// It speaks the part of the Hub protocol that huggingface_hub (Python) and
// go-huggingface use to download a model:
//
//	GET  /api/models/{id}                   model info: {"sha": ..., "siblings": [{"rfilename": ...}]}
//	GET  /api/models/{id}/revision/{rev}    the same at a revision ("main", a pull request's
//	                                        "refs/pr/N" (escaped refs%2Fpr%2FN) or a commit sha);
//	                                        with ?blobs=true each sibling also has size, blobId and lfs
//	GET  /api/models/{id}/discussions       discussions and pull requests (discussions.go)
//	HEAD /{id}/resolve/{rev}/{file}         headers only
//	GET  /{id}/resolve/{rev}/{file}         the file (honours "Range: bytes=N-")
//
// Repos can be laid out as real Hub repos are (layouts.go): openai/clip-vit-base-patch32 has no
// model.safetensors on main, only in its conversion pull request refs/pr/15.
//
// File responses carry the headers the clients read: X-Repo-Commit, ETag (the git blob sha1 for
// plain files), and for LFS files (*.safetensors, *.bin, ... or > 10 MB) X-Linked-Etag (the file's
// sha256, which is also its blob name in the cache) and X-Linked-Size. Errors carry X-Error-Code
// (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and X-Error-Message as the Hub does.
//
// Switches simulate what goes wrong in the field: unknown ids (404), gated and private repos
// (401/403 unless the right "Authorization: Bearer" token is sent), a connection dropped after N
// bytes of a file, a connection that stalls, and LFS files redirected to a separate "CDN" server
// the way huggingface.co redirects to its CDN. Every request is counted so tests can assert that a
// cache was reused.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server is a fake Hugging Face Hub. Create it with NewServer; it is closed when the test ends.
type Server struct {
	t   testing.TB
	hub *httptest.Server // the Hub: API and resolve URLs
	cdn *httptest.Server // where LFS files are redirected when RedirectLFS is on

	mu          sync.Mutex
	repos       map[string]*repo
	faults      map[string]*fault // key: id + "/" + file
	redirectLFS bool
	requests    []Request
	done        chan struct{} // closed at cleanup: releases stalled handlers
}

// Request is one request the server received.
type Request struct {
	Server        string // "hub" or "cdn"
	Method        string
	Path          string // unescaped URL path
	RawQuery      string
	Authorization string // the Authorization header, "" if none
	Range         string // the Range header, "" if none
}

type repo struct {
	id       string
	main     *tree
	token    string // required token when gated or private
	gated    bool   // files need the token; the API is public (as on the Hub)
	private  bool   // everything needs the token; without it the repo "does not exist" (401)
	revision int    // bumped by NewCommit and SetFile

	discussions    []*discussion // in the order they were added (num ascending)
	discussionsOff bool          // the owner disabled discussions: the listing answers 403
}

// tree is the repo's files at one commit: main, or a pull request's refs/pr/N.
type tree struct {
	commit string
	files  map[string]*file
	names  []string // sorted
}

func (t *tree) clone() *tree {
	c := &tree{commit: t.commit, files: map[string]*file{}, names: append([]string(nil), t.names...)}
	for n, f := range t.files {
		c.files[n] = f
	}
	return c
}

func (t *tree) put(f *file) {
	if _, ok := t.files[f.name]; !ok {
		t.names = append(t.names, f.name)
		sort.Strings(t.names)
	}
	t.files[f.name] = f
}

func (t *tree) remove(name string) {
	if _, ok := t.files[name]; !ok {
		return
	}
	delete(t.files, name)
	t.names = slices.DeleteFunc(t.names, func(n string) bool { return n == name })
}

type file struct {
	name   string
	data   []byte
	sha256 string // hex
	gitSHA string // git blob sha1, hex
	lfs    bool
}

type fault struct {
	after int64 // bytes of the body sent before the fault
	stall bool  // true: stop sending and wait; false: drop the connection
}

// NewServer starts a fake Hub serving repos: Hub id ("owner/name") -> local directory whose
// regular files (not subdirectories) are the repo's files. It fails the test if a directory
// cannot be read. The servers listen on 127.0.0.1 only and are closed by t.Cleanup.
func NewServer(t testing.TB, repos map[string]string) *Server {
	t.Helper()
	s := &Server{
		t:      t,
		repos:  map[string]*repo{},
		faults: map[string]*fault{},
		done:   make(chan struct{}),
	}
	for id, dir := range repos {
		r, err := loadRepo(id, dir)
		if err != nil {
			t.Fatalf("hubtest: %v", err)
		}
		s.repos[id] = r
	}
	s.hub = httptest.NewServer(http.HandlerFunc(s.serveHub))
	s.cdn = httptest.NewServer(http.HandlerFunc(s.serveCDN))
	t.Cleanup(func() {
		close(s.done)
		s.hub.Close()
		s.cdn.Close()
	})
	return s
}

// AddRepo adds repo id holding files (name -> content) on main.
func (s *Server) AddRepo(id string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[id] = newRepo(id, files)
}

// loadRepo makes repo id from the regular files of dir.
func loadRepo(id, dir string) (*repo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading repo %s: %w", id, err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading repo %s: %w", id, err)
		}
		files[e.Name()] = data
	}
	return newRepo(id, files), nil
}

// newRepo makes repo id holding files on main, at a commit derived from them.
func newRepo(id string, files map[string][]byte) *repo {
	r := &repo{id: id, main: &tree{files: map[string]*file{}}}
	for name, data := range files {
		r.main.put(newFile(name, data))
	}
	r.main.commit = r.computeCommit(r.main)
	return r
}

func newFile(name string, data []byte) *file {
	sum := sha256.Sum256(data)
	return &file{
		name:   name,
		data:   data,
		sha256: hex.EncodeToString(sum[:]),
		gitSHA: GitBlobSHA1(data),
		lfs:    isLFS(name, len(data)),
	}
}

// computeCommit derives a stable fake commit sha from the repo, its revision counter and the
// tree's file list and contents.
func (r *repo) computeCommit(t *tree) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\n", r.id, r.revision)
	for _, n := range t.names {
		fmt.Fprintf(h, "%s %s\n", n, t.files[n].gitSHA)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// isLFS mirrors the Hub's default .gitattributes: weights and big files go to LFS.
func isLFS(name string, size int) bool {
	switch filepath.Ext(name) {
	case ".safetensors", ".bin", ".h5", ".msgpack", ".onnx", ".ot", ".pt", ".pth", ".ckpt", ".pb", ".tflite":
		return true
	}
	return size > 10<<20
}

// GitBlobSHA1 is the git object id of a file with this content: the ETag the Hub sends for
// files not stored in LFS, and so their blob name in the Hugging Face cache.
func GitBlobSHA1(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// SHA256 is the hex sha256 of data: the blob name of an LFS file in the Hugging Face cache.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// URL is the Hub endpoint, e.g. "http://127.0.0.1:41234" (use it as HF_ENDPOINT).
func (s *Server) URL() string { return s.hub.URL }

// CDNURL is the base URL of the server LFS files are redirected to when RedirectLFS is on.
func (s *Server) CDNURL() string { return s.cdn.URL }

// Commit is the current commit sha of main of repo id (40 hex digits).
func (s *Server) Commit(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustRepo(id).main.commit
}

// NewCommit moves "main" of repo id to a new commit with the same files, as a push that
// changes only other files would, and returns the new sha.
func (s *Server) NewCommit(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(id)
	r.revision++
	r.main.commit = r.computeCommit(r.main)
	return r.main.commit
}

// SetFile commits data as file name on main of repo id (nil data deletes the file) and returns
// the new commit sha. Pull requests opened before keep the files they had: this is how a
// conversion pull request goes stale.
func (s *Server) SetFile(id, name string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(id)
	if data == nil {
		r.main.remove(name)
	} else {
		r.main.put(newFile(name, data))
	}
	r.revision++
	r.main.commit = r.computeCommit(r.main)
	return r.main.commit
}

// Gate makes repo id gated: its model info stays public (as on the Hub), but its files answer
// 401 (no token) or 403 (another token) with X-Error-Code GatedRepo unless the request carries
// "Authorization: Bearer <token>".
func (s *Server) Gate(id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(id)
	r.gated, r.token = true, token
}

// MakePrivate makes repo id private: without "Authorization: Bearer <token>" every request about
// it answers 401 with X-Error-Code RepoNotFound, exactly as the Hub answers for a repo that does
// not exist, so a client cannot tell the two apart.
func (s *Server) MakePrivate(id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(id)
	r.private, r.token = true, token
}

// DropAfter makes the next GET of file in repo id send n bytes of the body (after the full
// headers, Content-Length included) and then drop the connection. It applies once.
func (s *Server) DropAfter(id, file string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(id)
	s.faults[id+"/"+file] = &fault{after: n}
}

// StallAfter makes the next GET of file in repo id send n bytes of the body and then send
// nothing more, keeping the connection open until the client gives up. It applies once.
func (s *Server) StallAfter(id, file string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(id)
	s.faults[id+"/"+file] = &fault{after: n, stall: true}
}

// RedirectLFS makes HEAD and GET of LFS files answer 302 to the CDN server, as huggingface.co
// does; the 302 carries X-Repo-Commit, X-Linked-Etag and X-Linked-Size. The CDN is another
// host:port, so a client must not forward the Authorization header there (see Requests).
func (s *Server) RedirectLFS(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirectLFS = on
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests received with this method and unescaped path,
// e.g. Count("GET", "/api/models/openai/clip/revision/main").
func (s *Server) Count(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// Counts maps "METHOD path" to the number of such requests.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for _, r := range s.requests {
		m[r.Method+" "+r.Path]++
	}
	return m
}

// Total is the number of requests received, API and files, Hub and CDN.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// FileRequests counts HEAD and GET requests for files (resolve URLs and the CDN).
func (s *Server) FileRequests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == method && (r.Server == "cdn" || strings.Contains(r.Path, "/resolve/")) {
			n++
		}
	}
	return n
}

// Reset forgets the requests received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) mustRepo(id string) *repo {
	r := s.repos[id]
	if r == nil {
		s.t.Fatalf("hubtest: no repo %q", id)
	}
	return r
}

func (s *Server) record(server string, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Server:        server,
		Method:        req.Method,
		Path:          req.URL.Path,
		RawQuery:      req.URL.RawQuery,
		Authorization: req.Header.Get("Authorization"),
		Range:         req.Header.Get("Range"),
	})
}

// hubError writes an error the way the Hub does: X-Error-Code / X-Error-Message headers and a
// JSON body {"error": message}.
func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) serveHub(w http.ResponseWriter, req *http.Request) {
	s.record("hub", req)
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		hubError(w, http.StatusMethodNotAllowed, "", "method not allowed")
		return
	}
	// Split on the escaped path so a revision like "refs%2Fpr%2F1" stays one segment.
	p := req.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(p, "/api/models/"); ok {
		if id, ok := strings.CutSuffix(rest, "/discussions"); ok {
			s.serveDiscussions(w, req, unescape(id))
			return
		}
		id, rev := rest, "main"
		if i := strings.Index(rest, "/revision/"); i >= 0 {
			id, rev = rest[:i], rest[i+len("/revision/"):]
		}
		s.serveInfo(w, req, unescape(id), unescape(rev))
		return
	}
	if i := strings.Index(p, "/resolve/"); i > 0 {
		id := unescape(p[1:i])
		rev, name, ok := strings.Cut(p[i+len("/resolve/"):], "/")
		if !ok {
			hubError(w, http.StatusNotFound, "EntryNotFound", "no file name")
			return
		}
		s.serveResolve(w, req, id, unescape(rev), unescape(name))
		return
	}
	hubError(w, http.StatusNotFound, "", "not found")
}

func unescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// lookup finds the repo and checks access; it writes the error and returns nil when the
// request cannot go on.
func (s *Server) lookup(w http.ResponseWriter, req *http.Request, id string, isFile bool) *repo {
	s.mu.Lock()
	r := s.repos[id]
	var private, gated bool
	var token string
	if r != nil {
		private, gated, token = r.private, r.gated, r.token
	}
	s.mu.Unlock()
	if r == nil {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return nil
	}
	auth := req.Header.Get("Authorization")
	if private && auth != "Bearer "+token {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Invalid username or password.")
		return nil
	}
	if gated && isFile && auth != "Bearer "+token {
		if auth == "" {
			hubError(w, http.StatusUnauthorized, "GatedRepo",
				fmt.Sprintf("Access to model %s is restricted. You must have access to it and be authenticated to access it. Please log in.", id))
		} else {
			hubError(w, http.StatusForbidden, "GatedRepo",
				fmt.Sprintf("Access to model %s is restricted and you are not in the authorized list.", id))
		}
		return nil
	}
	return r
}

// lookupTree is lookup plus the revision: "main", a pull request's "refs/pr/N", or the commit
// sha of either.
func (s *Server) lookupTree(w http.ResponseWriter, req *http.Request, id, rev string, isFile bool) (*repo, *tree) {
	r := s.lookup(w, req, id, isFile)
	if r == nil {
		return nil, nil
	}
	s.mu.Lock()
	t := r.tree(rev)
	s.mu.Unlock()
	if t == nil {
		hubError(w, http.StatusNotFound, "RevisionNotFound", fmt.Sprintf("Invalid rev id: %s", rev))
		return nil, nil
	}
	return r, t
}

// tree finds a revision of r; s.mu must be held.
func (r *repo) tree(rev string) *tree {
	if rev == "main" || rev == r.main.commit {
		return r.main
	}
	for _, d := range r.discussions {
		if d.tree != nil && (rev == d.ref() || rev == d.tree.commit) {
			return d.tree
		}
	}
	return nil
}

// siblingJSON is one entry of "siblings" in the model info.
type siblingJSON struct {
	RFilename string   `json:"rfilename"`
	Size      int64    `json:"size,omitempty"`
	BlobID    string   `json:"blobId,omitempty"`
	LFS       *lfsJSON `json:"lfs,omitempty"`
}

type lfsJSON struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

type infoJSON struct {
	InternalID   string        `json:"_id"`
	ID           string        `json:"id"`
	ModelID      string        `json:"modelId"`
	SHA          string        `json:"sha"`
	Private      bool          `json:"private"`
	Gated        any           `json:"gated"`
	LastModified string        `json:"lastModified"`
	Siblings     []siblingJSON `json:"siblings"`
}

func (s *Server) serveInfo(w http.ResponseWriter, req *http.Request, id, rev string) {
	r, t := s.lookupTree(w, req, id, rev, false)
	if r == nil {
		return
	}
	blobs := req.URL.Query().Get("blobs") == "true"
	s.mu.Lock()
	info := infoJSON{
		InternalID:   "hubtest-" + id,
		ID:           id,
		ModelID:      id,
		SHA:          t.commit,
		Private:      r.private,
		Gated:        false,
		LastModified: "2024-01-02T03:04:05.000Z",
	}
	if r.gated {
		info.Gated = "auto"
	}
	s.mu.Unlock()
	for _, n := range t.names {
		f := t.files[n]
		sib := siblingJSON{RFilename: n}
		if blobs {
			sib.Size = int64(len(f.data))
			sib.BlobID = f.gitSHA
			if f.lfs {
				sib.LFS = &lfsJSON{SHA256: f.sha256, Size: int64(len(f.data)), PointerSize: 134}
			}
		}
		info.Siblings = append(info.Siblings, sib)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

func (s *Server) serveResolve(w http.ResponseWriter, req *http.Request, id, rev, name string) {
	r, t := s.lookupTree(w, req, id, rev, true)
	if r == nil {
		return
	}
	f := t.files[name]
	if f == nil {
		hubError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", name, rev))
		return
	}
	s.mu.Lock()
	commit, redirect := t.commit, s.redirectLFS && f.lfs
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-Repo-Commit", commit)
	if f.lfs {
		h.Set("X-Linked-Etag", `"`+f.sha256+`"`)
		h.Set("X-Linked-Size", strconv.Itoa(len(f.data)))
		h.Set("ETag", `"`+f.sha256+`"`)
	} else {
		h.Set("ETag", `"`+f.gitSHA+`"`)
	}
	if redirect {
		h.Set("Location", s.cdn.URL+"/repos/"+f.sha256+"?name="+url.QueryEscape(name))
		w.WriteHeader(http.StatusFound)
		return
	}
	s.serveBody(w, req, id, f)
}

func (s *Server) serveCDN(w http.ResponseWriter, req *http.Request) {
	s.record("cdn", req)
	sum, ok := strings.CutPrefix(req.URL.Path, "/repos/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	s.mu.Lock()
	var id string
	var f *file
	for _, r := range s.repos {
		for _, t := range r.trees() {
			for _, rf := range t.files {
				if rf.sha256 == sum {
					id, f = r.id, rf
				}
			}
		}
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, req)
		return
	}
	w.Header().Set("ETag", `"`+f.sha256+`"`)
	s.serveBody(w, req, id, f)
}

// serveBody writes the file honouring "Range: bytes=N-" and any fault set for it.
func (s *Server) serveBody(w http.ResponseWriter, req *http.Request, id string, f *file) {
	size := int64(len(f.data))
	start := int64(0)
	status := http.StatusOK
	if rg := req.Header.Get("Range"); rg != "" && req.Method == http.MethodGet {
		from, ok := strings.CutPrefix(rg, "bytes=")
		from, _, _ = strings.Cut(from, "-")
		n, err := strconv.ParseInt(from, 10, 64)
		if !ok || err != nil || n < 0 {
			hubError(w, http.StatusBadRequest, "", "bad range "+rg)
			return
		}
		if n >= size {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, status = n, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, size-1, size))
	}
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(size-start, 10))
	w.WriteHeader(status)
	if req.Method == http.MethodHead {
		return
	}
	body := f.data[start:]

	var flt *fault
	if req.Method == http.MethodGet {
		s.mu.Lock()
		key := id + "/" + f.name
		flt = s.faults[key]
		delete(s.faults, key)
		s.mu.Unlock()
	}
	if flt == nil {
		_, _ = w.Write(body)
		return
	}
	n := min(flt.after, int64(len(body)))
	_, _ = w.Write(body[:n])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if flt.stall {
		select {
		case <-req.Context().Done():
		case <-s.done:
		}
		return
	}
	// Abort the handler: net/http closes the connection without finishing the body, so the
	// client sees fewer bytes than Content-Length promised.
	panic(http.ErrAbortHandler)
}

// ClosedURL returns an http URL on 127.0.0.1 at a port where nothing listens: requests to it
// fail at once with "connection refused", like a machine without network.
func ClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("hubtest: %v", err)
	}
	return "http://" + addr
}
