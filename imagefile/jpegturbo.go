// jpegturbo.go decodes JPEGs with libjpeg-turbo, the library behind Pillow's JPEG plugin, through its
// TurboJPEG API, loaded at run time without cgo. The choice of JPEG decoder is made here and only here.
//
// Why: Go's image/jpeg is about four times slower than libjpeg-turbo on photos (16 ms against 4 ms
// for a 1280x960 4:2:0 photo on one core), and its pixels are
// not Pillow's: it replicates subsampled chroma where libjpeg upsamples it with its "fancy"
// triangular filter, and rounds its IDCT differently (testdata/fixtures/README.md, "Decoder notes").
// TurboJPEG with flags 0 runs libjpeg's defaults, the settings Pillow decodes with (ISLOW integer
// IDCT, fancy upsampling, the same YCbCr -> RGB tables), so the pixels are Pillow's bit for bit.
//
// How: purego (github.com/ebitengine/purego) opens the shared library and calls it with the C ABI,
// so CGO_ENABLED=0 builds and cross builds keep working. libturbojpeg is found under its usual
// names (turbojpegCandidates: libturbojpeg.so.0 from Debian/Ubuntu's libturbojpeg0, Homebrew's
// jpeg-turbo, turbojpeg.dll); SORTER_TURBOJPEG=/path/to/library names the file, SORTER_TURBOJPEG=off
// turns it off. Without it (or in a build with -tags noturbojpeg, or on a platform purego is not
// used on), Go's image/jpeg decodes as before; JPEGDecoder says which decoder runs and why.
//
// Failures keep the Go path's outcome: a file libjpeg-turbo refuses (fatal error) or finds cut
// short ("Premature end of JPEG file", or no EOI marker at the end) is handed to Go's decoder, so it
// is reported with exactly the error kind and message it always had (a truncated file is refused,
// as Pillow refuses it without LOAD_TRUNCATED_IMAGES). libjpeg's other warnings (corrupt entropy
// data it skipped, extraneous bytes before a marker) are ignored, as Pillow ignores them.

package imagefile

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
)

// turboEnv names the environment variable that points at libturbojpeg or turns it off.
const turboEnv = "SORTER_TURBOJPEG"

// TurboJPEG constants (turbojpeg.h, stable since TurboJPEG 1.2/2.0).
const (
	tjpfRGBX = 2  // 4 bytes per pixel, the X byte set to 0xFF: decodes straight into image.RGBA
	tjpfCMYK = 11 // 4 bytes per pixel, C M Y K as stored in the file (Adobe files store them inverted)

	// Colour spaces tjDecompressHeader3 reports: RGB 0, YCbCr 1, grey 2 (all three decoded as RGBX),
	// CMYK 3, YCCK 4 (decoded as CMYK).
	tjcsRGB  = 0
	tjcsCMYK = 3
	tjcsYCCK = 4

	tjerrWarning = 0

	// tjFlags are libjpeg's defaults, which Pillow uses: ISLOW IDCT, fancy upsampling, top-down rows.
	tjFlags = 0
)

// maxTurboInputBytes: larger files are left to Go's streaming decoder rather than read into memory.
const maxTurboInputBytes = 256 << 20

// turboJPEG is a loaded libturbojpeg.
type turboJPEG struct {
	path    string // the file it was loaded from (or the name it was loaded by, when the path is unknown)
	version string // libjpeg-turbo's version as the library file records it, or ""

	initDecompress    func() uintptr
	decompressHeader3 func(handle uintptr, jpegBuf *byte, jpegSize uintptr, width, height, jpegSubsamp, jpegColorspace *int32) int32
	decompress2       func(handle uintptr, jpegBuf *byte, jpegSize uintptr, dstBuf *byte, width, pitch, height, pixelFormat, flags int32) int32
	getErrorStr2      func(handle uintptr) string
	getErrorCode      func(handle uintptr) int32
	destroy           func(handle uintptr) int32
}

var turbo struct {
	once   sync.Once
	lib    *turboJPEG
	reason string // why lib is nil
}

// turboLibrary returns libturbojpeg, loading it on first use, or nil when Go's decoder is used.
func turboLibrary() *turboJPEG {
	turbo.once.Do(func() { turbo.lib, turbo.reason = loadTurboJPEG(os.Getenv(turboEnv)) })
	return turbo.lib
}

// JPEGDecoder says which JPEG decoder is in use, for one log line: "libjpeg-turbo 2.1.5
// (/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0.2.0)" or "Go image/jpeg (libturbojpeg not found: ...)".
func JPEGDecoder() string {
	return describeJPEGDecoder(turboLibrary(), turbo.reason)
}

// ExactJPEG reports whether JPEGs are decoded by libjpeg-turbo, Pillow's decoder, giving Pillow's pixels
// exactly (Go's image/jpeg does not: testdata/fixtures/README.md gives the differences).
func ExactJPEG() bool { return turboLibrary() != nil }

