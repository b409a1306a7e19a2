package sorter

// The file index: what the sorter learnt about each image file it read — its stamp (size, modification time,
// and where the system has them inode and change time), SHA-256 and upright width and height — kept in the
// embedding cache's bucket "files", keyed by the file's absolute path. It belongs to no model.
//
// search and duplicates trust a record whose stamp matches the file on disk, as git trusts its index: such a
// file is neither opened nor hashed again, so a folder of 100,000 cached images is ready in about a second.
// sort never trusts it: it reads every file anyway to place it, and the SHA-256 in its report must be of the
// content it placed; it refreshes the records instead. The bucket was added to format version 1 without a
// version change: older sorters ignore it, and a cache without it gets it on first write.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	bolt "go.etcd.io/bbolt"
)

var bucketFiles = []byte("files")

// stamp is what says a file changed without reading it (fileStamp reads it from the system).
type stamp struct {
	Size       int64
	ModTime    int64 // Unix nanoseconds
	Inode      uint64
	ChangeTime int64 // Unix nanoseconds; 0 where unknown
}

// fileRecord is one file's entry in the index.
type fileRecord struct {
	stamp
	Sum           [32]byte
	Width, Height int  // upright (EXIF orientation applied); 0 when the header could not be read
	Video         bool // a video (video.go)
}

// fileRecordVersion 2 added the video flag; version 1 records (images only) are still read.
const fileRecordVersion = 2

// fileRecordLen: version byte, four 8-byte stamp fields, the SHA-256, width and height as uint32, then (version 2)
// a byte of flags: 1 for a video.
const fileRecordLen = 1 + 4*8 + 32 + 2*4 + 1

func (r fileRecord) marshal() []byte {
	b := make([]byte, fileRecordLen)
	b[0] = fileRecordVersion
	le := binary.LittleEndian
	le.PutUint64(b[1:], uint64(r.Size))
	le.PutUint64(b[9:], uint64(r.ModTime))
	le.PutUint64(b[17:], r.Inode)
	le.PutUint64(b[25:], uint64(r.ChangeTime))
	copy(b[33:65], r.Sum[:])
	le.PutUint32(b[65:], uint32(min(r.Width, math.MaxUint32)))
	le.PutUint32(b[69:], uint32(min(r.Height, math.MaxUint32)))
	if r.Video {
		b[73] = 1
	}
	return b
}

// unmarshalFileRecord decodes a record; anything of another length or version is not one (ok false).
func unmarshalFileRecord(b []byte) (r fileRecord, ok bool) {
	switch {
	case len(b) == fileRecordLen && b[0] == fileRecordVersion:
		r.Video = b[73]&1 != 0
	case len(b) == fileRecordLen-1 && b[0] == 1:
	default:
		return r, false
	}
	le := binary.LittleEndian
	r.Size = int64(le.Uint64(b[1:]))
	r.ModTime = int64(le.Uint64(b[9:]))
	r.Inode = le.Uint64(b[17:])
	r.ChangeTime = int64(le.Uint64(b[25:]))
	copy(r.Sum[:], b[33:65])
	r.Width = int(le.Uint32(b[65:]))
	r.Height = int(le.Uint32(b[69:]))
	return r, true
}

// lookup returns the record of path if its stamp is s, and the cached embedding of its content if there is one
// of length dim (vec nil otherwise), in one read transaction. Safe for concurrent use.
func (c *embedCache) lookup(path string, s stamp, dim int) (rec fileRecord, vec []float32, ok bool) {
	if !c.usable() {
		return rec, nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			c.fail("reading", r)
			rec, vec, ok = fileRecord{}, nil, false
		}
	}()
	err := c.db.View(func(tx *bolt.Tx) error {
		files := tx.Bucket(bucketFiles)
		if files == nil {
			return nil
		}
		if rec, ok = unmarshalFileRecord(files.Get([]byte(path))); !ok || rec.stamp != s {
			ok = false
			return nil
		}
		vec = c.vector(tx, rec.Sum, dim)
		return nil
	})
	if err != nil {
		c.fail("reading", err)
		return rec, nil, false
	}
	return rec, vec, ok
}

// fileEntry is a record to store under a path.
type fileEntry struct {
	path string
	rec  fileRecord
}

func putFiles(tx *bolt.Tx, entries []fileEntry) error {
	if len(entries) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketFiles)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := b.Put([]byte(e.path), e.rec.marshal()); err != nil {
			return err
		}
	}
	return nil
}

// indexed is what lookupAll found for the files whose record and embedding are both in the cache.
type indexed struct {
	at      []int        // per file: index into recs (and rows of vectors), or -1
	recs    []fileRecord // in file order
	vectors []float32    // len(recs)*dim, one row per record
}

// lookupAll is lookup for a whole folder, with the embeddings written into one block: the records in one read
// transaction, then the embeddings by `workers` goroutines, each in its own read transaction over its share of
// the rows (reading 100,000 embeddings is mostly the system mapping 200 MB of pages in, which two cores do in
// about half the time). stamps[i] is files[i]'s stamp, or nil when it could not be read (then the file is not
// looked up).
func (c *embedCache) lookupAll(files []candidate, stamps []*stamp, dim, workers int) (res indexed) {
	none := func() indexed {
		r := indexed{at: make([]int, len(files))}
		for i := range r.at {
			r.at[i] = -1
		}
		return r
	}
	res = none()
	if !c.usable() {
		return res
	}
	defer func() {
		if r := recover(); r != nil {
			c.fail("reading", r)
			res = none()
		}
	}()
	var at []int // per record: its file
	err := c.db.View(func(tx *bolt.Tx) error {
		filesBucket := tx.Bucket(bucketFiles)
		if filesBucket == nil {
			return nil
		}
		for i, f := range files {
			if stamps[i] == nil {
				continue
			}
			if rec, ok := unmarshalFileRecord(filesBucket.Get([]byte(f.Path))); ok && rec.stamp == *stamps[i] {
				at, res.recs = append(at, i), append(res.recs, rec)
			}
		}
		return nil
	})
	if err != nil || len(at) == 0 {
		if err != nil {
			c.fail("reading", err)
		}
		return none()
	}
	res.vectors = make([]float32, len(at)*dim)
	found := make([]bool, len(at))
	workers = max(1, min(workers, len(at)/1024+1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := len(at)*w/workers, len(at)*(w+1)/workers
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("%v", r)
				}
			}()
			errs[w] = c.db.View(func(tx *bolt.Tx) error {
				vecs := c.modelBucket(tx)
				if vecs == nil {
					return nil
				}
				for k := lo; k < hi; k++ {
					v := vecs.Get(res.recs[k].Sum[:])
					if len(v) != 4*dim {
						continue // absent, or of another length: the pipeline looks again and says so
					}
					decodeFloats(res.vectors[k*dim:(k+1)*dim], v)
					found[k] = true
				}
				return nil
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.fail("reading", err)
		return none()
	}
	// Rows in file order; those without an embedding left out (rare: moved down in place).
	n := 0
	for k, ok := range found {
		if !ok {
			continue
		}
		if n != k {
			copy(res.vectors[n*dim:(n+1)*dim], res.vectors[k*dim:(k+1)*dim])
			res.recs[n] = res.recs[k]
		}
		res.at[at[k]] = n
		n++
	}
	res.recs, res.vectors = res.recs[:n], res.vectors[:n*dim]
	return res
}
