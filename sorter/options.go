package sorter

// Options mirror the flags of the original classifier.py (--source, --destination,
// --labels, --operation, --output_file, --batch_size) plus this tool's own.

import (
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Operation says what happens to each source image once it has a label.
type Operation string

const (
	Copy    Operation = "copy"    // copy the file, keeping its modification time; the source is untouched
	Move    Operation = "move"    // rename (same filesystem) or copy, sync, then remove the source
	Link    Operation = "link"    // hard link (falls back to a copy across filesystems)
	Symlink Operation = "symlink" // absolute symbolic link to the source
)

// Operations lists the valid operations, in the order help texts show them.
var Operations = []Operation{Copy, Move, Link, Symlink}

// ParseOperation checks an --operation value.
func ParseOperation(s string) (Operation, error) {
	for _, op := range Operations {
		if strings.EqualFold(strings.TrimSpace(s), string(op)) {
			return op, nil
		}
	}
	return "", errorf("use one of: copy, move, link, symlink", "unknown operation %q", s)
}

// Defaults, also used by DefaultOptions.
const (
	DefaultDestination  = "labelled"
	DefaultOutputFile   = "output.csv"
	DefaultTemplate     = "This is a photo of {}."
	DefaultBatchSize    = 32 // for a Model that does not say (Folder.BatchSize 0)
	DefaultTopK         = 3
	DefaultMaxPixels    = 100_000_000 // 100 megapixels
	DefaultCacheTimeout = time.Second
)

// Names the sorter uses inside the destination.
const (
	UnsortedFolder = "unsorted"              // images whose best probability is below Threshold
	ErrorsFile     = "errors.csv"            // path,reason,kind of every image that could not be sorted
	FramesFile     = "frames.csv"            // per video and label: the best frame's time and score (only when videos were sorted)
	SkippedFile    = "skipped.csv"           // path,reason of every file that is not an image
	ReportFile     = "report.html"           // the self-contained report to share (htmlreport)
	JournalFile    = ".sorter-journal.jsonl" // what was done, for --resume (see journal.go)
	dryRunSuffix   = ".dry-run"              // output.csv -> output.dry-run.csv in a dry run
	tempPrefix     = ".sorter-tmp-"          // partial copies; removed by the next run
)

// Folder says which images a job reads and how it embeds them: what sort, search and duplicates share.
type Folder struct {
	Source    string // folder of images
	Recursive bool   // search sub-folders (hidden ones and a destination inside the source are skipped)
	BatchSize int    // images per EmbedImages call; 0: the model's engine's choice (models.Model.BatchSize)

	MaxPixels    int64         // per-image limit on width*height; default 100 megapixels
	CachePath    string        // embedding cache file; default DefaultCachePath()
	NoCache      bool          // neither read nor write the embedding cache
	CacheTimeout time.Duration // how long to wait for a cache held by another process; default 1 s
	Workers      int           // parallel decoders; default the number of CPUs
	Videos       VideoOptions  // how videos are read (video.go); by default with ffmpeg from PATH, skipped without it

	// Progress, if set, is called after each batch (and once at the start and end)
	// from one goroutine at a time.
	Progress func(Progress)
	// Logf, if set, receives verbose lines (no trailing newline needed). It is
	// called from one goroutine at a time.
	Logf func(format string, args ...any)
}

// DefaultFolder returns the defaults of Folder (Recursive is true).
func DefaultFolder() Folder {
	return Folder{
		Recursive:    true,
		MaxPixels:    DefaultMaxPixels,
		CacheTimeout: DefaultCacheTimeout,
		Workers:      runtime.NumCPU(),
	}
}

// normalized fills Folder's defaults and checks what needs no disk access; what says what the folder is for
// ("to sort").
func (f Folder) normalized(what string) (Folder, error) {
	if strings.TrimSpace(f.Source) == "" {
		return f, errorf("pass the folder of images "+what+" with --source", "no source folder given")
	}
	if f.BatchSize < 0 {
		f.BatchSize = 0
	}
	if f.MaxPixels <= 0 {
		f.MaxPixels = DefaultMaxPixels
	}
	if f.CacheTimeout <= 0 {
		f.CacheTimeout = DefaultCacheTimeout
	}
	if f.Workers <= 0 {
		f.Workers = runtime.NumCPU()
	}
	return f, nil
}

// Options configure one sort job. Start from DefaultOptions: the zero value of a
// field means "default" except for the booleans (Recursive is true in DefaultOptions).
type Options struct {
	Folder                // Source (the folder of images to sort), Recursive, BatchSize, the cache, Progress, Logf
	Destination string    // where label folders and reports go; default "labelled"
	Labels      []string  // at least 2; see ParseLabels for the comma-separated form
	Operation   Operation // copy (default), move, link or symlink
	OutputFile  string    // report name inside Destination (default "output.csv"), or an absolute path
	Template    string    // prompt for each label, "{}" is replaced by the label; default "This is a photo of {}."
	Threshold   float64   // 0..1: an image whose best probability is below it goes to "unsorted"
	TopK        int       // number of top1_label,top1_score,... column pairs in the report (0: none)
	HTMLReport  bool      // write report.html (thumbnails of every image, by label) into Destination

	// DryRun scores every image and writes the reports as <output>.dry-run.csv,
	// errors.dry-run.csv and skipped.dry-run.csv in Destination, but creates no
	// label folder, copies, moves or links nothing and writes no journal. Those
	// names never clash with a real run's reports. The embedding cache is still
	// filled, so the real run that follows is fast. Resume is ignored: a dry run
	// reports every image as if the destination held no earlier sort.
	DryRun bool
	// Resume finishes an interrupted run into the same Destination (see journal.go):
	// images already handled are skipped (images that failed to decode are not
	// retried, images that failed to be placed are), new files in the source are
	// sorted. The settings must match the interrupted run's. Without Resume, a
	// Destination that already holds a sort is refused.
	Resume bool
}

// DefaultOptions returns the options of `sorter sort` with no flags but --labels.
func DefaultOptions() Options {
	return Options{
		Folder:      DefaultFolder(),
		Destination: DefaultDestination,
		Operation:   Copy,
		OutputFile:  DefaultOutputFile,
		Template:    DefaultTemplate,
		TopK:        DefaultTopK,
		HTMLReport:  true,
	}
}

// Progress is a snapshot of a running job.
type Progress struct {
	Done    int           // files handled so far (sorted, failed or found not to be images)
	Total   int           // files to handle in this run
	Elapsed time.Duration // since Run started
	Rate    float64       // files handled per second so far
	ETA     time.Duration // estimated time left; 0 when unknown
	Current string        // the last file handled, as image_name shows it
}

// normalized fills defaults and checks everything that needs no disk access.
func (o Options) normalized() (Options, []label, error) {
	folder, err := o.Folder.normalized("to sort")
	if err != nil {
		return o, nil, err
	}
	o.Folder = folder
	if o.Destination == "" {
		o.Destination = DefaultDestination
	}
	if o.Operation == "" {
		o.Operation = Copy
	}
	op, err := ParseOperation(string(o.Operation))
	if err != nil {
		return o, nil, err
	}
	o.Operation = op
	if o.OutputFile == "" {
		o.OutputFile = DefaultOutputFile
	}
	if !filepath.IsAbs(o.OutputFile) && (strings.ContainsAny(o.OutputFile, `/\`) || o.OutputFile == "." || o.OutputFile == "..") {
		return o, nil, errorf("give a plain file name (written inside the destination) or an absolute path",
			"--output_file %q would be written outside the destination folder", o.OutputFile)
	}
	if o.Template == "" {
		o.Template = DefaultTemplate
	}
	if _, err := Prompts(o.Template, nil); err != nil {
		return o, nil, err
	}
	if math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 1 {
		return o, nil, errorf("use a probability between 0 and 1, e.g. 0.5", "threshold %v is not between 0 and 1", o.Threshold)
	}
	if o.TopK < 0 {
		return o, nil, errorf("use 0 for no top-k columns", "top-k %d is negative", o.TopK)
	}
	if o.TopK > len(o.Labels) {
		o.TopK = len(o.Labels)
	}
	labels, err := makeLabels(o.Labels, o.Template)
	if err != nil {
		return o, nil, err
	}
	out := filepath.Base(o.OutputFile)
	reports := []string{out, strings.TrimSuffix(out, filepath.Ext(out)) + ".json", ErrorsFile, SkippedFile, ReportFile}
	for _, l := range labels {
		for _, r := range reports {
			if strings.EqualFold(l.Folder, r) || strings.EqualFold(l.Folder, reportName(r, true)) {
				return o, nil, errorf("rename the label", "label %q would use the folder %q, the name of a report file", l.Text, l.Folder)
			}
		}
	}
	return o, labels, nil
}

// reportName inserts ".dry-run" before the extension in a dry run: output.csv -> output.dry-run.csv.
func reportName(name string, dryRun bool) string {
	if !dryRun {
		return name
	}
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + dryRunSuffix + ext
}
