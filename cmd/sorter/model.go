package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// batchSizeHelp describes --batch_size, whose 0 lets models.Model.BatchSize (engine.BatchSize) choose.
const batchSizeHelp = "images per model call; 0: the engine's choice (8 on ONNX Runtime, 16 on the pure-Go engine, 32 on XLA)"

// revisionHelp is the help of every verb's --revision flag.
const revisionHelp = "Hub revision of --model: a branch, tag, commit or pull request (refs/pr/N); default main, " +
	"or its safetensors conversion pull request when main has no model.safetensors"

// openModel resolves the --model argument (a checkpoint folder or a Hub id at revision, "" for main, downloaded with
// progress on stderr) and loads it.
func openModel(ctx context.Context, spec, revision string, stderr io.Writer) (models.Model, error) {
	if spec == "" {
		return nil, &userError{msg: "no model given", hint: "pass --model with a Hub id such as " + models.DefaultModel + " or a checkpoint folder", usage: true}
	}
	dl := &downloadProgress{w: stderr}
	m, err := models.Open(ctx, spec, models.Options{
		Hub:  hub.Options{Progress: dl.update, Revision: revision},
		Logf: noteLogger(stderr),
	})
	if err != nil {
		switch {
		case sorter.Hint(err) != "":
			return nil, err // *hub.Error, *torchbin.ForbiddenGlobalError, ...: it says what to do
		case errors.Is(err, context.Canceled):
			return nil, &userError{msg: "interrupted while opening the model"}
		}
		return nil, &userError{
			err:  err,
			hint: "check that the folder is a complete Hugging Face CLIP or SigLIP checkpoint (config.json, model.safetensors or pytorch_model.bin, preprocessor_config.json, and its tokenizer files)",
		}
	}
	return m, nil
}

// noteLogger prints one-line notices (such as a compute-engine fallback) to stderr.
func noteLogger(stderr io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(stderr, "sorter: note: "+format+"\n", args...)
	}
}

// downloadProgress prints model download progress, at most once a second per file.
type downloadProgress struct {
	w       io.Writer
	file    string
	last    time.Time
	printed bool
}

func (d *downloadProgress) update(file string, done, total int64) {
	if file == d.file && time.Since(d.last) < time.Second && done != total {
		return
	}
	d.file, d.last, d.printed = file, time.Now(), true
	if total > 0 {
		fmt.Fprintf(d.w, "sorter: downloading %s: %s of %s (%.0f%%)\n", file, megabytes(done), megabytes(total), 100*float64(done)/float64(total))
	} else {
		fmt.Fprintf(d.w, "sorter: downloading %s: %s\n", file, megabytes(done))
	}
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
