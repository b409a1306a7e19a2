package torchbin

import (
	"encoding/binary"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// openErr opens a checkpoint whose data.pkl is pkl and returns the error, failing if Open succeeds.
func openErr(t *testing.T, pkl []byte) error {
	t.Helper()
	f, err := Open(pickleZip(t, pkl, nil))
	if err == nil {
		f.Close()
		t.Fatal("Open succeeded")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("message has several lines: %q", err)
	}
	return err
}

// TestForbiddenGlobals checks that every global outside the allow-list is refused with a ForbiddenGlobalError,
// whether named by GLOBAL (protocol 2) or STACK_GLOBAL (protocol 4).
func TestForbiddenGlobals(t *testing.T) {
	globals := [][2]string{
		{"builtins", "eval"},
		{"builtins", "getattr"},
		{"builtins", "exec"},
		{"os", "system"},
		{"posix", "system"},
		{"subprocess", "Popen"},
		{"torch", "load"},
		{"torch._utils", "_rebuild_tensor"},
		{"torch", "UntypedStorage"},
		{"collections", "defaultdict"},
		{"builtins", "dict"},
		{"builtins", "list"},
		{"copy_reg", "_reconstructor"},
		{"copyreg", "_reconstructor"},
		{"__builtin__", "object"},
		{"array", "_array_reconstructor"},
		{"torch._utils ", "_rebuild_tensor_v2"}, // near misses are not the allowed global
		{"collections", "OrderedDict\x00"},
	}
	for _, g := range globals {
		for _, stack := range []bool{false, true} {
			p := newPickle().op(opEmptyDict).str("x")
			if stack {
				p = (&pw{}).op(opProto, 4, opEmptyDict).str("x").stackGlobal(g[0], g[1])
			} else {
				p.global(g[0], g[1])
			}
			pkl := p.str("echo pwned > /tmp/torchbin-test-pwned").op(opTuple1, opReduce, opSetItem).stop()
			err := openErr(t, pkl)
			var fe *ForbiddenGlobalError
			if !errors.As(err, &fe) {
				t.Errorf("%s.%s (stack %v): error %v is not a ForbiddenGlobalError", g[0], g[1], stack, err)
				continue
			}
			if fe.Module != g[0] || fe.Name != g[1] {
				t.Errorf("%s.%s: error names %s.%s", g[0], g[1], fe.Module, fe.Name)
			}
			if !strings.Contains(err.Error(), "never needs") || !strings.Contains(err.Error(), "safetensors") {
				t.Errorf("message %q", err)
			}
		}
	}
}

// TestRefusedOpcodes checks that opcodes building arbitrary objects or using extension registries are refused
// by name.
func TestRefusedOpcodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkl  []byte
	}{
		{"INST", append(newPickle().op(opMark, 'i').b, "os\nsystem\n."...)},
		{"OBJ", newPickle().op(opMark).global("collections", "OrderedDict").op('o').stop()},
		{"NEWOBJ", newPickle().global("collections", "OrderedDict").op(opEmptyTuple, 0x81).stop()},
		{"NEWOBJ_EX", newPickle().global("collections", "OrderedDict").op(opEmptyTuple, opEmptyDict, 0x92).stop()},
		{"EXT1", newPickle().op(0x82, 1, opEmptyTuple, opReduce).stop()},
		{"EXT2", newPickle().op(0x83, 1, 0).stop()},
		{"EXT4", newPickle().op(0x84, 1, 0, 0, 0).stop()},
		{"PERSID", append(newPickle().op('P').b, "0\n."...)},
		{"INT", append(newPickle().op('I').b, "1\n."...)},
		{"STRING", append(newPickle().op('S').b, "'a'\n."...)},
		{"EMPTY_SET", newPickle().op(0x8f).stop()},
	} {
		err := openErr(t, tc.pkl)
		if !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), "byte ") {
			t.Errorf("%s: message %q does not name the opcode and its offset", tc.name, err)
		}
	}
	err := openErr(t, newPickle().op(0xfe).stop())
	if !strings.Contains(err.Error(), "unknown opcode 0xfe") {
		t.Errorf("unknown opcode: %v", err)
	}
}

