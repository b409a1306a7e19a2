package sorter

// The embedding cache: a bbolt file (an embedded key/value database, no server)
// holding each image's embedding under the SHA-256 of the file's content, in
// one bucket per Model.CacheKey(). Sorting the same folder again, with any
// labels, then needs no image model call at all.
//
// Layout: bucket "meta" {format: "smart-image-sorter embedding cache", version: "1"};
// bucket "models" -> bucket <CacheKey> -> <32-byte SHA-256> = little-endian float32s;
// bucket "files" -> <absolute path> = the file's record (fileindex.go).
//
// Nothing in it is trusted blindly: a file that is not a bbolt database, or one
// without our format marker, is moved aside (renamed <name>.unreadable-<time> or
// .foreign-<time>, never deleted) and a new cache is started; our own cache of
// another format version is deleted and rebuilt; an entry whose length differs
// from the model's embedding size is recomputed and overwritten. Each case is
// reported through Logf.

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	cacheFileName = "embeddings.bbolt"
	cacheFormat   = "smart-image-sorter embedding cache"
	cacheVersion  = "1"
)

var (
	bucketMeta   = []byte("meta")
	bucketModels = []byte("models")
)

// DefaultCachePath is where the embedding cache lives unless Options.CachePath
// says otherwise: <user cache folder>/smart-image-sorter/embeddings.bbolt, that is
// ~/.cache/smart-image-sorter/ on Linux ($XDG_CACHE_HOME if set),
// ~/Library/Caches/smart-image-sorter/ on macOS and
// %LocalAppData%\smart-image-sorter\ on Windows.
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", &Error{Msg: "cannot find a folder for the embedding cache", Hint: "choose one with --cache PATH, or use --no-cache", Err: err}
	}
	return filepath.Join(dir, "smart-image-sorter", cacheFileName), nil
}

// ClearCache deletes the embedding cache at path ("" means DefaultCachePath()).
// It refuses a file that is not a sorter cache, and a cache in use by a running
// sort. Every error it returns is an *Error with a hint.
func ClearCache(path string) error {
	if path == "" {
		var err error
		if path, err = DefaultCachePath(); err != nil {
			return err
		}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := openBolt(path, 100*time.Millisecond)
	if err != nil {
		switch {
		case errors.Is(err, ErrCacheInUse):
			return err
		case errors.Is(err, os.ErrPermission):
			return &Error{Msg: "cannot open the embedding cache " + path, Hint: "check that you may read and change it, or delete it yourself", Err: err}
		}
		return &Error{Msg: path + " is not an embedding cache of this sorter; not deleted", Hint: "delete it yourself if you are sure", Err: err}
	}
	state := cacheState(db)
	db.Close()
	if state == stateForeign || state == stateBroken {
		return errorf("delete it yourself if you are sure", "%s is not an embedding cache of this sorter; not deleted", path)
	}
	if err := os.Remove(path); err != nil {
		return &Error{Msg: "cannot delete the embedding cache " + path,
			Hint: "check that you may change its folder, or delete the file yourself", Err: err}
	}
	return nil
}

// embedCache is an open cache, bound to one model.
type embedCache struct {
	db    *bolt.DB
	path  string
	model []byte
	logf  func(string, ...any)

	mu     sync.Mutex
	broken bool // a panic or error inside bbolt: stop using it for this run
	badLen int  // entries of the wrong length seen (logged once)
}

func openBolt(path string, timeout time.Duration) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil { // bbolt panics on some damaged files
			db, err = nil, fmt.Errorf("damaged database: %v", r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, &Error{Msg: "cannot open the embedding cache " + path,
			Hint: "wait for the other sort to finish, or give this one another cache with --cache PATH (or --no-cache)", Err: ErrCacheInUse}
	}
	return db, err
}

type schemaState int

const (
	stateOK      schemaState = iota
	stateEmpty               // a new file
	stateOld                 // ours, another format version
	stateForeign             // a bbolt file of some other program
	stateBroken              // bbolt failed reading it
)

func cacheState(db *bolt.DB) (state schemaState) {
	defer func() {
		if recover() != nil {
			state = stateBroken
		}
	}()
	err := db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		switch {
		case meta == nil:
			state = stateEmpty
			tx.ForEach(func([]byte, *bolt.Bucket) error { state = stateForeign; return nil })
		case string(meta.Get([]byte("format"))) != cacheFormat:
			state = stateForeign
		case string(meta.Get([]byte("version"))) != cacheVersion:
			state = stateOld
		case tx.Bucket(bucketModels) == nil:
			state = stateBroken
		}
		return nil
	})
	if err != nil {
		return stateBroken
	}
	return state
}

