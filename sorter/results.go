package sorter

// Reading a report back: output.csv (report.go writes it) as one Result per
// image, for displays that show what a run did, such as the notebook's gallery
// (package nbui). Reports of the original classifier.py, which only have
// image_name,label,score, are read too.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Result is one image's row of output.csv.
type Result struct {
	ImageName       string        // image_name: the path inside the source folder
	Label           string        // the most probable label, even when the image went to "unsorted"
	Score           float64       // its probability (6 decimals when the report has prob_ columns, else 2)
	Folder          string        // the folder it was placed in: Label's folder, or "unsorted"
	Unsorted        bool          // its best probability was below the threshold
	SourcePath      string        // where it was found
	DestinationPath string        // where it was placed; "" in reports that do not say
	AboveThreshold  []string      // every label that reached the threshold, best first (none without a threshold)
	SHA256          string        // the file's content hash, hex ("" in reports from before it was recorded)
	Size            int64         // bytes; 0 when the report does not say
	Width, Height   int           // upright pixels; 0 when unknown
	Video           bool          // a video, sorted by its frames
	FrameTime       time.Duration // for a video, when the frame that scored Label is
	Probs           []LabelProb   // every label's probability, in the order the labels were given
}

// LabelProb is one label's probability for an image.
type LabelProb struct {
	Label string
	Prob  float64
}

// ReadResults reads a report written by Run (output.csv, or <name>.dry-run.csv after a
// dry run), in its row order.
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	defer f.Close()
	results, err := readResults(f)
	if err != nil {
		return nil, fmt.Errorf("reading the report %s: %w", path, err)
	}
	return results, nil
}

func readResults(r io.Reader) ([]Result, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty; it has no header line")
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	var probCols []int
	for i, h := range header {
		if _, dup := col[h]; !dup {
			col[h] = i
		}
		if strings.HasPrefix(h, "prob_") {
			probCols = append(probCols, i)
		}
	}
	for _, need := range []string{"image_name", "label", "score"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("no %s column: this is not a report of the sorter", need)
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var out []Result
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		res := Result{
			ImageName:       field(rec, "image_name"),
			Label:           field(rec, "label"),
			Folder:          field(rec, "folder"),
			Unsorted:        field(rec, "unsorted") == "true",
			SourcePath:      field(rec, "source_path"),
			DestinationPath: field(rec, "destination_path"),
		}
		res.SHA256 = field(rec, "sha256")
		res.Size, _ = strconv.ParseInt(field(rec, "size_bytes"), 10, 64)
		res.Width, _ = strconv.Atoi(field(rec, "width"))
		res.Height, _ = strconv.Atoi(field(rec, "height"))
		if secs, err := strconv.ParseFloat(field(rec, "frame_seconds"), 64); err == nil && secs >= 0 && secs < 1e9 {
			res.Video, res.FrameTime = true, time.Duration(secs*float64(time.Second))
		}
		if above := field(rec, "above_threshold"); above != "" {
			res.AboveThreshold = strings.Split(above, AboveThresholdSeparator)
		}
		if res.Score, err = parseProb(field(rec, "score")); err != nil {
			return nil, fmt.Errorf("line %d: score: %w", line, err)
		}
		for _, i := range probCols {
			p, err := parseProb(rec[i])
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", line, header[i], err)
			}
			lp := LabelProb{Label: strings.TrimPrefix(header[i], "prob_"), Prob: p}
			res.Probs = append(res.Probs, lp)
			if lp.Label == res.Label {
				res.Score = p // more decimals than the score column
			}
		}
		out = append(out, res)
	}
}

func parseProb(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return p, nil
}
