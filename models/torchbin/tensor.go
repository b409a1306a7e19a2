// tensor.go describes tensors and their storages as torch.load would rebuild them, without reading any tensor
// data: dtypes, storages (one per persistent id key), views of storages, and tensors (offset, size, stride).
package torchbin

import (
	"archive/zip"
	"fmt"
	"math/bits"
)

// dtype is a storage element type.
type dtype uint8

const (
	dtF32 dtype = iota + 1
	dtF16
	dtBF16
	dtF64
	dtI64
	dtI32
	dtI16
	dtI8
	dtU8
	dtBool
	numDTypes
)

// dtypeInfo gives each dtype's name (safetensors style), its torch storage class and its element size.
var dtypeInfo = [numDTypes]struct {
	name, storage string
	size          int64
}{
	dtF32:  {"F32", "FloatStorage", 4},
	dtF16:  {"F16", "HalfStorage", 2},
	dtBF16: {"BF16", "BFloat16Storage", 2},
	dtF64:  {"F64", "DoubleStorage", 8},
	dtI64:  {"I64", "LongStorage", 8},
	dtI32:  {"I32", "IntStorage", 4},
	dtI16:  {"I16", "ShortStorage", 2},
	dtI8:   {"I8", "CharStorage", 1},
	dtU8:   {"U8", "ByteStorage", 1},
	dtBool: {"BOOL", "BoolStorage", 1},
}

func (d dtype) String() string      { return dtypeInfo[d].name }
func (d dtype) storageType() string { return dtypeInfo[d].storage }
func (d dtype) size() int64         { return dtypeInfo[d].size }

// Bounds on what a tensor may declare.
const (
	maxDims       = 64
	maxStorageLen = 1 << 56 // bytes; also bounds element counts and offsets
)

// storage is one storage of the checkpoint: a record of raw little-endian elements.
type storage struct {
	key   string
	dtype dtype
	numel int64 // elements, as the persistent id declares

	// Where the bytes are, set by the zip or legacy reader.
	found  bool
	record string    // the record's name, for messages
	off    int64     // absolute file offset of the bytes (uncompressed records)
	size   int64     // bytes in the record
	zf     *zip.File // the zip entry, when it is compressed (never by torch.save, but allowed by zip)
}

func (s *storage) compressed() bool { return s.zf != nil }

// storageRef is the value a persistent id produces: a storage, or (legacy format) a view of numel elements of
// it starting at element base.
type storageRef struct {
	st    *storage
	base  int64
	numel int64
}

// storageTable collects the storages the persistent ids declare, by key.
type storageTable struct {
	byKey map[string]*storage
}

func newStorageTable() *storageTable { return &storageTable{byKey: map[string]*storage{}} }

// get returns the storage for key, creating it on first use. A key declared again with another dtype or length
// is an error (torch.save never writes that).
func (s *storageTable) get(key string, dt dtype, numel int64) (*storage, error) {
	if st, ok := s.byKey[key]; ok {
		if st.dtype != dt || st.numel != numel {
			return nil, fmt.Errorf("storage %s is declared both as %d %s elements and as %d %s elements",
				displayName(key), st.numel, st.dtype, numel, dt)
		}
		return st, nil
	}
	st := &storage{key: key, dtype: dt, numel: numel}
	s.byKey[key] = st
	return st, nil
}

// asText accepts a str, or bytes as Python 2 wrote them (torch's _maybe_decode_ascii).
func asText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case pyBytes:
		return string(v), true
	}
	return "", false
}

