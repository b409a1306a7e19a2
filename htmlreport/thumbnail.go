package htmlreport

// Thumbnails: small JPEGs of the images, decoded as the model sees them (first frame, EXIF orientation
// applied) by package imagefile, which lets libjpeg-turbo decode a large JPEG at 1/2, 1/4 or 1/8 of its size.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"sync"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/resample"
)

// ThumbnailSize and ThumbnailQuality are the defaults for report.html, chosen from measurements
// (README.md in this folder): 4.6 kB of page per image; with 10,000 images Chromium shows the top at once and
// has loaded the 46 MB page in about 10 s.
const (
	ThumbnailSize    = 128 // longest side, pixels
	ThumbnailQuality = 70  // JPEG quality
)

// Thumbnail returns a JPEG of the image file whose longest side is at most size pixels (smaller images
// keep their size), with its EXIF orientation applied. Errors are imagefile's (*imagefile.Error).
func Thumbnail(path string, size int) ([]byte, error) {
	if size <= 0 {
		size = ThumbnailSize
	}
	img, err := imagefile.LoadAtLeast(path, size, imagefile.Options{})
	if err != nil {
		return nil, err
	}
	t, err := ThumbnailOf(img, size)
	if err != nil {
		return nil, fmt.Errorf("encoding the thumbnail of %s: %w", path, err)
	}
	return t, nil
}

// ThumbnailOf is Thumbnail of a picture decoded elsewhere (a video's frame).
func ThumbnailOf(img *image.RGBA, size int) ([]byte, error) {
	if size <= 0 {
		size = ThumbnailSize
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, shrink(img, size), &jpeg.Options{Quality: ThumbnailQuality}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// shrink scales img so that its longest side is at most size pixels, with Pillow's bicubic resize (package
// resample: AVX2 where the CPU has it, 4x faster than x/image/draw's Catmull-Rom here, which was a quarter of the
// report's CPU). img's alpha is ignored: thumbnails are opaque JPEGs.
func shrink(img *image.RGBA, size int) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= size && h <= size {
		return img
	}
	if w >= h {
		w, h = size, max(1, (h*size+w/2)/w)
	} else {
		w, h = max(1, (w*size+h/2)/h), size
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	resample.Region(img, w, h, dst.Rect, resample.Bicubic, func(y int, row []uint8) {
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		copy(out, row)
		for i := 3; i < len(out); i += 4 {
			out[i] = 0xff
		}
	})
	return dst
}

// Thumbnails makes the thumbnails of paths with workers goroutines (0: one per CPU, at most 8). thumbs[i]
// and errs[i] are paths[i]'s; once ctx is done the paths not yet started get ctx's error. progress, if not
// nil, is called on the calling goroutine after each image.
func Thumbnails(ctx context.Context, paths []string, size, workers int, progress func(done, total int)) (thumbs [][]byte, errs []error) {
	thumbs, errs = make([][]byte, len(paths)), make([]error, len(paths))
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	workers = max(1, min(workers, len(paths)))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				thumbs[i], errs[i] = Thumbnail(paths[i], size)
				done <- i
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range paths {
			if ctx.Err() == nil { // select picks at random when both are ready
				select {
				case jobs <- i:
					continue
				case <-ctx.Done():
				}
			}
			for j := i; j < len(paths); j++ {
				errs[j] = ctx.Err()
			}
			return
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	n := 0
	for range done {
		n++
		if progress != nil {
			progress(n, len(paths))
		}
	}
	return thumbs, errs
}
