// Tests of the Pillow BICUBIC replica (Resample.c ImagingResample) in resize.go. The golden
// pixel_values tests in preprocess_test.go check it end to end on the 15 fixtures.

package clip

import (
	"fmt"
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

// testKernels are the kernel sets this machine can run: the scalar ones and, when the CPU has
// them, the vector ones (which resampling then uses by default).
func testKernels() []*resampleKernels {
	ks := []*resampleKernels{&scalarKernels}
	if kernels.name != scalarKernels.name {
		ks = append(ks, &kernels)
	}
	return ks
}

// randomPixels fills m with random bytes, or (harsh) only 0 and 255 so that the passes overshoot
// and clip.
func randomPixels(rng *rand.Rand, w, h int, harsh bool) *image.RGBA {
	m := randomRGBA(rng, w, h)
	if harsh {
		for i := range m.Pix {
			m.Pix[i] = uint8(-int(m.Pix[i] & 1))
		}
	}
	return m
}

// TestResizeMatchesReference compares every kernel set, on random images, sizes and regions,
// with the direct transcription of Resample.c (resize_ref_test.go): identical RGB bytes.
func TestResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	type size struct{ w, h, ow, oh int }
	cases := []size{
		// photos' proportions at half size (1280x960 -> 298x224 and so on), upsampling, 20:1
		{640, 480, 149, 112}, {480, 640, 112, 149}, {640, 297, 240, 112}, {360, 250, 161, 112},
		{10, 12, 224, 268}, {100, 5, 2240, 112}, {256, 256, 112, 112}, {112, 112, 112, 112},
		{1, 9, 4, 30}, {300, 2, 7, 2}, {3, 3, 224, 224}, {7, 5, 3, 2}, {64, 64, 63, 65}, {5000, 9, 224, 1},
	}
	for range 40 {
		w, h := 1+rng.Intn(300), 1+rng.Intn(300)
		ow, oh := 1+rng.Intn(200), 1+rng.Intn(200)
		switch rng.Intn(4) {
		case 0:
			ow = w
		case 1:
			oh = h
		}
		cases = append(cases, size{w, h, ow, oh})
	}
	for _, k := range testKernels() {
		t.Logf("kernels: %s", k.name)
	}
	for i, tc := range cases {
		src := randomPixels(rng, tc.w+3, tc.h+2, i%3 == 0)
		// A sub-image, so that the stride is not 4*w and the origin not (0, 0).
		v := viewOf(src.SubImage(image.Rect(2, 1, 2+tc.w, 1+tc.h)).(*image.RGBA))
		regions := []image.Rectangle{image.Rect(0, 0, tc.ow, tc.oh)}
		for range 2 {
			x0, y0 := rng.Intn(tc.ow), rng.Intn(tc.oh)
			regions = append(regions, image.Rect(x0, y0, x0+1+rng.Intn(tc.ow-x0), y0+1+rng.Intn(tc.oh-y0)))
		}
		for _, r := range regions {
			want := refResizeBicubicRegion(v, tc.ow, tc.oh, r)
			for _, k := range testKernels() {
				got := resizeBicubicRegionWith(k, v, tc.ow, tc.oh, r)
				if got.w != want.w || got.h != want.h {
					t.Fatalf("%s %+v region %v: %dx%d, want %dx%d", k.name, tc, r, got.w, got.h, want.w, want.h)
				}
				for y := range want.h {
					g, w := got.row(y), want.row(y)
					if slices.Equal(g, w) { // alpha is 255 in both
						continue
					}
					for x := range want.w {
						if !slices.Equal(g[4*x:4*x+3], w[4*x:4*x+3]) {
							t.Fatalf("%s %+v region %v: pixel (%d,%d) = %v, reference %v",
								k.name, tc, r, x, y, g[4*x:4*x+3], w[4*x:4*x+3])
						}
					}
				}
			}
		}
	}
}

// TestResizeConcurrent resizes from several goroutines at once (as the sorter's workers do), with
// sizes shared between goroutines and not, so that the weights cache is read and filled
// concurrently (run with -race), and checks the results against one goroutine's.
func TestResizeConcurrent(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	type job struct {
		src    rgbView
		ow, oh int
		want   rgbView
	}
	var jobs []job
	for i := range 8 {
		w, h := 300+37*(i%3), 200+11*(i%2)
		src := viewOf(randomRGBA(rng, w, h))
		ow, oh := shortestEdgeSize(w, h, 64)
		jobs = append(jobs, job{src: src, ow: ow, oh: oh, want: refResizeBicubicRegion(src, ow, oh, image.Rect(0, 0, ow, oh))})
	}
	errs := make(chan string, 4*len(jobs))
	done := make(chan bool)
	for g := range 4 {
		go func() {
			for i := range jobs {
				j := jobs[(i+g)%len(jobs)]
				got := resizeBicubicRegion(j.src, j.ow, j.oh, image.Rect(0, 0, j.ow, j.oh))
				for y := range j.want.h {
					gotRow, wantRow := got.row(y), j.want.row(y)
					for x := 0; x < len(wantRow); x += 4 {
						if !slices.Equal(gotRow[x:x+3], wantRow[x:x+3]) {
							errs <- fmt.Sprintf("%dx%d -> %dx%d: pixel (%d,%d) differs", j.src.w, j.src.h, j.ow, j.oh, x/4, y)
							break
						}
					}
				}
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkResize(b *testing.B) {
	src := randomRGBA(rand.New(rand.NewSource(4)), 4032, 3024) // a phone photo
	b.ReportAllocs()
	for b.Loop() {
		resizeBicubicRegion(viewOf(src), 298, 224, image.Rect(37, 0, 261, 224))
	}
}