// TestMalformedPickles checks the machine's other refusals: REDUCE on anything but an allowed callable, lengths
// larger than the file, inconsistent stacks, and pickles that are not a state dict of tensors.
func TestMalformedPickles(t *testing.T) {
	tensor := func(p *pw) *pw { return p.tensor("FloatStorage", "0", 1, 0, nil, nil) }
	deep := newPickle()
	for range maxMarkDepth + 1 {
		deep.op(opMark)
	}
	for _, tc := range []struct {
		name string
		pkl  []byte
		want []string
	}{
		{"REDUCE on a str", newPickle().str("os.system").op(opEmptyTuple, opReduce).stop(), []string{"REDUCE", "str", "not a function"}},
		{"REDUCE on a tuple", newPickle().op(opEmptyTuple, opEmptyTuple, opReduce).stop(), []string{"REDUCE", "tuple"}},
		{"REDUCE on a storage type", newPickle().global("torch", "FloatStorage").op(opEmptyTuple, opReduce).stop(), []string{"FloatStorage", "storage type"}},
		{"REDUCE with a list as arguments", newPickle().global("collections", "OrderedDict").op(opEmptyList, opReduce).stop(), []string{"list", "tuple"}},
		{"OrderedDict with arguments", newPickle().global("collections", "OrderedDict").int(1).int(2).op(opTuple2, opReduce).stop(), []string{"OrderedDict", "no arguments"}},
		{"OrderedDict of an int", newPickle().global("collections", "OrderedDict").int(1).op(opTuple1, opReduce).stop(), []string{"OrderedDict", "list of pairs", "int"}},
		{"OrderedDict of triples", newPickle().global("collections", "OrderedDict").op(opMark, opMark, opNone, opNone, opNone, opList, opList, opTuple1, opReduce).stop(), []string{"OrderedDict", "pairs"}},
		{"rebuild_tensor_v2 on a str", newPickle().global("torch._utils", "_rebuild_tensor_v2").op(opMark).str("x").int(0).ints(nil).ints(nil).op(opNewFalse, opNone, opTuple, opReduce).stop(), []string{"expected a storage"}},
		{"BINBYTES8 2^62", newPickle().op(opBinBytes8).u64(1 << 62).stop(), []string{"BINBYTES8", "truncated"}},
		{"BINUNICODE8 2^62", newPickle().op(opBinUnicode8).u64(1 << 62).stop(), []string{"BINUNICODE8", "truncated"}},
		{"BINUNICODE 2^31", newPickle().op(opBinUnicode).u32(1 << 31).stop(), []string{"BINUNICODE", "truncated"}},
		{"BINBYTES 2^32-1", newPickle().op(opBinBytes).u32(1<<32 - 1).stop(), []string{"BINBYTES", "truncated"}},
		{"BINSTRING negative", newPickle().op(opBinString).u32(1 << 31).stop(), []string{"BINSTRING", "negative"}},
		{"LONG4 2^31", newPickle().op(opLong4).u32(1 << 31).stop(), []string{"LONG4"}},
		{"LONG4 2^31-1", newPickle().op(opLong4).u32(1<<31 - 1).stop(), []string{"LONG4", "larger than"}},
		{"FRAME 2^62", (&pw{}).op(opProto, 4, opFrame).u64(1 << 62).stop(), []string{"frame", "truncated"}},
		{"no STOP", newPickle().op(opNone).b, []string{"truncated", "STOP"}},
		{"cut argument", newPickle().op(opBinInt, 1).b, []string{"BININT", "truncated"}},
		{"cut GLOBAL", append(newPickle().op(opGlobal).b, "collections"...), []string{"GLOBAL", "truncated"}},
		{"long GLOBAL", append(newPickle().op(opGlobal).b, strings.Repeat("a", 5000)+"\nb\n."...), []string{"GLOBAL", "longer than"}},
		{"protocol 6", (&pw{}).op(opProto, 6, opNone).stop(), []string{"protocol 6"}},
		{"stack underflow", newPickle().op(opStop).b, []string{"underflow"}},
		{"pop below mark", newPickle().op(opNone, opMark, opTuple1).stop(), []string{"underflow"}},
		{"no mark", newPickle().op(opTuple).stop(), []string{"MARK"}},
		{"memo miss", newPickle().op(opBinGet, 7).stop(), []string{"memo slot 7"}},
		{"long memo miss", newPickle().op(opLongBinGet).u32(1 << 30).stop(), []string{"memo slot"}},
		{"deep marks", deep.stop(), []string{"MARK", "deeper"}},
		{"APPEND on a dict", newPickle().op(opEmptyDict, opNone, opAppend).stop(), []string{"APPEND", "dict"}},
		{"SETITEM on a list", newPickle().op(opEmptyList, opNone, opNone, opSetItem).stop(), []string{"SETITEM", "list"}},
		{"odd SETITEMS", newPickle().op(opEmptyDict, opMark, opNone, opSetItems).stop(), []string{"odd"}},
		{"list as dict key", newPickle().op(opEmptyDict, opEmptyList, opNone, opSetItem).stop(), []string{"list", "key"}},
		{"BUILD on a dict", newPickle().op(opEmptyDict, opEmptyDict, opBuild).stop(), []string{"BUILD", "dict"}},
		{"BUILD with a str", newPickle().global("collections", "OrderedDict").op(opEmptyTuple, opReduce).str("x").op(opBuild).stop(), []string{"BUILD", "str"}},
		{"STACK_GLOBAL of ints", newPickle().int(1).int(2).op(opStackGlobal).stop(), []string{"STACK_GLOBAL", "int"}},
		{"persistent id not a tuple", newPickle().str("0").op(opBinPersID).stop(), []string{"persistent id", "str"}},
		{"persistent id of a module", newPickle().op(opMark).str("module").op(opNone, opNone, opTuple, opBinPersID).stop(), []string{"persistent id", "module"}},
		{"persistent id without storage type", newPickle().op(opMark).str("storage").str("torch.FloatStorage").str("0").str("cpu").int(1).op(opTuple, opBinPersID).stop(), []string{"storage type", "str"}},
		{"negative numel", newPickle().op(opMark).str("storage").global("torch", "FloatStorage").str("0").str("cpu").op(opBinInt).u32(1<<32-1).op(opTuple, opBinPersID).stop(), []string{"element count", "-1"}},
		{"same key two dtypes", newPickle().op(opMark).str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(1).op(opTuple, opBinPersID).
			op(opMark).str("storage").global("torch", "HalfStorage").str("0").str("cpu").int(1).op(opTuple, opBinPersID).stop(), []string{"storage 0", "F32", "F16"}},
		{"negative stride", newPickle().op(opEmptyDict).str("w").global("torch._utils", "_rebuild_tensor_v2").op(opMark).
			op(opMark).str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(4).op(opTuple, opBinPersID).
			int(0).ints([]int{2}).op(opMark).op(opBinInt).u32(1<<32-1).op(opTuple, opNewFalse, opNone, opTuple, opReduce, opSetItem).stop(), []string{"stride[0]", "-1"}},
		{"top-level list", newPickle().op(opEmptyList).stop(), []string{"list", "not a state dict"}},
		{"top-level tensor", tensor(newPickle()).stop(), []string{"tensor", "not a state dict"}},
		{"int value", newPickle().op(opEmptyDict).str("a.weight").int(1).op(opSetItem).stop(), []string{"a.weight", "int", "not a tensor"}},
		{"str value", newPickle().op(opEmptyDict).str("a.weight").str("x").op(opSetItem).stop(), []string{"a.weight", "str", "not a tensor"}},
		{"nested state dict", newPickle().op(opEmptyDict).str("state_dict").op(opEmptyDict).str("w").apply(tensor).op(opSetItem, opSetItem).stop(), []string{"state_dict", "dict", "not a tensor"}},
		{"storage value", newPickle().op(opEmptyDict).str("s").op(opMark).str("storage").global("torch", "FloatStorage").str("0").str("cpu").int(1).op(opTuple, opBinPersID, opSetItem).stop(), []string{"entry s ", "storage", "not a tensor"}},
		{"int key", newPickle().op(opEmptyDict).int(1).apply(tensor).op(opSetItem).stop(), []string{"key", "int"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := openErr(t, tc.pkl)
			var fe *ForbiddenGlobalError
			if errors.As(err, &fe) {
				t.Fatalf("unexpected ForbiddenGlobalError %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not mention %q", err, want)
				}
			}
		})
	}
}

