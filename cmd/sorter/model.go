package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/bellingcat/smart-image-sorter/models/clip"
)

// openModel loads the --model argument: a local checkpoint directory.
func openModel(ctx context.Context, spec string, stderr io.Writer) (*clip.Model, error) {
	if spec == "" {
		return nil, &userError{msg: "no model given", hint: "pass --model with a checkpoint directory or a Hub id such as openai/clip-vit-base-patch32", usage: true}
	}
	info, err := os.Stat(spec)
	if err != nil || !info.IsDir() {
		return nil, &userError{
			msg:  fmt.Sprintf("model %q is not a checkpoint directory", spec),
			hint: "pass the folder that holds config.json and model.safetensors",
		}
	}
	_ = ctx
	m, err := clip.Load(spec, clip.Options{Logf: noteLogger(stderr)})
	if err != nil {
		return nil, &userError{msg: "could not load the model", hint: "check that the folder is a complete Hugging Face CLIP checkpoint (config.json, model.safetensors, preprocessor_config.json, vocab.json, merges.txt)", err: err}
	}
	return m, nil
}

// noteLogger prints one-line notices (such as a compute-engine fallback) to stderr.
func noteLogger(stderr io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(stderr, "sorter: note: "+format+"\n", args...)
	}
}
