// pickle.go is a small pickle machine that understands only what torch.save writes for a state dict.
//
// Why not github.com/nlpodyssey/gopickle (v0.3.0)? Three reasons, each enough on its own:
//   - It resolves collections.OrderedDict, builtins.list/dict, __builtin__.object, array._array_reconstructor
//     and copy_reg._reconstructor itself, before its FindClass hook is consulted, so a caller cannot refuse
//     those globals; a safe loader must decide about every global the file names.
//   - Its read(n) does make([]byte, n) with n taken from the file (BINBYTES8, LONG4, BINUNICODE8 lengths)
//     before reading, so a 20-byte file can demand an arbitrary allocation or make it panic.
//   - Its pytorch package reads every storage into memory at once, which needs twice the weights' memory at
//     load time; here storages stay on disk until a tensor is read into the caller's buffer.
//
// This machine interprets the protocol 2 opcodes torch.save emits plus their protocol 3-5 equivalents, checks
// every length against the bytes that remain before allocating anything, bounds the stack, the mark stack, the
// memo and the number of values, and never calls anything: GLOBAL/STACK_GLOBAL are looked up in a fixed
// allow-list (globals.go) and REDUCE only runs this package's own Go implementations of those few callables.
package torchbin

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Limits. A real state dict pickle is about 100 bytes and 30 values per tensor, far below all of these.
const (
	maxPickleBytes = 128 << 20 // one pickle (data.pkl, or the legacy pickles together)
	maxStringBytes = 16 << 20  // one str or bytes value
	maxLongBytes   = 64        // one LONG1/LONG4 integer (the legacy magic number needs 10)
	maxLineBytes   = 1024      // one GLOBAL module or name line
	maxStackDepth  = 1 << 20   // values on the stack
	maxMarkDepth   = 1 << 16   // nested MARKs
	maxMemoEntries = 1 << 20   // memo slots
	maxValues      = 1 << 23   // values pushed over the whole run
)

// Pickle opcodes this machine implements.
const (
	opProto          = 0x80
	opFrame          = 0x95
	opStop           = '.'
	opMark           = '('
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opNone           = 'N'
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinFloat       = 'G'
	opBinUnicode     = 'X'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinString      = 'T'
	opShortBinString = 'U'
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opBinBytes8      = 0x8e
	opEmptyTuple     = ')'
	opTuple          = 't'
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opEmptyList      = ']'
	opAppend         = 'a'
	opAppends        = 'e'
	opList           = 'l'
	opEmptyDict      = '}'
	opDict           = 'd'
	opSetItem        = 's'
	opSetItems       = 'u'
	opGlobal         = 'c'
	opStackGlobal    = 0x93
	opReduce         = 'R'
	opBuild          = 'b'
	opBinPersID      = 'Q'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opMemoize        = 0x94
	opBinGet         = 'h'
	opLongBinGet     = 'j'
)

// refusedOpcodes names the opcodes that exist in the pickle protocol but that a state dict never needs; they
// are refused with their name. Any other byte is an unknown opcode.
var refusedOpcodes = map[byte]string{
	'i':  "INST",
	'o':  "OBJ",
	0x81: "NEWOBJ",
	0x92: "NEWOBJ_EX",
	0x82: "EXT1",
	0x83: "EXT2",
	0x84: "EXT4",
	'P':  "PERSID",
	'I':  "INT",
	'L':  "LONG",
	'S':  "STRING",
	'V':  "UNICODE",
	'F':  "FLOAT",
	'p':  "PUT",
	'g':  "GET",
	0x8f: "EMPTY_SET",
	0x90: "ADDITEMS",
	0x91: "FROZENSET",
	0x96: "BYTEARRAY8",
	0x97: "NEXT_BUFFER",
	0x98: "READONLY_BUFFER",
}

// Values the machine builds. None is nil, Python bool/int/float/str are bool/int64/float64/string; the types
// below cover the rest. globals.go adds pyGlobal, tensor.go adds *storageRef and *tensor.
type (
	pyTuple []any
	pyBytes string // Python bytes (distinct from str)
	// pyLong is an integer that does not fit in an int64: its minimal little-endian two's complement bytes.
	pyLong struct{ le string }
	pyNone struct{} // None used as a dict key
	pyList struct{ items []any }
	pyDict struct {
		keys    []any
		vals    []any
		index   map[any]int
		ordered bool // made by collections.OrderedDict()
	}
)

