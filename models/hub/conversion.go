package hub

// The Hub's safetensors conversion pull requests, found and checked as transformers'
// safetensors_conversion.py (previous_pr, get_conversion_pr_reference) does.
//
// Many repos have PyTorch weights only on main; the Hub's conversion bot (SFconvertbot) opened a
// pull request on them adding model.safetensors, and for some it was never merged:
// openai/clip-vit-base-patch32, the original tool's default, has model.safetensors only in
// refs/pr/15. transformers looks such a pull request up in the repo's discussions and loads the
// weights from refs/pr/N. So does this file, with one stricter check: transformers trusts the PR
// when main's head is the PR's parent commit; here every file main has (but the README and
// .gitattributes) must be in the PR with the same content (the same git or LFS blob id), which also
// accepts a PR that main has since moved past with only a README edit, and refuses one whose
// config.json or pytorch_model.bin changed since.
//
// The files are cached as huggingface_hub caches a revision: snapshots/<PR commit>/ with every file
// (config, tokenizer and weights, the non-weight files being the same blobs as main's), refs/refs/pr/N
// holding that commit; main's snapshot gets its non-weight files too and refs/main its commit, which
// is what Python has after transformers loaded the config from main and the weights from the PR. An
// offline run finds the PR's snapshot from main's (conversionInCache).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// conversionTitle is the title of every pull request the conversion bot opens (transformers'
// pr_title); conversionBot its user name on the Hub (transformers compares "SFConvertBot"; the
// Hub's user is SFconvertbot: compared without case).
const (
	conversionTitle = "Adding `safetensors` variant of this model"
	conversionBot   = "SFconvertbot"
)

// maxDiscussionPages bounds how many pages of 50 discussions are read: a repo with more than
// 1,000 open pull requests is not one whose conversion PR is worth finding.
const maxDiscussionPages = 20

// discussion is one entry of GET /api/models/{id}/discussions, as huggingface_hub's
// get_repo_discussions reads it.
type discussion struct {
	Num    int `json:"num"`
	Author *struct {
		Name string `json:"name"`
	} `json:"author"`
	Title         string `json:"title"`
	Status        string `json:"status"`
	IsPullRequest bool   `json:"isPullRequest"`
}

func (d discussion) ref() string { return fmt.Sprintf("refs/pr/%d", d.Num) }

// conversionPRs lists the repo's open pull requests by the conversion bot with its title, newest
// first, as the Hub lists them.
func (c *client) conversionPRs(ctx context.Context) ([]discussion, error) {
	var prs []discussion
	for page := 0; page < maxDiscussionPages; page++ {
		q := url.Values{"p": {fmt.Sprint(page)}, "type": {"pull_request"}, "status": {"open"}}
		u := fmt.Sprintf("%s/api/models/%s/discussions?%s", c.s.endpoint, c.id, q.Encode())
		resp, wd, err := c.do(ctx, c.getClient, http.MethodGet, u, nil)
		if err != nil {
			return nil, c.requestError(ctx, wd, err)
		}
		var body struct {
			Discussions []discussion `json:"discussions"`
			Count       int          `json:"count"`
			Start       int          `json:"start"`
		}
		if resp.StatusCode != http.StatusOK {
			err = c.statusError(resp, "")
		} else {
			err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body)
		}
		resp.Body.Close()
		wd.stop()
		if err != nil {
			return nil, err
		}
		for _, d := range body.Discussions {
			if d.IsPullRequest && d.Status == "open" && d.Title == conversionTitle &&
				d.Author != nil && strings.EqualFold(d.Author.Name, conversionBot) {
				prs = append(prs, d)
			}
		}
		if len(body.Discussions) == 0 || body.Start+len(body.Discussions) >= body.Count {
			break
		}
	}
	return prs, nil
}

// conversion looks for a conversion pull request whose files are main's plus safetensors, and
// downloads it. It returns (nil, why, nil) when there is none to use, why saying so in a few
// words; errors are returned only for a cancelled ctx and a failed download of a good PR.
func (c *client) conversion(ctx context.Context, rc repoCache, main *modelInfo) (*Checkpoint, string, error) {
	prs, err := c.conversionPRs(ctx)
	if ctx.Err() != nil {
		return nil, "", fmt.Errorf("resolving %s: %w", c.id, ctx.Err())
	}
	if err != nil {
		return nil, "its pull requests could not be listed", nil
	}
	if len(prs) == 0 {
		return nil, "and no safetensors conversion pull request", nil
	}
	// Like transformers, the newest pull request that fits; but one whose weights are already in
	// the cache (say, candle's pinned refs/pr/15) is preferred to a second 600 MB download.
	var why []string
	var chosen *discussion
	var chosenInfo *modelInfo
	var chosenPlan *filePlan
	for _, pr := range prs {
		info, err := c.info(ctx, pr.ref())
		if ctx.Err() != nil {
			return nil, "", fmt.Errorf("resolving %s: %w", c.id, ctx.Err())
		}
		if err != nil {
			why = append(why, fmt.Sprintf("its conversion pull request %s could not be read", pr.ref()))
			continue
		}
		plan, err := planFiles(c.id, info.Siblings)
		if err != nil || plan.weights.PyTorch {
			why = append(why, fmt.Sprintf("its conversion pull request %s has no model.safetensors", pr.ref()))
			continue
		}
		if diff := prDiffers(main.Siblings, info.Siblings); diff != "" {
			why = append(why, fmt.Sprintf("its conversion pull request %s is out of date: %s", pr.ref(), diff))
			continue
		}
		cached := weightsCached(rc, plan)
		if chosen == nil || cached {
			chosen, chosenInfo, chosenPlan = &pr, info, plan
		}
		if cached {
			break
		}
	}
	if chosen == nil {
		return nil, strings.Join(why, "; "), nil
	}
	snap, err := c.download(ctx, rc, chosenInfo, chosenPlan)
	if err != nil {
		return nil, "", err
	}
	if err := linkMainFiles(rc, main.SHA, snap, chosenPlan); err != nil {
		return nil, "", cacheError(c.s.cacheDir, err)
	}
	if err := rc.writeRef(chosen.ref(), chosenInfo.SHA); err != nil {
		return nil, "", cacheError(c.s.cacheDir, err)
	}
	if err := rc.writeRef(c.s.revision, main.SHA); err != nil {
		return nil, "", cacheError(c.s.cacheDir, err)
	}
	return conversionCheckpoint(c.id, snap, chosen.ref(), chosenInfo.SHA, chosenPlan.weights), "", nil
}

