// Tests of the Pillow replica (Resample.c ImagingResample) in resize.go, with both filters. The golden
// pixel_values tests of models/clip (bicubic) and models/siglip (bicubic and bilinear) check it end to
// end on the 15 fixture images.

package resample

import (
	"fmt"
	"image"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func TestResizeFilters(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{0, 1}, {0.25, 0.8671875}, {0.5, 0.5625}, {0.75, 0.2265625}, {1, 0},
		{1.25, -0.0703125}, {1.5, -0.0625}, {2, 0}, {-0.5, 0.5625}, {3, 0},
	} {
		if got := bicubicFilter(tc.x); got != tc.want {
			t.Errorf("bicubicFilter(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	for _, tc := range []struct{ x, want float64 }{
		{0, 1}, {0.25, 0.75}, {0.5, 0.5}, {0.75, 0.25}, {1, 0}, {1.5, 0}, {-0.25, 0.75}, {-1, 0},
	} {
		if got := bilinearFilter(tc.x); got != tc.want {
			t.Errorf("bilinearFilter(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	for f, support := range map[Filter]float64{Bilinear: 1, Bicubic: 2} {
		if k := mustKernel(f); k.support != support || !f.Implemented() {
			t.Errorf("%s: support %v, want %v", f, k.support, support)
		}
	}
	for _, f := range []Filter{Nearest, Lanczos, Box, Hamming, 9} {
		if f.Implemented() {
			t.Errorf("%s is reported implemented", f)
		}
	}
	if Bilinear.String() != "bilinear" || Filter(9).String() != "unknown filter 9" {
		t.Errorf("names: %q, %q", Bilinear, Filter(9))
	}
}

// TestResizeUnimplementedFilterPanics: callers check Implemented when reading a config, so a
// filter that slipped through is a programming error, not a silently different resize.
func TestResizeUnimplementedFilterPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "filter 1 (lanczos) is not implemented") {
			t.Errorf("recovered %v", r)
		}
	}()
	resize(image.NewRGBA(image.Rect(0, 0, 4, 4)), 2, 2, Lanczos)
}

// TestResizeHandComputed upsamples 2 pixels to 4 with BICUBIC, computed by hand from Resample.c:
// scale 0.5, support 2; output 0 has center 0.25, taps at inputs 0 and 1 with
// K(0.25) = 0.8671875 and K(1.25) = -0.0703125, normalised by their sum 0.796875 and rounded at
// 2^22: 2^22*111/102 = 4564389.65 -> 4564390 and -2^22*9/102 -> -370086. Output 1 has center
// 0.75: K(-0.25), K(0.75) / 1.09375 = 111/140, 29/140 -> 3325484 (3325483.89), 868820 (868820.11).
// Outputs 2 and 3 mirror them. For inputs (100, 200):
// (2^21 + 100*4564390 - 200*370086) >> 22 = 91, (2^21 + 100*3325484 + 200*868820) >> 22 = 121,
// then 179 and 209 (Pillow 9.4 gives the same). For (0, 255) the overshoot is clipped: 0, 53, 202, 255.
func TestResizeHandComputed(t *testing.T) {
	w := newAxisWeights(mustKernel(Bicubic), 2, 4, 0, 4)
	wantK := [][]int32{{4564390, -370086}, {3325484, 868820}, {868820, 3325484}, {-370086, 4564390}}
	for i, want := range wantK {
		got := w.k[i*w.ksize : i*w.ksize+w.n[i]]
		if w.xmin[i] != 0 || !slices.Equal(got, want) {
			t.Errorf("output %d: xmin %d weights %v, want 0 %v", i, w.xmin[i], got, want)
		}
	}

	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(src.Pix, []uint8{100, 0, 255, 255, 200, 255, 0, 255})
	got := resize(src, 4, 1, Bicubic)
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

// TestResizeHandComputedBilinear upsamples 2 pixels to 4 and downsamples 5 to 2 with BILINEAR
// (support 1 x max(scale, 1)), computed by hand from Resample.c.
//
// 2 -> 4: scale 0.5. Output 0 has center 0.25, xmin = (int)(0.25 - 1 + 0.5) = 0, xmax =
// (int)(1.75) = 1: one tap, K(0.25) = 0.75, normalised to 1 (2^22). Output 1: center 0.75, taps 0
// and 1 with K(-0.25) = 0.75 and K(0.75) = 0.25 (sum 1): 3145728 and 1048576. Outputs 2 and 3
// mirror them. For (100, 200): 100, (2^21 + 100*3145728 + 200*1048576) >> 22 = 125 (125.5 floored),
// 175, 200.
//
// 5 -> 2: scale 2.5, support 2.5. Output 0: center 1.25, xmin = (int)(-0.75) = 0 (truncation toward
// zero, then the clamp), xmax = (int)(4.25) = 4; K((x - 0.75) / 2.5) for x = 0..3 = 0.7, 0.9, 0.5,
// 0.1 (sum 2.2) -> 7/22, 9/22, 5/22, 1/22 -> 1334551 (1334551.27), 1715852 (1715851.64), 953251
// (953250.91), 190650 (190650.18). Output 1: center 3.75, taps 1..4: 0.1, 0.5, 0.9, 0.7, the mirror.
// For (7, 200, 13, 90, 255): (2^21 + 7*1334551 + 200*1715852 + 13*953251 + 90*190650) >> 22 = 91
// (91.09 + 0.5 floored) and (2^21 + 200*190650 + 13*953251 + 90*1715852 + 255*1334551) >> 22 = 130
// (129.99998 + 0.5 floored; exactly 130 without the weights' rounding).
func TestResizeHandComputedBilinear(t *testing.T) {
	for _, tc := range []struct {
		in, out int
		xmin    []int
		k       [][]int32
		src     []uint8
		want    []uint8
	}{
		{2, 4, []int{0, 0, 0, 1}, [][]int32{{4194304}, {3145728, 1048576}, {1048576, 3145728}, {4194304}},
			[]uint8{100, 200}, []uint8{100, 125, 175, 200}},
		{5, 2, []int{0, 1}, [][]int32{{1334551, 1715852, 953251, 190650}, {190650, 953251, 1715852, 1334551}},
			[]uint8{7, 200, 13, 90, 255}, []uint8{91, 130}},
	} {
		w := newAxisWeights(mustKernel(Bilinear), tc.in, tc.out, 0, tc.out)
		for i, want := range tc.k {
			got := w.k[i*w.ksize : i*w.ksize+w.n[i]]
			if w.xmin[i] != tc.xmin[i] || !slices.Equal(got, want) {
				t.Errorf("%d -> %d, output %d: xmin %d weights %v, want %d %v", tc.in, tc.out, i, w.xmin[i], got, tc.xmin[i], want)
			}
		}
		src := image.NewRGBA(image.Rect(0, 0, tc.in, 1))
		for i, v := range tc.src {
			src.Pix[4*i] = v
		}
		if got := redChannel(resize(src, tc.out, 1, Bilinear)); !slices.Equal(got, tc.want) {
			t.Errorf("%d -> %d: %v, want %v", tc.in, tc.out, got, tc.want)
		}
	}
}

// TestResizeTwoPass checks the separable passes with the 8-bit intermediate image against
// Pillow 9.4: Image.fromarray(red channel [[10,250,30],[200,0,90]]).resize((2,3), BICUBIC).
func TestResizeTwoPass(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i, v := range []uint8{10, 250, 30, 200, 0, 90} {
		src.Pix[4*i] = v
	}
	got := resize(src, 2, 3, Bicubic)
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
		for _, f := range Filters {
			full := resize(src, tc.ow, tc.oh, f)
			for _, r := range []image.Rectangle{
				image.Rect(0, 0, tc.ow, tc.oh),
				image.Rect(tc.ow/3, tc.oh/4, tc.ow-tc.ow/5, tc.oh-tc.oh/6),
				image.Rect(tc.ow-1, tc.oh-1, tc.ow, tc.oh),
			} {
				rows := 0
				Region(src, tc.ow, tc.oh, r, f, func(y int, row []uint8) {
					rows++
					if len(row) != 4*r.Dx() {
						t.Fatalf("%s %+v region %v: row %d has %d bytes, want %d", f, tc, r, y, len(row), 4*r.Dx())
					}
					for x := range r.Dx() {
						g := row[4*x : 4*x+3]
						i := full.PixOffset(r.Min.X+x, r.Min.Y+y)
						if !slices.Equal(g, full.Pix[i:i+3]) {
							t.Fatalf("%s %+v region %v: pixel (%d,%d) = %v, full resize has %v", f, tc, r, x, y, g, full.Pix[i:i+3])
						}
					}
				})
				if rows != r.Dy() {
					t.Fatalf("%s %+v region %v: %d rows emitted, want %d", f, tc, r, rows, r.Dy())
				}
			}
		}
	}
}

func TestResizeSameSizeIsCopy(t *testing.T) {
	src := randomRGBA(rand.New(rand.NewSource(2)), 9, 7)
	for _, f := range Filters {
		got := resize(src, 9, 7, f)
		for i := range got.Pix {
			if i%4 != 3 && got.Pix[i] != src.Pix[i] {
				t.Fatalf("%s: same-size resize changed byte %d: %d -> %d", f, i, src.Pix[i], got.Pix[i])
			}
		}
	}
}

// TestResizeEmpty: nothing to read or nothing to write gives no rows and no panic.
func TestResizeEmpty(t *testing.T) {
	for _, tc := range []struct {
		src  *image.RGBA
		r    image.Rectangle
		w, h int
	}{
		{image.NewRGBA(image.Rectangle{}), image.Rect(0, 0, 4, 4), 4, 4},
		{randomRGBA(rand.New(rand.NewSource(9)), 5, 5), image.Rect(4, 4, 9, 9), 4, 4}, // outside the output
		{randomRGBA(rand.New(rand.NewSource(9)), 5, 5), image.Rect(1, 1, 1, 3), 4, 4}, // no columns
	} {
		Region(tc.src, tc.w, tc.h, tc.r, Bicubic, func(y int, row []uint8) {
			t.Errorf("%v of a %v image: row %d emitted", tc.r, tc.src.Bounds(), y)
		})
	}
	if got := resize(image.NewRGBA(image.Rectangle{}), 3, 2, Bilinear); got.Bounds() != image.Rect(0, 0, 3, 2) {
		t.Errorf("empty image resized to %v", got.Bounds())
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
	for _, f := range Filters {
		a, b := resize(sub, 13, 29, f), resize(copied, 13, 29, f)
		if !slices.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: resizing a sub-image differs from resizing a copy of it", f)
		}
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

// TestResizeMatchesReference compares every kernel set with both filters, on random images, sizes
// and regions, with the direct transcription of Resample.c (resize_ref_test.go): identical RGB
// bytes.
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
			for _, f := range Filters {
				want := refResizeRegion(f, v, tc.ow, tc.oh, r)
				for _, k := range testKernels() {
					got := resizeRegionWith(k, f, v, tc.ow, tc.oh, r)
					if got.w != want.w || got.h != want.h {
						t.Fatalf("%s %s %+v region %v: %dx%d, want %dx%d", f, k.name, tc, r, got.w, got.h, want.w, want.h)
					}
					for y := range want.h {
						g, w := got.row(y), want.row(y)
						if slices.Equal(g, w) { // alpha is 255 in both
							continue
						}
						for x := range want.w {
							if !slices.Equal(g[4*x:4*x+3], w[4*x:4*x+3]) {
								t.Fatalf("%s %s %+v region %v: pixel (%d,%d) = %v, reference %v",
									f, k.name, tc, r, x, y, g[4*x:4*x+3], w[4*x:4*x+3])
							}
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
		f      Filter
		ow, oh int
		want   rgbView
	}
	var jobs []job
	for i := range 8 {
		w, h := 300+37*(i%3), 200+11*(i%2)
		src := viewOf(randomRGBA(rng, w, h))
		ow, oh := 64*w/h, 64 // short side to 64, as CLIP's preprocessing does
		f := Filters[i%len(Filters)]
		jobs = append(jobs, job{src: src, f: f, ow: ow, oh: oh, want: refResizeRegion(f, src, ow, oh, image.Rect(0, 0, ow, oh))})
	}
	errs := make(chan string, 4*len(jobs))
	done := make(chan bool)
	for g := range 4 {
		go func() {
			for i := range jobs {
				j := jobs[(i+g)%len(jobs)]
				got := resizeRegionWith(&kernels, j.f, j.src, j.ow, j.oh, image.Rect(0, 0, j.ow, j.oh))
			rows: // at most one error per job and goroutine, so that errs never fills up
				for y := range j.want.h {
					gotRow, wantRow := got.row(y), j.want.row(y)
					for x := 0; x < len(wantRow); x += 4 {
						if !slices.Equal(gotRow[x:x+3], wantRow[x:x+3]) {
							errs <- fmt.Sprintf("%s %dx%d -> %dx%d: pixel (%d,%d) differs", j.f, j.src.w, j.src.h, j.ow, j.oh, x/4, y)
							break rows
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

// BenchmarkResize resizes a phone photo as CLIP (short side to 224, centre 224x224 kept) and SigLIP
// (squashed to 224x224) preprocess it, with the kernels this CPU gets and with the scalar fallback.
func BenchmarkResize(b *testing.B) {
	src := viewOf(randomRGBA(rand.New(rand.NewSource(4)), 4032, 3024))
	for _, f := range Filters {
		for _, k := range testKernels() {
			b.Run(fmt.Sprintf("clip-crop/%s/%s", f, k.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					resampleRegionWith(k, f, src, 298, 224, image.Rect(37, 0, 261, 224), func(int, []uint8) {})
				}
			})
			b.Run(fmt.Sprintf("squash/%s/%s", f, k.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					resampleRegionWith(k, f, src, 224, 224, image.Rect(0, 0, 224, 224), func(int, []uint8) {})
				}
			})
		}
	}
}
