package nbui

// The notebook's cells call these: Form.Run (the form cell), Sort (one sort, shown as it goes), Resort (the
// "new labels" cell, which reuses the embedding cache) and Exit. The last sort's settings are written to a
// small JSON file, since each GoNB cell is a separate program and keeps no variables from the one before.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// Context is cancelled when the cell is interrupted (Jupyter's stop button sends the cell program SIGINT):
// the sort then stops after its current batch, with everything done so far saved.
func Context() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx
}

// Exit ends the cell program: quietly on success; after an error (already displayed by the function that
// returned it) with a one-line message on standard error and exit status 1, so that Jupyter and notebook
// runners mark the cell as failed.
func Exit(err error) {
	flush()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smart-image-sorter:", ErrorText(err))
		os.Exit(1)
	}
}

// Run shows the form and sorts with the settings sent by Start. A setting that cannot work, or a sort that
// fails, is shown below the form, which is enabled again to fix it; Run returns after the first sort that
// succeeds. Headless (see Headless), it shows the form disabled and sorts with its defaults at once.
func (f *Form) Run(ctx context.Context) error { return f.run(ctx, Notebook()) }

func (f *Form) run(ctx context.Context, out Output) error {
	if Headless() {
		note := "No browser is attached (headless run): sorting with these settings."
		out.Display(f.HTML(true, note, ""), f.Text(note))
		_, err := Sort(ctx, f.Defaults, out)
		return err
	}
	l := f.show(out)
	defer l.close()
	if !l.waitReady(ctx, readyTimeout, readyRetry) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		note := "The page did not connect to the form (this happens where GoNB's widgets do not work, such as " +
			"some editors): sorting with the settings in the cell's code instead."
		l.finish(f.Defaults, "Not connected to the page: sorting with these settings, from the cell's code.")
		out.Display(`<div class="sis sis-note">`+escape(note)+`</div>`, note)
		_, err := Sort(ctx, f.Defaults, out)
		return err
	}
	problem := "sis_problem_" + f.id
	for {
		s, err := l.wait(ctx)
		if err == nil {
			err = s.Check()
		}
		if ctx.Err() != nil {
			l.finish(f.Defaults, "Stopped before Start was pressed.")
			return ctx.Err()
		}
		if err != nil {
			out.Update(problem, ErrorHTML(err), ErrorText(err))
			l.tell(true, "Fix the setting shown below, then press Start again.")
			continue
		}
		out.Update(problem, "", "")
		l.tell(false, "Sorting… (interrupt the cell to stop)")
		_, err = Sort(ctx, s, out)
		if err == nil {
			l.finish(s, "Done. Run this cell again to sort again, or use the cells below.")
			return nil
		}
		if ctx.Err() != nil {
			l.finish(s, "Stopped.")
			return err
		}
		l.tell(true, "That did not work (see below): change the settings and press Start again.")
	}
}

// Sort runs one sort with settings s, showing on out a progress bar, then the summary and the gallery (or
// the error, with what to do). It records s as the last sort, for Resort.
func Sort(ctx context.Context, s Settings, out Output) (*sorter.Summary, error) {
	sum, err := sortWith(ctx, s, out, GalleryOptions{})
	if err != nil {
		out.Display(ErrorHTML(err), ErrorText(err))
	}
	flush()
	return sum, err
}

func sortWith(ctx context.Context, s Settings, out Output, gallery GalleryOptions) (*sorter.Summary, error) {
	o, note, err := s.SorterOptions()
	if err != nil {
		return nil, err
	}
	if note != "" {
		out.Display(noteHTML(note), noteText(note))
	}
	bar := NewProgressBar(out)
	start := time.Now()
	m, notes, err := openModel(ctx, s.Model, bar)
	if err == nil {
		if note := models.ThresholdNote(m, o.Threshold); note != "" {
			notes = append(notes, note)
		}
	}
	showNotes(out, notes) // notices from opening the model (and the threshold's fit to its scores)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	load := time.Since(start)
	o.Progress = bar.Update
	sum, runErr := sorter.Run(ctx, m, o)
	if sum == nil {
		bar.Status("The sort did not start.")
		return nil, runErr
	}
	if err := SaveLastRun(lastRunPath(), s); err != nil {
		out.Display(ErrorHTML(err), ErrorText(err))
	}
	out.Display(SummaryHTML(sum, load), SummaryText(sum, load))
	results, err := sorter.ReadResults(sum.OutputFile)
	if err != nil {
		return sum, errors.Join(runErr, err)
	}
	g := NewGallery(sum, results, gallery)
	out.Display(g.HTML(), g.Text())
	return sum, runErr
}

