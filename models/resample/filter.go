// filter.go mirrors the filters of Pillow's src/libImaging/Resample.c (struct filter, bilinear_filter,
// bicubic_filter) and PIL.Image.Resampling's numbering, which preprocessor_config.json's "resample" key uses.

package resample

import "fmt"

// Filter is a resampling filter, numbered as PIL.Image.Resampling (and the "resample" key of Hugging
// Face's preprocessor_config.json). Only Bilinear and Bicubic are implemented (Filters).
type Filter int

// PIL's filter numbers.
const (
	Nearest  Filter = 0
	Lanczos  Filter = 1
	Bilinear Filter = 2
	Bicubic  Filter = 3
	Box      Filter = 4
	Hamming  Filter = 5
)

// Filters are the filters Region and Resize implement.
var Filters = []Filter{Bilinear, Bicubic}

var filterNames = map[Filter]string{
	Nearest: "nearest", Lanczos: "lanczos", Bilinear: "bilinear", Bicubic: "bicubic", Box: "box", Hamming: "hamming",
}

// String is PIL's name of the filter ("bicubic"), or "unknown filter N".
func (f Filter) String() string {
	if name, ok := filterNames[f]; ok {
		return name
	}
	return fmt.Sprintf("unknown filter %d", int(f))
}

// Implemented says whether Region and Resize can resample with f.
func (f Filter) Implemented() bool {
	_, ok := kernelOf(f)
	return ok
}

// kernel is Resample.c's struct filter: the weight function and its support in input pixels at scale 1.
type kernel struct {
	weight  func(x float64) float64
	support float64
}

func kernelOf(f Filter) (kernel, bool) {
	switch f {
	case Bilinear:
		return kernel{bilinearFilter, 1}, true
	case Bicubic:
		return kernel{bicubicFilter, 2}, true
	}
	return kernel{}, false
}

// bilinearFilter is Pillow's bilinear_filter: the triangle 1 - |x| on (-1, 1).
func bilinearFilter(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// bicubicFilter is Pillow's bicubic_filter: Keys cubic convolution with a = -0.5. The explicit
// float64 conversions keep Go from fusing multiply-adds, so every step rounds as in C.
func bicubicFilter(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		// ((a + 2.0) * x - (a + 3.0)) * x * x + 1
		t := float64((a+2)*x) - (a + 3)
		t = float64(t * x)
		return float64(t*x) + 1
	}
	if x < 2 {
		// (((x - 5) * x + 8) * x - 4) * a
		t := float64((x-5)*x) + 8
		t = float64(t*x) - 4
		return t * a
	}
	return 0
}
