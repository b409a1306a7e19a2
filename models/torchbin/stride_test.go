package torchbin

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// stridedCheckpoint builds a zip checkpoint whose tensors view storages with non-contiguous strides, offsets,
// zero strides and no elements; storage "3" is deflated (torch.save never compresses, zip allows it). With
// sparse, tensor "sparse" spans 3.2 MB of storage "4" for 4 elements.
func stridedCheckpoint(sparse bool) []byte {
	p := newPickle().op(opEmptyDict, opMark)
	entry := func(name, storageType, key string, numel, offset int, size, stride []int) {
		p.str(name).tensor(storageType, key, numel, offset, size, stride)
	}
	entry("transposed", "FloatStorage", "0", 12, 0, []int{4, 3}, []int{1, 4})
	entry("offset", "FloatStorage", "0", 12, 1, []int{2, 2}, []int{1, 3})
	entry("expanded", "FloatStorage", "0", 12, 0, []int{3, 4}, []int{0, 1})
	entry("scalar", "FloatStorage", "0", 12, 5, nil, nil)
	entry("empty", "FloatStorage", "0", 12, 0, []int{0, 3}, []int{3, 1})
	entry("unit_dims", "FloatStorage", "0", 12, 2, []int{1, 3, 1}, []int{99, 1, 7}) // contiguous despite odd strides
	entry("ids", "LongStorage", "1", 6, 0, []int{3, 2}, []int{1, 3})
	entry("half", "HalfStorage", "2", 6, 0, []int{3, 2}, []int{1, 3})
	entry("deflated", "FloatStorage", "3", 12, 0, []int{4, 3}, []int{1, 4})
	entry("deflated_flat", "FloatStorage", "3", 12, 2, []int{10}, []int{1})
	if sparse {
		entry("sparse", "FloatStorage", "4", 800_001, 0, []int{2, 2}, []int{400_000, 1})
	}
	p.op(opSetItems)
	half := make([]byte, 0, 12)
	for _, v := range []uint16{0x0000, 0x3c00, 0x4000, 0x4200, 0x4400, 0x0001} { // 0, 1, 2, 3, 4, 2^-24
		half = binary.LittleEndian.AppendUint16(half, v)
	}
	entries := []zipEntry{
		{name: "archive/data.pkl", data: p.stop()},
		{name: "archive/byteorder", data: []byte("little")},
		{name: "archive/data/0", data: f32Bytes(iota32(12)...)},
		{name: "archive/data/1", data: i64Bytes(10, 11, 12, 13, 14, 15)},
		{name: "archive/data/2", data: half},
		{name: "archive/data/3", data: f32Bytes(iota32(12)...), deflate: true},
	}
	if sparse {
		entries = append(entries, zipEntry{name: "archive/data/4", data: f32Bytes(iota32(800_001)...)})
	}
	return zipBytes(entries...)
}

