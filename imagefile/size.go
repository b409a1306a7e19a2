package imagefile

import (
	"fmt"
	"io"

	"github.com/bellingcat/smart-image-sorter/imageformat"
)

// Size reads an image's width and height as Load would return them (EXIF orientation applied: a portrait
// photo stored sideways reports its upright size) from its header alone, without decoding the pixels. Reports
// show it; it costs a few kilobytes of reading. The stream is read from its current position.
func Size(r io.ReadSeeker) (width, height int, err error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, 0, &Error{Kind: ErrUnreadable, Err: err}
	}
	rec := &recordingReader{rs: r, start: start}
	var head [imageformat.HeadLen]byte
	n, err := io.ReadFull(rec, head[:])
	if err != nil && !isTruncation(err) {
		return 0, 0, &Error{Kind: ErrUnreadable, Err: err}
	}
	f := sniffFormat(head[:n])
	if f == nil {
		return 0, 0, &Error{Kind: ErrUnknownFormat, Err: errNotImage}
	}
	cfg, err := runDecoder(rec, f, f.config)
	if err != nil {
		if rec.err != nil {
			return 0, 0, &Error{Kind: ErrUnreadable, Format: f.name, Err: rec.err}
		}
		return 0, 0, &Error{Kind: decodeErrorKind(err), Format: f.name, Err: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, &Error{Kind: ErrCorrupt, Format: f.name, Width: cfg.Width, Height: cfg.Height,
			Err: fmt.Errorf("header gives a size of %dx%d pixels", cfg.Width, cfg.Height)}
	}
	width, height = cfg.Width, cfg.Height
	if f.orientation != nil {
		if err := rec.rewind(); err != nil {
			return 0, 0, &Error{Kind: ErrUnreadable, Format: f.name, Err: err}
		}
		if o := f.orientation(rec); o >= 5 && o <= 8 { // transposing orientations swap the sides
			width, height = height, width
		}
	}
	return width, height, nil
}