func (p *pw) apply(fn func(*pw) *pw) *pw { return fn(p) }

// TestHugeLengthsDoNotAllocate checks that lengths taken from the file are checked before anything is
// allocated: a few-byte pickle declaring a 2^62-byte string costs nothing.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	paths := []string{
		pickleZip(t, newPickle().op(opBinBytes8).u64(1<<62).stop(), nil),
		pickleZip(t, newPickle().op(opBinUnicode8).u64(1<<40).stop(), nil),
		pickleZip(t, newPickle().op(opLong4).u32(1<<31).stop(), nil),
		pickleZip(t, newPickle().op(opBinUnicode).u32(1<<31).stop(), nil),
		pickleZip(t, newPickle().op(opBinBytes).u32(1<<31).stop(), nil),
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, path := range paths {
		if f, err := Open(path); err == nil {
			f.Close()
			t.Fatalf("%s: Open succeeded", path)
		}
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("opening %d tiny files allocated %d bytes", len(paths), alloc)
	}
}

// TestProtocol4 checks the opcodes of newer pickle protocols (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE)
// together with the rest of the state dict vocabulary: parameters, OrderedDict state (_metadata), memo reuse,
// DICT, LIST/APPENDS, TUPLE2/3, POP, POP_MARK, DUP.
func TestProtocol4(t *testing.T) {
	short := func(p *pw, s string) *pw { p.op(opShortBinUni, byte(len(s))); p.b = append(p.b, s...); return p }
	p := &pw{}
	p.op(opProto, 4, opFrame).u64(0) // frame length patched below
	frameStart := len(p.b)
	short(p, "collections")
	short(p, "OrderedDict").op(opStackGlobal, opMemoize) // memo 0
	p.op(opEmptyTuple, opReduce, opMemoize)              // memo 1: the state dict
	p.op(opMark)
	// "w": _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict())
	short(p, "w")
	short(p, "torch._utils")
	short(p, "_rebuild_parameter").op(opStackGlobal)
	short(p, "torch._utils")
	short(p, "_rebuild_tensor_v2").op(opStackGlobal, opMemoize) // memo 2
	p.op(opMark, opMark)
	short(p, "storage")
	short(p, "torch")
	short(p, "FloatStorage").op(opStackGlobal)
	short(p, "0")
	short(p, "cpu").int(6).op(opTuple, opBinPersID)
	p.int(0).int(2).int(3).op(opTuple2).int(3).int(1).op(opTuple2, opNewFalse)
	p.op(opLongBinGet).u32(0).op(opEmptyTuple, opReduce) // OrderedDict() from the memo
	p.op(opNone)                                         // metadata (7th argument)
	p.op(opTuple, opReduce)
	p.op(opNewTrue).op(opBinGet, 0, opEmptyTuple, opReduce, opTuple3, opReduce)
	// "b": _rebuild_parameter_with_state(tensor, False, OrderedDict(), {})
	short(p, "b")
	p.global("torch._utils", "_rebuild_parameter_with_state").op(opMark)
	p.op(opBinGet, 2, opMark)
	p.op(opMark)
	short(p, "storage")
	p.global("torch", "FloatStorage")
	short(p, "1")
	short(p, "cpu").int(2).op(opTuple, opBinPersID)
	p.int(1).int(1).op(opTuple1).int(1).op(opTuple1, opNewFalse, opBinGet, 0, opEmptyTuple, opReduce, opTuple, opReduce)
	p.op(opNewFalse, opBinGet, 0, opEmptyTuple, opReduce, opEmptyDict, opTuple, opReduce)
	p.op(opSetItems)
	// Noise a state dict may carry in memo-shuffling: DUP/POP, POP_MARK, floats, LONG1, lists.
	p.op(opDup, opPop, opMark, opNone, opPopMark)
	p.op(opBinFloat, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, opPop)
	p.op(opLong1, 2, 0xff, 0x7f, opPop)
	p.op(opMark, opNone, opNewTrue, opList, opMark, opNone, opAppends, opNone, opAppend, opPop)
	// BUILD with the _metadata state torch.save writes for a module's state dict.
	p.op(opMark)
	short(p, "_metadata")
	p.op(opBinGet, 0, opEmptyTuple, opReduce, opMark)
	short(p, "")
	p.op(opMark)
	short(p, "version")
	p.int(1).op(opDict, opSetItems, opDict, opBuild)
	p.op(opStop)
	binary.LittleEndian.PutUint64(p.b[frameStart-8:], uint64(len(p.b)-frameStart))

	path := pickleZip(t, p.b, map[string][]byte{"0": f32Bytes(iota32(6)...), "1": f32Bytes(7, 8)})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Names(); !reflect.DeepEqual(got, []string{"b", "w"}) {
		t.Fatalf("names %v", got)
	}
	w := make([]float32, 6)
	if err := f.ReadFloat32("w", w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w, iota32(6)) || !reflect.DeepEqual(f.Shape("w"), []int{2, 3}) {
		t.Errorf("w = %v shape %v", w, f.Shape("w"))
	}
	b := make([]float32, 1)
	if err := f.ReadFloat32("b", b); err != nil {
		t.Fatal(err)
	}
	if b[0] != 8 {
		t.Errorf("b = %v", b)
	}
}

