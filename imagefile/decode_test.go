// Tests of image decoding (image.go, mirroring transformers image_utils.load_image with Pillow):
// EXIF orientation 1-8 in every container, Pillow's mode conversions, and hostile files.

package imagefile

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// fixturesDir holds the reference images (copied from shared/fixtures).
const fixturesDir = "../testdata/fixtures"

func fixtureImage(name string) string { return filepath.Join(fixturesDir, "images", name) }

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func decodeBytes(t *testing.T, data []byte) *image.RGBA {
	t.Helper()
	m, err := Decode(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// --- EXIF orientation --------------------------------------------------------------------------

// The 3x2 test pattern and what PIL.ImageOps.exif_transpose (Pillow 9.4) makes of it for each
// Orientation, read from PNG and WebP files carrying the tag (letters are the colours below).
var (
	orientationPattern = []string{"RGB", "YCM"}
	orientationColours = map[byte][3]uint8{
		'R': {255, 0, 0}, 'G': {0, 255, 0}, 'B': {0, 0, 255},
		'Y': {255, 255, 0}, 'C': {0, 255, 255}, 'M': {255, 0, 255},
	}
	pillowExifTranspose = map[int][]string{
		1: {"RGB", "YCM"},
		2: {"BGR", "MCY"},
		3: {"MCY", "BGR"},
		4: {"YCM", "RGB"},
		5: {"RY", "GC", "BM"},
		6: {"YR", "CG", "MB"},
		7: {"MB", "CG", "YR"},
		8: {"BM", "GC", "RY"},
	}
)

func patternImage(rows []string) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, row := range rows {
		for x := range len(row) {
			c := orientationColours[row[x]]
			copy(m.Pix[m.PixOffset(x, y):], []uint8{c[0], c[1], c[2], 255})
		}
	}
	return m
}

func patternLetters(m *image.RGBA) []string {
	var rows []string
	for y := range m.Rect.Dy() {
		var row []byte
		for x := range m.Rect.Dx() {
			p := m.Pix[m.PixOffset(x, y) : m.PixOffset(x, y)+3]
			letter := byte('?')
			for l, c := range orientationColours {
				if p[0] == c[0] && p[1] == c[1] && p[2] == c[2] {
					letter = l
				}
			}
			row = append(row, letter)
		}
		rows = append(rows, string(row))
	}
	return rows
}

// exifTIFF builds the TIFF body of an Exif block: IFD0 with a Make entry and Orientation.
func exifTIFF(bo binary.ByteOrder, orientation uint16) []byte {
	b := make([]byte, 8+2+2*12+4)
	if bo == binary.ByteOrder(binary.LittleEndian) {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	bo.PutUint32(b[4:], 8)
	bo.PutUint16(b[8:], 2)
	e := b[10:22]
	bo.PutUint16(e[0:], 0x010F) // Make, ASCII, 3 bytes inline
	bo.PutUint16(e[2:], 2)
	bo.PutUint32(e[4:], 3)
	copy(e[8:], "Go\x00")
	e = b[22:34]
	bo.PutUint16(e[0:], 0x0112) // Orientation, SHORT, 1
	bo.PutUint16(e[2:], 3)
	bo.PutUint32(e[4:], 1)
	bo.PutUint16(e[8:], orientation)
	return b
}

// jpegWithExif inserts an APP1 Exif segment right after SOI.
func jpegWithExif(t *testing.T, plain []byte, tiffBody []byte) []byte {
	t.Helper()
	payload := append([]byte("Exif\x00\x00"), tiffBody...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(payload)))
	out := append([]byte{}, plain[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, plain[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngWithChunk inserts a chunk right after IHDR, or right before IEND.
func pngWithChunk(t *testing.T, img image.Image, chunk []byte, beforeIEND bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	at := 8 + 8 + 13 + 4 // signature, IHDR
	if beforeIEND {
		at = len(b) - 12
	}
	return slices.Concat(b[:at], chunk, b[at:])
}

func TestExifOrientationTransposes(t *testing.T) {
	src := patternImage(orientationPattern)
	for o := 1; o <= 8; o++ {
		got := patternLetters(applyOrientation(src, o))
		if !slices.Equal(got, pillowExifTranspose[o]) {
			t.Errorf("orientation %d: got %v, Pillow gives %v", o, got, pillowExifTranspose[o])
		}
	}
	for _, o := range []int{0, 9, 65535} {
		if got := applyOrientation(src, o); got != src {
			t.Errorf("orientation %d changed the image", o)
		}
	}
}

func TestExifOrientationPNG(t *testing.T) {
	src := patternImage(orientationPattern)
	for o := 1; o <= 8; o++ {
		for _, tc := range []struct {
			name       string
			payload    []byte
			beforeIEND bool
		}{
			{"little endian after IHDR", exifTIFF(binary.LittleEndian, uint16(o)), false},
			{"big endian after IDAT", exifTIFF(binary.BigEndian, uint16(o)), true},
			{"with Exif prefix", append([]byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, uint16(o))...), false},
		} {
			data := pngWithChunk(t, src, pngChunk("eXIf", tc.payload), tc.beforeIEND)
			if got := patternLetters(decodeBytes(t, data)); !slices.Equal(got, pillowExifTranspose[o]) {
				t.Errorf("PNG eXIf %s, orientation %d: got %v, want %v", tc.name, o, got, pillowExifTranspose[o])
			}
		}
	}
}

func TestExifOrientationJPEG(t *testing.T) {
	// A smooth 24x16 image, so that JPEG keeps it recognisable; the oriented decode must equal
	// the plain decode transposed, exactly.
	src := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := range 16 {
		for x := range 24 {
			copy(src.Pix[src.PixOffset(x, y):], []uint8{uint8(10 * x), uint8(15 * y), uint8(5 * (x + y)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := decodeBytes(t, buf.Bytes())
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
			got := decodeBytes(t, jpegWithExif(t, buf.Bytes(), exifTIFF(bo, uint16(o))))
			want := applyOrientation(plain, o)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("JPEG orientation %d (%v): got %v, want %v transposed", o, bo, got.Rect, want.Rect)
			}
		}
	}
	// Fixture 06 is stored 320x200 with Orientation 6: displayed 200x320.
	m, err := Load(fixtureImage("06_exif_orientation6_320x200.jpg"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rect.Dx() != 200 || m.Rect.Dy() != 320 {
		t.Errorf("fixture 06 decoded as %v, want 200x320", m.Rect.Size())
	}
}

// TestExifOrientationMalformed: a broken or odd EXIF block leaves the image as stored.
func TestExifOrientationMalformed(t *testing.T) {
	src := patternImage(orientationPattern)
	longOrientation := exifTIFF(binary.LittleEndian, 6)
	binary.LittleEndian.PutUint16(longOrientation[22+2:], 4) // LONG: still read, like Pillow
	twoValues := exifTIFF(binary.LittleEndian, 6)
	binary.LittleEndian.PutUint32(twoValues[22+4:], 2) // count 2: a tuple in Pillow, not applied
	for _, tc := range []struct {
		name    string
		payload []byte
		want    []string
	}{
		{"not TIFF", []byte("garbage that is not TIFF"), orientationPattern},
		{"IFD offset past the end", append([]byte("II*\x00\xff\xff\x00\x00"), 0, 0), orientationPattern},
		{"entry count past the end", []byte("II*\x00\x08\x00\x00\x00\xff\x00"), orientationPattern},
		{"orientation 9", exifTIFF(binary.LittleEndian, 9), orientationPattern},
		{"orientation 0", exifTIFF(binary.LittleEndian, 0), orientationPattern},
		{"LONG orientation", longOrientation, pillowExifTranspose[6]},
		{"count 2", twoValues, orientationPattern},
		{"empty", nil, orientationPattern},
	} {
		data := pngWithChunk(t, src, pngChunk("eXIf", tc.payload), false)
		if got := patternLetters(decodeBytes(t, data)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// webpWithExif rewraps a simple-format WebP (one VP8L or VP8 chunk) as extended format (VP8X)
// with an EXIF chunk after the image data, where libwebp's muxer puts it.
func webpWithExif(t *testing.T, simple []byte, w, h int, exif []byte) []byte {
	t.Helper()
	if string(simple[:4]) != "RIFF" || string(simple[8:12]) != "WEBP" {
		t.Fatal("not a WebP file")
	}
	riffChunk := func(fourcc string, data []byte) []byte {
		b := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		b = append(b, data...)
		if len(data)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 // EXIF present
	vp8x[4], vp8x[5], vp8x[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	vp8x[7], vp8x[8], vp8x[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	body := slices.Concat([]byte("WEBP"), riffChunk("VP8X", vp8x), simple[12:], riffChunk("EXIF", exif))
	return slices.Concat([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body)
}

func TestExifOrientationWebP(t *testing.T) {
	simple, err := os.ReadFile(fixtureImage("10_lossless_160x120.webp"))
	if err != nil {
		t.Fatal(err)
	}
	plain := decodeBytes(t, simple)
	for o := 1; o <= 8; o++ {
		for _, prefix := range []string{"", "Exif\x00\x00"} {
			exif := append([]byte(prefix), exifTIFF(binary.LittleEndian, uint16(o))...)
			got := decodeBytes(t, webpWithExif(t, simple, 160, 120, exif))
			want := applyOrientation(plain, o)
			if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("WebP EXIF orientation %d (prefix %q): got %v, want %v transposed", o, prefix, got.Rect, want.Rect)
			}
		}
	}
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// grayTIFF builds an uncompressed 8-bit greyscale TIFF, with an Orientation tag if o > 0.
func grayTIFF(bo byteOrder, w, h int, pix []byte, o int) []byte {
	type entry struct {
		tag, typ uint16
		val      uint32
	}
	entries := []entry{
		{256, 3, uint32(w)}, {257, 3, uint32(h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 8}, {274, 3, uint32(o)}, {277, 3, 1}, {278, 3, uint32(h)}, {279, 4, uint32(w * h)},
	}
	if o == 0 {
		entries = slices.Delete(entries, 6, 7)
	}
	b := make([]byte, 8)
	if bo == binary.ByteOrder(binary.LittleEndian) {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	b = append(b, pix...)
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	bo.PutUint32(b[4:], uint32(len(b)))
	b = bo.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = bo.AppendUint16(b, e.tag)
		b = bo.AppendUint16(b, e.typ)
		b = bo.AppendUint32(b, 1)
		if e.typ == 3 {
			b = bo.AppendUint16(b, uint16(e.val))
			b = append(b, 0, 0)
		} else {
			b = bo.AppendUint32(b, e.val)
		}
	}
	return bo.AppendUint32(b, 0)
}

func TestExifOrientationTIFF(t *testing.T) {
	// Grey levels standing for the letters of the pattern.
	levels := map[byte]uint8{'R': 10, 'G': 50, 'B': 90, 'Y': 130, 'C': 170, 'M': 210}
	var pix []byte
	for _, row := range orientationPattern {
		for i := range len(row) {
			pix = append(pix, levels[row[i]])
		}
	}
	for o := 0; o <= 8; o++ {
		for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			data := grayTIFF(bo, 3, 2, pix, o)
			// Also through a reader that is not an io.ReaderAt, positioned after a prefix.
			readers := map[string]io.ReadSeeker{
				"bytes.Reader":      bytes.NewReader(data),
				"ReadSeeker at +5 ": seekOnly(t, append([]byte("junk!"), data...), 5),
			}
			for name, r := range readers {
				m, err := Decode(r, Options{})
				if err != nil {
					t.Fatalf("orientation %d %v %s: %v", o, bo, name, err)
				}
				want := pillowExifTranspose[max(o, 1)]
				var got []string
				for y := range m.Rect.Dy() {
					var row []byte
					for x := range m.Rect.Dx() {
						v := m.Pix[m.PixOffset(x, y)]
						for l, lv := range levels {
							if v == lv {
								row = append(row, l)
							}
						}
					}
					got = append(got, string(row))
				}
				if !slices.Equal(got, want) {
					t.Errorf("TIFF orientation %d (%v, %s): got %v, want %v", o, bo, name, got, want)
				}
			}
		}
	}
}

// readSeekOnly hides bytes.Reader's ReadAt.
type readSeekOnly struct{ r *bytes.Reader }

func (r readSeekOnly) Read(p []byte) (int, error)                { return r.r.Read(p) }
func (r readSeekOnly) Seek(off int64, whence int) (int64, error) { return r.r.Seek(off, whence) }

func seekOnly(t *testing.T, data []byte, start int64) io.ReadSeeker {
	r := readSeekOnly{bytes.NewReader(data)}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return r
}

// --- mode conversions --------------------------------------------------------------------------

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		w, h int
	}{
		{"01_gradient_300x200.jpg", 300, 200},
		{"02_shapes_640x480.png", 640, 480},
		{"03_gray_100x150.png", 100, 150},
		{"04_rgba_transparent_200x160.png", 200, 160},
		{"05_palette_2frames_180x120.gif", 180, 120},
		{"06_exif_orientation6_320x200.jpg", 200, 320},
		{"07_tiny_10x12.png", 10, 12},
		{"08_wide_1000x50.png", 1000, 50},
		{"09_checker_150x100.bmp", 150, 100},
		{"10_lossless_160x120.webp", 160, 120},
		{"11_cmyk_240x180.jpg", 240, 180},
		{"12_chelsea_451x300.jpg", 451, 300},
	} {
		m, err := Load(fixtureImage(tc.file), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if m.Rect != image.Rect(0, 0, tc.w, tc.h) {
			t.Errorf("%s: bounds %v, want %dx%d", tc.file, m.Rect, tc.w, tc.h)
		}
		for i := 3; i < len(m.Pix); i += 4 {
			if m.Pix[i] != 255 {
				t.Fatalf("%s: alpha %d at byte %d, want 255", tc.file, m.Pix[i], i)
			}
		}
	}
}

// TestDecodeRGBAKeepsColourUnderAlpha: Pillow's convert("RGB") drops alpha without
// premultiplying, so a fully transparent pixel keeps its stored colour (fixture 04 hides magenta
// under a transparent hole).
func TestDecodeRGBAKeepsColourUnderAlpha(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	copy(src.Pix, []uint8{255, 0, 255, 0, 10, 200, 30, 128, 1, 2, 3, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	m := decodeBytes(t, buf.Bytes())
	want := []uint8{255, 0, 255, 255, 10, 200, 30, 255, 1, 2, 3, 255}
	if !bytes.Equal(m.Pix, want) {
		t.Errorf("RGBA PNG: got %v, want %v", m.Pix, want)
	}

	// 16-bit RGBA: the high byte, unpremultiplied.
	src16 := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
	src16.SetNRGBA64(0, 0, color.NRGBA64{R: 0xABCD, G: 0x1234, B: 0xFF00, A: 0})
	buf.Reset()
	if err := png.Encode(&buf, src16); err != nil {
		t.Fatal(err)
	}
	if m := decodeBytes(t, buf.Bytes()); !bytes.Equal(m.Pix, []uint8{0xAB, 0x12, 0xFF, 255}) {
		t.Errorf("16-bit RGBA PNG: got %v, want [171 18 255 255]", m.Pix)
	}
}

// TestDecodeTIFFAssociatedAlpha: Pillow loads premultiplied ("associated", ExtraSamples = 1)
// TIFF alpha as straight RGBA, v*255/a with integer division, black where a = 0; convert("RGB")
// then drops alpha. Expected values are Pillow 9.4's for the same files.
func TestDecodeTIFFAssociatedAlpha(t *testing.T) {
	m8 := image.NewRGBA(image.Rect(0, 0, 4, 1)) // x/image/tiff writes *image.RGBA as associated alpha
	copy(m8.Pix, []uint8{100, 50, 20, 128, 10, 20, 30, 0, 200, 100, 0, 255, 3, 2, 1, 4})
	m16 := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	copy(m16.Pix, []uint8{100, 7, 50, 9, 20, 1, 128, 0, 10, 0, 20, 0, 30, 0, 0, 0})
	for _, tc := range []struct {
		name string
		img  image.Image
		want []uint8
	}{
		{"8-bit", m8, []uint8{199, 99, 39, 255, 0, 0, 0, 255, 200, 100, 0, 255, 191, 127, 63, 255}},
		{"16-bit", m16, []uint8{199, 99, 39, 255, 0, 0, 0, 255}},
	} {
		var buf bytes.Buffer
		if err := tiff.Encode(&buf, tc.img, nil); err != nil {
			t.Fatal(err)
		}
		if m := decodeBytes(t, buf.Bytes()); !bytes.Equal(m.Pix, tc.want) {
			t.Errorf("%s associated-alpha TIFF: got %v, want %v", tc.name, m.Pix, tc.want)
		}
	}
}

func TestDecodeSixteenBit(t *testing.T) {
	rgb := image.NewRGBA64(image.Rect(0, 0, 1, 1))
	rgb.SetRGBA64(0, 0, color.RGBA64{R: 0x80FF, G: 0x0180, B: 0xFFFF, A: 0xFFFF})
	gray := image.NewGray16(image.Rect(0, 0, 2, 1))
	gray.SetGray16(0, 0, color.Gray16{Y: 0x7F80})
	gray.SetGray16(1, 0, color.Gray16{Y: 0x0100})
	for _, tc := range []struct {
		name string
		img  image.Image
		want []uint8
	}{
		{"RGB", rgb, []uint8{0x80, 0x01, 0xFF, 255}},
		// Pillow 9.4 would give 255 for both (mode "I" clipped): the high byte is used instead.
		{"grey", gray, []uint8{0x7F, 0x7F, 0x7F, 255, 1, 1, 1, 255}},
	} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, tc.img); err != nil {
			t.Fatal(err)
		}
		if m := decodeBytes(t, buf.Bytes()); !bytes.Equal(m.Pix, tc.want) {
			t.Errorf("16-bit %s PNG: got %v, want %v", tc.name, m.Pix, tc.want)
		}
	}
}

// TestDecodeYCbCrRatios: every chroma subsampling, on whole images and on sub-images whose
// bounds start at odd coordinates, converts as color.YCbCrToRGB of image.YCbCr.YCbCrAt.
func TestDecodeYCbCrRatios(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		full := image.NewYCbCr(image.Rect(0, 0, 19, 13), ratio)
		for _, p := range [][]uint8{full.Y, full.Cb, full.Cr} {
			for i := range p {
				p[i] = uint8(rng.Intn(256))
			}
		}
		for _, m := range []*image.YCbCr{full, full.SubImage(image.Rect(3, 5, 18, 12)).(*image.YCbCr)} {
			got := toRGB(m)
			for y := range m.Rect.Dy() {
				for x := range m.Rect.Dx() {
					c := m.YCbCrAt(m.Rect.Min.X+x, m.Rect.Min.Y+y)
					r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					if p := got.Pix[got.PixOffset(x, y):]; p[0] != r || p[1] != g || p[2] != b || p[3] != 255 {
						t.Fatalf("%v %v (%d,%d): got %v, want %d %d %d", ratio, m.Rect, x, y, p[:4], r, g, b)
					}
				}
			}
		}
	}
}

func TestDecodeCMYKFormula(t *testing.T) {
	// Pillow's cmyk2rgb: R = nk - MULDIV255(C, nk) with nk = 255 - K.
	for _, tc := range []struct{ c, m, y, k, r, g, b uint8 }{
		{0, 0, 0, 0, 255, 255, 255},
		{255, 255, 255, 0, 0, 0, 0},
		{0, 0, 0, 255, 0, 0, 0},
		{128, 64, 0, 0, 127, 191, 255},
		{100, 150, 200, 50, 125, 84, 44}, // Pillow 9.4 gives the same
	} {
		r, g, b, a := cmykToRGB(tc.c, tc.m, tc.y, tc.k)
		if r != tc.r || g != tc.g || b != tc.b || a != 255 {
			t.Errorf("CMYK %v: got %d %d %d, want %d %d %d", []uint8{tc.c, tc.m, tc.y, tc.k}, r, g, b, tc.r, tc.g, tc.b)
		}
	}
}

// TestDecodeGIFTransparency: Pillow shows the palette colour of the transparent index, and fills
// the logical screen around a smaller first frame with that index; Go's decoder turns the entry
// into (0,0,0,0) and returns the frame alone.
func TestDecodeGIFTransparency(t *testing.T) {
	pal := color.Palette{
		color.RGBA{200, 10, 10, 255}, color.RGBA{10, 200, 10, 255}, color.RGBA{}, color.RGBA{10, 10, 200, 255},
	}
	frame := image.NewPaletted(image.Rect(1, 2, 4, 4), pal) // 3x2 at (1,2) on a 6x5 screen
	copy(frame.Pix, []uint8{0, 1, 2, 3, 2, 0})
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{
		Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: pal, Width: 6, Height: 5},
	}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if data[10]&0x80 == 0 {
		t.Fatal("encoder wrote no global colour table")
	}
	copy(data[13+3*2:], []uint8{11, 22, 33}) // the colour the file stores for transparent index 2
	m := decodeBytes(t, data)
	if m.Rect != image.Rect(0, 0, 6, 5) {
		t.Fatalf("bounds %v, want the 6x5 logical screen", m.Rect)
	}
	colour := map[uint8][3]uint8{0: {200, 10, 10}, 1: {10, 200, 10}, 2: {11, 22, 33}, 3: {10, 10, 200}}
	for y := range 5 {
		for x := range 6 {
			idx := uint8(2) // outside the frame: the transparent index
			if image.Pt(x, y).In(frame.Rect) {
				idx = frame.ColorIndexAt(x, y)
			}
			want := colour[idx]
			got := m.Pix[m.PixOffset(x, y) : m.PixOffset(x, y)+3]
			if !bytes.Equal(got, want[:]) {
				t.Errorf("(%d,%d): got %v, want %v (index %d)", x, y, got, want, idx)
			}
		}
	}
}

// lossyWebP7x5 is a 7x5 lossy WebP (quality 80) and pillowRGB7x5 what Pillow 9.4.0 with libwebp
// 1.2.4 decodes it to (RGB, row by row). Made with:
//
//	src = np.asarray(Image.open("13_coffee_512x341.jpg").convert("RGB"))[100:105, 200:207]
//	Image.fromarray(src).save("t.webp", quality=80)
//	np.asarray(Image.open("t.webp").convert("RGB")).tobytes().hex()
const (
	lossyWebP7x5 = "524946464c0000005745425056503820400000005002009d012a0700050001402625a00274ba01f800035244e8bd0000fef30f49368c08c07c831fe027dd6fb384ffe4172c2eb91affd093f049f824fe01800000"
	pillowRGB7x5 = "96360fbf5e38ac4c2696360f97371194330d8f2f08a3421cca6a44a3421c8b2b0592320c96360f983812a1411b8a2a0491310b9e3e1898381297371196360f8f2f089c3b159d3d169737119d3d1696360f91310b9c3b1599391396360f94330d91310b94330d91310b"
)

// TestDecodeLossyWebPMatchesPillow: lossy WebP is limited-range BT.601 with libwebp's fancy
// chroma upsampling; Go's image.YCbCr conversion would be off by up to 25 levels on photos.
func TestDecodeLossyWebPMatchesPillow(t *testing.T) {
	data, _ := hex.DecodeString(lossyWebP7x5)
	want, _ := hex.DecodeString(pillowRGB7x5)
	m := decodeBytes(t, data)
	if m.Rect != image.Rect(0, 0, 7, 5) {
		t.Fatalf("bounds %v, want 7x5", m.Rect)
	}
	for i := range 7 * 5 {
		if !bytes.Equal(m.Pix[4*i:4*i+3], want[3*i:3*i+3]) {
			t.Fatalf("pixel (%d,%d): got %v, Pillow %v", i%7, i/7, m.Pix[4*i:4*i+3], want[3*i:3*i+3])
		}
	}
	// Limited range: Y 16 is black and Y 235 white.
	for _, tc := range []struct{ y, r int }{{16, 0}, {235, 255}, {126, 128}, {0, 0}, {255, 255}} {
		if r, g, b := vp8YUVToRGB(tc.y, 128, 128); int(r) != tc.r || g != r || b != r {
			t.Errorf("VP8 YUV (%d,128,128) -> %d %d %d, want grey %d", tc.y, r, g, b, tc.r)
		}
	}
}

// --- hostile and broken files ------------------------------------------------------------------

func wantImageError(t *testing.T, err error, kind ErrorKind, msgParts ...string) *Error {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want *Error of kind %v", err, err, kind)
	}
	if ie.Kind != kind {
		t.Errorf("kind %v, want %v (%v)", ie.Kind, kind, err)
	}
	msg := err.Error()
	for _, p := range msgParts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q does not contain %q", msg, p)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message %q is not one line", msg)
	}
	return ie
}

// hugePNG is a PNG signature and an IHDR (with a valid CRC) claiming 100000x100000 RGB pixels,
// followed by a little garbage: a decoder that trusts it would allocate 30 GB.
func hugePNG() []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	return slices.Concat([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr), pngChunk("IDAT", []byte{1, 2, 3}))
}

func TestDecodeHostile(t *testing.T) {
	coffee, err := os.ReadFile(fixtureImage("13_coffee_512x341.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := os.ReadFile(fixtureImage("02_shapes_640x480.png"))
	if err != nil {
		t.Fatal(err)
	}
	badCRC := slices.Clone(shapes)
	badCRC[len(badCRC)/2] ^= 0xFF // inside IDAT
	bmpRLE, err := os.ReadFile(fixtureImage("09_checker_150x100.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	bmpRLE = slices.Clone(bmpRLE)
	bmpRLE[30] = 1 // compression BI_RLE8, not implemented by x/image/bmp

	for _, tc := range []struct {
		name string
		data []byte
		kind ErrorKind
		msg  []string
	}{
		{"empty.jpg", nil, ErrUnknownFormat, []string{"empty.jpg: empty file (0 bytes)"}},
		{"notes.jpg", []byte("These are my notes, not a photo.\n"), ErrUnknownFormat,
			[]string{"notes.jpg: not an image this tool can read (supported: JPEG, PNG, GIF, BMP, WebP, TIFF)"}},
		{"short.png", []byte("\x89PN"), ErrUnknownFormat, []string{"not an image"}},
		{"half.jpg", coffee[:len(coffee)/2], ErrCorrupt, []string{"half.jpg: JPEG file is truncated"}},
		{"half.png", shapes[:len(shapes)/2], ErrCorrupt, []string{"half.png: PNG file is truncated"}},
		{"half.gif", half(t, "05_palette_2frames_180x120.gif", 0.3), ErrCorrupt, []string{"half.gif: GIF file is truncated"}},
		{"half.webp", half(t, "10_lossless_160x120.webp", 0.5), ErrCorrupt, []string{"half.webp: WebP file is truncated"}},
		{"half.bmp", half(t, "09_checker_150x100.bmp", 0.5), ErrCorrupt, []string{"half.bmp: BMP file is truncated"}},
		{"header-only.jpg", coffee[:300], ErrCorrupt, []string{"header-only.jpg: JPEG file is truncated"}},
		{"bad-crc.png", badCRC, ErrCorrupt, []string{"bad-crc.png: damaged PNG file, cannot decode it (png: invalid format"}},
		{"rle.bmp", bmpRLE, ErrUnknownFormat, []string{"rle.bmp: a kind of BMP this tool cannot read"}},
		{"big.png", hugePNG(), ErrTooLarge, []string{"big.png: 100000x100000 pixels is over the limit of 100 megapixels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.name, tc.data)
			_, err := Load(path, Options{})
			ie := wantImageError(t, err, tc.kind, tc.msg...)
			if ie.Path != path {
				t.Errorf("Path %q, want %q", ie.Path, path)
			}
		})
	}
}

// half returns the first fraction of a fixture image.
func half(t *testing.T, name string, fraction float64) []byte {
	t.Helper()
	data, err := os.ReadFile(fixtureImage(name))
	if err != nil {
		t.Fatal(err)
	}
	return data[:int(float64(len(data))*fraction)]
}

// TestDecodeTooLargeDoesNotAllocate: the limit is checked from the header, before decoding.
func TestDecodeTooLargeDoesNotAllocate(t *testing.T) {
	path := writeTemp(t, "big.png", hugePNG())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(path, Options{})
	runtime.ReadMemStats(&after)
	ie := wantImageError(t, err, ErrTooLarge)
	if ie.Width != 100000 || ie.Height != 100000 || ie.Limit != DefaultMaxPixels {
		t.Errorf("error carries %dx%d limit %d", ie.Width, ie.Height, ie.Limit)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the image allocated %d bytes", n)
	}
}

func TestDecodeMaxPixels(t *testing.T) {
	path := fixtureImage("02_shapes_640x480.png") // 307200 pixels
	_, err := Load(path, Options{MaxPixels: 300_000})
	wantImageError(t, err, ErrTooLarge, "640x480 pixels is over the limit of 300000 pixels")
	if _, err := Load(path, Options{MaxPixels: 307_200}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := Load(path, Options{MaxPixels: -1}); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

func TestDecodeUnreadable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone.jpg")
	_, err := Load(missing, Options{})
	wantImageError(t, err, ErrUnreadable, "gone.jpg: cannot read the file (no such file or directory)")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}

	// A directory opens but cannot be read, even as root.
	dir := filepath.Join(t.TempDir(), "holiday.jpg")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir, Options{})
	wantImageError(t, err, ErrUnreadable, "holiday.jpg: cannot read the file", "directory")

	t.Run("permission denied", func(t *testing.T) {
		path := writeTemp(t, "secret.png", []byte("\x89PNG\r\n\x1a\n"))
		if err := os.Chmod(path, 0); err != nil {
			t.Fatal(err)
		}
		if f, err := os.Open(path); err == nil {
			f.Close()
			t.Skip("a file with mode 000 is still readable here (running as root), so permission errors cannot be provoked")
		}
		_, err := Load(path, Options{})
		wantImageError(t, err, ErrUnreadable, "secret.png: cannot read the file (permission denied)")
	})
}

// failingReader fails after the first n bytes, like a disk or network error.
type failingReader struct {
	r *bytes.Reader
	n int64
}

func (f *failingReader) Read(p []byte) (int, error) {
	pos, _ := f.r.Seek(0, io.SeekCurrent)
	if pos >= f.n {
		return 0, errors.New("input/output error")
	}
	if int64(len(p)) > f.n-pos {
		p = p[:f.n-pos]
	}
	return f.r.Read(p)
}

func (f *failingReader) Seek(off int64, whence int) (int64, error) { return f.r.Seek(off, whence) }

func TestDecodeReadFailure(t *testing.T) {
	data, err := os.ReadFile(fixtureImage("13_coffee_512x341.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Decode(&failingReader{r: bytes.NewReader(data), n: 5000}, Options{})
	wantImageError(t, err, ErrUnreadable, "image: cannot read the file (input/output error)")
}

func TestDecodeFromOffset(t *testing.T) {
	data, err := os.ReadFile(fixtureImage("07_tiny_10x12.png"))
	if err != nil {
		t.Fatal(err)
	}
	want := decodeBytes(t, data)
	r := bytes.NewReader(append([]byte("prefix"), data...))
	if _, err := r.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Error("decoding from an offset differs")
	}
}

func TestImageErrorKindString(t *testing.T) {
	for k, want := range map[ErrorKind]string{
		ErrUnknownFormat: "unknown format", ErrCorrupt: "corrupt", ErrTooLarge: "too large", ErrUnreadable: "unreadable",
	} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
	if len(SupportedFormats) != 6 || len(imageFormats) != len(SupportedFormats) {
		t.Errorf("SupportedFormats %v and the decoder table (%d entries) disagree", SupportedFormats, len(imageFormats))
	}
	for i, f := range imageFormats {
		if SupportedFormats[i] != f.name {
			t.Errorf("SupportedFormats[%d] = %q, decoder table has %q", i, SupportedFormats[i], f.name)
		}
	}
}

func BenchmarkDecodeImageFile(b *testing.B) {
	for _, name := range []string{"13_coffee_512x341.jpg", "02_shapes_640x480.png", "10_lossless_160x120.webp"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(fixtureImage(name), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestImageErrorKindNames(t *testing.T) {
	want := map[ErrorKind]string{ErrUnknownFormat: "unknown format", ErrCorrupt: "corrupt", ErrTooLarge: "too large", ErrUnreadable: "unreadable"}
	for k, name := range want {
		if got := (&Error{Kind: k}).ImageErrorKind(); got != name {
			t.Errorf("kind %d: %q, want %q (sorter's errors.csv and hints use these names)", k, got, name)
		}
	}
}

// Every kind of failure says what to do about the file: the command line prints it as the hint line.
func TestErrorAdvice(t *testing.T) {
	for _, tc := range []struct {
		kind ErrorKind
		want string
	}{
		{ErrUnreadable, "check the path"},
		{ErrUnknownFormat, "convert it to JPEG or PNG"},
		{ErrCorrupt, "damaged or cut short"},
		{ErrTooLarge, "shrink the image"},
	} {
		if got := (&Error{Kind: tc.kind}).Advice(); !strings.Contains(got, tc.want) {
			t.Errorf("%v: Advice() = %q, want it to contain %q", tc.kind, got, tc.want)
		}
	}
	// As Load returns them.
	_, err := Load(filepath.Join(t.TempDir(), "gone.jpg"), Options{})
	var ie *Error
	if !errors.As(err, &ie) || !strings.HasPrefix(ie.Advice(), "check the path") {
		t.Errorf("Load(missing file) = %v, want an *Error advising to check the path", err)
	}
}
