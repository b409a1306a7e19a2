package nbui

// What one sort needs, as the form shows it: the original notebook's five settings plus a threshold.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/samples"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// Settings are the form's fields. Paths may start with ~ (the home folder); relative paths are relative to
// the notebook's folder.
type Settings struct {
	Source      string  `json:"source"`      // folder of images to sort (sub-folders included)
	Destination string  `json:"destination"` // where the label folders and the reports go
	Model       string  `json:"model"`       // Hugging Face Hub id, or a folder holding a CLIP or SigLIP checkpoint
	Labels      string  `json:"labels"`      // comma-separated, as typed
	Operation   string  `json:"operation"`   // copy or move (link and symlink work too)
	Threshold   float64 `json:"threshold"`   // 0..1; an image whose best probability is below it goes to "unsorted"; 0: none
}

// Environment variables read by DefaultSettings.
const (
	// ModelEnv, when set, replaces models.DefaultModel as the default model (tests set it to the fixture
	// checkpoint, since they cannot download a real model).
	ModelEnv = "SORTER_NOTEBOOK_MODEL"
	// RepoEnv is the folder of the repository (the set-up cell's fallback is the notebook's parent folder).
	RepoEnv = "SORTER_REPO"
)

// DefaultLabels suit the sample photos (SampleFolder).
const DefaultLabels = "a photo of a person, a photo of an animal, a photo of food or drink, " +
	"a photo of space or a rocket, a picture of text, a photo of an object"

// DefaultDestination is the default destination, inside the notebook's folder.
const DefaultDestination = "labelled"

// DefaultSettings work out of the box: the repository's sample photos, sorted by copy into "labelled"
// beside the notebook, with models.DefaultModel (or $SORTER_NOTEBOOK_MODEL).
func DefaultSettings() Settings {
	s := Settings{
		Destination: DefaultDestination,
		Model:       models.DefaultModel,
		Labels:      DefaultLabels,
		Operation:   string(sorter.Copy),
	}
	if m := strings.TrimSpace(os.Getenv(ModelEnv)); m != "" {
		s.Model = m
	}
	if src, err := SampleFolder(); err == nil {
		s.Source = src
	}
	if abs, err := filepath.Abs(s.Destination); err == nil {
		s.Destination = abs
	}
	return s
}

// SampleFolder is the folder of the sample photos shipped with the tool: samples/photos in the repository,
// or, when the repository cannot be found, a copy extracted into the user's cache folder (as the command
// line does).
func SampleFolder() (string, error) {
	if repo, err := RepoDir(); err == nil {
		dir := filepath.Join(repo, "samples", "photos")
		if info, err := os.Stat(dir); err == nil && info.IsDir() {
			return dir, nil
		}
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return samples.Extract(filepath.Join(base, "smart-image-sorter", "samples"))
}

// RepoDir is the folder of the smart-image-sorter repository: $SORTER_REPO when set, else the folder this
// package was built from (the notebook's set-up cell points Go at the repository, so that is it).
func RepoDir() (string, error) {
	if dir := os.Getenv(RepoEnv); dir != "" {
		if !isRepo(dir) {
			return "", fmt.Errorf("$%s is %s, which is not a copy of the smart-image-sorter repository", RepoEnv, dir)
		}
		return filepath.Abs(dir)
	}
	_, file, _, ok := runtime.Caller(0)
	if ok {
		if dir := filepath.Dir(filepath.Dir(file)); isRepo(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cannot find the smart-image-sorter repository: set $%s to its folder", RepoEnv)
}

func isRepo(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.HasPrefix(string(data), "module github.com/bellingcat/smart-image-sorter\n")
}

// Check reports the first setting that cannot work, as a *sorter.Error whose Hint says what to change. It
// looks at the disk (the source must be a folder) but changes nothing.
func (s Settings) Check() error {
	_, _, err := s.SorterOptions()
	return err
}

// SorterOptions turns the settings into the sort job's options (sorter.DefaultOptions otherwise), after the
// checks Check describes. note is what sorter.ParseLabels says about the labels as typed (empty items from a
// trailing or doubled comma, left out), "" if nothing, for the caller to show.
func (s Settings) SorterOptions() (o sorter.Options, note string, err error) {
	o = sorter.DefaultOptions()
	o.Source = expandHome(s.Source)
	if o.Source == "" {
		return o, "", &sorter.Error{Msg: "no source folder given", Hint: "type the folder that holds the images into Source"}
	}
	info, err := os.Stat(o.Source)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return o, "", &sorter.Error{Msg: "the source folder " + s.Source + " does not exist", Hint: "check the spelling, or give the full path of the folder"}
	case err != nil:
		return o, "", &sorter.Error{Msg: "cannot open the source folder " + s.Source, Hint: "check your permissions", Err: err}
	case !info.IsDir():
		return o, "", &sorter.Error{Msg: "the source " + s.Source + " is a file, not a folder", Hint: "give the folder that holds the images"}
	}
	o.Destination = expandHome(s.Destination)
	if o.Destination == "" {
		return o, "", &sorter.Error{Msg: "no destination folder given", Hint: "type a folder name into Destination, e.g. " + DefaultDestination}
	}
	if strings.TrimSpace(s.Model) == "" {
		return o, "", &sorter.Error{Msg: "no model given", Hint: "choose a model in the list, e.g. " + models.DefaultModel}
	}
	if o.Labels, note, err = sorter.ParseLabels(s.Labels); err != nil {
		return o, "", err
	}
	if o.Operation, err = sorter.ParseOperation(s.Operation); err != nil {
		return o, "", err
	}
	if !(s.Threshold >= 0 && s.Threshold < 1) {
		return o, "", &sorter.Error{Msg: fmt.Sprintf("threshold %v is not between 0 and 1", s.Threshold),
			Hint: "leave it empty (or 0) to always pick a label, or use a probability such as 0.5"}
	}
	o.Threshold = s.Threshold
	return o, note, nil
}

// ParseThreshold reads the form's threshold field: empty means none (0); "50%" is 0.5.
func ParseThreshold(text string) (float64, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return 0, nil
	}
	percent := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	v, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", "."), 64)
	if err == nil && percent {
		v /= 100
	}
	if err != nil || !(v >= 0 && v < 1) {
		return 0, &sorter.Error{Msg: fmt.Sprintf("threshold %q is not a probability between 0 and 1", text),
			Hint: "leave it empty to always pick a label, or use a probability such as 0.5"}
	}
	return v, nil
}

// expandHome trims spaces and turns a leading ~ into the home folder.
func expandHome(path string) string {
	p := strings.TrimSpace(path)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}
