package torchbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

const fixtures = "../../testdata/fixtures"

// safetensor is one tensor of a safetensors file: dtype, shape and raw little-endian bytes.
type safetensor struct {
	DType string
	Shape []int
	Data  []byte
}

// readSafetensorsForTest is a tiny safetensors reader: 8-byte header length, JSON header, data.
func readSafetensorsForTest(t *testing.T, path string) map[string]safetensor {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	data := raw[8+n:]
	out := map[string]safetensor{}
	for name, msg := range header {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatal(err)
		}
		out[name] = safetensor{DType: e.DType, Shape: e.Shape, Data: data[e.DataOffsets[0]:e.DataOffsets[1]]}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pw writes pickles opcode by opcode.
type pw struct{ b []byte }

func newPickle() *pw { return (&pw{}).op(opProto, 2) }

func (p *pw) op(ops ...byte) *pw { p.b = append(p.b, ops...); return p }

func (p *pw) u32(v uint32) *pw { p.b = binary.LittleEndian.AppendUint32(p.b, v); return p }

func (p *pw) u64(v uint64) *pw { p.b = binary.LittleEndian.AppendUint64(p.b, v); return p }

func (p *pw) global(module, name string) *pw {
	p.b = append(p.b, opGlobal)
	p.b = append(p.b, module+"\n"+name+"\n"...)
	return p
}

func (p *pw) stackGlobal(module, name string) *pw {
	return p.str(module).str(name).op(opStackGlobal)
}

// str writes a BINUNICODE.
func (p *pw) str(s string) *pw {
	p.op(opBinUnicode).u32(uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}

func (p *pw) int(n int) *pw {
	switch {
	case n >= 0 && n < 256:
		return p.op(opBinInt1, byte(n))
	case n >= 0 && n < 65536:
		p.op(opBinInt2)
		p.b = binary.LittleEndian.AppendUint16(p.b, uint16(n))
		return p
	default:
		return p.op(opBinInt).u32(uint32(int32(n)))
	}
}

func (p *pw) ints(v []int) *pw {
	p.op(opMark)
	for _, n := range v {
		p.int(n)
	}
	return p.op(opTuple)
}

// tensor writes _rebuild_tensor_v2(('storage', torch.<storageType>, key, 'cpu', numel), offset, size, stride,
// False, OrderedDict()) as torch.save does.
func (p *pw) tensor(storageType, key string, numel, offset int, size, stride []int) *pw {
	p.global("torch._utils", "_rebuild_tensor_v2").op(opMark)
	p.op(opMark).str("storage").global("torch", storageType).str(key).str("cpu").int(numel).op(opTuple, opBinPersID)
	p.int(offset).ints(size).ints(stride).op(opNewFalse)
	p.global("collections", "OrderedDict").op(opEmptyTuple, opReduce)
	return p.op(opTuple, opReduce)
}

func (p *pw) stop() []byte { return p.op(opStop).b }

// zipEntry is one record of a test checkpoint.
type zipEntry struct {
	name    string
	data    []byte
	deflate bool
}

// zipBytes builds a zip checkpoint in memory.
func zipBytes(entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Store
		if e.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			panic(err) // writing to memory cannot fail
		}
		if _, err := w.Write(e.data); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// writeZip writes a zip checkpoint into a temporary directory and returns its path.
func writeZip(t *testing.T, entries ...zipEntry) string {
	t.Helper()
	return writeFile(t, zipBytes(entries...))
}

// pickleZip wraps a data.pkl (and storages data/<key>) in a checkpoint zip.
func pickleZip(t *testing.T, pkl []byte, storages map[string][]byte) string {
	t.Helper()
	entries := []zipEntry{{name: "archive/data.pkl", data: pkl}}
	for _, key := range sortedKeys(storages) {
		entries = append(entries, zipEntry{name: "archive/data/" + key, data: storages[key]})
	}
	entries = append(entries, zipEntry{name: "archive/version", data: []byte("3\n")})
	return writeZip(t, entries...)
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pytorch_model.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func f32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func i64Bytes(v ...int64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func iota32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}
