// safetensors.go reads the safetensors format (github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor data.
//
// go-huggingface has a safetensors package, but it trusts the header: offsets past the end of the file make it
// slice out of range (a panic, not an error), it returns tensors in their stored dtype (we need float32 for
// everything), and its errors do not name the checkpoint file. A checkpoint is untrusted input here, so this
// reader validates every header entry once at open time and then reads tensors straight into float32 buffers
// with ReadAt, which keeps peak memory at one copy of the weights.
package weights

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"unsafe"

	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// maxSafetensorsHeader bounds the JSON header; real CLIP headers are tens of kilobytes.
const maxSafetensorsHeader = 100 << 20

// safetensorsDTypeSize lists the dtypes the format defines and their element sizes in bytes.
var safetensorsDTypeSize = map[string]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// safetensorsTensor is one header entry.
type safetensorsTensor struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// numElements is the product of the shape (1 for a 0-d tensor such as logit_scale).
func (t *safetensorsTensor) numElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// SafetensorsFile is an open, validated safetensors file.
type SafetensorsFile struct {
	path      string
	file      *os.File
	dataStart int64 // absolute offset of the data section
	tensors   map[string]*safetensorsTensor
}

// ReadSafetensors opens path and validates its header: known dtypes, non-negative shapes, offsets inside the
// file and consistent with shape and dtype. The file stays open until Close.
func ReadSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening weights: %w", err)
	}
	st, err := parseSafetensors(f, path)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return st, nil
}

func parseSafetensors(f *os.File, path string) (*SafetensorsFile, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	size := info.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%s is not a safetensors file: only %d bytes long", path, size)
	}
	headerLen := binary.LittleEndian.Uint64(lenBuf[:])
	if headerLen > maxSafetensorsHeader || int64(headerLen) > size-8 {
		return nil, fmt.Errorf("%s is not a valid safetensors file: header length %d does not fit in a %d-byte file (truncated download?)",
			path, headerLen, size)
	}
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, fmt.Errorf("reading header of %s: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("%s is not a valid safetensors file: header is not JSON: %w", path, err)
	}
	st := &SafetensorsFile{path: path, file: f, dataStart: 8 + int64(headerLen), tensors: make(map[string]*safetensorsTensor, len(raw))}
	dataLen := size - st.dataStart
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		t := &safetensorsTensor{}
		if err := json.Unmarshal(msg, t); err != nil {
			return nil, fmt.Errorf("%s: bad header entry for %q: %w", path, name, err)
		}
		elemSize, ok := safetensorsDTypeSize[t.DType]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q has unknown dtype %q", path, name, t.DType)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("%s: tensor %q has a negative dimension in shape %v", path, name, t.Shape)
			}
		}
		begin, end := t.DataOffsets[0], t.DataOffsets[1]
		if begin < 0 || end < begin || end > dataLen {
			return nil, fmt.Errorf("%s: tensor %q has data offsets [%d, %d] outside the %d bytes of data (truncated or corrupt file; delete it and download again)",
				path, name, begin, end, dataLen)
		}
		if want := t.numElements() * elemSize; end-begin != want {
			return nil, fmt.Errorf("%s: tensor %q (%s %v) should take %d bytes but its offsets span %d",
				path, name, t.DType, t.Shape, want, end-begin)
		}
		st.tensors[name] = t
	}
	return st, nil
}

// Close releases the file.
func (st *SafetensorsFile) Close() error { return st.file.Close() }