// set stores key -> val, keeping Python's insertion order and overwrite semantics.
func (d *pyDict) set(key, val any) error {
	k, ok := hashKey(key)
	if !ok {
		return fmt.Errorf("a %s cannot be a dict key here", typeName(key))
	}
	if d.index == nil {
		d.index = make(map[any]int)
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = val
		return nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, val)
	return nil
}

// hashKey maps the hashable scalar values to comparable Go map keys; containers are refused (a state dict only
// uses str keys, its _metadata str keys too).
func hashKey(v any) (any, bool) {
	switch v := v.(type) {
	case nil:
		return pyNone{}, true
	case string, pyBytes, int64, bool, float64, pyLong:
		return v, true
	}
	return nil, false
}

// typeName is the Python-ish name of a value, for messages. It never looks inside containers.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, pyLong:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyBytes:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		if v.ordered {
			return "OrderedDict"
		}
		return "dict"
	case pyGlobal:
		return "reference to " + displayName(v.module+"."+v.name)
	case *storageRef:
		return "storage"
	case *tensor:
		return "tensor"
	}
	return fmt.Sprintf("%T", v)
}

// pickleInput is the byte stream of one or more consecutive pickles, read through a buffer. pos counts the bytes
// consumed; end is how many bytes exist, so every length the file declares is checked against end-pos before
// anything is allocated.
type pickleInput struct {
	r   *bufio.Reader
	pos int64
	end int64
}

// newPickleInput reads bytes [base, base+n) of ra.
func newPickleInput(ra io.ReaderAt, base, n int64) *pickleInput {
	return &pickleInput{r: bufio.NewReaderSize(io.NewSectionReader(ra, base, n), 64<<10), end: n}
}

func (in *pickleInput) remaining() int64 { return in.end - in.pos }

// machine runs one pickle. persistent, if set, turns a persistent id (BINPERSID) into a value.
type machine struct {
	in         *pickleInput
	path       string // the checkpoint, for ForbiddenGlobalError
	persistent func(pid any) (any, error)

	stack  []any
	marks  []int
	memo   map[uint32]any
	values int
	opPos  int64 // offset of the opcode being run
}

func newMachine(in *pickleInput, path string, persistent func(pid any) (any, error)) *machine {
	return &machine{in: in, path: path, persistent: persistent, memo: make(map[uint32]any)}
}

func (m *machine) fail(format string, args ...any) error {
	return &pickleError{pos: m.opPos, msg: fmt.Sprintf(format, args...)}
}

func (m *machine) truncated(what string) error {
	return &pickleError{pos: m.opPos, msg: "the pickle ends in the middle of " + what, truncated: true}
}

// readFull fills buf from the input; buf must be small (fixed-size arguments) or already checked against
// remaining().
func (m *machine) readFull(buf []byte, what string) error {
	if int64(len(buf)) > m.in.remaining() {
		return m.truncated(what)
	}
	n, err := io.ReadFull(m.in.r, buf)
	m.in.pos += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return m.truncated(what)
	}
	if err != nil {
		return m.fail("reading %s: %v", what, err)
	}
	return nil
}

// readBytes reads an n-byte string argument whose length came from the file. The length is checked against
// the bytes that remain and against maxStringBytes before the buffer is allocated.
func (m *machine) readBytes(n uint64, what string) ([]byte, error) {
	if n > uint64(m.in.remaining()) {
		return nil, &pickleError{pos: m.opPos, truncated: true,
			msg: fmt.Sprintf("%s declares %d bytes but only %d remain", what, n, m.in.remaining())}
	}
	if n > maxStringBytes {
		return nil, m.fail("%s of %d bytes is larger than anything a state dict holds", what, n)
	}
	buf := make([]byte, n)
	if err := m.readFull(buf, what); err != nil {
		return nil, err
	}
	return buf, nil
}

func (m *machine) readUint(size int, what string) (uint64, error) {
	var b [8]byte
	if err := m.readFull(b[:size], what); err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b[:])), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b[:])), nil
	default:
		return binary.LittleEndian.Uint64(b[:]), nil
	}
}

// readLine reads a GLOBAL argument: bytes up to a newline, at most maxLineBytes.
func (m *machine) readLine(what string) (string, error) {
	var line []byte
	for {
		if m.in.remaining() <= 0 {
			return "", m.truncated(what)
		}
		c, err := m.in.r.ReadByte()
		if err != nil {
			return "", m.truncated(what)
		}
		m.in.pos++
		if c == '\n' {
			return string(line), nil
		}
		if len(line) >= maxLineBytes {
			return "", m.fail("%s is longer than %d bytes", what, maxLineBytes)
		}
		line = append(line, c)
	}
}

