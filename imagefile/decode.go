// Mirrors Hugging Face transformers image_utils.load_image as the zero-shot pipeline uses it:
// PIL.Image.open (format found from the content, first frame), PIL.ImageOps.exif_transpose, then
// Image.convert("RGB") with Pillow's rules (Pillow 9.4 src/libImaging/Convert.c, Unpack.c): grey
// replicated, palette colours looked up (GIF transparency ignored), alpha dropped without
// premultiplying (TIFF's premultiplied "associated" alpha is undone first, as Pillow's loader
// does), CMYK -> RGB with MULDIV255, 16-bit channels reduced to their high byte. Lossy WebP uses
// libwebp's own YUV -> RGB conversion (see vp8ToRGB).
//
// Deliberate differences from Pillow 9.4, both Pillow bugs that would feed the model a wrong image:
//   - 16-bit greyscale (PNG, TIFF) opens as mode "I" and convert("RGB") clips every value above
//     255 to white; here the high byte is used, as for 16-bit colour.
//   - A TIFF's own Orientation tag is applied by Pillow's TIFF loader and then again by
//     exif_transpose (orientation 6 ends up rotated 180 degrees); here it is applied once.
// Not read: Orientation given only in XMP or in ImageMagick's "Raw profile type exif" PNG text
// chunk (Pillow reads both). JPEG is decoded by libjpeg-turbo, Pillow's own decoder, when the system
// has it (jpegturbo.go), giving Pillow's pixels; otherwise by Go's image/jpeg, which is not bit-exact
// (IDCT rounding, and chroma replicated instead of "fancy" upsampling on 4:2:0):
// testdata/fixtures/README.md gives the measured differences.

package imagefile

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/bellingcat/smart-image-sorter/imageformat"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the largest image (width x height) decoded when Options.MaxPixels is 0.
const DefaultMaxPixels = 100_000_000

// SupportedFormats are the image formats that can be decoded, found from the file content
// (never from the file name).
var SupportedFormats = imageformat.Formats

// Options limits what is decoded.
type Options struct {
	// MaxPixels is the largest width x height accepted, checked from the file header before any
	// pixel is decoded. 0 means DefaultMaxPixels; a negative value means no limit.
	MaxPixels int64

	// JPEGDraftShortSide, when > 0, lets libjpeg-turbo decode a JPEG at 1/2, 1/4 or 1/8 of its size
	// in the DCT domain (as Pillow's Image.draft does): the greatest reduction whose shorter side is
	// still at least this many pixels. Faster on large photos, but the pixels are no longer those of
	// a full decode followed by the resize (Pillow's CLIPImageProcessor does not draft), so it is off
	// by default. Ignored when Go's decoder is in use.
	JPEGDraftShortSide int

	goJPEG bool // tests: decode JPEG with Go's image/jpeg even when libjpeg-turbo is loaded
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}

// ErrorKind says why an image could not be used.
type ErrorKind int

const (
	// ErrUnknownFormat: not an image in a supported format (or a variant of one its decoder
	// does not implement), including empty files.
	ErrUnknownFormat ErrorKind = iota + 1
	// ErrCorrupt: a supported format whose data is damaged or truncated.
	ErrCorrupt
	// ErrTooLarge: the header gives more pixels than Options.MaxPixels.
	ErrTooLarge
	// ErrUnreadable: the file could not be opened or read.
	ErrUnreadable
)

