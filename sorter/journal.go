package sorter

// The journal (.sorter-journal.jsonl in the destination) is how a run killed at
// any moment is finished by --resume without losing or duplicating an image.
// One JSON object per line, each written with a single write and synced:
//
//	{"type":"start", settings...}   the run's settings; a resume must match them
//	{"type":"plan","batch":N,"entries":[{src,dst,sha256,row}...]}
//	                                 written before any file of batch N is placed
//	{"type":"commit","batch":N,"output_size":..,"errors_size":..,"frames_size":..}
//	                                 written after batch N is placed and its report
//	                                 rows are synced (with "replaced":true and the
//	                                 final entries if placement differed from the plan)
//	{"type":"resume"}               a later run took over
//
// Files are placed atomically (a complete temporary file is renamed into place;
// a move is a link-then-unlink or a rename), so each image is always either in
// the source or complete in the destination. On --resume, committed batches are
// done; output.csv and errors.csv are cut back to the sizes of the last commit;
// the entries of a plan without commit are checked one by one (is the file
// complete at its planned name? is the source still there?) and either recorded
// or sorted again; leftover temporary files are removed. A line cut short by the
// kill is dropped. Images that failed (errors.csv) count as done, except those
// that could not be placed (marked "retry"): --resume tries those again. The journal is also a lock: a second process sorting into the
// same destination is refused.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

const journalVersion = 1

// journalLine is one line of the journal; which fields are set depends on Type.
type journalLine struct {
	Type string `json:"type"` // start, plan, commit, resume
	Time string `json:"time,omitempty"`

	// start
	Version    int       `json:"version,omitempty"`
	Source     string    `json:"source,omitempty"`
	Operation  Operation `json:"operation,omitempty"`
	Labels     []string  `json:"labels,omitempty"`
	Template   string    `json:"template,omitempty"`
	Threshold  float64   `json:"threshold,omitempty"`
	TopK       int       `json:"top_k,omitempty"`
	OutputFile string    `json:"output_file,omitempty"`
	Model      string    `json:"model,omitempty"` // Model.CacheKey(): id, revision (commit) and preprocessing

	// plan, commit
	Batch      int            `json:"batch,omitempty"`
	Entries    []journalEntry `json:"entries,omitempty"`
	Replaced   bool           `json:"replaced,omitempty"` // commit: Entries (maybe none) replace the plan's
	OutputSize int64          `json:"output_size,omitempty"`
	ErrorsSize int64          `json:"errors_size,omitempty"`
	FramesSize int64          `json:"frames_size,omitempty"` // frames.csv, once a video was sorted
}

// journalEntry is one image of a batch.
type journalEntry struct {
	Src    string     `json:"src"`              // absolute source path (folder path for an unreadable folder)
	Dst    string     `json:"dst,omitempty"`    // path inside the destination; "" when the image failed
	SHA256 string     `json:"sha256,omitempty"` // of the content, to recognise a complete placement
	Row    []string   `json:"row"`              // its output.csv row, or its errors.csv row when Dst is ""
	Retry  bool       `json:"retry,omitempty"`  // failed for a reason outside the file (placing it): --resume tries again
	Frames [][]string `json:"frames,omitempty"` // a video's frames.csv rows
}

// journal is the open journal of a destination, and what it says was done.
type journal struct {
	f     *os.File
	path  string
	start *journalLine // nil for a new journal

	done       map[string]bool // source paths of committed entries
	claimed    map[string]bool // destination paths of committed entries
	nextBatch  int
	outputSize int64 // report sizes at the last commit
	errorsSize int64
	framesSize int64
	pending    *journalLine // a plan whose commit was never written
}

