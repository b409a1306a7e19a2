// Tests of JPEG decoding with libjpeg-turbo (jpegturbo.go) and of the fallback to Go's image/jpeg.
// The whole package's tests also run with SORTER_TURBOJPEG=off, which takes the Go path everywhere.

package imagefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireTurbo skips a test that is about libjpeg-turbo's output when Go's decoder is in use.
func requireTurbo(t testing.TB) *turboJPEG {
	t.Helper()
	lib := turboLibrary()
	if lib == nil {
		t.Skipf("JPEG decoder: %s", JPEGDecoder())
	}
	return lib
}

func TestJPEGDecoderReport(t *testing.T) {
	got := JPEGDecoder()
	t.Log(got)
	if strings.Contains(got, "\n") {
		t.Errorf("JPEGDecoder() = %q: want one line", got)
	}
	if lib := turboLibrary(); lib != nil {
		if !strings.HasPrefix(got, "libjpeg-turbo ") || !strings.Contains(got, lib.path) {
			t.Errorf("JPEGDecoder() = %q with the library loaded from %s", got, lib.path)
		}
		if lib.version != "" && !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(lib.version) {
			t.Errorf("version %q read from %s", lib.version, lib.path)
		}
		if DecoderFingerprint() == "" {
			t.Error("the fingerprint does not name libjpeg-turbo")
		}
		return
	}
	if !strings.HasPrefix(got, "Go image/jpeg (") || DecoderFingerprint() != "" {
		t.Errorf("JPEGDecoder() = %q, fingerprint part %q without the library", got, DecoderFingerprint())
	}
	if env := os.Getenv(turboEnv); strings.EqualFold(env, "off") && !strings.Contains(got, turboEnv+"=off") {
		t.Errorf("JPEGDecoder() = %q does not say %s=off", got, turboEnv)
	}
}

