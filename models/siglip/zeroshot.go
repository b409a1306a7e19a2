// zeroshot.go is the scoring half of Hugging Face's zero-shot-image-classification pipeline for SigLIP
// (transformers/pipelines/zero_shot_image_classification.py, its "siglip" branch, and SiglipModel.forward's
// logits), kept beside the model as open_clip keeps zero_shot_classifier.py: each label is scored on its own,
// sigmoid(exp(logit_scale) * cosine + logit_bias), so an image's scores do not sum to 1.

package siglip

import "math"

// Probabilities returns, for each image and text, sigmoid(LogitScale * (image . text) + LogitBias): the
// pipeline's scores, independent per label. Embeddings must be L2-normalised (as EmbedImages and EmbedTexts
// return them).
func (m *Model) Probabilities(imageEmbeds, textEmbeds [][]float32) [][]float32 {
	logits := Logits(imageEmbeds, textEmbeds, m.logitScale, m.logitBias)
	for _, row := range logits {
		for j, v := range row {
			row[j] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
	return logits
}

// Logits returns scale * (image . text) + bias for every pair: logits_per_image, one row per image.
func Logits(imageEmbeds, textEmbeds [][]float32, scale, bias float32) [][]float32 {
	logits := make([][]float32, len(imageEmbeds))
	for i, img := range imageEmbeds {
		row := make([]float32, len(textEmbeds))
		for j, txt := range textEmbeds {
			var dot float32
			for k := range img {
				dot += img[k] * txt[k]
			}
			row[j] = float32(scale*dot) + bias // the conversion keeps Go from fusing: scaled, rounded, then added
		}
		logits[i] = row
	}
	return logits
}
