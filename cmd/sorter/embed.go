package main

import (
	"context"
	"encoding/json"
	"io"
	"os"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/video"
)

// embedOutput is what "sorter embed" prints; later tooling reads it, so its shape stays stable.
type embedOutput struct {
	Model  string           `json:"model"`
	Images []imageEmbedding `json:"images"`
	Texts  []textEmbedding  `json:"texts"`
}

type imageEmbedding struct {
	Path      string    `json:"path"`
	Embedding []float32 `json:"embedding"`
}

type textEmbedding struct {
	Text      string    `json:"text"`
	Embedding []float32 `json:"embedding"`
}

func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", "embed --model MODEL [--text TEXT]... [IMAGE]...", stderr)
	modelSpec := fs.String("model", "", "checkpoint directory or Hugging Face Hub id")
	revision := fs.String("revision", "", revisionHelp)
	var texts stringList
	fs.Var(&texts, "text", "a text to embed (repeatable)")
	batchSize := fs.Int("batch_size", 0, batchSizeHelp)
	images, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(images) == 0 && len(texts) == 0 {
		return &userError{msg: "nothing to embed", hint: "give image paths and/or --text TEXT", usage: true}
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
	out := embedOutput{Model: *modelSpec, Images: []imageEmbedding{}, Texts: []textEmbedding{}}
	for i, path := range images {
		out.Images = append(out.Images, imageEmbedding{Path: path, Embedding: imageEmbeds[i]})
	}
	if len(texts) > 0 {
		textEmbeds, err := m.EmbedTexts(texts)
		if err != nil {
			return err
		}
		for i, text := range texts {
			out.Texts = append(out.Texts, textEmbedding{Text: text, Embedding: textEmbeds[i]})
		}
	}
	return writeJSON(stdout, out)
}

// embedImageFiles preprocesses every image first (so a bad file is reported before any model work), then
// embeds them in batches.
func embedImageFiles(ctx context.Context, m models.Model, paths []string, batchSize int) ([][]float32, error) {
	if batchSize < 0 {
		return nil, &userError{msg: "--batch_size must be 1 or more, or 0 for the engine's choice", usage: true}
	}
	if batchSize == 0 {
		batchSize = m.BatchSize()
	}
	pixels := make([][]float32, len(paths))
	for i, path := range paths {
		p, err := m.PreprocessImage(path, 0)
		if err != nil {
			if c := videoContainer(path); c != "" {
				return nil, &userError{msg: path + " is a video (" + c + "), not an image",
					hint: "sorter sort reads videos by their frames (with ffmpeg); classify and embed take images"}
			}
			return nil, err // a file that cannot be used: an *imagefile.Error, which carries its hint
		}
		pixels[i] = p
	}
	embeds := make([][]float32, 0, len(paths))
	for start := 0; start < len(pixels); start += batchSize {
		if err := ctx.Err(); err != nil {
			return nil, &userError{msg: "interrupted", err: err}
		}
		batch, err := m.EmbedImages(pixels[start:min(start+batchSize, len(pixels))])
		if err != nil {
			return nil, err
		}
		embeds = append(embeds, batch...)
	}
	return embeds, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// videoContainer is the container a file's content says it is ("mp4", "webm", ...), or "".
func videoContainer(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, video.HeadLen)
	n, _ := io.ReadFull(f, head)
	return video.Sniff(head[:n])
}
