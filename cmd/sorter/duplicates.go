package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

func runDuplicates(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("duplicates", `duplicates [--source DIR] [--similarity 0.95] [--destination DIR] [flags]`, stderr)
	o := sorter.DefaultDuplicatesOptions()
	ff := addFolderFlags(fs, &o.Folder, "to compare", "comparing")
	fs.Float64Var(&o.Similarity, "similarity", o.Similarity,
		"how alike two pictures must be to count as near-duplicates: above 0, at most 1 (cosine similarity of their embeddings; 1 finds only identical pictures)")
	fs.StringVar(&o.Destination, "destination", o.Destination, "folder that receives duplicates.csv and report.html (nothing is moved or deleted)")
	fs.BoolVar(&o.HTMLReport, "report", o.HTMLReport, "write report.html into the destination: each group as thumbnails, to share (--report=false: none)")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return &userError{msg: fmt.Sprintf("unexpected argument %q", positional[0]), hint: "the folder to compare goes after --source", usage: true}
	}
	m, bar, err := ff.start(ctx, &o.Folder, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := sorter.Duplicates(ctx, m, o)
	bar.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return cachedSoFar
		}
		return err
	}
	fmt.Fprint(stdout, res.String())
	printProblems(stdout, res.Collection.Errors, len(res.Collection.Skipped))
	return nil
}
