package video

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
)

// readPPM reads one binary PPM (P6, 8 bits per channel) as ffmpeg's ppm encoder writes it ("P6\n398 224\n255\n"
// then the RGB bytes) and returns it as RGBA with alpha 255. buf is reused between calls. io.EOF means the stream
// ended cleanly between frames; a frame cut short is io.ErrUnexpectedEOF.
func readPPM(r *bufio.Reader, maxPixels int64, buf *[]byte) (*image.RGBA, error) {
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, err // io.EOF: no more frames
	}
	if string(magic) != "P6" {
		return nil, fmt.Errorf("ffmpeg's output is not the PPM frames asked for (starts %q)", magic)
	}
	var fields [3]int
	for i := range fields {
		v, err := ppmNumber(r)
		if err != nil {
			return nil, err
		}
		fields[i] = v
	}
	w, h, maxval := fields[0], fields[1], fields[2]
	if w <= 0 || h <= 0 || maxval != 255 {
		return nil, fmt.Errorf("ffmpeg's PPM frame has size %dx%d and maximum %d", w, h, maxval)
	}
	if maxPixels > 0 && int64(w)*int64(h) > maxPixels {
		return nil, fmt.Errorf("ffmpeg's frame is %dx%d pixels, over the limit", w, h)
	}
	n := w * h * 3
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	rgb := (*buf)[:n]
	if _, err := io.ReadFull(r, rgb); err != nil {
		return nil, unexpected(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pix := img.Pix
	for i, j := 0, 0; i < n; i, j = i+3, j+4 {
		pix[j], pix[j+1], pix[j+2], pix[j+3] = rgb[i], rgb[i+1], rgb[i+2], 0xFF
	}
	return img, nil
}

// ppmNumber skips whitespace and reads a decimal number of at most 9 digits, and the one whitespace byte that
// ends it (after the last header number, the pixels follow that byte).
func ppmNumber(r *bufio.Reader) (int, error) {
	var digits []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
		switch {
		case c >= '0' && c <= '9':
			if len(digits) == 9 {
				return 0, errors.New("ffmpeg's PPM frame header holds a number too large")
			}
			digits = append(digits, c)
			continue
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			if len(digits) == 0 {
				continue
			}
		default:
			return 0, fmt.Errorf("ffmpeg's PPM frame header holds %q", c)
		}
		return strconv.Atoi(string(digits))
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