// persistentID turns a persistent id into a storage reference. Zip format: ('storage', StorageType, key,
// location, numel). Legacy format: ('storage', StorageType, root_key, location, numel, view_metadata) with
// view_metadata None or (view_key, offset, view_size).
func (s *storageTable) persistentID(pid any, legacy bool) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) == 0 {
		return nil, fmt.Errorf("a persistent id is a %s, expected a ('storage', ...) tuple", typeName(pid))
	}
	typename, _ := asText(t[0])
	if legacy && typename == "module" {
		return nil, fmt.Errorf("the file pickles a whole torch.nn.Module (its classes), not a state dict of tensors")
	}
	if typename != "storage" {
		return nil, fmt.Errorf("unknown persistent id type %s (expected 'storage')", displayName(typename))
	}
	want := 5
	if legacy {
		want = 6
	}
	if len(t) != want {
		return nil, fmt.Errorf("a storage persistent id has %d fields, expected %d", len(t), want)
	}
	g, ok := t[1].(pyGlobal)
	if !ok || g.kind != globalStorageType {
		return nil, fmt.Errorf("a storage persistent id names a %s as storage type, expected a torch.*Storage class", typeName(t[1]))
	}
	key, ok := asText(t[2])
	if !ok {
		return nil, fmt.Errorf("a storage key is a %s, expected a str", typeName(t[2]))
	}
	if _, ok := asText(t[3]); !ok {
		return nil, fmt.Errorf("storage %s has a %s as location, expected a str such as 'cpu'", displayName(key), typeName(t[3]))
	}
	numel, ok := t[4].(int64)
	if !ok || numel < 0 || numel > maxStorageLen/g.dtype.size() {
		return nil, fmt.Errorf("storage %s has an invalid element count (%s)", displayName(key), describeInt(t[4]))
	}
	st, err := s.get(key, g.dtype, numel)
	if err != nil {
		return nil, err
	}
	ref := &storageRef{st: st, numel: numel}
	if legacy && t[5] != nil {
		view, ok := t[5].(pyTuple)
		if !ok || len(view) != 3 {
			return nil, fmt.Errorf("storage %s has view metadata of type %s, expected (view_key, offset, size)", displayName(key), typeName(t[5]))
		}
		off, ok1 := view[1].(int64)
		n, ok2 := view[2].(int64)
		if !ok1 || !ok2 || off < 0 || n < 0 || off > numel || n > numel-off {
			return nil, fmt.Errorf("storage %s has a view (%s, %s) outside its %d elements", displayName(key),
				describeInt(view[1]), describeInt(view[2]), numel)
		}
		ref.base, ref.numel = off, n
	}
	return ref, nil
}

// tensor is a rebuilt tensor: which elements of which storage, in which layout.
type tensor struct {
	st     *storage
	offset int64 // first element, counted from the start of st (legacy view base included)
	limit  int64 // the tensor may reach elements [.., limit) of st: the end of its storage or view
	shape  []int64
	stride []int64
	numel  int64
}

func newTensor(ref *storageRef, offset int64, size, stride []int64) (*tensor, error) {
	numel := int64(1)
	for _, d := range size {
		if d != 0 && numel > maxStorageLen/d {
			return nil, fmt.Errorf("size %v has more elements than any storage can hold", size)
		}
		numel *= d
	}
	if offset > maxStorageLen {
		return nil, fmt.Errorf("storage_offset %d is past the end of any storage", offset)
	}
	return &tensor{st: ref.st, offset: ref.base + offset, limit: ref.base + ref.numel,
		shape: size, stride: stride, numel: numel}, nil
}

// checkExtent verifies that every element the tensor reaches lies inside its storage (or storage view):
// offset + sum((size_i-1)*stride_i) < limit, or the tensor has no elements.
func (t *tensor) checkExtent() error {
	if t.numel == 0 {
		return nil
	}
	last, ok := t.lastElement()
	if !ok || last >= t.limit {
		return fmt.Errorf("its elements (offset %d, size %v, stride %v) reach past the end of its storage of %d elements",
			t.offset, t.shape, t.stride, t.limit)
	}
	return nil
}

// lastElement is the largest storage index the tensor reaches (numel > 0); ok is false on overflow.
func (t *tensor) lastElement() (int64, bool) {
	last := uint64(t.offset)
	for i, d := range t.shape {
		hi, lo := bits.Mul64(uint64(d-1), uint64(t.stride[i]))
		if hi != 0 || lo > maxStorageLen {
			return 0, false
		}
		last += lo
		if last > maxStorageLen {
			return 0, false
		}
	}
	return int64(last), true
}

// contiguous reports whether the elements are stored in row-major order without gaps (dimensions of size 1 may
// have any stride, as in torch's is_contiguous).
func (t *tensor) contiguous() bool {
	if t.numel == 0 {
		return true
	}
	want := int64(1)
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 1 {
			continue
		}
		if t.stride[i] != want {
			return false
		}
		want *= t.shape[i]
	}
	return true
}