// JPEGDecoderNote is one line for the user when JPEGs are decoded by Go's decoder although libjpeg-turbo was not
// turned off on purpose: what that costs and how to install it. It is "" otherwise.
func JPEGDecoderNote() string {
	if turboLibrary() != nil || strings.EqualFold(strings.TrimSpace(os.Getenv(turboEnv)), "off") {
		return ""
	}
	return fmt.Sprintf("JPEGs are decoded by %s, about half as fast as libjpeg-turbo, whose pixels also match the "+
		"Python tools exactly: install libjpeg-turbo's TurboJPEG library (Debian/Ubuntu: apt install libturbojpeg0; "+
		"macOS: brew install jpeg-turbo) or set %s to its path", JPEGDecoder(), turboEnv)
}

func describeJPEGDecoder(lib *turboJPEG, reason string) string {
	if lib != nil {
		name := "libjpeg-turbo"
		if lib.version != "" {
			name += " " + lib.version
		}
		return fmt.Sprintf("%s (%s)", name, lib.path)
	}
	return fmt.Sprintf("Go image/jpeg (%s)", reason)
}

// DecoderFingerprint is the part of ImageProcessor.Fingerprint that names the JPEG decoder:
// libjpeg-turbo gives different JPEG pixels than Go's image/jpeg, so cached embeddings made with one
// are not reused with the other. Empty for Go's decoder, which earlier fingerprints were made with.
func DecoderFingerprint() string {
	if turboLibrary() != nil {
		return "libjpeg-turbo"
	}
	return ""
}

// loadTurboJPEG loads libturbojpeg as the value of SORTER_TURBOJPEG asks: "" searches the usual
// names, "off" disables it, anything else is the library's path. It returns nil and the reason when
// Go's decoder is to be used.
func loadTurboJPEG(env string) (*turboJPEG, string) {
	env = strings.TrimSpace(env)
	switch strings.ToLower(env) {
	case "off", "0", "false", "no", "none":
		return nil, turboEnv + "=" + env
	}
	candidates := turbojpegCandidates
	if env != "" {
		candidates = []string{env}
	}
	if len(candidates) == 0 {
		_, err := openLibrary("")
		return nil, err.Error()
	}
	var firstErr error
	for _, name := range candidates {
		handle, err := openLibrary(name)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		lib, err := bindTurboJPEG(handle)
		if err != nil {
			return nil, fmt.Sprintf("libturbojpeg at %s is not usable: %v", name, err)
		}
		lib.path = libraryPath(handle, name)
		lib.version = libjpegTurboVersion(lib.path)
		return lib, ""
	}
	if env != "" {
		return nil, fmt.Sprintf("%s=%s: %s", turboEnv, env, strings.TrimPrefix(firstErr.Error(), env+": "))
	}
	return nil, fmt.Sprintf("libturbojpeg not found: %v", firstErr)
}

