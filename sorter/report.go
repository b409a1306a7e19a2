package sorter

// Reports: output.csv (the original tool's image_name,label,score first, then
// this tool's columns), errors.csv and skipped.csv. output.csv and errors.csv
// are appended batch by batch and synced before the journal records the batch,
// so an interrupted run keeps every row it finished; --resume cuts off any rows
// written after the last recorded batch and appends.

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// csvFile is a report being written.
type csvFile struct {
	path string
	f    *os.File
	w    *csv.Writer
}

// createCSV starts a new report, replacing any file of that name.
func createCSV(path string, header []string) (*csvFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating report: %w", err)
	}
	c := &csvFile{path: path, f: f, w: csv.NewWriter(f)}
	if err := c.write([][]string{header}); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// appendCSV continues a report that the journal says was size bytes long: rows
// after that (from a batch the journal never recorded) are cut off. A missing
// or empty report with size 0 is created.
func appendCSV(path string, header []string, size int64) (*csvFile, error) {
	info, err := os.Stat(path)
	if os.IsNotExist(err) && size == 0 {
		return createCSV(path, header)
	}
	hint := "put the file back as it was, or sort into a new --destination"
	if err != nil {
		return nil, &Error{Msg: "cannot resume: the report " + path + " is missing", Hint: hint, Err: err}
	}
	if info.Size() < size {
		return nil, errorf(hint, "cannot resume: the report %s is shorter than when the interrupted run last wrote it (%d bytes, expected at least %d); it was edited or truncated", path, info.Size(), size)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening report: %w", err)
	}
	first, err := bufio.NewReader(f).ReadString('\n')
	want := csvLine(header)
	if (err != nil && err != io.EOF) || (size > 0 && first != want) {
		f.Close()
		return nil, errorf(hint, "cannot resume: the first line of %s is not the header this run writes; it was edited, or the run used other labels", path)
	}
	if size == 0 {
		size = int64(len(want)) // created but empty when the run stopped
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(want), 0)
		}
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("cutting %s back to its last complete batch: %w", path, err)
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &csvFile{path: path, f: f, w: csv.NewWriter(f)}, nil
}

func csvLine(fields []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(fields)
	w.Flush()
	return b.String()
}

func (c *csvFile) write(rows [][]string) error {
	if err := c.w.WriteAll(rows); err != nil { // WriteAll flushes
		return fmt.Errorf("writing %s: %w", c.path, err)
	}
	return nil
}

// commit makes everything written so far durable and returns the file's size.
func (c *csvFile) commit() (int64, error) {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", c.path, err)
	}
	if err := c.f.Sync(); err != nil {
		return 0, fmt.Errorf("syncing %s: %w", c.path, err)
	}
	off, err := c.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	return off, nil
}

func (c *csvFile) close() error {
	if c == nil {
		return nil
	}
	_, err := c.commit()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeCSV writes a whole small report at once (skipped.csv).
func writeCSV(path string, header []string, rows [][]string) error {
	c, err := createCSV(path, header)
	if err != nil {
		return err
	}
	err = c.write(rows)
	if cerr := c.close(); err == nil {
		err = cerr
	}
	return err
}

// outputHeader: the original tool's columns, then ours (provenance: each file's SHA-256, size in bytes and
// upright dimensions; for a video, the time of the frame that scored its label: frames.csv has every label's;
// output.json records the model, its revision, the template and the tool's version). above_threshold lists every label whose score reached
// the threshold: with SigLIP's scores (each label on its own) an image can match several labels, though it is
// placed in its best label's folder only.
func outputHeader(labels []label, topK int) []string {
	h := []string{"image_name", "label", "score", "folder", "unsorted", "source_path", "destination_path", "above_threshold",
		"sha256", "size_bytes", "width", "height", "frame_seconds"}
	for k := 1; k <= topK; k++ {
		h = append(h, fmt.Sprintf("top%d_label", k), fmt.Sprintf("top%d_score", k))
	}
	for _, l := range labels {
		h = append(h, "prob_"+l.Text)
	}
	return h
}

var errorsHeader = []string{"path", "reason", "kind"}
var skippedHeader = []string{"path", "reason"}

// outputRow is one image's line in output.csv. label and score are those of the
// best label even when the image went to "unsorted" (then unsorted is "true").
func outputRow(it *item, s score, labels []label, o Options, folder, destination string) []string {
	best := s.order[0]
	row := []string{
		it.c.Name,
		labels[best].Text,
		formatScore2(s.probs[best]),
		folder,
		strconv.FormatBool(folder == UnsortedFolder),
		it.c.Path,
		destination,
		strings.Join(aboveThreshold(s, labels, o.Threshold), AboveThresholdSeparator),
		hexSum(it.sum),
		strconv.FormatInt(it.size, 10),
		strconv.Itoa(it.width),
		strconv.Itoa(it.height),
		"",
	}
	if it.video != nil {
		row[len(row)-1] = strconv.FormatFloat(it.video.best[best].time.Seconds(), 'f', 3, 64)
	}
	topK := o.TopK
	for k := 0; k < topK; k++ {
		i := s.order[k]
		row = append(row, labels[i].Text, formatProb(s.probs[i]))
	}
	for _, p := range s.probs {
		row = append(row, formatProb(p))
	}
	return row
}

// AboveThresholdSeparator joins the labels of output.csv's above_threshold column.
const AboveThresholdSeparator = "; "

// aboveThreshold lists the labels scoring at least threshold, best first; none when threshold is 0 (every
// label would pass).
func aboveThreshold(s score, labels []label, threshold float64) []string {
	if threshold <= 0 {
		return nil
	}
	var out []string
	for _, i := range s.order {
		if float64(s.probs[i]) >= threshold {
			out = append(out, labels[i].Text)
		}
	}
	return out
}

func errorRow(e ImageError) []string { return []string{e.Path, e.Reason, e.Kind} }
func skippedRow(s Skipped) []string  { return []string{s.Path, s.Reason} }