// Names returns the tensor names in sorted order.
func (st *SafetensorsFile) Names() []string {
	names := make([]string, 0, len(st.tensors))
	for name := range st.tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Shape is the shape of tensor name, nil if the file has no such tensor.
func (st *SafetensorsFile) Shape(name string) []int {
	if t, ok := st.tensors[name]; ok {
		return append([]int{}, t.Shape...)
	}
	return nil
}

// ReadFloat32 reads tensor name into dst (len must equal its element count), widening F16 and BF16 exactly and
// narrowing F64. Integer tensors are an error: no CLIP weight is an integer.
func (st *SafetensorsFile) ReadFloat32(name string, dst []float32) error {
	t, ok := st.tensors[name]
	if !ok {
		return fmt.Errorf("%s has no tensor %q", st.path, name)
	}
	if int64(len(dst)) != t.numElements() {
		return fmt.Errorf("%s: tensor %q has %d elements, buffer has %d", st.path, name, t.numElements(), len(dst))
	}
	n := t.DataOffsets[1] - t.DataOffsets[0]
	offset := st.dataStart + t.DataOffsets[0]
	switch t.DType {
	case "F32":
		// Read straight into dst's memory: safetensors data is little-endian, as are all platforms Go's
		// compute backends run on (amd64, arm64).
		buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), n)
		return st.readAt(name, buf, offset)
	case "F16", "BF16", "F64":
		buf := make([]byte, n)
		if err := st.readAt(name, buf, offset); err != nil {
			return err
		}
		switch t.DType {
		case "F16":
			for i := range dst {
				dst[i] = float16.FromBits(binary.LittleEndian.Uint16(buf[2*i:])).Float32()
			}
		case "BF16":
			for i := range dst {
				dst[i] = bfloat16.FromBits(binary.LittleEndian.Uint16(buf[2*i:])).Float32()
			}
		case "F64":
			for i := range dst {
				dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:])))
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: tensor %q has dtype %s, expected a float type (F32, F16, BF16)", st.path, name, t.DType)
	}
}

// Float32 reads a float tensor into a new slice and returns it with its shape.
func (st *SafetensorsFile) Float32(name string) ([]float32, []int, error) {
	t, ok := st.tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s has no tensor %q", st.path, name)
	}
	data := make([]float32, t.numElements())
	if err := st.ReadFloat32(name, data); err != nil {
		return nil, nil, err
	}
	return data, append([]int(nil), t.Shape...), nil
}

// Int64 reads an integer tensor (I64 or I32) into a new slice and returns it with its shape.
func (st *SafetensorsFile) Int64(name string) ([]int64, []int, error) {
	t, ok := st.tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s has no tensor %q", st.path, name)
	}
	n := t.DataOffsets[1] - t.DataOffsets[0]
	buf := make([]byte, n)
	if err := st.readAt(name, buf, st.dataStart+t.DataOffsets[0]); err != nil {
		return nil, nil, err
	}
	data := make([]int64, t.numElements())
	switch t.DType {
	case "I64":
		for i := range data {
			data[i] = int64(binary.LittleEndian.Uint64(buf[8*i:]))
		}
	case "I32":
		for i := range data {
			data[i] = int64(int32(binary.LittleEndian.Uint32(buf[4*i:])))
		}
	default:
		return nil, nil, fmt.Errorf("%s: tensor %q has dtype %s, expected I64 or I32", st.path, name, t.DType)
	}
	return data, append([]int(nil), t.Shape...), nil
}

// Raw returns a tensor's dtype (as the file names it: F32, BF16, ...), shape and bytes as stored.
func (st *SafetensorsFile) Raw(name string) (dtype string, shape []int, data []byte, err error) {
	t, ok := st.tensors[name]
	if !ok {
		return "", nil, nil, fmt.Errorf("%s has no tensor %q", st.path, name)
	}
	data = make([]byte, t.DataOffsets[1]-t.DataOffsets[0])
	if err := st.readAt(name, data, st.dataStart+t.DataOffsets[0]); err != nil {
		return "", nil, nil, err
	}
	return t.DType, append([]int(nil), t.Shape...), data, nil
}

func (st *SafetensorsFile) readAt(name string, buf []byte, offset int64) error {
	if _, err := st.file.ReadAt(buf, offset); err != nil {
		return fmt.Errorf("reading tensor %q from %s: %w", name, st.path, err)
	}
	return nil
}
