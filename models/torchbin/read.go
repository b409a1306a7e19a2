// read.go reads tensor elements from their storage records: straight into the caller's float32 buffer when the
// tensor is F32 and contiguous, in chunks converted to float32 for F16/BF16/F64, and by gathering elements in
// row-major order when the strides are not contiguous.
package torchbin

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// littleEndianHost is true when float32 memory has the byte order of the files (every platform the compute
// backends run on).
var littleEndianHost = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// chunkBytes is how much is read at a time when converting a contiguous tensor to float32.
const chunkBytes = 1 << 20

// ReadFloat32 reads tensor name into dst, whose length must equal the tensor's element count. F32 is copied (with
// ReadAt straight into dst's memory when the tensor is contiguous), F16 and BF16 are widened exactly, F64 is
// narrowed. Integer and bool tensors are an error.
func (f *File) ReadFloat32(name string, dst []float32) error {
	t, err := f.lookup(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != t.numel {
		return fmt.Errorf("%s: tensor %s has %d elements, buffer has %d", f.path, displayName(name), t.numel, len(dst))
	}
	dt := t.st.dtype
	switch dt {
	case dtF32, dtF16, dtBF16, dtF64:
	default:
		return fmt.Errorf("%s: tensor %s has dtype %s, expected a float type (F32, F16, BF16, F64)", f.path, displayName(name), dt)
	}
	if len(dst) == 0 {
		return nil
	}
	if dt == dtF32 && littleEndianHost {
		buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)*4)
		return f.readLogical(name, t, buf)
	}
	es := dt.size()
	return f.forEachChunk(name, t, func(first int64, b []byte) {
		out := dst[first : first+int64(len(b))/es]
		switch dt {
		case dtF32:
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case dtF16:
			for i := range out {
				out[i] = float16.FromBits(binary.LittleEndian.Uint16(b[2*i:])).Float32()
			}
		case dtBF16:
			for i := range out {
				out[i] = bfloat16.FromBits(binary.LittleEndian.Uint16(b[2*i:])).Float32()
			}
		case dtF64:
			for i := range out {
				out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		}
	})
}

// Int64 reads an integer tensor (I64 or I32) into a new slice and returns it with its shape.
func (f *File) Int64(name string) ([]int64, []int, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	dt := t.st.dtype
	if dt != dtI64 && dt != dtI32 {
		return nil, nil, fmt.Errorf("%s: tensor %s has dtype %s, expected I64 or I32", f.path, displayName(name), dt)
	}
	data := make([]int64, t.numel)
	err = f.forEachChunk(name, t, func(first int64, b []byte) {
		if dt == dtI64 {
			out := data[first : first+int64(len(b))/8]
			for i := range out {
				out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
			return
		}
		out := data[first : first+int64(len(b))/4]
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return data, f.Shape(name), nil
}

// forEachChunk delivers the tensor's elements in row-major order as raw little-endian bytes, in pieces; first is
// the index of the piece's first element. Contiguous uncompressed tensors are read chunkBytes at a time; the
// others are read whole.
func (f *File) forEachChunk(name string, t *tensor, fn func(first int64, b []byte)) error {
	if t.numel == 0 {
		return nil
	}
	es := t.st.dtype.size()
	total := t.numel * es
	if !t.contiguous() || t.st.compressed() {
		buf := make([]byte, total)
		if err := f.readLogical(name, t, buf); err != nil {
			return err
		}
		fn(0, buf)
		return nil
	}
	buf := make([]byte, min(total, chunkBytes-chunkBytes%es))
	for done := int64(0); done < total; {
		b := buf[:min(int64(len(buf)), total-done)]
		if err := f.readRecord(name, t.st, t.offset*es+done, b); err != nil {
			return err
		}
		fn(done/es, b)
		done += int64(len(b))
	}
	return nil
}

// readLogical fills buf (numel * element size bytes) with the tensor's elements in row-major order.
func (f *File) readLogical(name string, t *tensor, buf []byte) error {
	es := t.st.dtype.size()
	if t.contiguous() {
		return f.readRecord(name, t.st, t.offset*es, buf)
	}
	last, _ := t.lastElement() // validated at Open
	span := (last - t.offset + 1) * es
	if span <= 2*int64(len(buf))+chunkBytes {
		// Read the bytes the tensor spans once, then pick its elements out of them.
		src := make([]byte, span)
		if err := f.readRecord(name, t.st, t.offset*es, src); err != nil {
			return err
		}
		out := buf
		t.walk(func(pos, run int64) {
			n := copy(out, src[pos*es:(pos+run)*es])
			out = out[n:]
		})
		return nil
	}
	if t.st.compressed() {
		return fmt.Errorf("%s: tensor %s is stored compressed and spread thinly over its storage; this loader does not read that layout",
			f.path, displayName(name))
	}
	// Sparse layout (large strides over a large storage): read each run of consecutive elements on its own.
	out := buf
	var err error
	t.walk(func(pos, run int64) {
		if err != nil {
			return
		}
		n := run * es
		err = f.readRecord(name, t.st, (t.offset+pos)*es, out[:n])
		out = out[n:]
	})
	return err
}

// walk calls fn for each run of elements that are consecutive in storage, in row-major order: pos is the run's
// first storage element relative to t.offset, run its length. The tensor must have elements.
func (t *tensor) walk(fn func(pos, run int64)) {
	outer := len(t.shape)
	run := int64(1)
	if outer > 0 && t.stride[outer-1] == 1 {
		run = t.shape[outer-1]
		outer--
	}
	idx := make([]int64, outer)
	pos := int64(0)
	for {
		fn(pos, run)
		d := outer - 1
		for ; d >= 0; d-- {
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			pos -= t.stride[d] * t.shape[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// readRecord reads len(buf) bytes of a storage record starting at byte off of the record.
func (f *File) readRecord(name string, st *storage, off int64, buf []byte) error {
	if !st.compressed() {
		if _, err := f.r.ReadAt(buf, st.off+off); err != nil {
			return fmt.Errorf("reading tensor %s from %s: %w", displayName(name), f.path, err)
		}
		return nil
	}
	rc, err := st.zf.Open()
	if err != nil {
		return fmt.Errorf("reading tensor %s from %s: %w", displayName(name), f.path, err)
	}
	defer rc.Close()
	_, err = io.CopyN(io.Discard, rc, off)
	if err == nil {
		_, err = io.ReadFull(rc, buf)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("reading tensor %s from %s: storage record %s is shorter than it declares (truncated or corrupt file; delete it and download again)",
			displayName(name), f.path, displayName(st.record))
	}
	if err != nil {
		return fmt.Errorf("reading tensor %s from %s: %w", displayName(name), f.path, err)
	}
	return nil
}