// openJournal opens (creating if needed) and locks the journal, and reads it.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrDestinationInUse) {
			return nil, &Error{Msg: "cannot sort into " + filepath.Dir(path), Hint: "wait for the other sort to finish, or choose another --destination", Err: err}
		}
		return nil, fmt.Errorf("locking the journal: %w", err)
	}
	j := &journal{f: f, path: path, done: map[string]bool{}, claimed: map[string]bool{}, nextBatch: 1}
	if err := j.read(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func (j *journal) read() error {
	r := bufio.NewReader(j.f)
	var good int64 // bytes up to the end of the last complete line
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break // a last line without newline was cut short by a kill: dropped below
		}
		if err != nil {
			return fmt.Errorf("reading the journal: %w", err)
		}
		var l journalLine
		if err := json.Unmarshal(bytes.TrimSpace(line), &l); err != nil {
			return errorf("sort into a new --destination, or delete the journal to start this one over (images already there will get suffixed copies)",
				"cannot resume: line %d of the journal %s is damaged (%v)", n, j.path, err)
		}
		if err := j.apply(&l); err != nil {
			return &Error{Msg: fmt.Sprintf("cannot resume: the journal %s is inconsistent at line %d", j.path, n), Hint: "sort into a new --destination", Err: err}
		}
		good += int64(len(line))
	}
	if err := j.f.Truncate(good); err != nil {
		return fmt.Errorf("dropping the unfinished last line of the journal: %w", err)
	}
	_, err := j.f.Seek(good, io.SeekStart)
	return err
}

func (j *journal) apply(l *journalLine) error {
	switch l.Type {
	case "start":
		if j.start != nil {
			return errors.New("two start records")
		}
		if l.Version != journalVersion {
			return fmt.Errorf("journal version %d; this sorter writes version %d", l.Version, journalVersion)
		}
		j.start = l
	case "resume":
	case "plan":
		if j.pending != nil {
			return fmt.Errorf("batch %d planned before batch %d was committed", l.Batch, j.pending.Batch)
		}
		j.pending = l
	case "commit":
		if j.pending == nil || j.pending.Batch != l.Batch {
			return fmt.Errorf("commit of batch %d that was not planned", l.Batch)
		}
		entries := j.pending.Entries
		if l.Replaced {
			entries = l.Entries
		}
		for _, e := range entries {
			if e.Retry {
				continue
			}
			j.done[e.Src] = true
			if e.Dst != "" {
				j.claimed[e.Dst] = true
			}
		}
		j.outputSize, j.errorsSize, j.framesSize = l.OutputSize, l.ErrorsSize, l.FramesSize
		j.nextBatch = l.Batch + 1
		j.pending = nil
	default:
		return fmt.Errorf("unknown record type %q", l.Type)
	}
	return nil
}

// write appends one line with a single write, syncs it, and updates what the journal says was done.
func (j *journal) write(l journalLine) error {
	if l.Type == "start" || l.Type == "resume" {
		l.Time = time.Now().UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing the journal %s: %w", j.path, err)
	}
	return j.apply(&l)
}

func (j *journal) close() error {
	if j == nil {
		return nil
	}
	return j.f.Close() // also releases the lock
}

// mismatch names the first setting in which this run differs from the journal's start record.
func (j *journal) mismatch(want journalLine) string {
	s := j.start
	switch {
	case s.Source != want.Source:
		return fmt.Sprintf("source folder %s (this run: %s)", s.Source, want.Source)
	case s.Operation != want.Operation:
		return fmt.Sprintf("operation %s (this run: %s)", s.Operation, want.Operation)
	case !slices.Equal(s.Labels, want.Labels):
		return fmt.Sprintf("labels %q (this run: %q)", s.Labels, want.Labels)
	case s.Template != want.Template:
		return fmt.Sprintf("template %q (this run: %q)", s.Template, want.Template)
	case s.Threshold != want.Threshold:
		return fmt.Sprintf("threshold %v (this run: %v)", s.Threshold, want.Threshold)
	case s.TopK != want.TopK:
		return fmt.Sprintf("top-k %d (this run: %d)", s.TopK, want.TopK)
	case s.OutputFile != want.OutputFile:
		return fmt.Sprintf("output file %s (this run: %s)", s.OutputFile, want.OutputFile)
	case s.Model != "" && s.Model != want.Model: // journals before the model was recorded have none
		return fmt.Sprintf("model %s (this run: %s)", s.Model, want.Model)
	}
	return ""
}
