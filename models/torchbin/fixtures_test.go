package torchbin

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestMatchesSafetensors checks that the zip and the legacy .bin of clip-tiny hold exactly the tensors of
// clip-tiny/model.safetensors: same names, shapes, dtypes and bits.
func TestMatchesSafetensors(t *testing.T) {
	want := readSafetensorsForTest(t, filepath.Join(fixtures, "clip-tiny", "model.safetensors"))
	for _, file := range []string{
		filepath.Join(fixtures, "clip-tiny-bin", "pytorch_model.bin"),
		filepath.Join(fixtures, "pickles", "legacy_format.bin"),
	} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.Names(); !reflect.DeepEqual(got, sortedKeys(want)) {
				t.Fatalf("names differ:\n got %v\nwant %v", got, sortedKeys(want))
			}
			for _, name := range f.Names() {
				w := want[name]
				if got := f.Shape(name); !reflect.DeepEqual(got, append([]int{}, w.Shape...)) {
					t.Errorf("%s: shape %v, want %v", name, got, w.Shape)
				}
				if got := f.DType(name); got != w.DType {
					t.Errorf("%s: dtype %s, want %s", name, got, w.DType)
					continue
				}
				switch w.DType {
				case "F32":
					got := make([]float32, len(w.Data)/4)
					if err := f.ReadFloat32(name, got); err != nil {
						t.Fatal(err)
					}
					for i, v := range got {
						if math.Float32bits(v) != binary.LittleEndian.Uint32(w.Data[4*i:]) {
							t.Fatalf("%s[%d] = %v, want bits %08x", name, i, v, binary.LittleEndian.Uint32(w.Data[4*i:]))
						}
					}
				case "I64":
					got, shape, err := f.Int64(name)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(shape, w.Shape) {
						t.Errorf("%s: Int64 shape %v, want %v", name, shape, w.Shape)
					}
					for i, v := range got {
						if uint64(v) != binary.LittleEndian.Uint64(w.Data[8*i:]) {
							t.Fatalf("%s[%d] = %d, want %d", name, i, v, binary.LittleEndian.Uint64(w.Data[8*i:]))
						}
					}
				default:
					t.Fatalf("%s: unexpected dtype %s in the fixture", name, w.DType)
				}
			}
			if f.Shape("no.such.tensor") != nil || f.DType("no.such.tensor") != "" {
				t.Error("an absent tensor has a shape or dtype")
			}
			if err := f.ReadFloat32("text_model.embeddings.position_ids", make([]float32, 77)); err == nil {
				t.Error("ReadFloat32 of an I64 tensor succeeded")
			}
			if _, _, err := f.Int64("logit_scale"); err == nil {
				t.Error("Int64 of an F32 tensor succeeded")
			}
			if err := f.ReadFloat32("logit_scale", make([]float32, 2)); err == nil {
				t.Error("ReadFloat32 with a buffer of the wrong length succeeded")
			}
		})
	}
}

// TestFloat16 checks float16.bin: F16 tensors whose values are the float16 rounding of clip-tiny's.
func TestFloat16(t *testing.T) {
	want := readSafetensorsForTest(t, filepath.Join(fixtures, "clip-tiny", "model.safetensors"))
	f, err := Open(filepath.Join(fixtures, "pickles", "float16.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !reflect.DeepEqual(f.Names(), sortedKeys(want)) {
		t.Fatalf("names differ: %v", f.Names())
	}
	floats := 0
	for _, name := range f.Names() {
		w := want[name]
		if w.DType != "F32" {
			continue
		}
		floats++
		if got := f.DType(name); got != "F16" {
			t.Fatalf("%s: dtype %s, want F16", name, got)
		}
		if got := f.Shape(name); !reflect.DeepEqual(got, append([]int{}, w.Shape...)) {
			t.Errorf("%s: shape %v, want %v", name, got, w.Shape)
		}
		got := make([]float32, len(w.Data)/4)
		if err := f.ReadFloat32(name, got); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			ref := roundToFloat16(math.Float32frombits(binary.LittleEndian.Uint32(w.Data[4*i:])))
			if math.Float32bits(v) != math.Float32bits(ref) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, v, ref)
			}
		}
	}
	if floats == 0 {
		t.Fatal("no float tensors compared")
	}
}

