// Tests of the Pillow BICUBIC replica (Resample.c ImagingResample) in resize.go. The golden
// pixel_values tests in preprocess_test.go check it end to end on the 15 fixtures.

package clip

import (
	"image"
	"math/rand"
	"slices"
	"testing"
)

func TestResizeBicubicFilter(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, 1}, {0.25, 0.8671875}, {0.5, 0.5625}, {0.75, 0.2265625}, {1, 0},
		{1.25, -0.0703125}, {1.5, -0.0625}, {2, 0}, {-0.5, 0.5625}, {3, 0},
	} {
		if got := bicubicFilter(tc.x); got != tc.want {
			t.Errorf("bicubicFilter(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

// TestResizeHandComputed upsamples 2 pixels to 4, computed by hand from Resample.c:
// scale 0.5, support 2; output 0 has center 0.25, taps at inputs 0 and 1 with
// K(0.25) = 0.8671875 and K(1.25) = -0.0703125, normalised by their sum 0.796875 and rounded at
// 2^22: 2^22*111/102 = 4564389.65 -> 4564390 and -2^22*9/102 -> -370086. Output 1 has center
// 0.75: K(-0.25), K(0.75) / 1.09375 = 111/140, 29/140 -> 3325484 (3325483.89), 868820 (868820.11).
// Outputs 2 and 3 mirror them. For inputs (100, 200):
// (2^21 + 100*4564390 - 200*370086) >> 22 = 91, (2^21 + 100*3325484 + 200*868820) >> 22 = 121,
// then 179 and 209 (Pillow 9.4 gives the same). For (0, 255) the overshoot is clipped: 0, 53, 202, 255.
func TestResizeHandComputed(t *testing.T) {
	w := newAxisWeights(2, 4, 0, 4)
	wantK := [][]int32{{4564390, -370086}, {3325484, 868820}, {868820, 3325484}, {-370086, 4564390}}
	for i, want := range wantK {
		got := w.k[i*w.ksize : i*w.ksize+w.n[i]]
		if w.xmin[i] != 0 || !slices.Equal(got, want) {
			t.Errorf("output %d: xmin %d weights %v, want 0 %v", i, w.xmin[i], got, want)
		}
	}

	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(src.Pix, []uint8{100, 0, 255, 255, 200, 255, 0, 255})
	got := resizeBicubic(src, 4, 1)
	want := []uint8{
		91, 0, 255, 255,
		121, 53, 202, 255,
		179, 202, 53, 255,
		209, 255, 0, 255,
	}
	if !slices.Equal(got.Pix, want) {
		t.Errorf("resize 2x1 -> 4x1:\n got %v\nwant %v", got.Pix, want)
	}
}

// TestResizeTwoPass checks the separable passes with the 8-bit intermediate image against
// Pillow 9.4: Image.fromarray(red channel [[10,250,30],[200,0,90]]).resize((2,3), BICUBIC).
func TestResizeTwoPass(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i, v := range []uint8{10, 250, 30, 200, 0, 90} {
		src.Pix[4*i] = v
	}
	got := resizeBicubic(src, 2, 3)
	want := []uint8{101, 121, 115, 84, 128, 46}
	for i, v := range want {
		if got.Pix[4*i] != v {
			t.Fatalf("3x2 -> 2x3 red channel: got %v, want %v", redChannel(got), want)
		}
	}
}

func redChannel(m *image.RGBA) []uint8 {
	var r []uint8
	for i := 0; i < len(m.Pix); i += 4 {
		r = append(r, m.Pix[i])
	}
	return r
}

func randomRGBA(rng *rand.Rand, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.Intn(256))
	}
	return m
}

// TestResizeRegion checks that computing only a region gives the same pixels as resizing the
// whole image and cropping, including when one of the passes is skipped.
func TestResizeRegion(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range []struct{ w, h, ow, oh int }{
		{37, 23, 80, 50}, {200, 120, 61, 33}, {50, 50, 50, 13}, {50, 50, 13, 50}, {1, 9, 4, 30}, {300, 2, 7, 2},
	} {
		src := randomRGBA(rng, tc.w, tc.h)
		full := resizeBicubic(src, tc.ow, tc.oh)
		for _, r := range []image.Rectangle{
			image.Rect(0, 0, tc.ow, tc.oh),
			image.Rect(tc.ow/3, tc.oh/4, tc.ow-tc.ow/5, tc.oh-tc.oh/6),
			image.Rect(tc.ow-1, tc.oh-1, tc.ow, tc.oh),
		} {
			v := resizeBicubicRegion(viewOf(src), tc.ow, tc.oh, r)
			if v.w != r.Dx() || v.h != r.Dy() {
				t.Fatalf("%+v region %v: got %dx%d", tc, r, v.w, v.h)
			}
			for y := range v.h {
				for x := range v.w {
					g := v.pix[y*v.stride+4*x : y*v.stride+4*x+3]
					i := full.PixOffset(r.Min.X+x, r.Min.Y+y)
					if !slices.Equal(g, full.Pix[i:i+3]) {
						t.Fatalf("%+v region %v: pixel (%d,%d) = %v, full resize has %v", tc, r, x, y, g, full.Pix[i:i+3])
					}
				}
			}
		}
	}
}

func TestResizeSameSizeIsCopy(t *testing.T) {
	src := randomRGBA(rand.New(rand.NewSource(2)), 9, 7)
	got := resizeBicubic(src, 9, 7)
	for i := range got.Pix {
		if i%4 != 3 && got.Pix[i] != src.Pix[i] {
			t.Fatalf("same-size resize changed byte %d: %d -> %d", i, src.Pix[i], got.Pix[i])
		}
	}
}

// TestResizeSubImage checks that an image whose bounds do not start at (0,0) is read correctly.
func TestResizeSubImage(t *testing.T) {
	big := randomRGBA(rand.New(rand.NewSource(3)), 30, 20)
	sub := big.SubImage(image.Rect(5, 4, 25, 14)).(*image.RGBA)
	copied := image.NewRGBA(image.Rect(0, 0, 20, 10))
	for y := range 10 {
		copy(copied.Pix[y*copied.Stride:], big.Pix[big.PixOffset(5, 4+y):big.PixOffset(25, 4+y)])
	}
	a, b := resizeBicubic(sub, 13, 29), resizeBicubic(copied, 13, 29)
	if !slices.Equal(a.Pix, b.Pix) {
		t.Error("resizing a sub-image differs from resizing a copy of it")
	}
}

func BenchmarkResize(b *testing.B) {
	src := randomRGBA(rand.New(rand.NewSource(4)), 4032, 3024) // a phone photo
	b.ReportAllocs()
	for b.Loop() {
		resizeBicubicRegion(viewOf(src), 298, 224, image.Rect(37, 0, 261, 224))
	}
}
