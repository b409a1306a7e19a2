package sorter

// Images are recognised by their first bytes (package imageformat, shared with the
// model's decoders), not their extension: scraped folders hold PNGs named .jpg,
// images without extensions, and HTML error pages named .jpg. This file says what
// the other files are, for the skipped list.

import (
	"bytes"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// sniffLen is how many leading bytes imageformat.Sniff and describeContent look at.
const sniffLen = 512

// imageExtensions are the extensions the original tool accepted, plus the other supported formats.
var imageExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true, ".png": true, ".gif": true,
	".bmp": true, ".dib": true, ".webp": true, ".tif": true, ".tiff": true,
}

// skipReason explains why a file that is not a supported image is skipped.
func skipReason(name string, head []byte) string {
	what := describeContent(head)
	ext := strings.ToLower(filepath.Ext(name))
	if imageExtensions[ext] {
		return "named " + ext + " but the content is " + what + ", not a JPEG, PNG, GIF, BMP, WebP or TIFF image"
	}
	return "not an image (" + what + ")"
}

// describeContent guesses what a non-image file is, in words an investigator knows.
func describeContent(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			return "a HEIC/HEIF photo (unsupported: convert it to JPEG first)"
		case "avif", "avis":
			return "an AVIF image (unsupported: convert it to JPEG or PNG first)"
		}
		return "a video or other MP4/QuickTime file"
	}
	lower := bytes.ToLower(head)
	switch {
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "a PDF document"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive or office document"
	case bytes.HasPrefix(head, []byte("8BPS")):
		return "a Photoshop document (unsupported)"
	case bytes.HasPrefix(head, []byte{0, 0, 1, 0}):
		return "an icon file (unsupported)"
	case bytes.HasPrefix(head, []byte{0xFF, 0x0A}), bytes.HasPrefix(head, []byte("\x00\x00\x00\x0cJXL ")):
		return "a JPEG XL image (unsupported)"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "a WebM/Matroska video"
	case bytes.Contains(lower, []byte("<svg")):
		return "an SVG drawing (unsupported: export it as PNG first)"
	case bytes.Contains(lower, []byte("<html")), bytes.Contains(lower, []byte("<!doctype html")):
		return "an HTML page (often a failed download)"
	case isText(head):
		return "text"
	}
	return "unrecognised data"
}

// isText: valid UTF-8 without NUL bytes, allowing a character cut at the end of head.
func isText(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for cut := 0; cut < utf8.UTFMax && cut <= len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}
