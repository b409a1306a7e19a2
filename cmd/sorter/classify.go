package main

import (
	"context"
	"io"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// classifyOutput is what "sorter classify" prints; later tooling reads it, so its shape stays stable.
type classifyOutput struct {
	Labels  []string `json:"labels"`
	Prompts []string `json:"prompts"`
	// Scores says what the scores are: "softmax" (CLIP: shared among the labels, adding up to 1) or "sigmoid"
	// (SigLIP: each label on its own).
	Scores string            `json:"scores"`
	Images []classifiedImage `json:"images"`
}

type classifiedImage struct {
	Path   string             `json:"path"`
	Scores map[string]float32 `json:"scores"`
	Label  string             `json:"label"`
}

func runClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("classify", `classify --model MODEL --labels "a, b, c" [--template T] IMAGE...`, stderr)
	modelSpec := fs.String("model", "", "checkpoint directory or Hugging Face Hub id")
	revision := fs.String("revision", "", revisionHelp)
	labelList := fs.String("labels", "", `comma-separated candidate labels, e.g. "weapon, a meme, a picture of a person"`)
	template := fs.String("template", sorter.DefaultTemplate, "prompt template; {} is replaced by each label")
	batchSize := fs.Int("batch_size", 0, batchSizeHelp)
	images, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	labels, err := parseLabels(*labelList, stderr)
	if err != nil {
		return err
	}
	prompts, err := sorter.Prompts(*template, labels)
	if err != nil {
		return &userError{usage: true, err: err}
	}
	if len(images) == 0 {
		return &userError{msg: "no images to classify", hint: "give one or more image paths after the flags", usage: true}
	}
	m, err := openModel(ctx, *modelSpec, *revision, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	imageEmbeds, err := embedImageFiles(ctx, m, images, *batchSize)
	if err != nil {
		return err
	}
	textEmbeds, err := m.EmbedTexts(prompts)
	if err != nil {
		return err
	}
	probs := m.Probabilities(imageEmbeds, textEmbeds)
	out := classifyOutput{Labels: labels, Prompts: prompts, Scores: "softmax"}
	if f := models.FamilyOfModel(m); f != nil && f.Scores.Sigmoid {
		out.Scores = "sigmoid"
	}
	for i, path := range images {
		img := classifiedImage{Path: path, Scores: map[string]float32{}}
		best := 0
		for j, label := range labels {
			img.Scores[label] = probs[i][j]
			if probs[i][j] > probs[i][best] {
				best = j
			}
		}
		img.Label = labels[best]
		out.Images = append(out.Images, img)
	}
	return writeJSON(stdout, out)
}