// openModel opens spec (a Hugging Face Hub id or a checkpoint folder), saying in bar what it does: loading, or
// downloading with the megabytes so far. It returns the notices that opening the model gave, for showNotes.
func openModel(ctx context.Context, spec string, bar *ProgressBar) (models.Model, []string, error) {
	given := spec
	spec = strings.TrimSpace(spec)
	if info, err := os.Stat(expandHome(spec)); err == nil && info.IsDir() {
		spec = expandHome(spec)
		bar.Status("Loading the model in " + spec + "…")
	} else {
		bar.Status("Loading the model " + spec + "… (the first time, it is downloaded from Hugging Face)")
	}
	var notes []string
	m, err := models.Open(ctx, spec, models.Options{
		Logf: func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) },
		Hub: hub.Options{Progress: func(file string, done, total int64) {
			size := "?"
			if total > 0 {
				size = strconv.FormatInt(total>>20, 10)
			}
			bar.Status(fmt.Sprintf("Downloading the model %s from Hugging Face: %s, %d of %s MB…", spec, file, done>>20, size))
		}},
	})
	if err != nil {
		bar.Status("Could not load the model " + given + ".")
	}
	return m, notes, err
}

// showNotes shows notices, such as the model's, in grey.
func showNotes(out Output, notes []string) {
	for _, n := range notes {
		out.Display(`<div class="sis sis-muted">`+escape("Note: "+n)+`</div>`, "Note: "+n)
	}
}

// Resort sorts again with new labels: the last sort's source (its destination after a move, since the
// images are there now) into a new folder beside its destination (see ResortSettings), with the same model,
// operation and threshold. The images' embeddings come from the cache the last sort filled, so only the
// labels are encoded: seconds, not a second pass over the images. Without an earlier sort on record it
// starts from DefaultSettings.
func Resort(ctx context.Context, labels string) error {
	out := Notebook()
	last, err := LoadLastRun(lastRunPath())
	if errors.Is(err, fs.ErrNotExist) {
		last = DefaultSettings()
		out.Display(`<div class="sis sis-note">`+escape("No earlier sort on record: re-sorting the form's defaults.")+`</div>`,
			"No earlier sort on record: re-sorting the form's defaults.")
	} else if err != nil {
		out.Display(ErrorHTML(err), ErrorText(err))
		return err
	}
	s, err := ResortSettings(last, labels)
	if err != nil {
		out.Display(ErrorHTML(err), ErrorText(err))
		return err
	}
	msg := fmt.Sprintf("Re-sorting %s into %s with the labels: %s", s.Source, s.Destination, s.Labels)
	out.Display(`<div class="sis"><h3>`+escape(msg)+`</h3></div>`, msg)
	_, err = Sort(ctx, s, out)
	return err
}

// ResortSettings are the settings of a re-sort of last with new labels. The destination is a new folder
// beside last's: "labelled" becomes "labelled-2", "labelled-2" becomes "labelled-3" (the first that does
// not exist), so nothing of the earlier sort is touched. After a move the images are in last's destination,
// so that becomes the source.
func ResortSettings(last Settings, labels string) (Settings, error) {
	if _, _, err := sorter.ParseLabels(labels); err != nil {
		return last, err // (a trailing comma is no error: Sort shows the note about it)
	}
	s := last
	s.Labels = labels
	if op, err := sorter.ParseOperation(last.Operation); err == nil && op == sorter.Move {
		s.Source = last.Destination
	}
	s.Destination = NextFreeFolder(expandHome(last.Destination))
	return s, nil
}

var numbered = regexp.MustCompile(`^(.*)-([0-9]+)$`)

// NextFreeFolder returns path-2, path-3, ... (or, for a path that already ends in -N, the same stem with
// N+1, N+2, ...): the first that does not exist.
func NextFreeFolder(path string) string {
	path = filepath.Clean(path)
	stem, n := path, 2
	if m := numbered.FindStringSubmatch(path); m != nil {
		if k, err := strconv.Atoi(m[2]); err == nil && k < 1_000_000 {
			stem, n = m[1], k+1
		}
	}
	for ; ; n++ {
		p := stem + "-" + strconv.Itoa(n)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
	}
}

// lastRunFile is the record of the last sort started from a notebook, beside the embedding cache.
const lastRunFile = "notebook-last-run.json"

// LastRunPath is where Sort records its settings for Resort: <user cache folder>/smart-image-sorter/.
func LastRunPath() (string, error) {
	cache, err := sorter.DefaultCachePath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(cache), lastRunFile), nil
}

func lastRunPath() string {
	p, err := LastRunPath()
	if err != nil {
		return filepath.Join(os.TempDir(), "smart-image-sorter-"+lastRunFile)
	}
	return p
}

// SaveLastRun records s at path, with relative paths made absolute (the next cell may run elsewhere).
func SaveLastRun(path string, s Settings) error {
	for _, p := range []*string{&s.Source, &s.Destination} {
		if abs, err := filepath.Abs(expandHome(*p)); err == nil {
			*p = abs
		}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("recording the settings for a re-sort: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("recording the settings for a re-sort: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("recording the settings for a re-sort: %w", err)
	}
	return nil
}

// LoadLastRun reads what SaveLastRun recorded; an error wrapping fs.ErrNotExist means nothing was.
func LoadLastRun(path string) (Settings, error) {
	var s Settings
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("reading the last sort's settings: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, &sorter.Error{Msg: "the record of the last sort, " + path + ", is damaged", Err: err,
			Hint: "run the form cell again (it rewrites the record), or delete the file"}
	}
	return s, nil
}

func escape(s string) string { return template.HTMLEscapeString(s) }