func (k ErrorKind) String() string {
	switch k {
	case ErrUnknownFormat:
		return "unknown format"
	case ErrCorrupt:
		return "corrupt"
	case ErrTooLarge:
		return "too large"
	case ErrUnreadable:
		return "unreadable"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is returned for any image that cannot be used; Kind lets callers count them.
type Error struct {
	Path          string // file name as given; empty for Decode
	Kind          ErrorKind
	Format        string // "jpeg", "png", ... when the format was recognised
	Width, Height int    // from the header, when known
	Limit         int64  // the pixel limit, for ErrTooLarge
	Err           error  // the underlying error, if any
}

var (
	errEmptyFile = errors.New("empty file")
	errNotImage  = errors.New("format not recognised")
)

// Error gives one line saying what happened to which file.
func (e *Error) Error() string {
	name := e.Path
	if name == "" {
		name = "image"
	}
	format := formatDisplayName(e.Format)
	switch e.Kind {
	case ErrUnknownFormat:
		switch {
		case errors.Is(e.Err, errEmptyFile):
			return fmt.Sprintf("%s: empty file (0 bytes), not an image", name)
		case e.Format != "" && e.Err != nil:
			return fmt.Sprintf("%s: a kind of %s this tool cannot read (%v)", name, format, e.Err)
		}
		return fmt.Sprintf("%s: not an image this tool can read (supported: %s)", name, supportedList())
	case ErrCorrupt:
		if isTruncation(e.Err) {
			return fmt.Sprintf("%s: %s file is truncated (the data ends before the image does)", name, format)
		}
		return fmt.Sprintf("%s: damaged %s file, cannot decode it (%v)", name, format, e.Err)
	case ErrTooLarge:
		return fmt.Sprintf("%s: %dx%d pixels is over the limit of %s", name, e.Width, e.Height, pixelCount(e.Limit))
	case ErrUnreadable:
		err := e.Err
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already at the start of the line
		}
		return fmt.Sprintf("%s: cannot read the file (%v)", name, err)
	}
	return fmt.Sprintf("%s: unusable image (%v)", name, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Advice says what to do about the file, by kind of problem; the command line prints it as its hint.
func (e *Error) Advice() string {
	switch e.Kind {
	case ErrUnreadable:
		return "check the path, and that you may read the file"
	case ErrUnknownFormat:
		return "convert it to JPEG or PNG, or leave it out"
	case ErrCorrupt:
		return "the file is damaged or cut short: open it in an image viewer, or download it again"
	case ErrTooLarge:
		return "shrink the image, or leave it out"
	}
	return ""
}

// ErrorKind names the kind of problem ("corrupt", "too large", ...) for reports that group errors.
func (e *Error) ImageErrorKind() string { return e.Kind.String() }

func isTruncation(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func pixelCount(n int64) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%d megapixels", n/1_000_000)
	}
	return fmt.Sprintf("%d pixels", n)
}

func formatDisplayName(f string) string {
	switch f {
	case "webp":
		return "WebP"
	case "":
		return "image"
	}
	return strings.ToUpper(f)
}

func supportedList() string {
	names := make([]string, len(SupportedFormats))
	for i, f := range SupportedFormats {
		names[i] = formatDisplayName(f)
	}
	return strings.Join(names, ", ")
}

// imageFormat is one supported format (as package imageformat recognises it): its decoder and Orientation
// reader.
type imageFormat struct {
	name        string
	decode      func(io.Reader) (image.Image, error)
	config      func(io.Reader) (image.Config, error)
	orientation func(io.Reader) int // 0 or 1 when absent; gets the stream at its start
	readerAt    bool                // decoder wants an io.ReaderAt (x/image/tiff)
	trailer     string              // what a complete file ends with, if the format has such a marker
}

var imageFormats = []imageFormat{
	{name: "jpeg", decode: jpeg.Decode, config: jpeg.DecodeConfig, orientation: jpegOrientation, trailer: "\xff\xd9"},
	{name: "png", decode: png.Decode, config: png.DecodeConfig, orientation: pngOrientation, trailer: "IEND\xaeB`\x82"},
	{name: "gif", decode: gif.Decode, config: gif.DecodeConfig, trailer: ";"},
	{name: "bmp", decode: bmp.Decode, config: bmp.DecodeConfig},
	{name: "webp", decode: webp.Decode, config: webp.DecodeConfig, orientation: webpOrientation},
	{name: "tiff", decode: tiff.Decode, config: tiff.DecodeConfig, orientation: tiffFileOrientation, readerAt: true},
}

// sniffFormat returns the decoder for the format head starts with, or nil.
func sniffFormat(head []byte) *imageFormat {
	name := imageformat.Sniff(head)
	for i := range imageFormats {
		if imageFormats[i].name == name {
			return &imageFormats[i]
		}
	}
	return nil
}

// Load decodes the first frame of an image file, applies its EXIF orientation and
// converts it to 8-bit RGB (alpha set to 255) as Pillow's convert("RGB") does. Failures are
// *Error.
func Load(path string, opts Options) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Kind: ErrUnreadable, Err: err}
	}
	defer f.Close()
	m, err := Decode(f, opts)
	if err != nil {
		var ie *Error
		if errors.As(err, &ie) {
			ie.Path = path
		}
		return nil, err
	}
	return m, nil
}

