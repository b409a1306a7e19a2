package models

import (
	"image"

	"github.com/gomlx/compute"
)

// Model is a loaded checkpoint of any family (family.go): what the sorter needs (the same methods as
// sorter.Model, which is not embedded so that models does not depend on the job's package), plus what the
// tools show. Methods are safe for concurrent use.
type Model interface {
	// CacheKey identifies the model and every setting that changes image embeddings (family, Hub id and
	// commit or folder, preprocessing); it keys the embedding cache.
	CacheKey() string
	// PreprocessImage decodes one image file (imagefile) and preprocesses it into the pixel_values the
	// image tower takes, CHW. maxPixels limits width*height, checked before decoding.
	PreprocessImage(path string, maxPixels int64) ([]float32, error)
	// PreprocessImageSeen is PreprocessImage that also hands the decoded picture (upright, RGB) to seen before
	// preprocessing it: the sort makes report.html's thumbnails from it instead of decoding each file again.
	PreprocessImageSeen(path string, maxPixels int64, seen func(*image.RGBA)) ([]float32, error)
	// PreprocessRGBA preprocesses a picture decoded elsewhere (a video's frame, from ffmpeg) as PreprocessImage
	// does a decoded file: resize, crop, rescale, normalise.
	PreprocessRGBA(img *image.RGBA) []float32
	// EmbedImages returns one L2-normalised image embedding per preprocessed image, in order.
	EmbedImages(pixels [][]float32) ([][]float32, error)
	// EmbedTexts returns one L2-normalised text embedding per text (a filled-in prompt), in order.
	EmbedTexts(texts []string) ([][]float32, error)
	// Probabilities are the pipeline's scores, per image and text: CLIP's softmax over the texts (they sum
	// to 1), SigLIP's sigmoid of each text on its own (they do not). Family.Scores says which.
	Probabilities(imageEmbeds, textEmbeds [][]float32) [][]float32
	// EmbeddingSize is the length of every image and text embedding.
	EmbeddingSize() int
	// ImageSize is the side of the square pixel_values.
	ImageSize() int
	// Backend is the compute engine running the model.
	Backend() compute.Backend
	// BatchSize is how many images to embed per EmbedImages call unless the user says otherwise: the fastest for
	// the engine within the memory bound (engine.BatchSize).
	BatchSize() int
	// Close releases the compiled graphs and the weights.
	Close()
}
