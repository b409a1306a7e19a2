// compare.go compares outputs with the goldens within a stated tolerance and reports, on failure, the largest
// difference and where it is (the README's tolerances; the numbers the reports quote are logged either way).

package goldentest

import (
	"math"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// MaxDiff returns the largest |got - want|, or with relative the largest |got - want| / max(1, |want|) (the
// absolute difference where |want| <= 1), and where it is; a shape mismatch is an infinite difference at the
// first row that differs (col -1).
func MaxDiff(got, want [][]float32, relative bool) (diff float64, row, col int) {
	row, col = -1, -1
	if len(got) != len(want) {
		return math.Inf(1), min(len(got), len(want)), -1
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return math.Inf(1), i, -1
		}
		for j := range want[i] {
			d := math.Abs(float64(got[i][j]) - float64(want[i][j]))
			if relative {
				d /= math.Max(1, math.Abs(float64(want[i][j])))
			}
			if d > diff || math.IsNaN(d) {
				diff, row, col = d, i, j
			}
		}
	}
	return diff, row, col
}

// CheckClose fails the test if got and want differ by more than tol anywhere, and logs the largest difference
// either way.
func CheckClose(t testing.TB, what string, got, want [][]float32, tol float64) {
	t.Helper()
	checkClose(t, what, got, want, tol, false)
}

// CheckCloseRelative is CheckClose with differences relative to the golden value where its magnitude is above 1
// (for features, whose values are not bounded).
func CheckCloseRelative(t testing.TB, what string, got, want [][]float32, tol float64) {
	t.Helper()
	checkClose(t, what, got, want, tol, true)
}

func checkClose(t testing.TB, what string, got, want [][]float32, tol float64, relative bool) {
	t.Helper()
	diff, row, col := MaxDiff(got, want, relative)
	kind := "abs"
	if relative {
		kind = "rel"
	}
	if !(diff <= tol) {
		if col >= 0 {
			t.Errorf("%s: largest %s difference %.3g at [%d][%d] (got %g, want %g) exceeds %g", what, kind, diff, row, col, got[row][col], want[row][col], tol)
		} else {
			t.Errorf("%s: shape mismatch at row %d: got %d rows, want %d", what, row, len(got), len(want))
		}
		return
	}
	t.Logf("%s: max %s difference %.3g (tolerance %g)", what, kind, diff, tol)
}

// Argmax is the index of the largest value of row (the first, if several are equal): the top-1 label.
func Argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// PixelTolerance is the tolerance for the pixel_values of one image file: 1e-5 for lossless formats and for JPEG
// decoded by libjpeg-turbo (Pillow's own decoder, so the pixels are Pillow's exactly); otherwise golden.json's
// per-image value, or for goldens without one the README's rule (0.15 for the 4:2:0 JPEG 12_*, 0.05 for other
// JPEGs).
func (im Image) PixelTolerance() float64 {
	if im.Format != "JPEG" || imagefile.ExactJPEG() {
		return 1e-5
	}
	if im.PixelValuesAtol > 0 {
		return im.PixelValuesAtol
	}
	if strings.HasPrefix(im.File, "12_") {
		return 0.15
	}
	return 0.05
}

// LargestPixelDiff returns the largest |got - want| of two CHW images of side s and where it is.
func LargestPixelDiff(got, want []float32, s int) (d float64, c, y, x int) {
	for i := range want {
		if di := math.Abs(float64(got[i]) - float64(want[i])); di > d || math.IsNaN(di) {
			d = di
			c, y, x = i/(s*s), i/s%s, i%s
		}
	}
	return d, c, y, x
}

// CheckPixels compares one image's pixel_values (CHW, side s) with the golden ones within im.PixelTolerance(),
// logging the largest difference and where.
func CheckPixels(t testing.TB, im Image, got, want []float32, s int) {
	t.Helper()
	if len(got) != 3*s*s {
		t.Fatalf("%s: %d values, want %d", im.File, len(got), 3*s*s)
	}
	tol := im.PixelTolerance()
	d, c, y, x := LargestPixelDiff(got, want, s)
	t.Logf("%-34s max |diff| %.3g (tolerance %g) at channel %d, y %d, x %d", im.File, d, tol, c, y, x)
	if !(d <= tol) {
		i := c*s*s + y*s + x
		t.Errorf("%s: max |diff| %.4g > %g at channel %d, y %d, x %d (got %v, want %v)", im.File, d, tol, c, y, x, got[i], want[i])
	}
}
