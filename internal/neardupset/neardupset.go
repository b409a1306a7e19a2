// Package neardupset makes a near-duplicate test set from source photos, to measure where the cosine similarity
// of image embeddings separates "the same image" from "a different image" (the default bound of
// `sorter duplicates`).
//
// For each source photo, Make writes copies an investigator would call the same image (JPEG re-encodes, resizes,
// off-centre crops, rotations and borders, screenshot-like frames, colour shifts, a mirror, watermarks and text
// overlays, and the combinations reposts go through), each paired with its source and marked NearDup. It also
// writes pairs of crops of the same photo that overlap little or not at all, marked not NearDup: the nearest
// stand-in this set has for "another photo of the same scene" (a real second photo from another angle or moment
// would differ in content the same way, and also in viewpoint and lighting, which crops do not reproduce).
// Pairs of different sources are the other not-duplicates (DifferentPairs); they are only different photos when
// the sources are.
//
// Everything is deterministic: each copy's random choices (crop offsets) come from a seed made of the source's
// base name and the transform's name, and the encoders are Go's image/jpeg and image/png, so the same inputs
// and toolchain give the same bytes.
package neardupset

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bellingcat/smart-image-sorter/imagefile"
)

// Format is how a copy is saved: JPEG at Quality, or PNG (lossless) when Quality is 0.
type Format struct{ Quality int }

// PNG saves losslessly, so that a single transform is measured without JPEG loss on top.
var PNG = Format{}

// JPEG saves at quality q.
func JPEG(q int) Format { return Format{Quality: q} }

// Transform is one named way of making a copy (or a part) of a source photo.
type Transform struct {
	Name string
	// Family groups transforms for recall figures: reencode, resize, crop, frame, colour, mirror, overlay,
	// combo, lossless; and part for the not-duplicate crops.
	Family string
	// NearDup: the copy is the same image as its source. False for the parts, which are paired with each other.
	NearDup bool
	Apply   func(src *image.RGBA, rng *rand.Rand) (image.Image, Format)
}

// File is one written image.
type File struct {
	Path      string // in the output folder
	Source    string // the source photo's path
	Transform string
	Family    string
	NearDup   bool // a near-duplicate of Source
}

// Pair is two images labelled as the same image (NearDup) or not.
type Pair struct {
	A, B    string // paths
	Kind    string // the transform's name; "part-*" for crops of one photo; "different" for different sources
	Family  string
	NearDup bool
	Source  string // the source photo A and B come from; "" for different sources
}

// Set is what Make wrote.
type Set struct {
	Dir     string
	Sources []string
	Files   []File
	// Pairs are every copy with its source (NearDup) and the part pairs of each source (not NearDup).
	Pairs []Pair
}

// DifferentPairs pairs every two sources, not NearDup. They are different photos only if the sources given to
// Make were (the fixture photos 12-15 are smaller versions of samples/photos, for instance).
func (s Set) DifferentPairs() []Pair {
	var ps []Pair
	for i := range s.Sources {
		for j := i + 1; j < len(s.Sources); j++ {
			ps = append(ps, Pair{A: s.Sources[i], B: s.Sources[j], Kind: "different", Family: "different"})
		}
	}
	return ps
}

// partPairs are the not-duplicate pairs among the parts: two crops of one photo.
var partPairs = [][3]string{
	// kind, a, b
	{"part-apart", "part-a45", "part-b45"},     // 45% each along the long side, 10% gap: no overlap
	{"part-overlap20", "part-a60", "part-b60"}, // 60% each: they share 20% of the long side (IoU 0.2)
}

// Make writes the copies of every source under dir (one folder per source) and lists them. Sources are decoded
// as the sorter decodes them (imagefile: EXIF orientation applied, alpha dropped).
func Make(dir string, sources []string) (Set, error) {
	set := Set{Dir: dir, Sources: append([]string(nil), sources...)}
	folders := folderNames(sources)
	results := make([][]File, len(sources))
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = makeOne(filepath.Join(dir, folders[i]), src)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return Set{}, fmt.Errorf("%s: %w", sources[i], err)
		}
		byName := map[string]string{}
		for _, f := range results[i] {
			set.Files = append(set.Files, f)
			byName[f.Transform] = f.Path
			if f.NearDup {
				set.Pairs = append(set.Pairs, Pair{A: f.Source, B: f.Path, Kind: f.Transform, Family: f.Family, NearDup: true, Source: f.Source})
			}
		}
		for _, pp := range partPairs {
			set.Pairs = append(set.Pairs, Pair{A: byName[pp[1]], B: byName[pp[2]], Kind: pp[0], Family: "part", Source: sources[i]})
		}
	}
	return set, nil
}

// folderNames are the sources' base names without extension, numbered when two are the same.
func folderNames(sources []string) []string {
	names := make([]string, len(sources))
	count := map[string]int{}
	for i, s := range sources {
		b := filepath.Base(s)
		names[i] = strings.TrimSuffix(b, filepath.Ext(b))
		count[names[i]]++
	}
	for i := range names {
		if count[names[i]] > 1 {
			names[i] = fmt.Sprintf("%02d-%s", i, names[i])
		}
	}
	return names
}

func makeOne(dir, src string) ([]File, error) {
	img, err := imagefile.Load(src, imagefile.Options{})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Base(src)
	var files []File
	for _, t := range Transforms {
		out, f := t.Apply(img, rand.New(rand.NewPCG(seed(base, t.Name), 0x5eed)))
		ext := ".png"
		if f.Quality > 0 {
			ext = ".jpg"
		}
		path := filepath.Join(dir, t.Name+ext)
		if err := save(path, out, f); err != nil {
			return nil, err
		}
		files = append(files, File{Path: path, Source: src, Transform: t.Name, Family: t.Family, NearDup: t.NearDup})
	}
	return files, nil
}

func seed(base, transform string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(base))
	h.Write([]byte{0})
	h.Write([]byte(transform))
	return h.Sum64()
}

func save(path string, img image.Image, f Format) error {
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if f.Quality > 0 {
		err = jpeg.Encode(bw, img, &jpeg.Options{Quality: f.Quality})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(bw, img)
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