// openCache opens (creating, or rebuilding as described above) the cache at path for one model.
func openCache(path, modelKey string, timeout time.Duration, logf func(string, ...any)) (*embedCache, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, &Error{Msg: "cannot create the folder of the embedding cache", Hint: "choose another place with --cache PATH, or use --no-cache", Err: err}
	}
	for attempt := 0; ; attempt++ {
		db, err := openBolt(path, timeout)
		if errors.Is(err, ErrCacheInUse) {
			return nil, err
		}
		state := stateBroken
		if err == nil {
			state = cacheState(db)
		}
		if state == stateOK || state == stateEmpty {
			if state == stateEmpty {
				if err := initCache(db); err != nil {
					db.Close()
					return nil, fmt.Errorf("initialising the embedding cache %s: %w", path, err)
				}
			}
			key := []byte(modelKey)
			if len(key) > bolt.MaxKeySize/2 || len(key) == 0 {
				k := sumBytes(key)
				key = []byte(hexSum(k))
			}
			return &embedCache{db: db, path: path, model: key, logf: logf}, nil
		}
		if db != nil {
			db.Close()
		}
		if attempt > 0 {
			return nil, fmt.Errorf("the new embedding cache %s cannot be used either (%v)", path, err)
		}
		switch state {
		case stateOld:
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("removing the old embedding cache %s: %w", path, err)
			}
			logf("the embedding cache %s was written by another version of this sorter; deleted it and started a new one", path)
		default:
			why := "unreadable"
			if state == stateForeign {
				why = "foreign"
			}
			aside := fmt.Sprintf("%s.%s-%s", path, why, time.Now().Format("20060102-150405.000"))
			if err := os.Rename(path, aside); err != nil {
				return nil, &Error{Msg: "the embedding cache " + path + " is not usable and cannot be moved aside", Hint: "move or delete it yourself, or use --cache PATH", Err: err}
			}
			what := "is not a valid cache file"
			if state == stateForeign {
				what = "belongs to another program"
			}
			if err != nil {
				what += " (" + err.Error() + ")"
			}
			logf("the embedding cache %s %s; moved it aside to %s (not deleted) and started a new cache", path, what, aside)
		}
	}
}

func initCache(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("format"), []byte(cacheFormat)); err != nil {
			return err
		}
		if err := meta.Put([]byte("version"), []byte(cacheVersion)); err != nil {
			return err
		}
		_, err = tx.CreateBucketIfNotExists(bucketModels)
		return err
	})
}

func (c *embedCache) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.broken
}

// fail stops using the cache for the rest of the run after bbolt failed.
func (c *embedCache) fail(what string, cause any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.broken {
		c.broken = true
		c.logf("the embedding cache %s failed while %s (%v); going on without it; if this repeats, delete that file", c.path, what, cause)
	}
}

// get returns the cached embedding of the content with this hash, if there is
// one of the expected length. Safe for concurrent use.
func (c *embedCache) get(sum [32]byte, dim int) (vec []float32, ok bool) {
	if !c.usable() {
		return nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			c.fail("reading", r)
			vec, ok = nil, false
		}
	}()
	err := c.db.View(func(tx *bolt.Tx) error {
		vec = c.vector(tx, sum, dim)
		return nil
	})
	if err != nil {
		c.fail("reading", err)
		return nil, false
	}
	return vec, vec != nil
}

// vector reads one embedding inside a read transaction: nil when absent or of another length than dim (which
// is logged once: such an entry is not trusted, and is recomputed).
func (c *embedCache) vector(tx *bolt.Tx, sum [32]byte, dim int) []float32 {
	b := c.modelBucket(tx)
	if b == nil {
		return nil
	}
	v := b.Get(sum[:])
	if v == nil {
		return nil
	}
	if len(v) != 4*dim {
		c.mu.Lock()
		if c.badLen++; c.badLen == 1 {
			c.logf("the embedding cache %s holds an entry of %d bytes where %d were expected; not trusted, recomputing (further such entries are not reported)", c.path, len(v), 4*dim)
		}
		c.mu.Unlock()
		return nil
	}
	vec := make([]float32, dim)
	decodeFloats(vec, v)
	return vec
}

// modelBucket is the model's bucket in a read transaction; nil before anything was stored for the model.
func (c *embedCache) modelBucket(tx *bolt.Tx) *bolt.Bucket {
	if models := tx.Bucket(bucketModels); models != nil {
		return models.Bucket(c.model)
	}
	return nil
}

// encodeFloats writes src into the start of dst as little-endian float32s, as the cache stores them.
func encodeFloats(dst []byte, src []float32) {
	for i, x := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(x))
	}
}

// decodeFloats fills dst from the little-endian float32s at the start of src, as the cache stores them.
func decodeFloats(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// frames returns a video's cached frames (video.go) stored under key, nil when there are none of length dim.
func (c *embedCache) frames(key [32]byte, dim int) (v *videoItem) {
	if !c.usable() {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			c.fail("reading", r)
			v = nil
		}
	}()
	err := c.db.View(func(tx *bolt.Tx) error {
		if b := c.modelBucket(tx); b != nil {
			v = unmarshalFrames(b.Get(key[:]), dim)
		}
		return nil
	})
	if err != nil {
		c.fail("reading", err)
		return nil
	}
	return v
}

// rawEntry is a value stored as it is under a key of the model's bucket (a video's frames).
type rawEntry struct {
	key   [32]byte
	value []byte
}

// put stores a batch of embeddings, other entries of the model's bucket and file records in one transaction.
// Failures are logged, not fatal.
func (c *embedCache) put(sums [][32]byte, vecs [][]float32, raw []rawEntry, files []fileEntry, thumbs map[[32]byte][]byte) {
	if !c.usable() || len(vecs)+len(raw)+len(files)+len(thumbs) == 0 {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.fail("writing", r)
		}
	}()
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketModels).CreateBucketIfNotExists(c.model)
		if err != nil {
			return err
		}
		for i, v := range vecs {
			buf := make([]byte, 4*len(v))
			encodeFloats(buf, v)
			if err := b.Put(sums[i][:], buf); err != nil {
				return err
			}
		}
		for _, e := range raw {
			if err := b.Put(e.key[:], e.value); err != nil {
				return err
			}
		}
		if err := putThumbs(tx, thumbs); err != nil {
			return err
		}
		return putFiles(tx, files)
	})
	if err != nil {
		c.fail("writing", err)
	}
}

func (c *embedCache) close() error {
	if c == nil {
		return nil
	}
	return c.db.Close()
}

func sumBytes(b []byte) [32]byte { return sha256.Sum256(b) }
