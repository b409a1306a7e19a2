package sorter

// Finishing the batch an interrupted run was placing (see journal.go): its plan
// is in the journal but not its commit. Each planned image is checked where it
// was going; what is complete there is recorded (and, for a move, its source
// removed if still present); what is not is sorted again by this run.

import (
	"encoding/hex"
	"os"
	"path/filepath"
)

func (r *runner) recoverPending() error {
	p := r.j.pending
	if p == nil {
		return nil
	}
	var kept []journalEntry
	var outRows, errRows, frameRows [][]string
	for _, e := range p.Entries {
		if e.Dst == "" { // an image that had failed: its errors.csv row was maybe not written
			kept, errRows = append(kept, e), append(errRows, e.Row)
			continue
		}
		full := filepath.Join(r.dest, e.Dst)
		if r.pl.inside(full) != nil {
			continue // never trust a path outside the destination, whatever the journal says
		}
		var sum [32]byte
		hex.Decode(sum[:], []byte(e.SHA256))
		info, err := os.Lstat(full)
		placed := err == nil && r.pl.holds(full, info, e.Src, -1, sum)
		_, srcErr := os.Lstat(e.Src)
		switch {
		case placed:
			if r.o.Operation == Move && srcErr == nil {
				if err := removeSource(e.Src); err != nil {
					r.logf("%s is complete at %s but its source could not be removed: %v", e.Src, full, err)
				}
			}
			kept, outRows, frameRows = append(kept, e), append(outRows, e.Row), append(frameRows, e.Frames...)
			r.logf("recovered %s -> %s, placed just before the interruption", e.Src, full)
		case srcErr == nil:
			// not placed: the source is still there and is sorted again below
		default:
			ie := ImageError{Path: e.Row[0], Kind: "lost",
				Reason: "the interrupted run was placing this file at " + full + ", but it is neither there nor in the source any more; look for it by name"}
			kept, errRows = append(kept, journalEntry{Src: e.Src, Row: errorRow(ie)}), append(errRows, errorRow(ie))
		}
	}
	if err := r.pl.sync(); err != nil {
		return err
	}
	sizes, err := r.writeRows(outRows, errRows, frameRows)
	if err != nil {
		return err
	}
	crashPoint("recovered")
	return r.j.write(journalLine{Type: "commit", Batch: p.Batch, OutputSize: sizes.out, ErrorsSize: sizes.errs, FramesSize: sizes.frames,
		Entries: kept, Replaced: true})
}
