package video

import (
	"bytes"
	"encoding/binary"
)

// Container names Sniff returns.
const (
	MP4      = "mp4"      // ISO base media file (mp4, m4v, mov, 3gp, 3g2) and classic QuickTime without an ftyp box
	WebM     = "webm"     // Matroska with DocType "webm"
	Matroska = "matroska" // mkv, and EBML files whose DocType is not within the head
	AVI      = "avi"      // RIFF AVI
	MPEGTS   = "mpegts"   // MPEG transport stream (.ts), and the 192-byte-packet M2TS of cameras and Blu-ray (.mts, .m2ts)
	FLV      = "flv"      // Flash video
	MPEG     = "mpeg"     // MPEG program stream (.mpg, .vob)
	ASF      = "asf"      // Windows Media (.wmv, .asf)
)

// Formats are the containers Sniff recognises, in the order messages list them.
var Formats = []string{MP4, WebM, Matroska, AVI, MPEGTS, FLV, MPEG, ASF}

// HeadLen is enough leading bytes for Sniff: three transport stream packets of 192 bytes need 389.
const HeadLen = 512

// Sniff returns the container head starts with, found from the content (never from a file name), or "".
//
// Sniff only says what a file claims to be: an audio-only file in a video container (.m4a, .weba, .mka) is sniffed
// too, and Probe then reports that it has no video stream. Animated GIF and WebP are images (package imageformat),
// never claimed here; HEIF and AVIF pictures, ISO files too, are not claimed either.
func Sniff(head []byte) string {
	head = head[:min(len(head), HeadLen)] // the same answer however much of the file the caller read
	switch {
	case isISOBMFF(head):
		return MP4
	case isQuickTime(head):
		return MP4
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}): // EBML header element
		if ebmlDocType(head) == "webm" {
			return WebM
		}
		return Matroska
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "AVI ":
		return AVI
	case isTransportStream(head, 0, 188), isTransportStream(head, 4, 192):
		return MPEGTS
	case bytes.HasPrefix(head, []byte("FLV\x01")):
		return FLV
	case bytes.HasPrefix(head, []byte{0x00, 0x00, 0x01, 0xBA}): // pack header
		return MPEG
	case bytes.HasPrefix(head, asfHeaderGUID):
		return ASF
	}
	return ""
}

// asfHeaderGUID is the ASF Header Object's GUID, 75B22630-668E-11CF-A6D9-00AA0062CE6C, as stored.
var asfHeaderGUID = []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C}

// imageBrands are ISO base media brands of still pictures and picture sequences (HEIF, AVIF, JPEG 2000, Canon
// raw), which are not videos this package reads.
var imageBrands = map[string]bool{
	"heic": true, "heix": true, "heim": true, "heis": true, "hevc": true, "hevx": true, "mif1": true, "msf1": true,
	"avif": true, "avis": true, "jp2 ": true, "jpx ": true, "crx ": true,
}

// isISOBMFF checks for an ftyp box first (ISO/IEC 14496-12 4.3), with a sane size and a brand that is not a
// picture's.
func isISOBMFF(head []byte) bool {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return false
	}
	size := binary.BigEndian.Uint32(head[:4])
	return size >= 12 && !imageBrands[string(head[8:12])]
}

// quickTimeAtoms are the top-level atoms a QuickTime file from before ftyp (1990s-2000s cameras and editors) may
// start with.
var quickTimeAtoms = map[string]bool{"moov": true, "mdat": true, "wide": true, "free": true, "skip": true, "pnot": true}

// isQuickTime checks that the file starts with a QuickTime atom and, when the head holds the next atom's header,
// that it is one too, as a single four-letter word at offset 4 is weak evidence.
func isQuickTime(head []byte) bool {
	if len(head) < 8 || !quickTimeAtoms[string(head[4:8])] {
		return false
	}
	size := uint64(binary.BigEndian.Uint32(head[:4]))
	switch {
	case size == 0: // the atom runs to the end of the file
		return true
	case size == 1: // 64-bit size follows the type
		if len(head) < 16 {
			return true
		}
		size = binary.BigEndian.Uint64(head[8:16])
		if size < 16 {
			return false
		}
	case size < 8:
		return false
	}
	if size+8 > uint64(len(head)) {
		return true // the next header is beyond the head
	}
	next := string(head[size+4 : size+8])
	return quickTimeAtoms[next] || next == "ftyp" || next == "uuid"
}

// isTransportStream checks for the 0x47 sync byte of three consecutive packets, the first at offset first (0 for
// 188-byte packets, 4 for M2TS, whose packets carry a 4-byte timestamp first).
func isTransportStream(head []byte, first, packet int) bool {
	for i := 0; i < 3; i++ {
		at := first + i*packet
		if at >= len(head) || head[at] != 0x47 {
			return false
		}
	}
	return true
}

// ebmlDocType returns the DocType element (ID 0x4282) of the EBML header at the start of head, or "" when it is not
// within head.
func ebmlDocType(head []byte) string {
	p := 4
	size, n := ebmlVint(head[p:], true)
	if n == 0 {
		return ""
	}
	p += n
	end := len(head)
	if size >= 0 && size < int64(end-p) {
		end = p + int(size)
	}
	for p < end {
		id, n := ebmlVint(head[p:end], false)
		if n == 0 {
			return ""
		}
		p += n
		size, n := ebmlVint(head[p:end], true)
		if n == 0 || size < 0 || size > int64(end-p-n) {
			return ""
		}
		p += n
		if id == 0x4282 {
			return string(bytes.TrimRight(head[p:p+int(size)], "\x00"))
		}
		p += int(size)
	}
	return ""
}

// ebmlVint decodes an EBML variable-length integer: the count of leading zero bits gives its length. Sizes lose
// their length marker (and the all-ones "unknown size" gives -1); IDs keep it, as the specification writes them.
// n is 0 when b does not hold a whole one.
func ebmlVint(b []byte, isSize bool) (v int64, n int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n = 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n || (!isSize && n > 4) {
		return 0, 0
	}
	v = int64(b[0])
	if isSize {
		v &= int64(0xFF >> n)
	}
	allOnes := v == int64(0xFF>>n)
	for _, c := range b[1:n] {
		v = v<<8 | int64(c)
		allOnes = allOnes && c == 0xFF
	}
	if isSize && allOnes {
		return -1, n
	}
	return v, n
}
