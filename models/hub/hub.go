// Package hub turns the --model argument into a checkpoint on local disk (CLIP, SigLIP or
// SigLIP2 in Hugging Face transformers format): a folder used as it is, or a Hugging Face Hub id
// whose files are downloaded into the Hugging Face cache.
//
// It follows huggingface_hub's snapshot_download / hf_hub_download (Python) in what it asks the
// Hub, in the cache layout it reads and writes, and in the environment variables it honours
// (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE), so models already downloaded
// by Python tools are reused, and the other way round. Only the files a checkpoint needs are
// downloaded (see checkpoint.go: one tokenizer, never PyTorch weights when there are safetensors,
// never TensorFlow, Flax or ONNX weights).
package hub

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Checkpoint is a model checkpoint on local disk, ready to load.
type Checkpoint struct {
	// Dir holds config.json, model.safetensors (or model.safetensors.index.json and its
	// shards, or pytorch_model.bin; see Weights), preprocessor_config.json, the tokenizer's files
	// (vocab.json and merges.txt for CLIP, spiece.model for SigLIP, tokenizer.json for SigLIP2),
	// and tokenizer_config.json and special_tokens_map.json when the model has them. A Hub
	// download fetches one tokenizer's files only; a folder or a cache filled by Python may hold
	// more. For Hub models it is a snapshot folder of the cache, whose files are symlinks into the
	// cache's blobs/.
	Dir string
	// ID is the Hub id ("openai/clip-vit-base-patch32"), or the cleaned absolute path of a folder.
	ID string
	// Revision is the commit sha of a Hub model, "" for a folder. When the weights come from a
	// safetensors conversion pull request it is that pull request's commit (see Ref).
	Revision string
	// Ref is the Hub revision the files were taken from when it is not the one asked for:
	// "refs/pr/15" for openai/clip-vit-base-patch32, whose main branch has no model.safetensors.
	Ref string
	// Weights is how the checkpoint stores its weights (safetensors or PyTorch, one file or shards).
	Weights Weights
	// Note, if set, is one line for the user on where the weights come from when that is not
	// simply model.safetensors of the revision asked for.
	Note string
	// CacheFallback is set when asking the Hub failed (no network, Hub down, token refused,
	// model gone) and a complete copy already in the cache was used instead, as huggingface_hub
	// does. It holds the reason; callers may show it as a warning.
	CacheFallback error
}

// Options for Resolve. The zero value uses the same defaults as huggingface_hub.
type Options struct {
	// CacheDir is the Hugging Face hub cache. "" = $HF_HUB_CACHE, else $HF_HOME/hub, else
	// ~/.cache/huggingface/hub: the folder Python uses, so its downloads are reused.
	CacheDir string
	// Endpoint of the Hub. "" = $HF_ENDPOINT, else https://huggingface.co.
	Endpoint string
	// Token for gated and private models. "" = $HF_TOKEN, else the token file
	// ($HF_TOKEN_PATH, else $HF_HOME/token) that `hf auth login` writes.
	Token string
	// Offline uses the cache only and never the network. Also on when $HF_HUB_OFFLINE (or
	// $TRANSFORMERS_OFFLINE) is 1, ON, YES or TRUE.
	Offline bool
	// Revision of Hub models: a branch, tag or commit sha. "" = "main".
	Revision string
	// Progress, if set, is called while a file downloads: total is the file size (-1 if
	// unknown), done the bytes on disk so far (a resumed download starts above 0). It is
	// called from the goroutine that called Resolve, at most every 100 ms per file plus once
	// at the start and once at the end of each file. Files already cached are not reported.
	Progress func(file string, done, total int64)
	// HTTPClient, if set, sends the requests. Its CheckRedirect is replaced (see download.go).
	// The default has timeouts for connecting, the TLS handshake and response headers, but
	// none for a whole transfer; with either client, a request that receives nothing for 60 s
	// is abandoned.
	HTTPClient *http.Client
}

