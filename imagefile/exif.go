// exif.go applies the EXIF Orientation tag as PIL.ImageOps.exif_transpose does, reading it from JPEG APP1,
// PNG eXIf, the WebP EXIF chunk and a TIFF's own IFD0.
//
// A minimal reader for the one tag needed, Orientation (0x0112) in IFD0. The maintained Go EXIF
// libraries available (github.com/dsoprea/go-exif/v3; github.com/rwcarlsen/goexif is not served
// here) bring five more modules (go-logging, go-utility, golang/geo, go-flags, yaml) and parse
// every tag; finding one SHORT in one IFD is 40 lines.

package imagefile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"io"
)

const maxExifBytes = 1 << 20 // larger EXIF payloads (PNG eXIf, WebP EXIF) are ignored

// tiffOrientation returns the Orientation of IFD0 in a TIFF structure (a TIFF file, or the body
// of an Exif block after "Exif\0\0"), or 0 if absent or malformed. Like Pillow it takes any
// integer type with a count of 1.
func tiffOrientation(ra io.ReaderAt) int {
	var hdr [8]byte
	if _, err := ra.ReadAt(hdr[:], 0); err != nil {
		return 0
	}
	var bo binary.ByteOrder
	switch string(hdr[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int64(bo.Uint32(hdr[4:]))
	var cnt [2]byte
	if _, err := ra.ReadAt(cnt[:], ifd); err != nil {
		return 0
	}
	n := int(bo.Uint16(cnt[:]))
	entries := make([]byte, 12*n)
	if _, err := ra.ReadAt(entries, ifd+2); err != nil {
		return 0
	}
	for i := 0; i < n; i++ {
		e := entries[12*i : 12*i+12]
		if bo.Uint16(e) != 0x0112 {
			continue
		}
		if bo.Uint32(e[4:]) != 1 {
			return 0
		}
		var v int
		switch bo.Uint16(e[2:]) {
		case 1, 6: // BYTE, SBYTE
			v = int(e[8])
		case 3, 8: // SHORT, SSHORT
			v = int(bo.Uint16(e[8:]))
		case 4, 9: // LONG, SLONG
			v = int(bo.Uint32(e[8:]))
		default:
			return 0
		}
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

// exifPayloadOrientation reads an Exif payload with or without its "Exif\0\0" prefix.
func exifPayloadOrientation(b []byte) int {
	b = bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
	return tiffOrientation(bytes.NewReader(b))
}

// jpegOrientation reads the first APP1 Exif segment before the image data, as Pillow's
// JpegImagePlugin does.
func jpegOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return 0
	}
	for {
		b, err := br.ReadByte()
		if err != nil || b != 0xFF {
			return 0
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		if err != nil {
			return 0
		}
		switch {
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8): // no length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 0
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return 0
		}
		length := int(binary.BigEndian.Uint16(lb[:])) - 2
		if length < 0 {
			return 0
		}
		if marker == 0xE1 {
			payload := make([]byte, length)
			if _, err := io.ReadFull(br, payload); err != nil {
				return 0
			}
			if bytes.HasPrefix(payload, []byte("Exif\x00\x00")) {
				return exifPayloadOrientation(payload)
			}
			continue
		}
		if _, err := br.Discard(length); err != nil {
			return 0
		}
	}
}

// pngOrientation reads the eXIf chunk, wherever it is (Pillow reads chunks after IDAT too).
func pngOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	if _, err := br.Discard(8); err != nil {
		return 0
	}
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return 0
		}
		length := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch string(hdr[4:]) {
		case "eXIf":
			if length > maxExifBytes {
				return 0
			}
			payload := make([]byte, length)
			if _, err := io.ReadFull(br, payload); err != nil {
				return 0
			}
			return exifPayloadOrientation(payload)
		case "IEND":
			return 0
		}
		if _, err := io.CopyN(io.Discard, br, length+4); err != nil { // data and CRC
			return 0
		}
	}
}

// webpOrientation reads the EXIF chunk of an extended (VP8X) WebP file.
func webpOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil {
		return 0
	}
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return 0
		}
		length := int64(binary.LittleEndian.Uint32(hdr[4:]))
		padded := length + length&1
		if string(hdr[:4]) == "EXIF" {
			if length > maxExifBytes {
				return 0
			}
			payload := make([]byte, length)
			if _, err := io.ReadFull(br, payload); err != nil {
				return 0
			}
			return exifPayloadOrientation(payload)
		}
		if _, err := io.CopyN(io.Discard, br, padded); err != nil {
			return 0
		}
	}
}

// tiffFileOrientation reads the Orientation tag of a TIFF file's first IFD, which can be anywhere
// in the file: r is the stream's ReaderAt.
func tiffFileOrientation(r io.Reader) int {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return 0
	}
	return tiffOrientation(ra)
}

// applyOrientation transposes m as ImageOps.exif_transpose does for Orientation o (1-8); other
// values leave m as it is.
func applyOrientation(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if o >= 5 { // transposing orientations swap the sides
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*dw]
		for x := range dw {
			var sx, sy int
			switch o {
			case 2: // FLIP_LEFT_RIGHT
				sx, sy = w-1-x, y
			case 3: // ROTATE_180
				sx, sy = w-1-x, h-1-y
			case 4: // FLIP_TOP_BOTTOM
				sx, sy = x, h-1-y
			case 5: // TRANSPOSE
				sx, sy = y, x
			case 6: // ROTATE_270 (90 degrees clockwise)
				sx, sy = y, h-1-x
			case 7: // TRANSVERSE
				sx, sy = w-1-y, h-1-x
			case 8: // ROTATE_90 (90 degrees counter-clockwise)
				sx, sy = w-1-y, x
			}
			i := m.PixOffset(m.Rect.Min.X+sx, m.Rect.Min.Y+sy)
			copy(d[4*x:4*x+4], m.Pix[i:i+4])
		}
	}
	return dst
}