// Decode is Load for an open stream, read from its current position.
func Decode(r io.ReadSeeker, opts Options) (*image.RGBA, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, &Error{Kind: ErrUnreadable, Err: err}
	}
	rec := &recordingReader{rs: r, start: start}
	if ra, ok := r.(io.ReaderAt); ok {
		rec.ra = ra
	}

	var head [imageformat.HeadLen]byte
	n, err := io.ReadFull(rec, head[:])
	if err != nil && !isTruncation(err) {
		return nil, &Error{Kind: ErrUnreadable, Err: err}
	}
	if n == 0 {
		return nil, &Error{Kind: ErrUnknownFormat, Err: errEmptyFile}
	}
	f := sniffFormat(head[:n])
	if f == nil {
		return nil, &Error{Kind: ErrUnknownFormat, Err: errNotImage}
	}
	fail := func(err error) error {
		if rec.err != nil {
			return &Error{Kind: ErrUnreadable, Format: f.name, Err: rec.err}
		}
		if f.trailer != "" && !isTruncation(err) && !rec.endsWith(f.trailer) {
			// Go's decoders report data cut short as a format error ("short Huffman data", "not
			// enough pixel data"); Pillow says "image file is truncated". A file that does not
			// end with its format's end marker was cut off.
			err = fmt.Errorf("%w (no end marker): %w", io.ErrUnexpectedEOF, err)
		}
		return &Error{Kind: decodeErrorKind(err), Format: f.name, Err: err}
	}

	if f.name == "jpeg" && !opts.goJPEG {
		if lib := turboLibrary(); lib != nil {
			m, res, err := decodeJPEGTurbo(lib, rec, f, opts, fail)
			if res != turboUseGo {
				return m, err
			}
		}
	}

	// The header first, so that a decompression bomb is refused before anything is allocated.
	cfg, err := runDecoder(rec, f, f.config)
	if err != nil {
		return nil, fail(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, &Error{Kind: ErrCorrupt, Format: f.name, Width: cfg.Width, Height: cfg.Height,
			Err: fmt.Errorf("header gives a size of %dx%d pixels", cfg.Width, cfg.Height)}
	}
	if limit := opts.maxPixels(); limit > 0 && int64(cfg.Width)*int64(cfg.Height) > limit {
		return nil, &Error{Kind: ErrTooLarge, Format: f.name, Width: cfg.Width, Height: cfg.Height, Limit: limit}
	}

	orientation := 1
	if f.orientation != nil {
		if err := rec.rewind(); err != nil {
			return nil, fail(err)
		}
		// A damaged EXIF block is ignored: it does not make the pixels unusable.
		orientation = f.orientation(rec)
		if rec.err != nil {
			return nil, fail(rec.err)
		}
	}
	var gifPalette []color.Color
	var gifTransparent = -1
	if f.name == "gif" {
		if err := rec.rewind(); err != nil {
			return nil, fail(err)
		}
		gifPalette, gifTransparent, err = gifFirstFramePalette(bufio.NewReader(rec))
		if err != nil {
			return nil, fail(err)
		}
	}

	src, err := runDecoder(rec, f, f.decode)
	if err != nil {
		return nil, fail(err)
	}
	b := src.Bounds()
	if limit := opts.maxPixels(); limit > 0 && int64(b.Dx())*int64(b.Dy()) > limit { // header lied
		return nil, &Error{Kind: ErrTooLarge, Format: f.name, Width: b.Dx(), Height: b.Dy(), Limit: limit}
	}

	var m *image.RGBA
	switch s := src.(type) {
	case *image.Paletted:
		if f.name == "gif" {
			m = gifFrameToRGB(s, gifPalette, gifTransparent, cfg.Width, cfg.Height)
		}
	case *image.YCbCr:
		if f.name == "webp" {
			m = vp8ToRGB(s)
		}
	case *image.NYCbCrA:
		if f.name == "webp" {
			m = vp8ToRGB(&s.YCbCr) // alpha dropped
		}
	}
	if m == nil {
		m = toRGB(src)
	}
	return applyOrientation(m, orientation), nil
}

// runDecoder rewinds and runs a decoder, turning a decoder panic into an error.
func runDecoder[T any](rec *recordingReader, f *imageFormat, fn func(io.Reader) (T, error)) (v T, err error) {
	if err := rec.rewind(); err != nil {
		return v, err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s decoder failed: %v", f.name, p)
		}
	}()
	if f.readerAt {
		return fn(rec) // x/image/tiff reads through ReadAt, without buffering the whole file
	}
	return fn(bufio.NewReaderSize(rec, 32<<10))
}

func decodeErrorKind(err error) ErrorKind {
	var (
		jpegErr jpeg.UnsupportedError
		pngErr  png.UnsupportedError
		tiffErr tiff.UnsupportedError
	)
	if errors.As(err, &jpegErr) || errors.As(err, &pngErr) || errors.As(err, &tiffErr) || errors.Is(err, bmp.ErrUnsupported) {
		return ErrUnknownFormat
	}
	return ErrCorrupt
}

// recordingReader reads the stream from its start position and remembers the first I/O error
// (anything but EOF), so that a read failure is not reported as a damaged file.
type recordingReader struct {
	rs    io.ReadSeeker
	ra    io.ReaderAt // rs's ReaderAt when it has one
	start int64
	err   error
}

func (r *recordingReader) record(err error) error {
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && r.err == nil {
		r.err = err
	}
	return err
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.rs.Read(p)
	return n, r.record(err)
}

func (r *recordingReader) rewind() error {
	_, err := r.rs.Seek(r.start, io.SeekStart)
	return r.record(err)
}

// endsWith reports whether the stream ends with suffix.
func (r *recordingReader) endsWith(suffix string) bool {
	end, err := r.rs.Seek(0, io.SeekEnd)
	if err != nil || end-r.start < int64(len(suffix)) {
		return false
	}
	buf := make([]byte, len(suffix))
	if _, err := r.ReadAt(buf, end-r.start-int64(len(suffix))); err != nil && err != io.EOF {
		return false
	}
	return string(buf) == suffix
}

// ReadAt reads at an offset from the start position. Without an underlying ReaderAt it seeks, so
// it must not be mixed with concurrent Reads (the decoders here are sequential).
func (r *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if r.ra != nil {
		n, err := r.ra.ReadAt(p, r.start+off)
		return n, r.record(err)
	}
	if _, err := r.rs.Seek(r.start+off, io.SeekStart); err != nil {
		return 0, r.record(err)
	}
	n, err := io.ReadFull(r.rs, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, r.record(err)
}
