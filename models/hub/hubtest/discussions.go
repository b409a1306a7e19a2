package hubtest

// Discussions and pull requests, as the Hub serves them:
//
//	GET /api/models/{id}/discussions?p=N[&type=pull_request|discussion][&status=open|closed][&author=NAME]
//
// answers {"discussions": [...], "count": total, "start": offset, "numClosedDiscussions": n}, newest
// first, 50 per page; huggingface_hub's get_repo_discussions pages on while start + len < count.
// A pull request's files are served at the revision "refs/pr/N" (and at its commit sha), as
// model info and resolve URLs, like any branch.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ConversionTitle and ConversionBot are the title and author of the pull requests the Hub's
// safetensors conversion bot opens (huggingface.co/spaces/safetensors/convert).
const (
	ConversionTitle = "Adding `safetensors` variant of this model"
	ConversionBot   = "SFconvertbot"
)

// discussionsPageSize is how many discussions the Hub returns per page.
const discussionsPageSize = 50

// Discussion is a discussion or pull request of a repo.
type Discussion struct {
	Num           int    // 0 = the next free number
	Title         string // e.g. ConversionTitle
	Author        string // user name, e.g. ConversionBot
	Status        string // "open", "closed", "merged" or "draft"; "" = "open"
	IsPullRequest bool
	// For a pull request: its files are main's at the time it is added, with Add written over
	// them and Remove taken away. Commit, if set, is the commit sha of refs/pr/Num (for example the
	// real one of a Hub repo); otherwise one is derived.
	Add    map[string][]byte
	Remove []string
	Commit string
}

type discussion struct {
	Discussion
	repoID string
	tree   *tree // nil for a discussion that is not a pull request
}

func (d *discussion) ref() string { return fmt.Sprintf("refs/pr/%d", d.Num) }

// trees lists main and every pull request's files; s.mu must be held.
func (r *repo) trees() []*tree {
	ts := []*tree{r.main}
	for _, d := range r.discussions {
		if d.tree != nil {
			ts = append(ts, d.tree)
		}
	}
	return ts
}

// AddDiscussion adds a discussion or pull request to repo id and returns its number.
func (s *Server) AddDiscussion(id string, d Discussion) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.mustRepo(id)
	if d.Num == 0 {
		d.Num = len(r.discussions) + 1
		for _, o := range r.discussions {
			d.Num = max(d.Num, o.Num+1)
		}
	}
	if d.Status == "" {
		d.Status = "open"
	}
	nd := &discussion{Discussion: d, repoID: id}
	if d.IsPullRequest {
		t := r.main.clone()
		for _, name := range d.Remove {
			t.remove(name)
		}
		for name, data := range d.Add {
			t.put(newFile(name, data))
		}
		t.commit = d.Commit
		if t.commit == "" {
			r.revision++
			t.commit = r.computeCommit(t)
		}
		nd.tree = t
	}
	r.discussions = append(r.discussions, nd)
	return d.Num
}

// DisableDiscussions makes the discussions listing of repo id answer 403, as the Hub does when
// a repo's owner turned discussions off.
func (s *Server) DisableDiscussions(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustRepo(id).discussionsOff = true
}

type discussionJSON struct {
	Num           int        `json:"num"`
	Author        authorJSON `json:"author"`
	Repo          repoJSON   `json:"repo"`
	Title         string     `json:"title"`
	Status        string     `json:"status"`
	CreatedAt     string     `json:"createdAt"`
	IsPullRequest bool       `json:"isPullRequest"`
	NumComments   int        `json:"numComments"`
	Pinned        bool       `json:"pinned"`
}

type authorJSON struct {
	Name     string `json:"name"`
	Fullname string `json:"fullname"`
	Type     string `json:"type"`
}

type repoJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type discussionsJSON struct {
	Discussions          []discussionJSON `json:"discussions"`
	Count                int              `json:"count"`
	Start                int              `json:"start"`
	NumClosedDiscussions int              `json:"numClosedDiscussions"`
}

func (s *Server) serveDiscussions(w http.ResponseWriter, req *http.Request, id string) {
	r := s.lookup(w, req, id, false)
	if r == nil {
		return
	}
	q := req.URL.Query()
	page, err := strconv.Atoi(q.Get("p"))
	if q.Get("p") == "" {
		page, err = 0, nil
	}
	if err != nil || page < 0 {
		hubError(w, http.StatusBadRequest, "", "bad page "+q.Get("p"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.discussionsOff {
		hubError(w, http.StatusForbidden, "", "Discussions are disabled for this repo")
		return
	}
	var all []discussionJSON
	closed := 0
	for i := len(r.discussions) - 1; i >= 0; i-- { // newest first
		d := r.discussions[i]
		if d.Status != "open" && d.Status != "draft" {
			closed++
		}
		switch {
		case q.Get("type") == "pull_request" && !d.IsPullRequest,
			q.Get("type") == "discussion" && d.IsPullRequest,
			q.Get("status") == "open" && d.Status != "open" && d.Status != "draft",
			q.Get("status") == "closed" && (d.Status == "open" || d.Status == "draft"),
			q.Get("author") != "" && !strings.EqualFold(q.Get("author"), d.Author):
			continue
		}
		all = append(all, discussionJSON{
			Num:           d.Num,
			Author:        authorJSON{Name: d.Author, Fullname: d.Author, Type: "user"},
			Repo:          repoJSON{Name: id, Type: "model"},
			Title:         d.Title,
			Status:        d.Status,
			CreatedAt:     fmt.Sprintf("2023-%02d-01T00:00:00.000Z", 1+d.Num%12),
			IsPullRequest: d.IsPullRequest,
		})
	}
	start := min(page*discussionsPageSize, len(all))
	end := min(start+discussionsPageSize, len(all))
	resp := discussionsJSON{Discussions: all[start:end], Count: len(all), Start: start, NumClosedDiscussions: closed}
	if resp.Discussions == nil {
		resp.Discussions = []discussionJSON{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
