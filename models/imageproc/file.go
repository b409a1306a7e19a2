// file.go is load_image (transformers/image_utils.py) before a processor: files are decoded by imagefile as Pillow
// decodes them (first frame, EXIF orientation applied, converted to RGB), then preprocessed.

package imageproc

import (
	"image"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// File decodes the image file at path with opts and preprocesses it with preprocess (a processor's Preprocess);
// seen, if not nil, is given the decoded picture first (to make a thumbnail from it without decoding the file
// again). Decoding failures are *imagefile.Error.
func File(path string, opts imagefile.Options, preprocess func(*image.RGBA) []float32, seen func(*image.RGBA)) ([]float32, error) {
	img, err := imagefile.Load(path, opts)
	if err != nil {
		return nil, err
	}
	if seen != nil {
		seen(img)
	}
	return preprocess(img), nil
}

// Files preprocesses image files in order with preprocess (a processor's PreprocessFile), stopping at the first
// error.
func Files(paths []string, preprocess func(path string) ([]float32, error)) ([][]float32, error) {
	pixels := make([][]float32, len(paths))
	for i, path := range paths {
		p, err := preprocess(path)
		if err != nil {
			return nil, err
		}
		pixels[i] = p
	}
	return pixels, nil
}
