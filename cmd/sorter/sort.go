package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/samples"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func runSort(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sort", `sort --labels "a, b, c" [--source DIR] [--destination DIR] [flags]`, stderr)
	d := sorter.DefaultOptions()
	ff := addFolderFlags(fs, &d.Folder, "to sort", "sorting")
	fs.StringVar(&d.Destination, "destination", d.Destination, "folder that receives one sub-folder per label and the reports")
	labels := fs.String("labels", "", `comma-separated labels, at least 2, e.g. "weapon, a meme, screenshot of a newspaper article, a picture of a person"`)
	operation := fs.String("operation", string(d.Operation), "what to do with each image: "+strings.Join(operationNames(), ", "))
	fs.StringVar(&d.OutputFile, "output_file", d.OutputFile, "name of the CSV report, written inside the destination")
	fs.StringVar(&d.Template, "template", d.Template, "prompt for each label; {} is replaced by the label")
	fs.Float64Var(&d.Threshold, "threshold", 0, models.ThresholdHelp())
	fs.IntVar(&d.TopK, "top-k", d.TopK, "number of best labels listed per image in the report")
	fs.BoolVar(&d.DryRun, "dry-run", false, "score every image and write the reports, but copy or move nothing")
	fs.BoolVar(&d.Resume, "resume", false, "finish an interrupted run into the same destination")
	fs.BoolVar(&d.HTMLReport, "report", d.HTMLReport, "write report.html into the destination: every image as a thumbnail, by label, to share (--report=false: none)")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return &userError{msg: fmt.Sprintf("unexpected argument %q", positional[0]), hint: "the folder to sort goes after --source", usage: true}
	}
	op, err := sorter.ParseOperation(*operation)
	if err != nil {
		return &userError{usage: true, err: err}
	}
	d.Operation = op
	if d.Labels, err = parseLabels(*labels, stderr); err != nil {
		return err
	}
	m, bar, err := ff.start(ctx, &d.Folder, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	if note := models.ThresholdNote(m, d.Threshold); note != "" {
		noteLogger(stderr)("%s", note)
	}
	summary, err := sorter.Run(ctx, m, d)
	bar.finish()
	if summary != nil {
		fmt.Fprint(stdout, summary.String())
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &userError{msg: "interrupted", hint: "everything done so far is saved; run the same command again with --resume to finish"}
		}
		return err
	}
	return nil
}

// repoSamples is where the sample photos are in the repository.
var repoSamples = filepath.Join("samples", "photos")

// defaultSource is the shipped sample folder: samples/photos when run from the repository, else a copy of the
// samples built into the binary, extracted into the user's cache folder.
func defaultSource(stderr io.Writer, doing string) (string, error) {
	if info, err := os.Stat(repoSamples); err == nil && info.IsDir() {
		fmt.Fprintf(stderr, "sorter: note: no --source given: %s the sample photos in %s\n", doing, repoSamples)
		return repoSamples, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir, err := samples.Extract(filepath.Join(base, "smart-image-sorter", "samples"))
	if err != nil {
		return "", &userError{err: err, hint: "pass the folder of images to sort with --source"}
	}
	fmt.Fprintf(stderr, "sorter: note: no --source given: %s the sample photos, copied to %s\n", doing, dir)
	return dir, nil
}

func operationNames() []string {
	names := make([]string, len(sorter.Operations))
	for i, op := range sorter.Operations {
		names[i] = string(op)
	}
	return names
}
