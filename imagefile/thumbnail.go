// thumbnail.go opens an image to be shown small (report and notebook thumbnails): a JPEG is decoded at 1/2,
// 1/4 or 1/8 of its size in the DCT domain when libjpeg-turbo is in use, as Pillow's Image.thumbnail does
// through Image.draft, keeping at least twice the wanted size (Pillow's reducing_gap=2.0) so that the resize
// that follows still has pixels to average.

package imagefile

import (
	"errors"
	"image"
	"os"
)

// thumbnailReducingGap is Pillow's Image.thumbnail default: the DCT-domain reduction keeps the image at
// least this many times the thumbnail's size.
const thumbnailReducingGap = 2

// LoadAtLeast is Load for an image to be shown with its longest side at most size pixels: a JPEG may come
// back reduced by 2, 4 or 8 (never with its longest side under 2*size), every other image at full size.
// Orientation, mode conversion, limits and errors are Load's. Only for display: a reduced JPEG's pixels are
// not those the model is given.
func LoadAtLeast(path string, size int, opts Options) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	defer f.Close()
	withPath := func(err error) error {
		var ie *Error
		if errors.As(err, &ie) {
			ie.Path = path
		}
		return err
	}
	if size > 0 && opts.JPEGDraftShortSide == 0 {
		// The header says how far the image may be reduced; Decode reads it again (a few kilobytes).
		w, h, err := Size(f)
		if err != nil {
			return nil, withPath(err)
		}
		opts.JPEGDraftShortSide = draftShortSide(w, h, thumbnailReducingGap*size)
		if _, err := f.Seek(0, 0); err != nil {
			return nil, &Error{Path: path, Kind: ErrUnreadable, Err: err}
		}
	}
	m, err := Decode(f, opts)
	if err != nil {
		return nil, withPath(err)
	}
	return m, nil
}

// draftShortSide is the Options.JPEGDraftShortSide that makes libjpeg-turbo reduce a w x h JPEG as much as
// it can while its longest side stays at least minLong pixels (orientation swaps the sides, not their
// lengths). It is 0 (no reduction) when none is possible, or when the shorter side is so small that the
// short-side rule could not tell two reductions apart.
func draftShortSide(w, h, minLong int) int {
	long, short := max(w, h), min(w, h)
	for _, d := range []int{8, 4, 2} {
		if ceilDiv(long, d) < minLong {
			continue
		}
		s := ceilDiv(short, d)
		if d < 8 && ceilDiv(short, 2*d) == s { // a greater reduction would give the same short side
			return 0
		}
		return s
	}
	return 0
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