// weightsCached reports whether the blob of plan's (unsharded) weights file is in the cache.
func weightsCached(rc repoCache, plan *filePlan) bool {
	sib := plan.present[plan.weights.File]
	return !plan.weights.Sharded && blobID(sib) != "" && blobOK(rc.blob(blobID(sib)), knownSize(sib))
}

func conversionCheckpoint(id, snap, ref, commit string, w Weights) *Checkpoint {
	return &Checkpoint{Dir: snap, ID: id, Revision: commit, Ref: ref, Weights: w,
		Note: fmt.Sprintf("%s has no model.safetensors on main: using %s from the Hub's safetensors conversion pull request %s (commit %s)",
			id, w.File, ref, commit[:12])}
}

// unchecked are files a conversion PR may differ from main in without consequence.
var unchecked = map[string]bool{"README.md": true, ".gitattributes": true}

// prDiffers says how a conversion PR's files differ from main's, "" if they do not: every file of
// main must be in the PR with the same blob id (the PR may add files).
func prDiffers(main, pr []sibling) string {
	prFiles := map[string]sibling{}
	for _, s := range pr {
		prFiles[s.Name] = s
	}
	for _, m := range main {
		if unchecked[m.Name] {
			continue
		}
		p, ok := prFiles[m.Name]
		switch {
		case !ok:
			return fmt.Sprintf("it lacks main's %s", m.Name)
		case blobID(m) == "" || blobID(p) == "":
			return fmt.Sprintf("the Hub did not say which version of %s it holds", m.Name)
		case blobID(m) != blobID(p):
			return fmt.Sprintf("its %s differs from main's", m.Name)
		}
	}
	return ""
}

// blobID identifies a file's content: the LFS sha256, else the git blob sha1.
func blobID(s sibling) string {
	if s.LFS != nil && s.LFS.SHA256 != "" {
		return s.LFS.SHA256
	}
	return s.BlobID
}

// linkMainFiles gives main's snapshot the PR snapshot's non-weight files (the same blobs), as
// Python's cache has them after transformers read the config from main.
func linkMainFiles(rc repoCache, mainSHA, prSnap string, plan *filePlan) error {
	for _, f := range plan.files {
		if f == plan.weights.File {
			continue
		}
		dst := filepath.Join(rc.snapshot(mainSHA), f)
		if isFile(dst) {
			continue
		}
		blob, err := filepath.EvalSymlinks(filepath.Join(prSnap, f))
		if err != nil {
			return err
		}
		if err := link(dst, blob); err != nil {
			return err
		}
	}
	return nil
}

// conversionInCache finds, without the network, a cached conversion PR snapshot (refs/refs/pr/N)
// that has safetensors and whose non-weight files are those of mainSnap (linked from there when
// it lacks them).
func conversionInCache(rc repoCache, id, mainSnap string) *Checkpoint {
	entries, err := os.ReadDir(filepath.Join(rc.dir(), "refs", "refs", "pr"))
	if err != nil {
		return nil
	}
	for _, e := range entries {
		ref := "refs/pr/" + e.Name()
		commit := rc.commitFor(ref)
		if commit == "" {
			continue
		}
		snap := rc.snapshot(commit)
		fillFromMain(snap, mainSnap)
		w, missing, err := checkDir(snap, id)
		if err != nil || len(missing) > 0 || w.PyTorch || !sameFiles(mainSnap, snap) {
			continue
		}
		return conversionCheckpoint(id, snap, ref, commit, w)
	}
	return nil
}

// fillFromMain links the config and tokenizer files a PR snapshot lacks to main's blobs.
// Python's cache has only model.safetensors in it: transformers reads the rest from main. Errors
// are left to the completeness check that follows.
func fillFromMain(prSnap, mainSnap string) {
	if !isFile(filepath.Join(prSnap, weightsFile)) {
		return
	}
	for _, f := range configFiles {
		if isFile(filepath.Join(prSnap, f)) {
			continue
		}
		if blob, err := filepath.EvalSymlinks(filepath.Join(mainSnap, f)); err == nil {
			_ = link(filepath.Join(prSnap, f), blob)
		}
	}
}

// sameFiles reports whether every config and tokenizer file of a has the same content in b.
func sameFiles(a, b string) bool {
	for _, f := range configFiles {
		da, errA := os.ReadFile(filepath.Join(a, f))
		db, errB := os.ReadFile(filepath.Join(b, f))
		if errors.Is(errA, os.ErrNotExist) && errors.Is(errB, os.ErrNotExist) {
			continue
		}
		if errA != nil || errB != nil || !bytes.Equal(da, db) {
			return false
		}
	}
	return true
}