// libjpegTurboVersion finds the "libjpeg-turbo version X.Y.Z" string libjpeg-turbo embeds in its
// binaries so that its version can be read from them (jcmaster.c); "" if the file does not have it.
func libjpegTurboVersion(path string) string {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > 64<<20 {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	const marker = "libjpeg-turbo version "
	i := bytes.Index(data, []byte(marker))
	if i < 0 {
		return ""
	}
	v := data[i+len(marker):]
	v = v[:min(len(v), 32)]
	if end := bytes.IndexAny(v, " \x00\n("); end >= 0 {
		v = v[:end]
	}
	return string(v)
}

// turboResult says what decodeJPEGTurbo did.
type turboResult int

const (
	turboUseGo   turboResult = iota // libjpeg-turbo could not decode it: let Go's decoder decode or report it
	turboDecoded                    // the image is decoded
	turboFailed                     // a final error (unreadable, too large)
)

// decodeJPEGTurbo decodes the JPEG stream rec holds with libjpeg-turbo: the whole stream is read
// into memory, the header checked against the pixel limit, the pixels decoded, converted to RGB as
// Pillow does and oriented as the EXIF Orientation says.
func decodeJPEGTurbo(lib *turboJPEG, rec *recordingReader, f *imageFormat, opts Options, fail func(error) error) (*image.RGBA, turboResult, error) {
	data, err := rec.readAll(maxTurboInputBytes)
	if err == errTooLargeToBuffer {
		return nil, turboUseGo, nil
	}
	if err != nil {
		return nil, turboFailed, fail(err)
	}
	if len(data) == 0 {
		return nil, turboUseGo, nil
	}
	handle := lib.initDecompress()
	if handle == 0 {
		return nil, turboUseGo, nil
	}
	defer lib.destroy(handle)

	// The header first, so that a decompression bomb is refused before anything is allocated.
	w, h, colorspace, ok := lib.header(handle, data)
	if !ok {
		return nil, turboUseGo, nil
	}
	if limit := opts.maxPixels(); limit > 0 && int64(w)*int64(h) > limit {
		return nil, turboFailed, &Error{Kind: ErrTooLarge, Format: f.name, Width: w, Height: h, Limit: limit}
	}

	// Optional DCT-domain downscaling (libjpeg's scale_denom, as Pillow's Image.draft uses).
	ow, oh := w, h
	if d := jpegDraftDenominator(w, h, opts.JPEGDraftShortSide); d > 1 {
		ow, oh = (w+d-1)/d, (h+d-1)/d // TJSCALED(dimension, 1/d)
	}

	pf := int32(tjpfRGBX) // also for greyscale: libjpeg replicates grey into R, G and B, as convert("RGB") does
	cmyk := colorspace == tjcsCMYK || colorspace == tjcsYCCK
	if cmyk {
		pf = tjpfCMYK
	}
	m := image.NewRGBA(image.Rect(0, 0, ow, oh))
	if !lib.decompress(handle, data, m.Pix, ow, m.Stride, oh, pf) {
		return nil, turboUseGo, nil
	}
	if cmyk {
		// Pillow opens every 4-channel JPEG as "CMYK;I" (Adobe's inverted CMYK), and libjpeg returns
		// the stored values: 255 - stored is Pillow's CMYK, which cmykToRGB converts as
		// convert("RGB") does (the same input the Go path gives it from image.CMYK).
		p := m.Pix
		for i := 0; i+4 <= len(p); i += 4 {
			p[i], p[i+1], p[i+2], p[i+3] = cmykToRGB(255-p[i], 255-p[i+1], 255-p[i+2], 255-p[i+3])
		}
	}
	return applyOrientation(m, jpegOrientation(bytes.NewReader(data))), turboDecoded, nil
}

// jpegDraftDenominator is the libjpeg scale denominator (2, 4 or 8; 1 = full size) for
// Options.JPEGDraftShortSide: the greatest reduction whose shorter side is still at least
// minShort pixels.
func jpegDraftDenominator(w, h, minShort int) int {
	if minShort <= 0 {
		return 1
	}
	short := min(w, h)
	for _, d := range []int{8, 4, 2} {
		if (short+d-1)/d >= minShort {
			return d
		}
	}
	return 1
}

// header reads the size and colour space of a JPEG. ok is false when TurboJPEG cannot read them.
// tjDecompressHeader3 returns -1 also after a warning (the header was read all the same) and for a
// chroma subsampling TurboJPEG has no name for (which tjDecompress2 decodes anyway): in both cases the
// size and colour space are set, which they never are after a real error, so those are what count.
func (l *turboJPEG) header(handle uintptr, data []byte) (w, h, colorspace int, ok bool) {
	var w32, h32 int32
	subsamp, cs := int32(-1), int32(-1)
	l.decompressHeader3(handle, &data[0], uintptr(len(data)), &w32, &h32, &subsamp, &cs)
	if w32 <= 0 || h32 <= 0 || cs < tjcsRGB || cs > tjcsYCCK {
		return 0, 0, 0, false
	}
	return int(w32), int(h32), int(cs), true
}

// decompress decodes data into dst (pitch bytes per row, w x h pixels of format pf). It reports
// false when Go's decoder should take over: a fatal error, or a file cut short.
func (l *turboJPEG) decompress(handle uintptr, data, dst []byte, w, pitch, h int, pf int32) bool {
	// TurboJPEG 2.x keeps libjpeg's warning text in a thread-local buffer: read it on the thread that
	// decoded.
	runtime.LockOSThread()
	rc := l.decompress2(handle, &data[0], uintptr(len(data)), &dst[0], int32(w), int32(pitch), int32(h), pf, tjFlags)
	var code int32
	var msg string
	if rc != 0 {
		code = l.getErrorCode(handle)
		msg = l.getErrorStr2(handle)
	}
	runtime.UnlockOSThread()
	if rc == 0 {
		return true
	}
	if code != tjerrWarning {
		return false
	}
	// Only the first warning's text is kept; a file that does not end with EOI was cut short even if
	// another warning came first.
	truncated := strings.Contains(msg, "Premature end of JPEG file") || !bytes.HasSuffix(data, []byte{0xFF, 0xD9})
	return !truncated
}

var errTooLargeToBuffer = fmt.Errorf("file larger than %d bytes", maxTurboInputBytes)

// readAll reads the whole stream from its start position, or returns errTooLargeToBuffer without
// reading when it is larger than limit bytes.
func (r *recordingReader) readAll(limit int64) ([]byte, error) {
	end, err := r.rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, r.record(err)
	}
	size := end - r.start
	if size > limit {
		return nil, errTooLargeToBuffer
	}
	if err := r.rewind(); err != nil {
		return nil, err
	}
	buf := make([]byte, max(size, 0))
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF { // shorter than it was a moment ago
		err = nil
	}
	return buf[:n], err
}
