// Package weightstest writes small safetensors files for tests: hand-made tensors, or a fixture checkpoint's
// tensors after a test changed them (a missing key, a wrong shape), as ollama's converter tests do.
package weightstest

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/weights"
)

// Tensor is a tensor to write: raw little-endian bytes with the file's dtype name (F32, BF16, I64, ...) and shape.
type Tensor struct {
	DType string
	Shape []int
	Data  []byte
}

// WriteSafetensors writes tensors in safetensors layout; header, when non-nil, replaces the JSON header.
func WriteSafetensors(t testing.TB, path string, ts map[string]Tensor, header []byte) {
	t.Helper()
	names := make([]string, 0, len(ts))
	for name := range ts {
		names = append(names, name)
	}
	sort.Strings(names)
	h := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, name := range names {
		tt := ts[name]
		h[name] = map[string]any{"dtype": tt.DType, "shape": tt.Shape, "data_offsets": []int{len(data), len(data) + len(tt.Data)}}
		data = append(data, tt.Data...)
	}
	if header == nil {
		var err error
		if header, err = json.Marshal(h); err != nil {
			t.Fatal(err)
		}
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(append(out, header...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadSafetensors returns every tensor of a safetensors file as stored.
func ReadSafetensors(t testing.TB, path string) map[string]Tensor {
	t.Helper()
	st, err := weights.ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]Tensor{}
	for _, key := range st.Names() {
		dtype, shape, data, err := st.Raw(key)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = Tensor{DType: dtype, Shape: shape, Data: data}
	}
	return out
}

// F32Bytes is v as little-endian float32 bytes.
func F32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