// Resolve turns model into a checkpoint on local disk.
//
// An existing folder is used as it is, after checking that it holds the files a checkpoint
// needs. Something that looks like a path ("./x", "/x", "~/x", "a/b/c", "C:\x") but does not
// exist is an error. Anything else is a Hub id, "owner/name" or "name": the files of its
// checkpoint are downloaded into the cache, or found there. Errors are *Error values whose Kind
// tells the cases apart (errors.Is(err, ErrNotFound), ...); a cancelled ctx gives ctx's error.
func Resolve(ctx context.Context, model string, opts Options) (*Checkpoint, error) {
	if strings.TrimSpace(model) == "" {
		return nil, &Error{Kind: ErrNotFound,
			What: "no model given",
			Hint: "give a Hugging Face model id such as " + exampleID + ", or a folder holding a checkpoint"}
	}
	if cp, found, err := resolveFolder(model); found {
		if err == nil && opts.Revision != "" {
			return nil, &Error{Kind: ErrNotFound, Model: model, Dir: cp.Dir,
				What: fmt.Sprintf("a revision (%q) was given for %s, a folder on disk, not a Hugging Face model", opts.Revision, cp.Dir),
				Hint: "leave the revision out for a folder, or give a Hub id such as " + exampleID}
		}
		return cp, err
	}
	if looksLikePath(model) {
		return nil, &Error{Kind: ErrNotFound, Model: model,
			What: fmt.Sprintf("folder %s does not exist", model),
			Hint: "check the path, or give a Hugging Face model id such as " + exampleID}
	}
	if !validRepoID(model) {
		return nil, &Error{Kind: ErrNotFound, Model: model,
			What: fmt.Sprintf("%q is neither a folder nor a Hugging Face model id", model),
			Hint: "give a folder holding a checkpoint, or an id such as " + exampleID}
	}
	s := opts.settings()
	if !validRevision(s.revision) {
		return nil, &Error{Kind: ErrNotFound, Model: model,
			What: fmt.Sprintf("%q is not a valid revision", s.revision),
			Hint: "give a branch, tag or commit sha, or leave it empty for main"}
	}
	return resolveHub(ctx, model, s)
}

// validRevision refuses revisions that would escape refs/ when used as a file path.
func validRevision(rev string) bool {
	if strings.ContainsAny(rev, "\\\x00") || strings.HasPrefix(rev, "/") {
		return false
	}
	for _, p := range strings.Split(rev, "/") {
		if p == "" || p == "." || p == ".." {
			return false
		}
	}
	return true
}

// resolveFolder handles a model that exists on disk. found is false if nothing is there.
func resolveFolder(model string) (cp *Checkpoint, found bool, err error) {
	p := expandTilde(model)
	fi, err := os.Stat(p)
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, &Error{Kind: ErrNotFound, Model: model, Dir: p,
			What: fmt.Sprintf("cannot open %s: %v", p, err),
			Hint: "check the path and its permissions", Err: err}
	}
	dir := absPath(p)
	if !fi.IsDir() {
		return nil, true, &Error{Kind: ErrNotFound, Model: model, Dir: dir,
			What: fmt.Sprintf("%s is a file, not a folder", dir),
			Hint: "give the folder that holds config.json and model.safetensors"}
	}
	w, missing, err := checkDir(dir, dir)
	if err != nil {
		return nil, true, err
	}
	if len(missing) > 0 {
		return nil, true, missingInFolder(dir, missing)
	}
	return &Checkpoint{Dir: dir, ID: dir, Weights: w, Note: pytorchNote(dir, w, "")}, true, nil
}

func expandTilde(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		return filepath.Join(homeDir(), p[1:])
	}
	return p
}

