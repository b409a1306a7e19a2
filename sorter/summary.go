package sorter

// The summary of a run: what an investigator reads at the end.

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ImageError is an image (or folder) that could not be sorted; it is listed in errors.csv.
type ImageError struct {
	Path   string // as image_name shows it
	Reason string // one line: what went wrong
	Kind   string // unreadable, decode, too-large, place, ... (the model's ImageErrorKind when it has one)
}

// LabelCount is how many images went to one label's folder.
type LabelCount struct {
	Label  string // as typed
	Folder string // inside the destination
	Count  int
}

// Summary is what a run did. Counts are of this run; AlreadyDone counts what
// the interrupted run that Resume continued had done.
type Summary struct {
	Source      string // as given
	Destination string // as given
	Operation   Operation
	DryRun      bool
	Stopped     bool // cancelled or failed before the end: Resume finishes the job

	Labels    []LabelCount // in the order the labels were given
	Unsorted  int          // images whose best probability was below Threshold
	Threshold float64
	Sorted    int // images placed (in a dry run: that would be), unsorted included
	Videos    int // of Sorted, videos (sorted by their best frames; see FramesFile)
	Frames    int // the videos' frames looked at
	// VideosNotRead counts the videos listed in Skipped because they could not be read (no ffmpeg, or
	// --no-videos); VideoNote says why and what to do.
	VideosNotRead int
	VideoNote     string
	AlreadyDone   int
	Skipped       []Skipped    // files that are not images, sorted by path
	Errors        []ImageError // in the order met

	CacheHits   int    // image embeddings read from the cache
	CacheMisses int    // image embeddings computed
	EmbedCalls  int    // EmbedImages calls
	CachePath   string // "" when the cache was off

	Elapsed         time.Duration
	ImagesPerSecond float64 // pictures handled (images sorted or failed, and videos' frames) per second

	OutputFile  string // the reports written
	ErrorsFile  string
	SkippedFile string // "" when nothing was skipped
	FramesFile  string // frames.csv; "" when no video was sorted
	// ProvenanceFile records the tool, model and revision, template and settings (output.json).
	ProvenanceFile string
	ReportFile     string // report.html; "" when not written
}

const summaryListMax = 5