// roundToFloat16 rounds x to the nearest float16 value (ties to even), subnormals included, as torch's
// .half() does. (float16.FromFloat32 of gomlx/compute v0.1.6 flushes float16 subnormals to zero, so it cannot
// serve as the reference.)
func roundToFloat16(x float32) float32 {
	v := float64(x)
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return x
	}
	ulp := math.Ldexp(1, -24) // float16 subnormal spacing
	if math.Abs(v) >= math.Ldexp(1, -14) {
		_, exp := math.Frexp(v) // |v| = frac * 2^exp, frac in [0.5, 1): 11 significant bits
		ulp = math.Ldexp(1, exp-11)
	}
	r := math.RoundToEven(v/ulp) * ulp
	if math.Abs(r) > 65504 {
		return float32(math.Inf(int(math.Copysign(1, r))))
	}
	return float32(r)
}

// TestSmall checks small.bin's exact values: a 0-d logit_scale and a 16x4 matrix holding 0..63.
func TestSmall(t *testing.T) {
	f, err := Open(filepath.Join(fixtures, "pickles", "small.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); !reflect.DeepEqual(got, []string{"logit_scale", "visual_projection.weight"}) {
		t.Fatalf("names %v", got)
	}
	if s := f.Shape("logit_scale"); s == nil || len(s) != 0 {
		t.Errorf("logit_scale shape %#v, want []int{}", s)
	}
	scale := make([]float32, 1)
	if err := f.ReadFloat32("logit_scale", scale); err != nil {
		t.Fatal(err)
	}
	if scale[0] != 4.6052 {
		t.Errorf("logit_scale = %v, want 4.6052", scale[0])
	}
	if s := f.Shape("visual_projection.weight"); !reflect.DeepEqual(s, []int{16, 4}) {
		t.Errorf("shape %v", s)
	}
	w := make([]float32, 64)
	if err := f.ReadFloat32("visual_projection.weight", w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, iota32(64)) {
		t.Errorf("values %v", w)
	}
}

// TestEvilFixtures checks that the two malicious fixtures are refused with a ForbiddenGlobalError naming the
// global and that the file their payload would write does not appear.
func TestEvilFixtures(t *testing.T) {
	for _, tc := range []struct{ file, module, name string }{
		{"evil_os_system.bin", "posix", "system"},
		{"evil_eval.bin", "__builtin__", "eval"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(fixtures, "pickles", tc.file)
			target := payloadTarget(t, path)
			if _, err := os.Stat(target); err == nil {
				t.Skipf("%s exists before the test; cannot tell whether loading writes it", target)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			var fe *ForbiddenGlobalError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a ForbiddenGlobalError", err, err)
			}
			if fe.Module != tc.module || fe.Name != tc.name || fe.Path != path {
				t.Errorf("got %+v", fe)
			}
			msg := err.Error()
			for _, want := range []string{path, tc.module + "." + tc.name, "never needs", "nothing was run", "safetensors"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
			if a := fe.Advice(); !strings.Contains(a, "nothing from the file was run") || !strings.Contains(a, "model.safetensors") {
				t.Errorf("Advice() = %q, want it to say nothing was run and to use model.safetensors", a)
			}
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s exists after Open (stat error %v)", target, err)
			}
		})
	}
}

// payloadTarget finds the /tmp file the payload in data.pkl would write.
func payloadTarget(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, "/data.pkl") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		pkl, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile(`/tmp/[A-Za-z0-9._-]+`).Find(pkl); m != nil {
			return string(m)
		}
	}
	t.Fatalf("no /tmp path in the pickle of %s", path)
	return ""
}

// TestBrokenFixtures checks the truncated and inconsistent fixtures: clear errors naming the file and what is
// wrong.
func TestBrokenFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"truncated.bin", []string{"truncated", "delete it and download again"}},
		{"missing_storage.bin", []string{"visual_projection.weight", "small/data/1", "missing"}},
		{"short_storage.bin", []string{"visual_projection.weight", "small/data/1", "too short", "128 bytes", "256"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(fixtures, "pickles", tc.file)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			for _, want := range append(tc.want, path) {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
		})
	}
}
