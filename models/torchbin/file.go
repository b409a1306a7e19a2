// file.go opens a checkpoint: it tells the zip format from the legacy one, checks that the pickle holds a plain
// state dict of tensors, validates every tensor against its storage record, and answers questions about the
// tensors (names, shapes, dtypes).
package torchbin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// File is an open, validated PyTorch state dict. Its methods may be called from several goroutines at once.
type File struct {
	path    string
	r       io.ReaderAt // the checkpoint's bytes
	closer  io.Closer   // the open file, nil when reading from memory
	tensors map[string]*tensor
	names   []string
}

// Open parses the pickle of a torch.save state dict (zip or legacy format), validates every tensor and keeps the
// file open for reading tensors. It never runs code named by the file: a pickle that names any Python global a
// state dict does not need fails with a *ForbiddenGlobalError.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening PyTorch weights: %w", err)
	}
	info, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	f, err := newFile(fh, info.Size(), path)
	if err != nil {
		_ = fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// newFile parses and validates the size bytes of r; path names the checkpoint in messages.
func newFile(r io.ReaderAt, size int64, path string) (*File, error) {
	var head [8]byte
	n, _ := r.ReadAt(head[:], 0)
	var tensors map[string]*tensor
	var err error
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04":
		tensors, err = readZip(r, path, size)
	case n >= 2 && head[0] == opProto && head[1] >= 2 && head[1] <= 5:
		tensors, err = readLegacy(r, path, size)
	case size == 0:
		err = fmt.Errorf("%s is empty (an interrupted download?); delete it and download again", path)
	case isTar(r):
		err = fmt.Errorf("%s is in the tar format of PyTorch < 0.4, which this loader does not read; use the model's safetensors weights (model.safetensors) instead", path)
	default:
		err = fmt.Errorf("%s is not a PyTorch checkpoint: it is neither a zip archive (torch.save since PyTorch 1.6) nor a legacy torch.save pickle", path)
	}
	if err != nil {
		return nil, err
	}
	f := &File{path: path, r: r, tensors: tensors, names: make([]string, 0, len(tensors))}
	for name := range tensors {
		f.names = append(f.names, name)
	}
	sort.Strings(f.names)
	for _, name := range f.names {
		if err := validateTensor(path, name, tensors[name]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// isTar reports whether the file has a POSIX tar header (the pre-0.4 torch.save format).
func isTar(r io.ReaderAt) bool {
	var magic [5]byte
	n, _ := r.ReadAt(magic[:], 257)
	return n == 5 && string(magic[:]) == "ustar"
}

// stateDict checks that the unpickled object is a dict of str -> tensor.
func stateDict(v any, path string) (map[string]*tensor, error) {
	d, ok := v.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("%s holds a pickled %s, not a state dict (a dict of tensors)", path, typeName(v))
	}
	out := make(map[string]*tensor, len(d.keys))
	for i, k := range d.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("%s: the state dict has a key of type %s; expected tensor names (str)", path, typeName(k))
		}
		t, ok := d.vals[i].(*tensor)
		if !ok {
			return nil, fmt.Errorf("%s: state dict entry %s is of type %s, not a tensor (only a plain state dict of tensors can be read)",
				path, displayName(name), typeName(d.vals[i]))
		}
		out[name] = t
	}
	return out, nil
}

// validateTensor checks that the tensor's storage record exists, holds the whole storage, and that the tensor's
// elements lie inside that storage.
func validateTensor(path, name string, t *tensor) error {
	st := t.st
	if !st.found {
		return fmt.Errorf("%s: tensor %s needs storage record %s, which is missing from the file (incomplete or corrupt file; delete it and download again)",
			path, displayName(name), displayName(st.record))
	}
	if need := st.numel * st.dtype.size(); st.size < need {
		return fmt.Errorf("%s: tensor %s: storage record %s is too short: %d bytes, but its %d %s elements need %d (truncated or corrupt file; delete it and download again)",
			path, displayName(name), displayName(st.record), st.size, st.numel, st.dtype, need)
	}
	if err := t.checkExtent(); err != nil {
		return fmt.Errorf("%s: tensor %s: %w (corrupt file)", path, displayName(name), err)
	}
	return nil
}

// pickleFailure turns an error of the pickle machine into the error Open returns: a ForbiddenGlobalError as
// is, anything else prefixed with the file and the pickle it was found in.
func pickleFailure(path, what string, err error) error {
	var fe *ForbiddenGlobalError
	if errors.As(err, &fe) {
		return fe
	}
	return fmt.Errorf("%s: cannot read %s: %w", path, what, err)
}

// Close releases the file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Shape returns the tensor's dimensions ([]int{} for a 0-d tensor), or nil if there is no such tensor.
func (f *File) Shape(name string) []int {
	t, ok := f.tensors[name]
	if !ok {
		return nil
	}
	shape := make([]int, len(t.shape))
	for i, d := range t.shape {
		shape[i] = int(d)
	}
	return shape
}

// DType returns the tensor's element type ("F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8" or
// "BOOL"), or "" if there is no such tensor.
func (f *File) DType(name string) string {
	t, ok := f.tensors[name]
	if !ok {
		return ""
	}
	return t.st.dtype.String()
}

func (f *File) lookup(name string) (*tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("%s has no tensor %s", f.path, displayName(name))
	}
	return t, nil
}
