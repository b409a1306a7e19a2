package sorter

// The source and destination folders: how they relate, and setting up the
// destination for a new sort, a resumed one (journal.go, resume.go) or a dry run.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkFolders resolves the source and destination and checks how they relate.
func (r *runner) checkFolders() error {
	src, info, err := resolveSource(r.o.Source)
	if err != nil {
		return err
	}
	r.src = src
	r.dest, r.destInfo, err = resolveDestination(r.o.Destination, "--destination", r.o.Source, src, info)
	return err
}

// resolveSource checks that the source folder exists and returns its absolute path, links resolved.
func resolveSource(given string) (string, fs.FileInfo, error) {
	srcAbs, err := filepath.Abs(given)
	if err != nil {
		return "", nil, err
	}
	info, err := os.Stat(srcAbs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, errorf("check the spelling, or give the full path of the folder", "the source folder %s does not exist", given)
	case err != nil:
		return "", nil, &Error{Msg: "cannot open the source folder " + given, Hint: "check your permissions", Err: err}
	case !info.IsDir():
		return "", nil, errorf("give the folder that holds the images", "the source %s is a file, not a folder", given)
	}
	src, err := filepath.EvalSymlinks(srcAbs)
	return src, info, err
}

// resolveDestination returns a folder the job writes into (flag names its option), absolute with links resolved
// (it may not exist yet), and its FileInfo when it exists. It may lie inside the source (discovery skips it) but
// may be neither the source nor one of the source's parents.
func resolveDestination(given, flag, source, src string, srcInfo fs.FileInfo) (string, fs.FileInfo, error) {
	destAbs, err := filepath.Abs(given)
	if err != nil {
		return "", nil, err
	}
	// Resolve the deepest existing ancestor, so links are resolved even before the destination exists.
	existing, rest := destAbs, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	if real, err := filepath.EvalSymlinks(existing); err == nil {
		existing = real
	}
	dest := filepath.Join(existing, rest)
	var destInfo fs.FileInfo
	if dinfo, err := os.Stat(dest); err == nil {
		if !dinfo.IsDir() {
			return "", nil, errorf("choose a folder name for "+flag, "the destination %s exists and is not a folder", given)
		}
		if os.SameFile(srcInfo, dinfo) {
			return "", nil, errorf("choose another "+flag+", a new folder", "the destination %s is the source folder itself", given)
		}
		destInfo = dinfo
	}
	if rel, err := filepath.Rel(dest, src); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", nil, errorf("choose a destination outside the source folder's parents",
			"the source folder %s lies inside the destination %s; this would mix results and sources", source, given)
	}
	return dest, destInfo, nil
}

// setupDestination opens the journal (refusing or resuming an earlier sort) and the reports.
func (r *runner) setupDestination() error {
	o := r.o
	outPath := o.OutputFile
	if !filepath.IsAbs(outPath) {
		outPath = filepath.Join(r.dest, outPath)
	}
	outPath = filepath.Join(filepath.Dir(outPath), reportName(filepath.Base(outPath), o.DryRun))
	errPath := filepath.Join(r.dest, reportName(ErrorsFile, o.DryRun))
	r.sum.OutputFile, r.sum.ErrorsFile = outPath, errPath
	r.framesAt = filepath.Join(r.dest, reportName(FramesFile, o.DryRun))
	header := outputHeader(r.labels, o.TopK)
	r.counts = map[string]int{}
	r.batchNo = 1
	// Refuse a label folder that is a link or a file before anything is written.
	r.pl = newPlacer(r.dest, o.Operation, true, false, nil, r.logf) // checks only, until the journal is open
	for _, f := range r.folders() {
		if err := r.pl.folder(f); err != nil {
			return err
		}
	}
	if o.DryRun {
		var err error
		if r.out, err = createCSV(outPath, header); err != nil {
			return err
		}
		r.errs, err = createCSV(errPath, errorsHeader)
		return err
	}
	j, err := openJournal(filepath.Join(r.dest, JournalFile))
	if err != nil {
		return err
	}
	r.j = j
	r.pl = newPlacer(r.dest, o.Operation, false, o.Resume, j.claimed, r.logf)
	start := r.startRecord()
	if j.start == nil { // a new sort
		for _, p := range []string{outPath, errPath, r.framesAt} {
			if info, err := os.Stat(p); err == nil && info.Size() > 0 {
				return errorf("choose a new --destination (or another --output_file)",
					"%s already exists and is not from an unfinished sort of this tool; it would be overwritten", p)
			}
		}
		if err := j.write(start); err != nil { // first: a kill from here on is resumable
			return err
		}
		crashPoint("started")
		if r.out, err = createCSV(outPath, header); err != nil {
			return err
		}
		r.errs, err = createCSV(errPath, errorsHeader)
		return err
	}
	if !o.Resume {
		return errorf("add --resume to finish (or extend) that sort, or choose a new --destination",
			"the destination %s already holds a sort started %s", o.Destination, j.start.Time)
	}
	if diff := j.mismatch(start); diff != "" {
		return errorf("resume with the same settings, or sort into a new --destination",
			"cannot resume: the sort in %s used %s", o.Destination, diff)
	}
	r.sum.AlreadyDone = len(j.done)
	if r.out, err = appendCSV(outPath, header, j.outputSize); err != nil {
		return err
	}
	if r.errs, err = appendCSV(errPath, errorsHeader, j.errorsSize); err != nil {
		return err
	}
	if r.framesSize = j.framesSize; r.framesSize > 0 {
		if r.frames, err = appendCSV(r.framesAt, framesHeader, r.framesSize); err != nil {
			return err
		}
	}
	if err := j.write(journalLine{Type: "resume"}); err != nil {
		return err
	}
	if err := r.recoverPending(); err != nil {
		return err
	}
	removeTemps(r.dest, r.logf)
	r.batchNo = j.nextBatch
	r.sum.AlreadyDone = len(j.done)
	r.logf("resuming: %d images were already handled", r.sum.AlreadyDone)
	return nil
}

// folders are the label folders and "unsorted".
func (r *runner) folders() []string {
	f := []string{UnsortedFolder}
	for _, l := range r.labels {
		f = append(f, l.Folder)
	}
	return f
}

func (r *runner) startRecord() journalLine {
	texts := make([]string, len(r.labels))
	for i, l := range r.labels {
		texts[i] = l.Text
	}
	return journalLine{Type: "start", Version: journalVersion, Source: r.src, Operation: r.o.Operation, Labels: texts,
		Template: r.o.Template, Threshold: r.o.Threshold, TopK: r.o.TopK, OutputFile: r.o.OutputFile, Model: r.m.CacheKey()}
}
