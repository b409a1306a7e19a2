// fingerprint.go names everything a processor's pixel values depend on, for the embedding cache: Hugging Face has
// no such thing (it recomputes every time); the sorter's cache must not reuse embeddings made with other settings.

package imageproc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// Fingerprint returns a short stable string ("pp-" and 16 hex digits) for what pixel values depend on: the
// family's settings and code version, the JPEG decoder where it decides pixels, and the table, which is exactly
// what rescale and normalise do. The hash is of head, "|jpeg=" and the decoder (when it matters), tail, then the
// table: families split their settings around the decoder as they always have, so that embeddings cached before
// keep their keys.
func Fingerprint(t *Table, head, tail string) string {
	h := sha256.New()
	h.Write([]byte(head))
	if dec := imagefile.DecoderFingerprint(); dec != "" { // JPEG pixels depend on the decoder (imagefile/jpegturbo.go)
		h.Write([]byte("|jpeg=" + dec))
	}
	h.Write([]byte(tail))
	h.Write([]byte("|lut="))
	var buf [4]byte
	for ch := range t {
		for _, v := range t[ch] {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			h.Write(buf[:])
		}
	}
	return "pp-" + hex.EncodeToString(h.Sum(nil)[:8])
}
