package hub

// Defaults taken from the environment, with the names and precedence of huggingface_hub's
// constants.py, so that a machine set up for Python (HF_HOME, HF_TOKEN, HF_HUB_OFFLINE, ...)
// behaves the same here.

import (
	"os"
	"path/filepath"
	"strings"
)

const defaultEndpoint = "https://huggingface.co"

// settings are Options with every default filled in.
type settings struct {
	Options
	cacheDir string // absolute
	endpoint string // no trailing slash
	token    string
	offline  bool
	revision string
}

func (o Options) settings() settings {
	s := settings{Options: o}
	s.cacheDir = o.CacheDir
	if s.cacheDir == "" {
		s.cacheDir = defaultCacheDir()
	}
	s.cacheDir = absPath(expandPath(s.cacheDir))
	s.endpoint = o.Endpoint
	if s.endpoint == "" {
		s.endpoint = os.Getenv("HF_ENDPOINT")
	}
	if s.endpoint == "" {
		s.endpoint = defaultEndpoint
	}
	s.endpoint = strings.TrimRight(s.endpoint, "/")
	s.token = o.Token
	if s.token == "" {
		s.token = defaultToken()
	}
	s.offline = o.Offline || envTrue("HF_HUB_OFFLINE") || envTrue("TRANSFORMERS_OFFLINE")
	s.revision = o.Revision
	if s.revision == "" {
		s.revision = "main"
	}
	return s
}

// hfHome is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return expandPath(h)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(homeDir(), ".cache")
	}
	return filepath.Join(expandPath(cache), "huggingface")
}

// defaultCacheDir is $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub.
func defaultCacheDir() string {
	for _, v := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if d := os.Getenv(v); d != "" {
			return expandPath(d)
		}
	}
	return filepath.Join(hfHome(), "hub")
}

// defaultToken is $HF_TOKEN, else the legacy $HUGGING_FACE_HUB_TOKEN, else the token file that
// `hf auth login` writes: $HF_TOKEN_PATH, else $HF_HOME/token.
func defaultToken() string {
	for _, v := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(v)); t != "" {
			return t
		}
	}
	path := os.Getenv("HF_TOKEN_PATH")
	if path == "" {
		path = filepath.Join(hfHome(), "token")
	}
	b, err := os.ReadFile(expandPath(path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// envTrue reads a boolean variable as huggingface_hub does: 1, ON, YES or TRUE, any case.
func envTrue(name string) bool {
	switch strings.ToUpper(strings.TrimSpace(os.Getenv(name))) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// expandPath replaces a leading "~" with the home directory and expands $VARS, like Python's
// os.path.expanduser(os.path.expandvars(...)).
func expandPath(p string) string {
	p = os.ExpandEnv(p)
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
