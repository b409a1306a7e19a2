package weights_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/bellingcat/smart-image-sorter/models/weights/weightstest"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

func TestSafetensorsDTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	want := []float32{1.5, -2.25, 0, 65504}
	var f16, bf16, f64 []byte
	for _, x := range want {
		f16 = binary.LittleEndian.AppendUint16(f16, float16.FromFloat32(x).Bits())
		bf16 = binary.LittleEndian.AppendUint16(bf16, bfloat16.FromFloat32(x).Bits())
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(float64(x)))
	}
	weightstest.WriteSafetensors(t, path, map[string]weightstest.Tensor{
		"f32":  {DType: "F32", Shape: []int{2, 2}, Data: weightstest.F32Bytes(want...)},
		"f16":  {DType: "F16", Shape: []int{4}, Data: f16},
		"bf16": {DType: "BF16", Shape: []int{4}, Data: bf16},
		"f64":  {DType: "F64", Shape: []int{4}, Data: f64},
		"i64":  {DType: "I64", Shape: []int{1, 2}, Data: binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 7), 9)},
	}, nil)
	st, err := weights.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"f32", "f16", "f64"} {
		got, _, err := st.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %g, want %g", name, i, got[i], want[i])
			}
		}
	}
	got, _, err := st.Float32("bf16")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > math.Abs(float64(want[i]))/128 {
			t.Errorf("bf16[%d] = %g, want about %g", i, got[i], want[i])
		}
	}
	if _, _, err := st.Float32("i64"); err == nil || !strings.Contains(err.Error(), `"i64"`) {
		t.Errorf("reading I64 as float: err = %v, want an error naming the tensor", err)
	}
	ints, shape, err := st.Int64("i64")
	if err != nil || ints[0] != 7 || ints[1] != 9 || len(shape) != 2 {
		t.Errorf("Int64 = %v %v %v", ints, shape, err)
	}
}

func TestSafetensorsMalformed(t *testing.T) {
	dir := t.TempDir()
	good := map[string]weightstest.Tensor{"w": {DType: "F32", Shape: []int{2}, Data: weightstest.F32Bytes(1, 2)}}
	cases := []struct {
		name  string
		write func(path string)
		want  string
	}{
		{"empty file", func(p string) { os.WriteFile(p, nil, 0o644) }, "only 0 bytes"},
		{"header length past end", func(p string) {
			os.WriteFile(p, binary.LittleEndian.AppendUint64(nil, 1<<40), 0o644)
		}, "header length"},
		{"header not JSON", func(p string) { weightstest.WriteSafetensors(t, p, good, []byte("{not json")) }, "not JSON"},
		{"offsets past end", func(p string) {
			weightstest.WriteSafetensors(t, p, good, []byte(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`))
		}, "outside"},
		{"unknown dtype", func(p string) {
			weightstest.WriteSafetensors(t, p, good, []byte(`{"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}`))
		}, `unknown dtype "F12"`},
		{"size mismatch", func(p string) {
			weightstest.WriteSafetensors(t, p, good, []byte(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`))
		}, "should take 12 bytes"},
		{"negative dim", func(p string) {
			weightstest.WriteSafetensors(t, p, good, []byte(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`))
		}, "negative dimension"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
			c.write(path)
			_, err := weights.ReadSafetensors(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}