// floor is the stack index of the innermost MARK: values below it belong to an enclosing frame.
func (m *machine) floor() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

func (m *machine) push(v any) error {
	if len(m.stack) >= maxStackDepth {
		return m.fail("the stack grows past %d values", maxStackDepth)
	}
	m.values++
	if m.values > maxValues {
		return m.fail("the pickle builds more than %d values", maxValues)
	}
	m.stack = append(m.stack, v)
	return nil
}

func (m *machine) pop() (any, error) {
	if len(m.stack) <= m.floor() {
		return nil, m.fail("stack underflow")
	}
	v := m.stack[len(m.stack)-1]
	m.stack[len(m.stack)-1] = nil
	m.stack = m.stack[:len(m.stack)-1]
	return v, nil
}

func (m *machine) top() (any, error) {
	if len(m.stack) <= m.floor() {
		return nil, m.fail("stack underflow")
	}
	return m.stack[len(m.stack)-1], nil
}

// popMark removes the innermost MARK and returns a copy of the values above it.
func (m *machine) popMark() ([]any, error) {
	if len(m.marks) == 0 {
		return nil, m.fail("no MARK to pop")
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := append([]any(nil), m.stack[k:]...)
	clear(m.stack[k:])
	m.stack = m.stack[:k]
	return items, nil
}

func (m *machine) memoPut(idx uint32) error {
	v, err := m.top()
	if err != nil {
		return err
	}
	if _, ok := m.memo[idx]; !ok && len(m.memo) >= maxMemoEntries {
		return m.fail("the memo grows past %d entries", maxMemoEntries)
	}
	m.memo[idx] = v
	return nil
}

func (m *machine) memoGet(idx uint32) error {
	v, ok := m.memo[idx]
	if !ok {
		return m.fail("memo slot %d is read before it is written", idx)
	}
	return m.push(v)
}

// decodeLong turns a LONG1/LONG4 little-endian two's complement argument into an int64 or, if it does not fit,
// a pyLong.
func decodeLong(b []byte) any {
	// Strip redundant sign-extension bytes.
	for len(b) > 1 {
		last, prev := b[len(b)-1], b[len(b)-2]
		if (last == 0 && prev&0x80 == 0) || (last == 0xff && prev&0x80 != 0) {
			b = b[:len(b)-1]
			continue
		}
		break
	}
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) > 8 {
		return pyLong{le: string(b)}
	}
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	if shift := uint(64 - 8*len(b)); shift > 0 {
		return int64(u<<shift) >> shift // sign-extend
	}
	return int64(u)
}

// run interprets one pickle up to its STOP opcode and returns the value it built.
func (m *machine) run() (any, error) {
	for {
		m.opPos = m.in.pos
		if m.in.remaining() <= 0 {
			return nil, &pickleError{pos: m.opPos, msg: "the pickle ends without its STOP opcode", truncated: true}
		}
		op, err := m.in.r.ReadByte()
		if err != nil {
			return nil, &pickleError{pos: m.opPos, msg: "the pickle ends without its STOP opcode", truncated: true}
		}
		m.in.pos++
		if op == opStop {
			v, err := m.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		}
		if err := m.step(op); err != nil {
			return nil, err
		}
	}
}