// looksLikePath tells a path from a Hub id, which is "name" or "owner/name".
func looksLikePath(s string) bool {
	switch {
	case strings.HasPrefix(s, "."), strings.HasPrefix(s, "/"), strings.HasPrefix(s, "~"),
		strings.ContainsRune(s, '\\'), strings.HasSuffix(s, "/"),
		strings.Count(s, "/") > 1,
		filepath.IsAbs(s), filepath.VolumeName(s) != "":
		return true
	}
	return false
}

var repoPartRE = regexp.MustCompile(`^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)

// validRepoID applies huggingface_hub's validate_repo_id rules.
func validRepoID(id string) bool {
	parts := strings.Split(id, "/")
	if len(parts) > 2 || strings.Contains(id, "--") || strings.Contains(id, "..") || strings.HasSuffix(id, ".git") {
		return false
	}
	for _, p := range parts {
		if !repoPartRE.MatchString(p) {
			return false
		}
	}
	return len(parts[len(parts)-1]) <= 96
}

// resolveHub finds or downloads Hub model id.
func resolveHub(ctx context.Context, id string, s settings) (*Checkpoint, error) {
	rc := newRepoCache(s.cacheDir, id)
	if s.offline {
		return fromCache(rc, id, s)
	}
	// A commit sha never changes: if it is complete in the cache, nothing needs asking.
	if isCommit(s.revision) {
		if cp, err := fromCache(rc, id, s); err == nil {
			return cp, nil
		}
	}

	c := newClient(s, id)
	info, err := c.info(ctx, s.revision)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// As snapshot_download: if the Hub cannot be asked, a complete cached copy will do.
		if cp, cerr := fromCache(rc, id, s); cerr == nil {
			cp.CacheFallback = err
			return cp, nil
		}
		return nil, err
	}
	plan, err := planFiles(id, info.Siblings)
	if err != nil {
		return nil, err
	}
	var why string
	if plan.weights.PyTorch {
		// A copy complete in the cache (Python's, from before transformers preferred
		// safetensors) is used as it is; otherwise the conversion pull request, if it fits.
		if w, missing, err := checkDir(rc.snapshot(info.SHA), id); err == nil && len(missing) == 0 && w.PyTorch {
			if err := rc.writeRef(s.revision, info.SHA); err != nil {
				return nil, cacheError(s.cacheDir, err)
			}
			return &Checkpoint{Dir: rc.snapshot(info.SHA), ID: id, Revision: info.SHA, Weights: w, Note: pytorchNote(id, w, "")}, nil
		}
		var cp *Checkpoint
		cp, why, err = c.conversion(ctx, rc, info)
		if cp != nil || err != nil {
			return cp, err
		}
	}
	snap, err := c.download(ctx, rc, info, plan)
	if err != nil {
		return nil, err
	}
	// refs/<revision> is written last, so it only ever names a complete snapshot.
	if err := rc.writeRef(s.revision, info.SHA); err != nil {
		return nil, cacheError(s.cacheDir, err)
	}
	return &Checkpoint{Dir: snap, ID: id, Revision: info.SHA, Weights: plan.weights, Note: pytorchNote(id, plan.weights, why)}, nil
}

// pytorchNote tells the user that PyTorch weights are read, and why, if that is the case.
func pytorchNote(id string, w Weights, why string) string {
	if !w.PyTorch {
		return ""
	}
	if why != "" {
		why = " (" + why + ")"
	}
	return fmt.Sprintf("%s has no model.safetensors%s: reading its %s with the safe loader, which never runs code from the file", id, why, w.File)
}

// download fetches the files of plan at info's commit into the cache (or finds them there)
// and returns the snapshot folder.
func (c *client) download(ctx context.Context, rc repoCache, info *modelInfo, plan *filePlan) (string, error) {
	id := c.id
	snap := rc.snapshot(info.SHA)
	files := plan.files
	for i := 0; i < len(files); i++ {
		name := files[i]
		if err := c.ensure(ctx, rc, info.SHA, name, plan.present[name]); err != nil {
			return "", err
		}
		if name == plan.weights.File && plan.weights.Sharded {
			shards, err := readShards(filepath.Join(snap, name))
			if err != nil {
				return "", &Error{Kind: ErrMissingFiles, Model: id, File: name,
					What: fmt.Sprintf("the weights index of %s is unreadable: %v", id, err),
					Hint: "pick another checkpoint", Err: err}
			}
			var absent []string
			for _, sh := range shards {
				if _, ok := plan.present[sh]; !ok {
					absent = append(absent, sh)
				}
			}
			if len(absent) > 0 {
				return "", &Error{Kind: ErrMissingFiles, Model: id, Missing: absent,
					What: fmt.Sprintf("model %s on the Hugging Face Hub lacks %s, named in its %s", id, joinList(absent), name),
					Hint: "pick another checkpoint"}
			}
			files = append(files, shards...)
		}
	}
	_, missing, err := checkDir(snap, id)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 { // only if the cache changed under us
		return "", &Error{Kind: ErrMissingFiles, Model: id, Dir: snap, Missing: missing,
			What: fmt.Sprintf("after downloading, the cached copy of %s at %s lacks %s", id, snap, missingText(missing)),
			Hint: "run again"}
	}
	return snap, nil
}

// ensure puts file in the snapshot for commit, downloading its blob unless the cache has it.
func (c *client) ensure(ctx context.Context, rc repoCache, commit, file string, sib sibling) error {
	pointer := filepath.Join(rc.snapshot(commit), filepath.FromSlash(file))
	if blobOK(pointer, knownSize(sib)) {
		return nil // no request at all, as hf_hub_download with a commit sha
	}
	m, err := c.head(ctx, commit, file, sib)
	if err != nil {
		return err
	}
	blob := rc.blob(m.etag)
	if !blobOK(blob, m.size) {
		wantSHA := ""
		if sib.LFS != nil && commitLikeSHA256(sib.LFS.SHA256) {
			wantSHA = sib.LFS.SHA256
		}
		if err := c.fetchBlob(ctx, rc, commit, file, m, wantSHA); err != nil {
			return err
		}
	}
	if err := link(pointer, blob); err != nil {
		return cacheError(c.s.cacheDir, err)
	}
	return nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func commitLikeSHA256(s string) bool { return sha256RE.MatchString(s) }

// fromCache finds the model in the cache without the network.
func fromCache(rc repoCache, id string, s settings) (*Checkpoint, error) {
	hint := "run once with internet to download it"
	switch {
	case s.Offline:
		hint = "run once with internet, not in offline mode, to download it"
	case s.offline:
		hint = "run once with internet, with HF_HUB_OFFLINE unset, to download it"
	}
	what := fmt.Sprintf("model %s", id)
	if s.revision != "main" {
		what += fmt.Sprintf(" at revision %q", s.revision)
	}
	commit := rc.commitFor(s.revision)
	if commit == "" {
		return nil, &Error{Kind: ErrOffline, Model: id, Dir: s.cacheDir,
			What: fmt.Sprintf("%s is not in the cache at %s", what, s.cacheDir), Hint: hint}
	}
	snap := rc.snapshot(commit)
	w, missing, err := checkDir(snap, id)
	if err != nil {
		return nil, err
	}
	if len(missing) == 1 && missing[0] == weightsFile {
		// main without weights: the safetensors conversion pull request may be cached.
		if cp := conversionInCache(rc, id, snap); cp != nil {
			return cp, nil
		}
	}
	if len(missing) > 0 {
		return nil, &Error{Kind: ErrOffline, Model: id, Dir: snap, Missing: missing,
			What: fmt.Sprintf("%s is only partly in the cache at %s: it lacks %s", what, s.cacheDir, missingText(missing)),
			Hint: hint}
	}
	return &Checkpoint{Dir: snap, ID: id, Revision: commit, Weights: w, Note: pytorchNote(id, w, "")}, nil
}
