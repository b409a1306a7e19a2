package neardupset

import (
	"fmt"
	"image"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// The benchmark photo set (/work/shared/bench/make_photo_set.py, run by scripts/bench-common.sh with seed 7) is
// random crops of the sample photos, resized to a 1280-pixel long side (sometimes 720, 960 or 1600) and saved as
// JPEG 80-92 (every tenth one a PNG). Many of its photos are crops of the same sample photo and overlap, so they
// are not "different photos". photoSetOrigins replays the script's random choices (Python's Mersenne Twister,
// random.Random(seed)) to recover each photo's parent and crop box, and checks the replay against every file's
// size.

// photoOrigin is where one photo of the set comes from.
type photoOrigin struct {
	Path   string
	Parent string          // sample photo path
	Box    image.Rectangle // in the parent's pixels
	Area   float64         // Box's share of the parent's area
}

func photoSetOrigins(setDir, samplesDir string, n int, seed uint32) ([]photoOrigin, error) {
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		return nil, err
	}
	type parent struct {
		path string
		w, h int
	}
	var parents []parent
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names) // Python's sorted(os.listdir(d))
	for _, name := range names {
		l := strings.ToLower(name)
		if !strings.HasSuffix(l, ".jpg") && !strings.HasSuffix(l, ".jpeg") && !strings.HasSuffix(l, ".png") {
			continue
		}
		p := filepath.Join(samplesDir, name)
		img, err := imagefile.Load(p, imagefile.Options{})
		if err != nil {
			continue
		}
		if b := img.Bounds(); min(b.Dx(), b.Dy()) >= 200 {
			parents = append(parents, parent{p, b.Dx(), b.Dy()})
		}
	}
	r := newPyRandom(seed)
	var out []photoOrigin
	for i := range n {
		im := parents[r.below(len(parents))]
		w, h := im.w, im.h
		cw, ch := r.randint(w/2, w), r.randint(h/2, h)
		x, y := r.randint(0, w-cw), r.randint(0, h-ch)
		long := 1280
		if r.random() >= 0.8 {
			long = []int{720, 960, 1600}[r.below(3)]
		}
		s := float64(long) / float64(max(cw, ch))
		ow, oh := max(1, int(math.RoundToEven(float64(cw)*s))), max(1, int(math.RoundToEven(float64(ch)*s))) // Python's round
		name := fmt.Sprintf("photo%05d.jpg", i)
		if i%10 == 9 {
			name = fmt.Sprintf("shot%05d.png", i)
		} else {
			r.randint(80, 92) // JPEG quality
		}
		path := filepath.Join(setDir, name)
		cfg, err := imagefile.Load(path, imagefile.Options{})
		if err != nil {
			return nil, err
		}
		if b := cfg.Bounds(); b.Dx() != ow || b.Dy() != oh {
			return nil, fmt.Errorf("%s is %dx%d, the replay of make_photo_set.py says %dx%d: not the set it describes", path, b.Dx(), b.Dy(), ow, oh)
		}
		out = append(out, photoOrigin{Path: path, Parent: im.path, Box: image.Rect(x, y, x+cw, y+ch), Area: float64(cw*ch) / float64(w*h)})
	}
	return out, nil
}

// iou is the intersection over union of two boxes.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ia := float64(in.Dx() * in.Dy())
	return ia / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia)
}

// pyRandom is CPython's random.Random: MT19937 seeded by init_by_array, with its randbelow, randint and random.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

func newPyRandom(seed uint32) *pyRandom {
	r := &pyRandom{}
	r.initGenrand(19650218)
	key := []uint32{seed}
	i, j := 1, 0
	for k := max(624, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := 623; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = 624
}

func (r *pyRandom) uint32() uint32 {
	if r.idx >= 624 {
		for k := range 624 {
			y := (r.mt[k] & 0x80000000) | (r.mt[(k+1)%624] & 0x7fffffff)
			v := r.mt[(k+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// below is random._randbelow_with_getrandbits (n < 2^32).
func (r *pyRandom) below(n int) int {
	k := bits.Len(uint(n))
	for {
		v := int(r.uint32() >> (32 - k))
		if v < n {
			return v
		}
	}
}

func (r *pyRandom) randint(a, b int) int { return a + r.below(b-a+1) }

func (r *pyRandom) random() float64 {
	a, b := r.uint32()>>5, r.uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}