// step runs one opcode other than STOP.
func (m *machine) step(op byte) error {
	switch op {
	case opProto:
		v, err := m.readUint(1, "PROTO")
		if err != nil {
			return err
		}
		if v > 5 {
			return m.fail("unsupported pickle protocol %d", v)
		}
		return nil
	case opFrame:
		// Frames only tell a reader how much to buffer; the opcodes inside are read like any others.
		n, err := m.readUint(8, "FRAME")
		if err != nil {
			return err
		}
		if n > uint64(m.in.remaining()) {
			return &pickleError{pos: m.opPos, truncated: true,
				msg: fmt.Sprintf("a frame declares %d bytes but only %d remain", n, m.in.remaining())}
		}
		return nil
	case opMark:
		if len(m.marks) >= maxMarkDepth {
			return m.fail("MARKs nest deeper than %d", maxMarkDepth)
		}
		m.marks = append(m.marks, len(m.stack))
		return nil
	case opPop:
		if len(m.stack) > m.floor() {
			_, err := m.pop()
			return err
		}
		_, err := m.popMark()
		return err
	case opPopMark:
		_, err := m.popMark()
		return err
	case opDup:
		v, err := m.top()
		if err != nil {
			return err
		}
		return m.push(v)
	case opNone:
		return m.push(nil)
	case opNewTrue:
		return m.push(true)
	case opNewFalse:
		return m.push(false)
	case opBinInt:
		v, err := m.readUint(4, "BININT")
		if err != nil {
			return err
		}
		return m.push(int64(int32(uint32(v))))
	case opBinInt1:
		v, err := m.readUint(1, "BININT1")
		if err != nil {
			return err
		}
		return m.push(int64(v))
	case opBinInt2:
		v, err := m.readUint(2, "BININT2")
		if err != nil {
			return err
		}
		return m.push(int64(v))
	case opLong1, opLong4:
		size, name := 1, "LONG1"
		if op == opLong4 {
			size, name = 4, "LONG4"
		}
		n, err := m.readUint(size, name)
		if err != nil {
			return err
		}
		if op == opLong4 && int32(uint32(n)) < 0 {
			return m.fail("LONG4 has a negative length")
		}
		if n > maxLongBytes {
			return m.fail("%s integer of %d bytes is larger than anything a state dict holds", name, n)
		}
		b, err := m.readBytes(n, name)
		if err != nil {
			return err
		}
		return m.push(decodeLong(b))
	case opBinFloat:
		var b [8]byte
		if err := m.readFull(b[:], "BINFLOAT"); err != nil {
			return err
		}
		return m.push(math.Float64frombits(binary.BigEndian.Uint64(b[:])))
	case opBinUnicode, opShortBinUni, opBinUnicode8, opBinString, opShortBinString, opBinBytes, opShortBinBytes, opBinBytes8:
		return m.stringOp(op)
	case opEmptyTuple:
		return m.push(pyTuple{})
	case opTuple:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.push(pyTuple(items))
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(m.stack)-m.floor() < n {
			return m.fail("stack underflow")
		}
		items := append(pyTuple(nil), m.stack[len(m.stack)-n:]...)
		clear(m.stack[len(m.stack)-n:])
		m.stack = m.stack[:len(m.stack)-n]
		return m.push(items)
	case opEmptyList:
		return m.push(&pyList{})
	case opList:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.push(&pyList{items: items})
	case opAppend:
		v, err := m.pop()
		if err != nil {
			return err
		}
		return m.appendTo([]any{v})
	case opAppends:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.appendTo(items)
	case opEmptyDict:
		return m.push(&pyDict{})
	case opDict:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		d := &pyDict{}
		if err := m.setItems(d, items); err != nil {
			return err
		}
		return m.push(d)
	case opSetItem:
		v, err := m.pop()
		if err != nil {
			return err
		}
		k, err := m.pop()
		if err != nil {
			return err
		}
		return m.setItemsOnTop([]any{k, v})
	case opSetItems:
		items, err := m.popMark()
		if err != nil {
			return err
		}
		return m.setItemsOnTop(items)
	case opGlobal:
		module, err := m.readLine("GLOBAL module name")
		if err != nil {
			return err
		}
		name, err := m.readLine("GLOBAL attribute name")
		if err != nil {
			return err
		}
		return m.global(module, name)
	case opStackGlobal:
		name, err := m.pop()
		if err != nil {
			return err
		}
		module, err := m.pop()
		if err != nil {
			return err
		}
		ms, ok1 := module.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return m.fail("STACK_GLOBAL needs two str values, got %s and %s", typeName(module), typeName(name))
		}
		return m.global(ms, ns)
	case opReduce:
		args, err := m.pop()
		if err != nil {
			return err
		}
		fn, err := m.pop()
		if err != nil {
			return err
		}
		v, err := m.reduce(fn, args)
		if err != nil {
			return err
		}
		return m.push(v)
	case opBuild:
		state, err := m.pop()
		if err != nil {
			return err
		}
		obj, err := m.top()
		if err != nil {
			return err
		}
		return m.build(obj, state)
	case opBinPersID:
		pid, err := m.pop()
		if err != nil {
			return err
		}
		if m.persistent == nil {
			return m.fail("a persistent id (BINPERSID) appears where no storage can be referenced")
		}
		v, err := m.persistent(pid)
		if err != nil {
			if _, ok := err.(*ForbiddenGlobalError); ok {
				return err
			}
			return m.fail("%v", err)
		}
		return m.push(v)
	case opBinPut:
		idx, err := m.readUint(1, "BINPUT")
		if err != nil {
			return err
		}
		return m.memoPut(uint32(idx))
	case opLongBinPut:
		idx, err := m.readUint(4, "LONG_BINPUT")
		if err != nil {
			return err
		}
		return m.memoPut(uint32(idx))
	case opMemoize:
		return m.memoPut(uint32(len(m.memo)))
	case opBinGet:
		idx, err := m.readUint(1, "BINGET")
		if err != nil {
			return err
		}
		return m.memoGet(uint32(idx))
	case opLongBinGet:
		idx, err := m.readUint(4, "LONG_BINGET")
		if err != nil {
			return err
		}
		return m.memoGet(uint32(idx))
	}
	if name, ok := refusedOpcodes[op]; ok {
		return m.fail("opcode %s (0x%02x) is not allowed: a PyTorch state dict never uses it", name, op)
	}
	return m.fail("unknown opcode 0x%02x (not a pickle, or a corrupt one)", op)
}

