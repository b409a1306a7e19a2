// Package imageformat recognises the image formats this tool reads by their first bytes, the signatures of the
// formats' specifications. The sorter uses it to find images in a folder and imagefile to pick a decoder, so the
// two can never disagree about what counts as an image.
package imageformat

import (
	"bytes"
	"encoding/binary"
)

// Formats are the supported formats, in the order messages list them.
var Formats = []string{JPEG, PNG, GIF, BMP, WebP, TIFF}

// Format names.
const (
	JPEG = "jpeg"
	PNG  = "png"
	GIF  = "gif"
	BMP  = "bmp"
	WebP = "webp"
	TIFF = "tiff"
)

// HeadLen is enough leading bytes for Sniff.
const HeadLen = 18

// Sniff returns the format whose signature head starts with, or "".
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}): // SOI then the next marker
		return JPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF
	case len(head) >= 15 && string(head[:4]) == "RIFF" && string(head[8:15]) == "WEBPVP8": // VP8, VP8L or VP8X chunk
		return WebP
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return TIFF
	case isBMP(head):
		return BMP
	}
	return ""
}

// isBMP checks "BM", the reserved zero bytes and a known DIB header size, since "BM" alone starts many texts.
func isBMP(head []byte) bool {
	if len(head) < 18 || head[0] != 'B' || head[1] != 'M' || binary.LittleEndian.Uint32(head[6:10]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(head[14:18]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}