// TestTurboJPEGFallback: SORTER_TURBOJPEG=off, a missing file, and a library that is not
// libturbojpeg all leave Go's decoder in charge, with a reason for the log line.
func TestTurboJPEGFallback(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libturbojpeg.so.0")
	notLibrary := writeTemp(t, "libturbojpeg.so", []byte("not a library"))
	for _, tc := range []struct{ env, reason string }{
		{"off", "SORTER_TURBOJPEG=off"},
		{" Off ", "SORTER_TURBOJPEG=Off"},
		{missing, "SORTER_TURBOJPEG=" + missing + ": "},
		{notLibrary, "SORTER_TURBOJPEG=" + notLibrary + ": "},
	} {
		lib, reason := loadTurboJPEG(tc.env)
		if lib != nil {
			t.Errorf("%s=%s: library loaded", turboEnv, tc.env)
			continue
		}
		desc := describeJPEGDecoder(nil, reason)
		t.Logf("%s=%q: %s", turboEnv, tc.env, desc)
		if !strings.HasPrefix(desc, "Go image/jpeg ("+tc.reason) || strings.Contains(desc, "\n") {
			t.Errorf("%s=%q: %q, want Go image/jpeg with the reason %q...", turboEnv, tc.env, desc, tc.reason)
		}
	}
	if runtime.GOOS == "linux" && len(turbojpegCandidates) > 0 { // a real library without TurboJPEG's functions
		if lib, reason := loadTurboJPEG("libc.so.6"); lib != nil || !strings.Contains(reason, "no tjInitDecompress") {
			t.Errorf("libc.so.6 as libturbojpeg: lib %v, reason %q", lib != nil, reason)
		}
	}

	// Go's decoder is still there: fixture 12 (4:2:0) decodes, but not to Pillow's pixels.
	goImg, err := Load(fixtureImage("12_chelsea_451x300.jpg"), Options{goJPEG: true})
	if err != nil {
		t.Fatal(err)
	}
	if goImg.Rect != image.Rect(0, 0, 451, 300) {
		t.Fatalf("Go decoder: bounds %v", goImg.Rect)
	}
	if turboLibrary() != nil {
		turboImg, err := Load(fixtureImage("12_chelsea_451x300.jpg"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxPixelDiff(goImg, turboImg); d == 0 || d > 100 {
			t.Errorf("Go and libjpeg-turbo differ by %d grey levels on a 4:2:0 photo, want a few to tens", d)
		} else {
			t.Logf("Go vs libjpeg-turbo on fixture 12: up to %d grey levels", d)
		}
	}
}

// turboDecodeBytes runs the libjpeg-turbo path alone on a JPEG in memory.
func turboDecodeBytes(lib *turboJPEG, data []byte, opts Options) (*image.RGBA, turboResult, error) {
	return decodeJPEGTurbo(lib, &recordingReader{rs: bytes.NewReader(data)}, sniffFormat(data), opts,
		func(err error) error { return err })
}

func maxPixelDiff(a, b *image.RGBA) int {
	if a.Rect != b.Rect {
		return 1 << 30
	}
	d := 0
	for i := range a.Pix {
		d = max(d, absInt(int(a.Pix[i])-int(b.Pix[i])))
	}
	return d
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func rgbSHA256(m *image.RGBA) string {
	h := sha256.New()
	for y := range m.Rect.Dy() {
		row := m.Pix[y*m.Stride : y*m.Stride+4*m.Rect.Dx()]
		for x := 0; x < len(row); x += 4 {
			h.Write(row[x : x+3])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// turboTestJPEGs are the files in testdata/jpeg (33x19, made as its README says) with the SHA-256
// of Pillow 9.4's Image.open(f).convert("RGB").tobytes() (libjpeg-turbo 2.1.5), and what Go's
// image/jpeg does with them. Most are lossless transcodings of base420.jpg, so they decode to the
// same pixels.
var turboTestJPEGs = []struct {
	file, pillowSHA256 string
	goFails            ErrorKind // 0: Go's decoder reads it too (not bit-exactly)
}{
	{"base420.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", 0},
	{"s422.jpg", "44ad3fd47c81536e482171271deb890f5a317737b9b2f88791d5e9713d779fa0", 0},
	{"prog.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", 0},
	{"restart.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", 0},
	{"prog_restart.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", ErrCorrupt},       // Go: "missing 0xff00 sequence"
	{"restart_bad.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", ErrCorrupt},        // libjpeg warns and resynchronises; Go: "bad RST marker"
	{"arith.jpg", "1bd882519b664f9efef35b1feb8d1cfc49ab4846da7443996ac681f74f33f1d2", ErrUnknownFormat},        // arithmetic coding
	{"gray.jpg", "0949b28aa75e81c67c43f7ffdc02cc8b6243c0fa634fe1ee157788cdbd348970", 0},                        // mode L
	{"cmyk.jpg", "820eb5f6d04a51c5f564520dee1206f199ebb8341c71f95807ba32f1934dac93", 0},                        // Adobe CMYK (transform 0)
	{"cmyk_noadobe.jpg", "820eb5f6d04a51c5f564520dee1206f199ebb8341c71f95807ba32f1934dac93", ErrUnknownFormat}, // no APP14: Pillow assumes Adobe's inversion
	{"ycck.jpg", "194b4a712504ec2c27e94221e14b2ed118507bcadfd1a16af16ecdf6d951743a", 0},                        // Adobe YCCK (transform 2)
}

func readTestJPEG(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "jpeg", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTurboJPEGMatchesPillow: progressive, restart markers, arithmetic coding, 4:2:2, greyscale,
// CMYK and YCCK decode to exactly Pillow's pixels.
func TestTurboJPEGMatchesPillow(t *testing.T) {
	lib := turboLibrary()
	for _, tc := range turboTestJPEGs {
		t.Run(tc.file, func(t *testing.T) {
			data := readTestJPEG(t, tc.file)
			goImg, goErr := Decode(bytes.NewReader(data), Options{goJPEG: true})
			if tc.goFails != 0 {
				wantImageError(t, goErr, tc.goFails)
			} else if goErr != nil {
				t.Fatalf("Go decoder: %v", goErr)
			}
			if lib == nil {
				return
			}
			m, res, err := turboDecodeBytes(lib, data, Options{})
			if err != nil || res != turboDecoded {
				t.Fatalf("libjpeg-turbo: result %d, error %v", res, err)
			}
			if m.Rect != image.Rect(0, 0, 33, 19) {
				t.Fatalf("bounds %v", m.Rect)
			}
			for i := 3; i < len(m.Pix); i += 4 {
				if m.Pix[i] != 255 {
					t.Fatalf("alpha %d at byte %d", m.Pix[i], i)
				}
			}
			if got := rgbSHA256(m); got != tc.pillowSHA256 {
				t.Errorf("RGB SHA-256 %s, Pillow's is %s", got, tc.pillowSHA256)
			}
			if goImg != nil {
				t.Logf("Go's image/jpeg differs by up to %d grey levels", maxPixelDiff(goImg, m))
			}
		})
	}
}

// TestTurboJPEGConcurrent: every call has its own TurboJPEG handle; decoders run side by side.
func TestTurboJPEGConcurrent(t *testing.T) {
	requireTurbo(t)
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 3 * len(turboTestJPEGs) {
				tc := turboTestJPEGs[(i+g)%len(turboTestJPEGs)]
				m, err := Load(filepath.Join("testdata", "jpeg", tc.file), Options{})
				if err != nil {
					done <- err
					return
				}
				if got := rgbSHA256(m); got != tc.pillowSHA256 {
					done <- errors.New(tc.file + ": pixels differ from Pillow's")
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestTurboJPEGGreyIsReplicated: a greyscale JPEG (what Go's encoder writes for image.Gray) comes
// out with R = G = B, as Pillow's L -> RGB.
func TestTurboJPEGGreyIsReplicated(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 40, 24))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	m := decodeBytes(t, buf.Bytes())
	for i := 0; i < len(m.Pix); i += 4 {
		if p := m.Pix[i : i+4]; p[0] != p[1] || p[1] != p[2] || p[3] != 255 {
			t.Fatalf("pixel %d: %v, want grey", i/4, p)
		}
	}
	goImg, err := Decode(bytes.NewReader(buf.Bytes()), Options{goJPEG: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxPixelDiff(goImg, m); d > 3 {
		t.Errorf("greyscale: %s and Go's decoder differ by %d levels", JPEGDecoder(), d)
	}
}

// TestTurboJPEGBrokenFiles: files libjpeg-turbo finds truncated or cannot decode get exactly the
// Go path's outcome; files it decodes with warnings (damaged entropy data, a wrong restart marker)
// are decoded as Pillow decodes them. Nothing panics.
func TestTurboJPEGBrokenFiles(t *testing.T) {
	lib := requireTurbo(t)
	coffee, err := os.ReadFile(fixtureImage("13_coffee_512x341.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	prog := readTestJPEG(t, "prog.jpg")
	sos := bytes.Index(coffee, []byte{0xFF, 0xDA})
	badTable := slices.Clone(coffee)
	badTable[sos+6] = 0x33 // first component's Huffman tables 3/3, never defined: a fatal error in tjDecompress2
	precision := slices.Clone(coffee)
	precision[bytes.Index(coffee, []byte{0xFF, 0xC0})+4] = 12 // 12-bit: refused by both decoders
	zeroPadded := slices.Concat(coffee[:len(coffee)/2], make([]byte, len(coffee)-len(coffee)/2))

	for _, tc := range []struct {
		name string
		data []byte
		kind ErrorKind
		msg  string
	}{
		{"half.jpg", coffee[:len(coffee)/2], ErrCorrupt, "JPEG file is truncated"},
		{"no-eoi.jpg", coffee[:len(coffee)-2], ErrCorrupt, "JPEG file is truncated"},
		{"zero-padded.jpg", zeroPadded, ErrCorrupt, "JPEG file is truncated"},
		{"header-only.jpg", coffee[:300], ErrCorrupt, "JPEG file is truncated"},
		{"half-progressive.jpg", prog[:len(prog)*2/3], ErrCorrupt, "JPEG file is truncated"},
		{"bad-table.jpg", badTable, ErrCorrupt, "damaged JPEG file, cannot decode it"},
		{"12-bit.jpg", precision, ErrUnknownFormat, "a kind of JPEG this tool cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, res, err := turboDecodeBytes(lib, tc.data, Options{})
			if res != turboUseGo || err != nil {
				t.Errorf("libjpeg-turbo: result %d (%v), want the Go decoder to take over", res, err)
			}
			path := writeTemp(t, tc.name, tc.data)
			_, err = Load(path, Options{})
			wantImageError(t, err, tc.kind, tc.name+": "+tc.msg)
			_, goErr := Load(path, Options{goJPEG: true})
			if goErr == nil || err.Error() != goErr.Error() {
				t.Errorf("error %q, the Go path's is %q", err, goErr)
			}
		})
	}

	// Damaged entropy data in a complete file: libjpeg warns ("Corrupt JPEG data: 27 extraneous
	// bytes before marker 0xd9") and decodes what it can; Pillow shows the same pixels.
	damaged := slices.Clone(coffee)
	for i := len(damaged) / 2; i < len(damaged)/2+8; i++ {
		if damaged[i] != 0xFF && damaged[i]^0x5A != 0xFF {
			damaged[i] ^= 0x5A
		}
	}
	m, res, err := turboDecodeBytes(lib, damaged, Options{})
	if res != turboDecoded || err != nil {
		t.Fatalf("damaged entropy data: result %d, error %v", res, err)
	}
	if got, want := rgbSHA256(m), "c458f80de5af714b7e46c08f476ce22153389a00f9c2eb1fa31afa501e2b6a7b"; got != want {
		t.Errorf("damaged entropy data: RGB SHA-256 %s, Pillow's is %s", got, want)
	}

	// Random damage: an image or an *Error, never a panic or a crash.
	rng := rand.New(rand.NewSource(11))
	sources := [][]byte{prog, readTestJPEG(t, "restart.jpg"), readTestJPEG(t, "ycck.jpg"), readTestJPEG(t, "gray.jpg")}
	start := time.Now()
	for i := range 400 {
		d := slices.Clone(sources[i%len(sources)])
		for range 1 + rng.Intn(4) {
			d[rng.Intn(len(d))] = byte(rng.Intn(256))
		}
		if rng.Intn(4) == 0 {
			d = d[:rng.Intn(len(d))+1]
		}
		m, err := Decode(bytes.NewReader(d), Options{})
		var ie *Error
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("variant %d: error %v (%T), want *Error", i, err, err)
		}
		if err == nil && (m == nil || m.Rect.Empty()) {
			t.Fatalf("variant %d: no error and no image", i)
		}
	}
	t.Logf("400 damaged variants in %v", time.Since(start))
}

// jpegWithSize is base420.jpg with the size in its SOF0 header replaced.
func jpegWithSize(t testing.TB, w, h int) []byte {
	t.Helper()
	data := slices.Clone(readTestJPEG(t, "base420.jpg"))
	sof := bytes.Index(data, []byte{0xFF, 0xC0})
	if sof < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(data[sof+5:], uint16(h))
	binary.BigEndian.PutUint16(data[sof+7:], uint16(w))
	return data
}

// TestTurboJPEGMaxPixels: the limit is checked from the header, before tjDecompress2 runs.
func TestTurboJPEGMaxPixels(t *testing.T) {
	lib := requireTurbo(t)
	calls := 0
	counting := *lib
	counting.decompress2 = func(h uintptr, buf *byte, size uintptr, dst *byte, w, pitch, ht, pf, flags int32) int32 {
		calls++
		return lib.decompress2(h, buf, size, dst, w, pitch, ht, pf, flags)
	}
	decode := func(data []byte, opts Options) (*image.RGBA, turboResult, error) {
		return turboDecodeBytes(&counting, data, opts)
	}

	huge := jpegWithSize(t, 60000, 60000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, res, err := decode(huge, Options{})
	runtime.ReadMemStats(&after)
	ie := wantImageError(t, err, ErrTooLarge, "60000x60000 pixels is over the limit of 100 megapixels")
	if res != turboFailed || ie.Width != 60000 || ie.Height != 60000 || calls != 0 {
		t.Errorf("result %d, %dx%d, %d decompress calls", res, ie.Width, ie.Height, calls)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the image allocated %d bytes", n)
	}
	// Through Decode, the same error as Go's path.
	_, err = Decode(bytes.NewReader(huge), Options{})
	_, goErr := Decode(bytes.NewReader(huge), Options{goJPEG: true})
	if err == nil || goErr == nil || err.Error() != goErr.Error() {
		t.Errorf("error %v, Go path's %v", err, goErr)
	}

	small := readTestJPEG(t, "base420.jpg") // 33x19 = 627 pixels
	_, _, err = decode(small, Options{MaxPixels: 626})
	wantImageError(t, err, ErrTooLarge, "33x19 pixels is over the limit of 626 pixels")
	if calls != 0 {
		t.Errorf("%d decompress calls for refused images", calls)
	}
	for _, limit := range []int64{627, -1} {
		if _, res, err := decode(small, Options{MaxPixels: limit}); err != nil || res != turboDecoded {
			t.Errorf("MaxPixels %d: result %d, error %v", limit, res, err)
		}
	}
	if calls != 2 {
		t.Errorf("%d decompress calls for 2 accepted images", calls)
	}
}

// TestTurboJPEGOrientation: the EXIF Orientation of fixture 06 is applied after libjpeg-turbo.
func TestTurboJPEGOrientation(t *testing.T) {
	requireTurbo(t)
	m, err := Load(fixtureImage("06_exif_orientation6_320x200.jpg"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rect != image.Rect(0, 0, 200, 320) {
		t.Errorf("bounds %v, want 200x320 (rotated)", m.Rect)
	}
}

func TestJPEGDraft(t *testing.T) {
	for _, tc := range []struct{ w, h, min, d int }{
		{1280, 960, 0, 1}, {1280, 960, 224, 4}, {1280, 960, 448, 2}, {1280, 960, 120, 8},
		{1280, 960, 961, 1}, {300, 200, 224, 1}, {512, 512, 224, 2}, {449, 897, 224, 2}, {447, 900, 224, 2}, {445, 900, 224, 1},
	} {
		if d := jpegDraftDenominator(tc.w, tc.h, tc.min); d != tc.d {
			t.Errorf("%dx%d, shorter side at least %d: 1/%d, want 1/%d", tc.w, tc.h, tc.min, d, tc.d)
		}
	}
	path := fixtureImage("14_astronaut_512x512.jpg")
	full, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := Load(path, Options{JPEGDraftShortSide: 224})
	if err != nil {
		t.Fatal(err)
	}
	want := image.Rect(0, 0, 256, 256)
	if turboLibrary() == nil {
		want = full.Rect // Go's decoder has no DCT scaling: the option is ignored
	}
	if draft.Rect != want {
		t.Errorf("JPEGDraftShortSide 224 on 512x512: bounds %v, want %v", draft.Rect, want)
	}
	// Fixture 06 is stored 320x200 and rotated afterwards: 1/2 gives 100x160.
	if turboLibrary() != nil {
		m, err := Load(fixtureImage("06_exif_orientation6_320x200.jpg"), Options{JPEGDraftShortSide: 100})
		if err != nil {
			t.Fatal(err)
		}
		if m.Rect != image.Rect(0, 0, 100, 160) {
			t.Errorf("draft of fixture 06: bounds %v, want 100x160", m.Rect)
		}
	}
}
