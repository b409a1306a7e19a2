// legacy.go reads the format torch.save wrote before PyTorch 1.6 (still written with
// _use_new_zipfile_serialization=False): five pickles in a row (the magic number, the protocol version, a
// sys_info dict, the state dict, the sorted list of storage keys), then for each key of that list, in order,
// the storage as a little-endian int64 element count followed by its raw bytes.
package torchbin

import (
	"encoding/binary"
	"fmt"
	"io"
)

// legacyMagic is torch.serialization.MAGIC_NUMBER, 0x1950a86a20f9469cfc6c, as pickled (LONG1, little-endian).
var legacyMagic = pyLong{le: "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"}

// legacyProtocolVersion is torch.serialization.PROTOCOL_VERSION.
const legacyProtocolVersion = 1001

func readLegacy(r io.ReaderAt, path string, size int64) (map[string]*tensor, error) {
	in := newPickleInput(r, 0, min(size, maxPickleBytes))
	run := func(what string, persistent func(any) (any, error)) (any, error) {
		v, err := newMachine(in, path, persistent).run()
		if err != nil {
			return nil, pickleFailure(path, what, err)
		}
		return v, nil
	}

	magic, err := run("the magic number pickle", nil)
	if err != nil {
		return nil, err
	}
	if magic != any(legacyMagic) {
		return nil, fmt.Errorf("%s is not a PyTorch checkpoint: it is a pickle, but does not start with torch.save's magic number", path)
	}
	proto, err := run("the protocol version pickle", nil)
	if err != nil {
		return nil, err
	}
	if proto != any(int64(legacyProtocolVersion)) {
		return nil, fmt.Errorf("%s uses torch.save protocol version %v, expected %d", path, describeInt(proto), legacyProtocolVersion)
	}
	sysInfo, err := run("the sys_info pickle", nil)
	if err != nil {
		return nil, err
	}
	if d, ok := sysInfo.(*pyDict); ok {
		if i, ok := d.index["little_endian"]; ok && d.vals[i] == any(false) {
			return nil, fmt.Errorf("%s was saved on a big-endian machine; this loader reads only little-endian checkpoints", path)
		}
	} else {
		return nil, fmt.Errorf("%s is corrupt: its sys_info pickle is a %s, expected a dict", path, typeName(sysInfo))
	}

	table := newStorageTable()
	state, err := run("the state dict pickle", func(pid any) (any, error) { return table.persistentID(pid, true) })
	if err != nil {
		return nil, err
	}
	tensors, err := stateDict(state, path)
	if err != nil {
		return nil, err
	}
	keysValue, err := run("the storage key list pickle", nil)
	if err != nil {
		return nil, err
	}
	keys, ok := keysValue.(*pyList)
	if !ok {
		return nil, fmt.Errorf("%s is corrupt: its storage key list is a %s, expected a list", path, typeName(keysValue))
	}
	for _, st := range table.byKey {
		st.record = st.key
	}

	// Walk the storages that follow the pickles, in the order of the key list.
	off := in.pos
	for _, k := range keys.items {
		key, ok := asText(k)
		if !ok {
			return nil, fmt.Errorf("%s is corrupt: its storage key list holds a %s, expected str keys", path, typeName(k))
		}
		st, ok := table.byKey[key]
		if !ok {
			return nil, fmt.Errorf("%s is corrupt: its storage key list names storage %s, which the state dict does not use", path, displayName(key))
		}
		if st.found {
			return nil, fmt.Errorf("%s is corrupt: its storage key list names storage %s twice", path, displayName(key))
		}
		var b [8]byte
		if n, _ := r.ReadAt(b[:], off); n != 8 {
			return nil, fmt.Errorf("%s is truncated: it ends before storage %s (at byte %d of %d); delete it and download again",
				path, displayName(key), off, size)
		}
		count := int64(binary.LittleEndian.Uint64(b[:]))
		es := st.dtype.size()
		left := size - off - 8
		if count < 0 || count > left/es {
			return nil, fmt.Errorf("%s is truncated: storage %s declares %d elements of %d bytes at byte %d, but only %d bytes remain; delete it and download again",
				path, displayName(key), count, es, off+8, left)
		}
		if count != st.numel {
			return nil, fmt.Errorf("%s is corrupt: storage %s holds %d elements but the state dict declares %d", path, displayName(key), count, st.numel)
		}
		st.off, st.size, st.found = off+8, count*es, true
		off += 8 + count*es
	}
	return tensors, nil
}
