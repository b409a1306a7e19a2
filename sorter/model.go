package sorter

import "image"

// Model is what the sort job needs from an embedding model. models/clip implements it.
//
// The sorter never looks inside the model: it hashes files, asks the cache, and only
// for images it has never seen calls PreprocessImage (in parallel workers) and
// EmbedImages (from a single goroutine, one call per batch). Label prompts go
// through EmbedTexts once per run.
type Model interface {
	// CacheKey identifies the model and every setting that changes image embeddings (model id, revision, preprocessing); it keys the embedding cache.
	CacheKey() string
	// PreprocessImage decodes and preprocesses one image file. Safe for concurrent use. maxPixels limits width*height (checked before decoding).
	PreprocessImage(path string, maxPixels int64) ([]float32, error)
	// PreprocessRGBA preprocesses a decoded picture (a video's frame) as PreprocessImage does a file's. Safe for concurrent use.
	PreprocessRGBA(img *image.RGBA) []float32
	// EmbedImages returns one L2-normalised embedding per preprocessed image, in order.
	EmbedImages(pixels [][]float32) ([][]float32, error)
	// EmbedTexts returns one L2-normalised embedding per text, in order.
	EmbedTexts(texts []string) ([][]float32, error)
	// EmbeddingSize is the length of every image and text embedding.
	EmbeddingSize() int
	// Probabilities turns image and text embeddings into per-image probabilities over the texts (CLIP: softmax of logit_scale * cosine).
	Probabilities(imageEmbeds, textEmbeds [][]float32) [][]float32
}

// imageSeer is implemented by models that hand the decoded picture to a caller while preprocessing a file
// (models.Model does): the sort makes report.html's thumbnail from it, instead of decoding the file again at the
// end (for 200 photos that second decode was most of the report's 1.25 CPU-seconds).
type imageSeer interface {
	PreprocessImageSeen(path string, maxPixels int64, seen func(*image.RGBA)) ([]float32, error)
}

// batchSizer is implemented by models that know the batch size their engine runs fastest at (models.Model does);
// Folder.BatchSize 0 uses it.
type batchSizer interface{ BatchSize() int }

// batchSize is the images per EmbedImages call: asked (> 0), else the model's engine's, else DefaultBatchSize.
func batchSize(asked int, m Model) int {
	if asked > 0 {
		return asked
	}
	if b, ok := m.(batchSizer); ok && b.BatchSize() > 0 {
		return b.BatchSize()
	}
	return DefaultBatchSize
}

// imageErrorKind is implemented by model errors that know their category
// ("too large", "corrupt", "unreadable", ...). It fills the kind column of
// errors.csv (lower case, spaces as hyphens) and picks the summary's hint. A
// reason that starts with the file's path and ": " has that prefix removed, as
// errors.csv has its own path column.
type imageErrorKind interface{ ImageErrorKind() string }