// String is a one-screen account of the run, ending with what to do next when
// something needs attention.
func (s *Summary) String() string {
	var b strings.Builder
	verb := map[Operation]string{Copy: "Copied", Move: "Moved", Link: "Hard-linked", Symlink: "Linked"}[s.Operation]
	what, rate := count(s.Sorted, "image"), "images/s"
	if s.Videos > 0 {
		what = fmt.Sprintf("%s (%s, %s)", count(s.Sorted, "file"), count(s.Sorted-s.Videos, "image"), count(s.Videos, "video"))
		rate = "pictures/s, video frames included"
	}
	switch {
	case s.DryRun:
		fmt.Fprintf(&b, "Dry run: nothing was copied or moved. %s would be sorted from %s into %s", what, s.Source, s.Destination)
	default:
		fmt.Fprintf(&b, "%s %s from %s into %s", verb, what, s.Source, s.Destination)
	}
	fmt.Fprintf(&b, " in %s (%.1f %s).\n", roundDuration(s.Elapsed), s.ImagesPerSecond, rate)
	if s.Videos > 0 {
		fmt.Fprintf(&b, "Videos are sorted by their best frame for each label (%d frames looked at): %s says when each is.\n",
			s.Frames, s.FramesFile)
	}
	width := len(UnsortedFolder)
	for _, l := range s.Labels {
		width = max(width, len(l.Label))
	}
	width = min(width, 40)
	for _, l := range s.Labels {
		fmt.Fprintf(&b, "  %-*s %6d  -> %s/\n", width, l.Label, l.Count, l.Folder)
	}
	if s.Threshold > 0 || s.Unsorted > 0 {
		fmt.Fprintf(&b, "  %-*s %6d  -> %s/ (best score below %g)\n", width, UnsortedFolder, s.Unsorted, UnsortedFolder, s.Threshold)
	}
	if s.AlreadyDone > 0 {
		fmt.Fprintf(&b, "Resumed: %s had already been handled by the interrupted run.\n", count(s.AlreadyDone, "image"))
	}
	if n := len(s.Skipped); n > 0 {
		fmt.Fprintf(&b, "Skipped %s that %s (all listed in %s):\n", count(n, "file or folder"), plural(n, "is not an image", "are not images"), s.SkippedFile)
		for i, k := range s.Skipped {
			if i == summaryListMax {
				fmt.Fprintf(&b, "  ... and %d more\n", n-i)
				break
			}
			fmt.Fprintf(&b, "  %s: %s\n", k.Path, k.Reason)
		}
	}
	if n := len(s.Errors); n > 0 {
		fmt.Fprintf(&b, "%s could not be sorted (all listed in %s):\n", count(n, "image"), s.ErrorsFile)
		for i, e := range s.Errors {
			if i == summaryListMax {
				fmt.Fprintf(&b, "  ... and %d more\n", n-i)
				break
			}
			fmt.Fprintf(&b, "  %s: %s\n", e.Path, e.Reason)
		}
	}
	if s.VideosNotRead > 0 {
		fmt.Fprintf(&b, "%s not read (listed in %s): %s\n", count(s.VideosNotRead, "video"), s.SkippedFile, s.VideoNote)
	}
	for _, h := range s.hints() {
		fmt.Fprintf(&b, "  What to do: %s\n", h)
	}
	if s.CachePath != "" {
		fmt.Fprintf(&b, "Embedding cache: %d reused, %d computed (%s).\n", s.CacheHits, s.CacheMisses, s.CachePath)
	} else {
		fmt.Fprintf(&b, "Embedding cache: off (%d computed).\n", s.CacheMisses)
	}
	fmt.Fprintf(&b, "Report: %s\n", s.OutputFile)
	if s.ReportFile != "" {
		fmt.Fprintf(&b, "Report to share (one file, opens in any browser): %s\n", s.ReportFile)
	}
	if s.Stopped {
		if s.DryRun {
			b.WriteString("Stopped before the end: run the dry run again to see every image.\n")
		} else {
			b.WriteString("Stopped before the end: everything listed above is saved. Run the same command again with --resume to finish.\n")
		}
	}
	return b.String()
}

// errorHints say what to do about each kind of per-image error.
var errorHints = map[string]string{
	"too-large":       "images over the pixel limit can be sorted with a higher --max-pixels (only for files you trust: huge images can exhaust memory).",
	"decode":          "damaged or truncated files: open them in an image viewer, and download them again if you can.",
	"corrupt":         "damaged or truncated files: open them in an image viewer, and download them again if you can.",
	"unknown-format":  "files in a format this tool cannot read: convert them to JPEG or PNG and sort them again.",
	"unreadable":      "check that you may read these files and folders (permissions, a disconnected drive).",
	"place":           "check the destination's free space and permissions, then run the same command with --resume to try these again.",
	"source-kept":     "these images are safely in the destination, but their originals could not be removed from the source: delete them yourself.",
	"lost":            "look for these files by name: an interrupted run was placing them when something else moved them.",
	"timeout":         "videos ffmpeg could not read in time: allow more with --video-timeout (e.g. 5m), or check them in a video player.",
	"no-video-stream": "sound files without pictures: there is nothing to sort them by; they stay where they are.",
	"unsupported":     "videos in a format this ffmpeg cannot decode: a newer ffmpeg (--ffmpeg PATH) may read them.",
}

func (s *Summary) hints() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range s.Errors {
		if h, ok := errorHints[e.Kind]; ok && !seen[e.Kind] {
			seen[e.Kind] = true
			out = append(out, h)
		}
	}
	return out
}

// count is "1 image", "2 images"; "file or folder" becomes "files or folders".
func count(n int, what string) string {
	if n != 1 {
		what = strings.ReplaceAll(what+"s", "file or folders", "files or folders")
	}
	return fmt.Sprintf("%d %s", n, what)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func sortSkipped(s []Skipped) {
	slices.SortStableFunc(s, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
}
