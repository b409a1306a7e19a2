// zeroshot.go is the scoring half of Hugging Face's zero-shot-image-classification pipeline
// (transformers/pipelines/zero_shot_image_classification.py), kept beside the model as open_clip keeps
// zero_shot_classifier.py: each image gets a softmax over logit_scale * cosine similarity with the prompts
// (sorter fills the template with the labels).
package clip

import (
	"math"
)

// Probabilities returns, for each image, softmax over texts of LogitScale * (image . text), the pipeline's
// scores. Embeddings must be L2-normalised (as EmbedImages and EmbedTexts return them).
func (m *Model) Probabilities(imageEmbeds, textEmbeds [][]float32) [][]float32 {
	return softmax(Logits(imageEmbeds, textEmbeds, m.logitScale))
}

// Logits returns scale * (image . text) for every pair: logits_per_image.
func Logits(imageEmbeds, textEmbeds [][]float32, scale float32) [][]float32 {
	logits := make([][]float32, len(imageEmbeds))
	for i, img := range imageEmbeds {
		row := make([]float32, len(textEmbeds))
		for j, txt := range textEmbeds {
			var dot float32
			for k := range img {
				dot += img[k] * txt[k]
			}
			row[j] = scale * dot
		}
		logits[i] = row
	}
	return logits
}

// softmax normalises each row (computed in float64, stable against large logits).
func softmax(rows [][]float32) [][]float32 {
	out := make([][]float32, len(rows))
	for i, row := range rows {
		maxV := math.Inf(-1)
		for _, v := range row {
			maxV = math.Max(maxV, float64(v))
		}
		var sum float64
		exps := make([]float64, len(row))
		for j, v := range row {
			exps[j] = math.Exp(float64(v) - maxV)
			sum += exps[j]
		}
		out[i] = make([]float32, len(row))
		for j := range row {
			out[i][j] = float32(exps[j] / sum)
		}
	}
	return out
}