// TestStrides checks that non-contiguous tensors are gathered in row-major order.
func TestStrides(t *testing.T) {
	f, err := Open(writeFile(t, stridedCheckpoint(true)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name  string
		shape []int
		want  []float32
	}{
		{"transposed", []int{4, 3}, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
		{"offset", []int{2, 2}, []float32{1, 4, 2, 5}},
		{"expanded", []int{3, 4}, []float32{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
		{"scalar", []int{}, []float32{5}},
		{"empty", []int{0, 3}, []float32{}},
		{"unit_dims", []int{1, 3, 1}, []float32{2, 3, 4}},
		{"half", []int{3, 2}, []float32{0, 3, 1, 4, 2, 1.0 / (1 << 24)}},
		{"deflated", []int{4, 3}, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
		{"deflated_flat", []int{10}, []float32{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"sparse", []int{2, 2}, []float32{0, 1, 400_000, 400_001}},
	} {
		if got := f.Shape(tc.name); !reflect.DeepEqual(got, tc.shape) {
			t.Errorf("%s: shape %v, want %v", tc.name, got, tc.shape)
		}
		got := make([]float32, len(tc.want))
		if err := f.ReadFloat32(tc.name, got); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	ids, shape, err := f.Int64("ids")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []int64{10, 13, 11, 14, 12, 15}) || !reflect.DeepEqual(shape, []int{3, 2}) {
		t.Errorf("ids = %v shape %v", ids, shape)
	}
	if f.DType("half") != "F16" || f.DType("ids") != "I64" || f.DType("sparse") != "F32" {
		t.Errorf("dtypes %s %s %s", f.DType("half"), f.DType("ids"), f.DType("sparse"))
	}
}

// TestExtentOutsideStorage checks that a tensor reaching past its storage is refused at Open, naming it.
func TestExtentOutsideStorage(t *testing.T) {
	for _, tc := range []struct {
		name           string
		numel, offset  int
		size, stride   []int
		storageEntries int
	}{
		{"too long", 12, 0, []int{13}, []int{1}, 12},
		{"offset past end", 12, 12, nil, nil, 12},
		{"stride past end", 12, 0, []int{2, 2}, []int{11, 1}, 12},
	} {
		pkl := newPickle().op(opEmptyDict).str("w").tensor("FloatStorage", "0", tc.numel, tc.offset, tc.size, tc.stride).op(opSetItem).stop()
		path := pickleZip(t, pkl, map[string][]byte{"0": f32Bytes(iota32(tc.storageEntries)...)})
		f, err := Open(path)
		if err == nil {
			f.Close()
			t.Errorf("%s: Open succeeded", tc.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "tensor w") || !strings.Contains(msg, "past the end") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// legacyFile builds a legacy-format (torch < 1.6) file: storage "100" of 10 floats 0..9 written with the given
// element count after the key list keys, tensor "view" through a storage view (view_metadata) of it, tensor
// "root" on the storage itself.
func legacyFile(littleEndian bool, count int64, keys ...string) []byte {
	var b []byte
	b = append(b, newPickle().op(opLong1, 10).b...)
	b = append(b, legacyMagic.le...)
	b = append(b, opStop)
	b = append(b, newPickle().int(legacyProtocolVersion).stop()...)
	sys := newPickle().op(opEmptyDict, opMark).str("protocol_version").int(legacyProtocolVersion).str("little_endian")
	if littleEndian {
		sys.op(opNewTrue)
	} else {
		sys.op(opNewFalse)
	}
	b = append(b, sys.op(opSetItems).stop()...)
	p := newPickle().global("collections", "OrderedDict").op(opEmptyTuple, opReduce, opMark)
	pid := func(view bool) {
		p.op(opMark).str("storage").global("torch", "FloatStorage").str("100").str("cpu").int(10)
		if view {
			p.op(opMark).str("101").int(2).int(5).op(opTuple)
		} else {
			p.op(opNone)
		}
		p.op(opTuple, opBinPersID)
	}
	p.str("view").global("torch._utils", "_rebuild_tensor_v2").op(opMark)
	pid(true)
	p.int(1).ints([]int{2, 2}).ints([]int{1, 2}).op(opNewFalse, opNone, opTuple, opReduce)
	p.str("root").global("torch._utils", "_rebuild_tensor_v2").op(opMark)
	pid(false)
	p.int(6).ints([]int{4}).ints([]int{1}).op(opNewFalse, opNone, opTuple, opReduce)
	b = append(b, p.op(opSetItems).stop()...)
	k := newPickle().op(opEmptyList, opMark)
	for _, key := range keys {
		k.str(key)
	}
	b = append(b, k.op(opAppends).stop()...)
	b = binary.LittleEndian.AppendUint64(b, uint64(count))
	return append(b, f32Bytes(iota32(10)...)...)
}

// TestLegacyViews builds a legacy-format file whose tensors use a storage view (view_metadata), and checks the
// legacy trailer checks.
func TestLegacyViews(t *testing.T) {
	f, err := Open(writeFile(t, legacyFile(true, 10, "100")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	view := make([]float32, 4)
	if err := f.ReadFloat32("view", view); err != nil {
		t.Fatal(err)
	}
	// The view starts at element 2 of the root storage; the tensor at offset 1 of the view: elements 3, 4, 5, 6
	// laid out with strides (1, 2).
	if !reflect.DeepEqual(view, []float32{3, 5, 4, 6}) {
		t.Errorf("view = %v", view)
	}
	root := make([]float32, 4)
	if err := f.ReadFloat32("root", root); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(root, []float32{6, 7, 8, 9}) {
		t.Errorf("root = %v", root)
	}

	for _, tc := range []struct {
		name string
		file []byte
		want []string
	}{
		{"big-endian", legacyFile(false, 10, "100"), []string{"big-endian"}},
		{"count mismatch", legacyFile(true, 9, "100"), []string{"storage 100", "9 elements", "declares 10"}},
		{"count past end", legacyFile(true, 11, "100"), []string{"truncated", "download again"}},
		{"unknown key", legacyFile(true, 10, "100", "7"), []string{"storage 7"}},
		{"missing key", legacyFile(true, 10), []string{"tensor root", "missing", "100"}},
		{"cut trailer", legacyFile(true, 10, "100")[:200], []string{"truncated", "download again"}},
	} {
		f, err := Open(writeFile(t, tc.file))
		if err == nil {
			f.Close()
			t.Errorf("%s: Open succeeded", tc.name)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: message %q does not mention %q", tc.name, err, want)
			}
		}
	}
}
