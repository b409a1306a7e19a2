// zip.go reads the zip format torch.save writes since PyTorch 1.6: <root>/data.pkl (the pickled state dict),
// <root>/data/<key> (one record per storage, normally stored uncompressed), optional <root>/version and
// <root>/byteorder. The root folder's name is arbitrary (the file name without extension, or "archive").
package torchbin

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

func readZip(r io.ReaderAt, path string, size int64) (map[string]*tensor, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are only looked up, never used as paths
		return nil, fmt.Errorf("%s is not a complete zip archive (%v): the download is probably truncated; delete it and download again", path, err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	var roots []string
	for _, zf := range zr.File {
		if _, dup := entries[zf.Name]; dup {
			return nil, fmt.Errorf("%s is a corrupt zip archive: it has two records named %s", path, displayName(zf.Name))
		}
		entries[zf.Name] = zf
		if dir, base, ok := strings.Cut(zf.Name, "/"); ok && base == "data.pkl" {
			roots = append(roots, dir)
		}
	}
	switch len(roots) {
	case 0:
		return nil, fmt.Errorf("%s is a zip archive without a <folder>/data.pkl record: not a PyTorch checkpoint", path)
	case 1:
	default:
		return nil, fmt.Errorf("%s is not a single PyTorch checkpoint: it has %d data.pkl records", path, len(roots))
	}
	prefix := roots[0] + "/"
	if _, ok := entries[prefix+"constants.pkl"]; ok {
		return nil, fmt.Errorf("%s is a TorchScript archive (torch.jit.save), not a state dict saved with torch.save; use the model's safetensors weights (model.safetensors) instead", path)
	}
	if bo, ok := entries[prefix+"byteorder"]; ok {
		order, err := readSmallRecord(bo, 16)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", path, displayName(bo.Name), err)
		}
		switch strings.TrimSpace(string(order)) {
		case "little":
		case "big":
			return nil, fmt.Errorf("%s was saved on a big-endian machine (byteorder \"big\"); this loader reads only little-endian checkpoints", path)
		default:
			return nil, fmt.Errorf("%s has an unknown byteorder record %q", path, order)
		}
	}

	pklName := prefix + "data.pkl"
	pkl, err := readSmallRecord(entries[pklName], maxPickleBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", path, displayName(pklName), err)
	}
	table := newStorageTable()
	m := newMachine(newPickleInput(bytes.NewReader(pkl), 0, int64(len(pkl))), path,
		func(pid any) (any, error) { return table.persistentID(pid, false) })
	v, err := m.run()
	if err != nil {
		return nil, pickleFailure(path, displayName(pklName), err)
	}
	tensors, err := stateDict(v, path)
	if err != nil {
		return nil, err
	}

	// Locate the storage records of the tensors, in name order so that errors are deterministic. Missing records
	// are left for validateTensor to report.
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		st := tensors[name].st
		if st.record != "" {
			continue // located for an earlier tensor
		}
		st.record = prefix + "data/" + st.key
		zf, ok := entries[prefix+"data/"+st.key]
		if !ok {
			continue
		}
		if err := locateRecord(st, zf, size); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", path, displayName(name), err)
		}
	}
	return tensors, nil
}

// locateRecord records where a storage's bytes are: their file offset when stored uncompressed (torch.save's
// way), or the zip entry to decompress when a tensor is read.
func locateRecord(st *storage, zf *zip.File, fileSize int64) error {
	if zf.UncompressedSize64 > maxStorageLen {
		return fmt.Errorf("storage record %s declares %d bytes, more than any storage holds (corrupt file)", displayName(st.record), zf.UncompressedSize64)
	}
	switch zf.Method {
	case zip.Store:
		if zf.CompressedSize64 != zf.UncompressedSize64 {
			return fmt.Errorf("storage record %s is stored uncompressed but its sizes disagree (%d and %d bytes): corrupt file; delete it and download again",
				displayName(st.record), zf.CompressedSize64, zf.UncompressedSize64)
		}
		off, err := zf.DataOffset()
		if err != nil {
			return fmt.Errorf("reading the header of storage record %s: %v (corrupt file; delete it and download again)", displayName(st.record), err)
		}
		n := int64(zf.UncompressedSize64)
		if off < 0 || off > fileSize || n > fileSize-off {
			return fmt.Errorf("storage record %s runs past the end of the file: the file is truncated; delete it and download again", displayName(st.record))
		}
		st.off, st.size = off, n
	case zip.Deflate:
		st.zf, st.size = zf, int64(zf.UncompressedSize64)
	default:
		return fmt.Errorf("storage record %s uses zip compression method %d, which this loader does not read", displayName(st.record), zf.Method)
	}
	st.found = true
	return nil
}

// readSmallRecord reads a whole zip record of at most limit bytes into memory.
func readSmallRecord(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("the record declares %d bytes, more than the %d a state dict needs", zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%v (corrupt file; delete it and download again)", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%v (truncated or corrupt file; delete it and download again)", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the record holds more than %d bytes (corrupt file)", limit)
	}
	return data, nil
}
