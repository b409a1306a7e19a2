package sorter

// Handling one scored batch: choose each image's folder and name, record the
// plan in the journal, place the files, sync, append the report rows, sync,
// record the commit. A kill between any two steps is repaired by resume.go.

import (
	"errors"
	"path/filepath"
	"syscall"
)

// placement is one image of a batch being placed.
type placement struct {
	it      *item
	folder  string
	rel     string // inside the destination
	already bool   // resuming: an identical file is already there
	entry   int    // index in the batch's journal entries
}

func (r *runner) handle(b *batch) error {
	var entries []journalEntry
	var places []placement
	var last string
	for _, it := range b.items {
		last = it.c.Name
		switch {
		case it.skip != "":
			r.sum.Skipped = append(r.sum.Skipped, Skipped{Path: it.c.Name, Reason: it.skip})
			continue
		case it.err != nil:
			entries = append(entries, journalEntry{Src: it.c.Path, Row: errorRow(*it.err)})
			continue
		}
		best, p := it.score.best()
		folder := r.labels[best].Folder
		if float64(p) < r.o.Threshold {
			folder = UnsortedFolder
		}
		rel, already, err := r.pl.target(folder, it)
		if err != nil {
			return err
		}
		r.pl.claimed[rel] = true
		entries = append(entries, r.entry(it, folder, rel))
		places = append(places, placement{it: it, folder: folder, rel: rel, already: already, entry: len(entries) - 1})
	}
	if len(entries) == 0 {
		r.done += len(b.items)
		r.progress(last)
		return nil
	}
	if r.j != nil {
		if err := r.j.write(journalLine{Type: "plan", Batch: r.batchNo, Entries: entries}); err != nil {
			return err
		}
		crashPoint("planned")
	}
	replaced := false
	var extra []ImageError // placed, but with something to report
	for i := range places {
		if r.o.DryRun {
			break
		}
		pl := &places[i]
		planned := pl.rel
		err := r.placeOne(pl)
		var kept errSourceKept
		switch {
		case err == nil || errors.As(err, &kept):
			if kept.err != nil {
				extra = append(extra, ImageError{Path: pl.it.c.Name, Reason: kept.Error(), Kind: "source-kept"})
			}
			if pl.rel != planned {
				entries[pl.entry] = r.entry(pl.it, pl.folder, pl.rel)
				replaced = true
			}
		case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EROFS):
			return &Error{Msg: "cannot write into the destination " + r.o.Destination, Err: err,
				Hint: "free some space (or choose another --destination), then run the same command with --resume"}
		default:
			ie := ImageError{Path: pl.it.c.Name, Kind: "place",
				Reason: "could not " + string(r.o.Operation) + " it to " + filepath.Join(r.dest, planned) + ": " + errText(err)}
			entries[pl.entry] = journalEntry{Src: pl.it.c.Path, Row: errorRow(ie), Retry: true}
			pl.rel, replaced = "", true
		}
	}
	crashPoint("placed")
	if err := r.pl.sync(); err != nil {
		return err
	}
	var outRows, errRows, frameRows [][]string
	for _, e := range entries {
		if e.Dst != "" {
			outRows, frameRows = append(outRows, e.Row), append(frameRows, e.Frames...)
		} else {
			errRows = append(errRows, e.Row)
			r.sum.Errors = append(r.sum.Errors, ImageError{Path: e.Row[0], Reason: e.Row[1], Kind: e.Row[2]})
		}
	}
	for _, ie := range extra {
		errRows = append(errRows, errorRow(ie))
		r.sum.Errors = append(r.sum.Errors, ie)
	}
	sizes, err := r.writeRows(outRows, errRows, frameRows)
	if err != nil {
		return err
	}
	crashPoint("reported")
	if r.j != nil {
		c := journalLine{Type: "commit", Batch: r.batchNo, OutputSize: sizes.out, ErrorsSize: sizes.errs, FramesSize: sizes.frames}
		if replaced {
			c.Entries, c.Replaced = entries, true
		}
		if err := r.j.write(c); err != nil {
			return err
		}
	}
	r.batchNo++
	for _, pl := range places {
		if pl.rel != "" {
			r.counts[pl.folder]++
			r.sum.Sorted++
			if pl.it.video != nil {
				r.sum.Videos++
				r.sum.Frames += len(pl.it.video.times)
			}
		}
	}
	r.done += len(b.items)
	r.progress(last)
	return nil
}

// entry is the journal entry (with its output.csv row) of an image placed at rel.
func (r *runner) entry(it *item, folder, rel string) journalEntry {
	dst := filepath.Join(r.dest, rel)
	e := journalEntry{Src: it.c.Path, Dst: rel, SHA256: hexSum(it.sum),
		Row: outputRow(it, it.score, r.labels, r.o, folder, dst)}
	if it.video != nil {
		e.Frames = frameRows(it, r.labels)
	}
	return e
}

// placeOne places an image, choosing the next free name if its name was taken meanwhile.
func (r *runner) placeOne(pl *placement) error {
	for {
		var err error
		if pl.already {
			if r.o.Operation == Move {
				err = removeSource(pl.it.c.Path)
			}
		} else {
			err = r.pl.place(pl.it, pl.rel)
		}
		if !errors.Is(err, errNameTaken) {
			return err
		}
		rel, already, terr := r.pl.target(pl.folder, pl.it)
		if terr != nil {
			return terr
		}
		r.pl.claimed[rel] = true
		pl.rel, pl.already = rel, already
	}
}

// reportSizes are the reports' sizes after a batch, for the journal's commit.
type reportSizes struct{ out, errs, frames int64 }

// writeRows appends a batch's rows to output.csv, errors.csv and frames.csv (created at the first video) and
// syncs them.
func (r *runner) writeRows(outRows, errRows, frameRows [][]string) (reportSizes, error) {
	var s reportSizes
	if len(frameRows) > 0 && r.frames == nil {
		var err error
		if r.o.DryRun {
			r.frames, err = createCSV(r.framesAt, framesHeader)
		} else {
			r.frames, err = appendCSV(r.framesAt, framesHeader, r.framesSize) // 0: created, or an uncommitted one restarted
		}
		if err != nil {
			return s, err
		}
	}
	if err := r.out.write(outRows); err != nil {
		return s, err
	}
	if err := r.errs.write(errRows); err != nil {
		return s, err
	}
	if len(frameRows) > 0 {
		if err := r.frames.write(frameRows); err != nil {
			return s, err
		}
	}
	if r.o.DryRun {
		return s, nil // flushed by write; nothing to recover, so no fsync
	}
	var err error
	if s.out, err = r.out.commit(); err != nil {
		return s, err
	}
	if s.errs, err = r.errs.commit(); err != nil {
		return s, err
	}
	s.frames = r.framesSize
	if r.frames != nil {
		if s.frames, err = r.frames.commit(); err != nil {
			return s, err
		}
		r.framesSize = s.frames
	}
	return s, nil
}