// stringOp reads the str and bytes opcodes. BINSTRING and SHORT_BINSTRING (Python 2 str) become str, as
// torch.load's default encoding="utf-8" makes them.
func (m *machine) stringOp(op byte) error {
	var size int
	var name string
	switch op {
	case opShortBinUni:
		size, name = 1, "SHORT_BINUNICODE"
	case opBinUnicode:
		size, name = 4, "BINUNICODE"
	case opBinUnicode8:
		size, name = 8, "BINUNICODE8"
	case opShortBinString:
		size, name = 1, "SHORT_BINSTRING"
	case opBinString:
		size, name = 4, "BINSTRING"
	case opShortBinBytes:
		size, name = 1, "SHORT_BINBYTES"
	case opBinBytes:
		size, name = 4, "BINBYTES"
	default:
		size, name = 8, "BINBYTES8"
	}
	n, err := m.readUint(size, name)
	if err != nil {
		return err
	}
	if op == opBinString && int32(uint32(n)) < 0 {
		return m.fail("BINSTRING has a negative length")
	}
	b, err := m.readBytes(n, name)
	if err != nil {
		return err
	}
	switch op {
	case opShortBinBytes, opBinBytes, opBinBytes8:
		return m.push(pyBytes(b))
	}
	return m.push(string(b))
}

// appendTo implements APPEND/APPENDS: only on a list (anything else would call a method of an object).
func (m *machine) appendTo(items []any) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return m.fail("APPEND on a %s (only lists can be appended to)", typeName(t))
	}
	if len(l.items)+len(items) > maxValues {
		return m.fail("a list grows past %d items", maxValues)
	}
	l.items = append(l.items, items...)
	return nil
}

// setItemsOnTop implements SETITEM/SETITEMS: only on a dict.
func (m *machine) setItemsOnTop(items []any) error {
	t, err := m.top()
	if err != nil {
		return err
	}
	d, ok := t.(*pyDict)
	if !ok {
		return m.fail("SETITEM on a %s (only dicts can be assigned to)", typeName(t))
	}
	return m.setItems(d, items)
}

func (m *machine) setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return m.fail("odd number of values (%d) for dict key/value pairs", len(items))
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return m.fail("%v", err)
		}
	}
	return nil
}

// build implements BUILD, which sets an object's state. The only object a state dict gives state to is the
// OrderedDict itself (its _metadata attribute); that state is accepted and ignored.
func (m *machine) build(obj, state any) error {
	d, ok := obj.(*pyDict)
	if !ok || !d.ordered {
		return m.fail("BUILD on a %s (only an OrderedDict's state is accepted)", typeName(obj))
	}
	switch state.(type) {
	case nil, *pyDict:
		return nil
	}
	return m.fail("BUILD gives an OrderedDict a %s as state (expected a dict)", typeName(state))
}

// global implements GLOBAL and STACK_GLOBAL: an allowed global becomes an inert reference; anything else stops
// the machine with a ForbiddenGlobalError right here.
func (m *machine) global(module, name string) error {
	g, ok := lookupGlobal(module, name)
	if !ok {
		return &ForbiddenGlobalError{Path: m.path, Module: module, Name: name}
	}
	return m.push(g)
}

// reduce implements REDUCE: calling one of the allowed callables with a tuple of arguments. The "call" is this
// package's own Go code; nothing named by the file runs.
func (m *machine) reduce(fn, args any) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, m.fail("REDUCE calls a %s, which is not a function", typeName(fn))
	}
	t, ok := args.(pyTuple)
	if !ok {
		return nil, m.fail("REDUCE passes a %s as the arguments of %s.%s (expected a tuple)", typeName(args),
			displayName(g.module), displayName(g.name))
	}
	v, err := g.call(t)
	if err != nil {
		return nil, m.fail("%s.%s: %v", g.module, g.name, err)
	}
	return v, nil
}
