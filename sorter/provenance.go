package sorter

// Provenance: what every report records of how it was made, so that an investigator can show which file was
// classified how, and by what: the tool and its version, the model and its exact revision, the template and
// the date. Each job writes it next to its CSV as JSON (output.csv -> output.json) and shows it in report.html.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// ToolName is how reports name this program.
const ToolName = "Smart Image Sorter (Go)"

// Provenance is the record of one run.
type Provenance struct {
	Tool          string    `json:"tool"`
	ToolVersion   string    `json:"tool_version"`
	Job           string    `json:"job"` // sort, search or duplicates
	Started       time.Time `json:"started"`
	Model         string    `json:"model"`                    // Hub id or checkpoint folder
	ModelRevision string    `json:"model_revision,omitempty"` // the Hub commit used; "" for a folder
	ModelKey      string    `json:"model_key"`                // the embedding cache's key: family, id, revision, preprocessing
	Template      string    `json:"template,omitempty"`
	Source        string    `json:"source"`
	// Settings are the job's other settings as people read them (labels, threshold, query, similarity...).
	Settings [][2]string `json:"settings,omitempty"`
}

// checkpointer is implemented by models that know their checkpoint (models' families: Hub id or folder, and
// commit).
type checkpointer interface{ Checkpoint() (id, revision string) }

func newProvenance(job string, m Model, source, template string, started time.Time) Provenance {
	p := Provenance{Tool: ToolName, ToolVersion: ToolVersion(), Job: job, Started: started.UTC().Truncate(time.Second),
		ModelKey: m.CacheKey(), Template: template, Source: source}
	if c, ok := m.(checkpointer); ok {
		p.Model, p.ModelRevision = c.Checkpoint()
	} else {
		p.Model = m.CacheKey()
	}
	return p
}

// ToolVersion is this build's version: the module version when installed with go install, else the commit it
// was built from (with "+changes" when the working tree had uncommitted changes), else "development build".
func ToolVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "development build"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+changes"
	}
	return "commit " + rev
}

// writeProvenance writes p as JSON next to the CSV report csvPath (output.csv -> output.json) and returns its path.
func writeProvenance(csvPath string, p Provenance) (string, error) {
	path := strings.TrimSuffix(csvPath, filepath.Ext(csvPath)) + ".json"
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", err
	}
	return path, writeFileAtomic(path, append(data, '\n'))
}

// writeFileAtomic writes a whole report file through a synced temporary file in the same folder and a rename,
// so that a crash leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix+"*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
