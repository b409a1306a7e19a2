// Command benchfill prepares the search and duplicates benchmarks (scripts/bench-search.sh): a folder of N small,
// distinct image files and an embedding cache that already holds an embedding for each of them under a real
// checkpoint's cache key, as if that model had embedded them. Embedding 100,000 images for real takes hours
// here; the benchmarks time what comes after (reading the folder and the cache, loading the model, embedding the
// query, ranking, grouping), which does not depend on what the vectors are, only on how they are spread.
//
// The vectors are synthetic and shaped like CLIP image embeddings: a strong shared direction (real CLIP image
// embeddings of unrelated photos have cosine similarities around 0.5), 2,000 topics, per-image spread, and one
// image in 50 a near-duplicate of the one before it (cosine ~0.97). They are deterministic.
//
//	go run ./scripts/benchfill --model DIR --images DIR --n 100000 --cache FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func main() {
	model := flag.String("model", "", "checkpoint folder or Hub id whose cache key the embeddings are stored under")
	dir := flag.String("images", "", "folder of images to create (kept when complete)")
	n := flag.Int("n", 100000, "number of images")
	cache := flag.String("cache", "", "embedding cache file to fill")
	flag.Parse()
	if *model == "" || *dir == "" || *cache == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*model, *dir, *n, *cache); err != nil {
		fmt.Fprintln(os.Stderr, "benchfill:", err)
		os.Exit(1)
	}
}

func run(modelSpec, dir string, n int, cache string) error {
	if err := makeImages(dir, n); err != nil {
		return err
	}
	m, err := models.Open(context.Background(), modelSpec, models.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	f := sorter.DefaultFolder()
	f.Source, f.CachePath, f.BatchSize = dir, cache, 256
	start := time.Now()
	col, err := sorter.Collect(context.Background(), &synthetic{Model: m, dim: m.EmbeddingSize()}, f)
	if err != nil {
		return err
	}
	fmt.Printf("benchfill: %d images in %s, %d embeddings stored (%d already there) in %s, in %.1f s\n",
		len(col.Images), dir, col.Computed, col.CacheHits, cache, time.Since(start).Seconds())
	return nil
}

// makeImages writes n distinct 16x12 PNGs named img000000.png... unless dir/.complete says they exist.
func makeImages(dir string, n int) error {
	marker := filepath.Join(dir, ".complete")
	if data, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(data)) == strconv.Itoa(n) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	img := image.NewNRGBA(image.Rect(0, 0, 16, 12))
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255
		}
		img.SetNRGBA(0, 0, color.NRGBA{uint8(i), uint8(i >> 8), uint8(i >> 16), 255}) // distinct bytes
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("img%06d.png", i)))
		if err != nil {
			return err
		}
		err = png.Encode(out, img)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return os.WriteFile(marker, []byte(strconv.Itoa(n)+"\n"), 0o644)
}

// synthetic is the real model with its image embeddings replaced by the synthetic ones described above.
type synthetic struct {
	models.Model
	dim int
}

// PreprocessImage passes the image's number on to EmbedImages.
func (s *synthetic) PreprocessImage(path string, _ int64) ([]float32, error) {
	i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "img"), ".png"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a benchfill image", path)
	}
	return []float32{float32(i)}, nil
}

func (s *synthetic) EmbedImages(pixels [][]float32) ([][]float32, error) {
	out := make([][]float32, len(pixels))
	for k, p := range pixels {
		out[k] = vector(int(p[0]), s.dim)
	}
	return out, nil
}

// vector is image i's synthetic embedding: shared direction + topic + own spread, normalised; every 50th
// image (i%50 == 1) is image i-1 plus a little noise.
func vector(i, dim int) []float32 {
	if i%50 == 1 {
		v := vector(i-1, dim)
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		for j := range v {
			v[j] += float32(rng.NormFloat64() * 0.25 / math.Sqrt(float64(dim)))
		}
		return normalised(v)
	}
	shared := rand.New(rand.NewPCG(0, 0))
	topic := rand.New(rand.NewPCG(uint64(i%2000), 2))
	own := rand.New(rand.NewPCG(uint64(i), 4))
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(0.7*shared.NormFloat64() + 0.5*topic.NormFloat64() + 0.5*own.NormFloat64())
	}
	return normalised(v)
}

func normalised(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(s))
	for j := range v {
		v[j] /= n
	}
	return v
}