// TestPython2OrderedDict checks the state dict layout Python 2 pickled: OrderedDict([[key, tensor], ...]) with
// BINSTRING keys.
func TestPython2OrderedDict(t *testing.T) {
	p := newPickle().global("collections", "OrderedDict").op(opMark, opMark)
	p.op(opShortBinString, 1, 'w').tensor("FloatStorage", "0", 3, 0, []int{3}, []int{1})
	p.op(opList, opList, opTuple1, opReduce, opEmptyDict, opBuild)
	f, err := Open(pickleZip(t, p.stop(), map[string][]byte{"0": f32Bytes(1, 2, 3)}))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]float32, 3)
	if err := f.ReadFloat32("w", got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []float32{1, 2, 3}) {
		t.Errorf("w = %v", got)
	}
}

// TestArchiveChecks covers the zip-level refusals: TorchScript, big-endian, no data.pkl, not a checkpoint.
func TestArchiveChecks(t *testing.T) {
	small := newPickle().op(opEmptyDict).stop()
	for _, tc := range []struct {
		name string
		path string
		want []string
	}{
		{"torchscript", writeZip(t, zipEntry{name: "m/data.pkl", data: small}, zipEntry{name: "m/constants.pkl", data: small}), []string{"TorchScript"}},
		{"big-endian", writeZip(t, zipEntry{name: "m/data.pkl", data: small}, zipEntry{name: "m/byteorder", data: []byte("big")}), []string{"big-endian"}},
		{"no data.pkl", writeZip(t, zipEntry{name: "m/other.pkl", data: small}), []string{"data.pkl"}},
		{"two data.pkl", writeZip(t, zipEntry{name: "a/data.pkl", data: small}, zipEntry{name: "b/data.pkl", data: small}), []string{"2 data.pkl"}},
		{"empty file", writeFile(t, nil), []string{"empty", "download again"}},
		{"text file", writeFile(t, []byte("version https://git-lfs.github.com/spec/v1\n")), []string{"not a PyTorch checkpoint"}},
		{"pickle without magic", writeFile(t, newPickle().op(opEmptyDict).stop()), []string{"magic number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(tc.path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			for _, want := range append(tc.want, tc.path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not mention %q", err, want)
				}
			}
		})
	}
	// A little-endian byteorder record and a deflated data.pkl are fine.
	path := writeZip(t, zipEntry{name: "m/data.pkl", data: small, deflate: true}, zipEntry{name: "m/byteorder", data: []byte("little")})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Names()) != 0 {
		t.Errorf("names %v", f.Names())
	}
	f.Close()
}
