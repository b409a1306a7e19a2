package neardupset

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bellingcat/smart-image-sorter/models"
)

// TestMeasure prints, for each model, the cosine similarity of every near-duplicate with its source and of the
// not-duplicate pairs, then recall and false-positive rates for candidate bounds. It runs only with
// NEARDUP_MEASURE=1:
//
//	GOEXPERIMENT=simd NEARDUP_MEASURE=1 go test ./internal/neardupset -run TestMeasure -v -timeout 2h
//
// Settings (environment):
//
//	NEARDUP_MODELS         comma-separated checkpoint folders or Hub ids (default: the full-size random-weight
//	                       checkpoints in /tmp/sorter-bench and the tiny fixtures, those present)
//	NEARDUP_PHOTOS         the benchmark photo set made by make_photo_set.py with seed 7 (default
//	                       /tmp/sorter-bench/photos-200; skipped if absent)
//	NEARDUP_PHOTO_SOURCES  how many of its photos also get copies made (default 20)
//	NEARDUP_DIR            where the copies are written (default a temporary folder)
//	NEARDUP_OUT            also write the tables to this file
//
// Pairs measured. Near-duplicates: every copy (Transforms) with its source, for the 10 sample photos and the
// first NEARDUP_PHOTO_SOURCES benchmark photos; the fixture photos 12-15 (the same photos as samples/photos,
// resized and re-encoded by another tool) with their sample photo ("external"); every benchmark photo with the
// sample photo it was cut from ("bench-crop", by the share of the area kept: the crop is also upscaled to 1280
// pixels and re-encoded). Not duplicates: the part pairs (two crops of one photo, no or 20% overlap); two
// benchmark photos cut from the same sample photo that overlap less than 10% (IoU; "same-scene"); every two
// originals (samples and benchmark photos) from different sample photos ("different"); and the same edit
// applied to photos of different sample photos ("different-same-edit": two screenshots, two letterboxed photos,
// ...).
func TestMeasure(t *testing.T) {
	if os.Getenv("NEARDUP_MEASURE") == "" {
		t.Skip("set NEARDUP_MEASURE=1 to measure (slow; needs the model checkpoints)")
	}
	const samplesDir = "../../samples/photos"
	modelSpecs := envList("NEARDUP_MODELS", []string{
		"/tmp/sorter-bench/clip-vit-base-patch32",
		"/tmp/sorter-bench/siglip-base-patch16-224",
		"../../testdata/fixtures/clip-tiny",
		"../../testdata/fixtures/siglip-tiny",
	})
	photosDir := envOr("NEARDUP_PHOTOS", "/tmp/sorter-bench/photos-200")
	nPhotoSources, _ := strconv.Atoi(envOr("NEARDUP_PHOTO_SOURCES", "20"))
	dir := envOr("NEARDUP_DIR", t.TempDir())

	samples, _ := filepath.Glob(samplesDir + "/*.jpg")
	pngs, _ := filepath.Glob(samplesDir + "/*.png")
	samples = append(samples, pngs...)
	slices.Sort(samples)

	// parent: the sample photo an image is a copy or crop of (samples are their own parent).
	parent := map[string]string{}
	for _, s := range samples {
		parent[s] = s
	}
	var origins []photoOrigin
	if _, err := os.Stat(photosDir); err == nil {
		var err error
		if origins, err = photoSetOrigins(photosDir, samplesDir, 200, 7); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("no benchmark photos in %s: measuring the sample photos only", photosDir)
	}
	for _, o := range origins {
		parent[o.Path] = o.Parent
	}
	sources := slices.Clone(samples)
	for _, o := range origins[:min(nPhotoSources, len(origins))] {
		sources = append(sources, o.Path)
	}
	start := time.Now()
	set, err := Make(dir, sources)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d copies of %d sources in %s (%v)", len(set.Files), len(sources), dir, time.Since(start).Round(time.Second))

	var pairs []Pair
	pairs = append(pairs, set.Pairs...)
	fixtures := map[string]string{"12_chelsea_451x300.jpg": "cat.jpg", "13_coffee_512x341.jpg": "coffee.jpg",
		"14_astronaut_512x512.jpg": "astronaut.jpg", "15_rocket_512x342.jpg": "rocket.jpg"}
	for f, s := range fixtures {
		pairs = append(pairs, Pair{A: filepath.Join(samplesDir, s), B: filepath.Join(fixtureImages, f), Kind: "external", Family: "external", NearDup: true})
	}
	for _, o := range origins {
		k := "bench-crop-" + areaBucket(o.Area)
		pairs = append(pairs, Pair{A: o.Parent, B: o.Path, Kind: k, Family: "bench-crop", NearDup: true})
	}
	for i, a := range origins {
		for _, b := range origins[i+1:] {
			if a.Parent == b.Parent && iou(a.Box, b.Box) < 0.1 {
				pairs = append(pairs, Pair{A: a.Path, B: b.Path, Kind: "same-scene-iou<0.1", Family: "same-scene"})
			}
		}
	}
	originals := slices.Clone(samples)
	for _, o := range origins {
		originals = append(originals, o.Path)
	}
	for i, a := range originals {
		for _, b := range originals[i+1:] {
			if parent[a] != parent[b] {
				pairs = append(pairs, Pair{A: a, B: b, Kind: "different", Family: "different"})
			}
		}
	}
	copies := map[string][]File{} // by transform
	for _, f := range set.Files {
		if f.NearDup {
			copies[f.Transform] = append(copies[f.Transform], f)
		}
	}
	for _, tr := range Transforms {
		fs := copies[tr.Name]
		for i, a := range fs {
			for _, b := range fs[i+1:] {
				if parent[a.Source] != parent[b.Source] {
					pairs = append(pairs, Pair{A: a.Path, B: b.Path, Kind: "dse:" + tr.Name, Family: "different-same-edit"})
				}
			}
		}
	}

	paths := map[string]bool{}
	for _, p := range pairs {
		paths[p.A], paths[p.B] = true, true
	}
	var out io.Writer = os.Stdout
	if f := os.Getenv("NEARDUP_OUT"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		out = io.MultiWriter(os.Stdout, w)
	}
	fmt.Fprintf(out, "# Near-duplicate measurement: %d sources (%d sample photos, %d benchmark photos), %d images, %d pairs\n\n",
		len(sources), len(samples), len(sources)-len(samples), len(paths), len(pairs))
	for _, spec := range modelSpecs {
		if strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, ".") {
			if _, err := os.Stat(spec); err != nil {
				t.Logf("skipping %s: %v", spec, err)
				continue
			}
		}
		m, err := models.Open(context.Background(), spec, models.Options{Logf: t.Logf})
		if err != nil {
			t.Logf("skipping %s: %v", spec, err)
			continue
		}
		start := time.Now()
		emb, err := embedAll(m, slices.Sorted(maps.Keys(paths)), t.Logf)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "## %s (embedding size %d, %d images embedded in %v)\n\n", spec, len(emb[pairs[0].A]), len(emb), time.Since(start).Round(time.Second))
		report(out, pairs, emb)
	}
}

func areaBucket(a float64) string {
	switch {
	case a < 0.4:
		return "25-40%"
	case a < 0.6:
		return "40-60%"
	case a < 0.8:
		return "60-80%"
	}
	return "80-100%"
}

func embedAll(m models.Model, paths []string, logf func(string, ...any)) (map[string][]float32, error) {
	const batch = 16
	emb := make(map[string][]float32, len(paths))
	for i := 0; i < len(paths); i += batch {
		chunk := paths[i:min(i+batch, len(paths))]
		px := make([][]float32, len(chunk))
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		for j, p := range chunk {
			wg.Go(func() { px[j], errs[j] = m.PreprocessImage(p, 0) })
		}
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("%s: %w", chunk[j], err)
			}
		}
		e, err := m.EmbedImages(px)
		if err != nil {
			return nil, err
		}
		for j, p := range chunk {
			emb[p] = e[j]
		}
		if logf != nil && (i/batch)%20 == 19 {
			logf("embedded %d of %d images", len(emb), len(paths))
		}
	}
	return emb, nil
}

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s // embeddings are L2-normalised
}

// quantile of sorted xs, nearest rank.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[max(0, min(len(xs)-1, i))]
}

func report(out io.Writer, pairs []Pair, emb map[string][]float32) {
	sims := map[string][]float64{} // by kind
	famSims := map[string][]float64{}
	var kinds, fams []string
	nearDupKind := map[string]bool{}
	famOf := map[string]string{}
	for _, p := range pairs {
		s := cosine(emb[p.A], emb[p.B])
		if _, ok := sims[p.Kind]; !ok {
			kinds = append(kinds, p.Kind)
			nearDupKind[p.Kind] = p.NearDup
			famOf[p.Kind] = p.Family
		}
		if _, ok := famSims[p.Family]; !ok {
			fams = append(fams, p.Family)
		}
		sims[p.Kind] = append(sims[p.Kind], s)
		famSims[p.Family] = append(famSims[p.Family], s)
	}
	for _, xs := range sims {
		slices.Sort(xs)
	}
	for _, xs := range famSims {
		slices.Sort(xs)
	}
	var ndFams, notFams []string
	for _, f := range fams {
		if nearDupKind[kindOfFamily(pairs, f)] {
			ndFams = append(ndFams, f)
		} else {
			notFams = append(notFams, f)
		}
	}

	fmt.Fprintf(out, "### Near-duplicates: cosine similarity with the source\n\n| transform | family | n | min | p10 | median |\n|---|---|---:|---:|---:|---:|\n")
	for _, k := range kinds {
		if !nearDupKind[k] {
			continue
		}
		xs := sims[k]
		fmt.Fprintf(out, "| %s | %s | %d | %.4f | %.4f | %.4f |\n", k, famOf[k], len(xs), xs[0], quantile(xs, 0.1), quantile(xs, 0.5))
	}
	fmt.Fprintf(out, "\n### Not duplicates\n\n| kind | n | max | p99.9 | p99 | p95 | median |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range notFams {
		xs := famSims[f]
		fmt.Fprintf(out, "| %s (all) | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n", f, len(xs), xs[len(xs)-1], quantile(xs, 0.999), quantile(xs, 0.99), quantile(xs, 0.95), quantile(xs, 0.5))
	}
	// the part kinds, and the different-same-edit kinds with the highest max
	var dse []string
	for _, k := range kinds {
		if nearDupKind[k] {
			continue
		}
		if famOf[k] == "part" {
			xs := sims[k]
			fmt.Fprintf(out, "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n", k, len(xs), xs[len(xs)-1], quantile(xs, 0.999), quantile(xs, 0.99), quantile(xs, 0.95), quantile(xs, 0.5))
		} else if famOf[k] == "different-same-edit" {
			dse = append(dse, k)
		}
	}
	slices.SortFunc(dse, func(a, b string) int {
		return -cmpF(sims[a][len(sims[a])-1], sims[b][len(sims[b])-1])
	})
	for _, k := range dse[:min(8, len(dse))] {
		xs := sims[k]
		fmt.Fprintf(out, "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n", k, len(xs), xs[len(xs)-1], quantile(xs, 0.999), quantile(xs, 0.99), quantile(xs, 0.95), quantile(xs, 0.5))
	}

	bounds := []float64{}
	for b := 80; b <= 99; b++ {
		bounds = append(bounds, float64(b)/100)
	}
	bounds = append(bounds, 0.995, 0.998, 0.999)
	fmt.Fprintf(out, "\n### Recall (near-duplicates at or above the bound) and false-positive rate (not-duplicates at or above)\n\n| bound |")
	for _, f := range ndFams {
		fmt.Fprintf(out, " %s |", f)
	}
	fmt.Fprintf(out, " all near-dups |")
	for _, f := range notFams {
		fmt.Fprintf(out, " FP %s |", f)
	}
	fmt.Fprintf(out, "\n|---:|%s\n", strings.Repeat("---:|", len(ndFams)+1+len(notFams)))
	var allNd []float64
	for _, f := range ndFams {
		allNd = append(allNd, famSims[f]...)
	}
	slices.Sort(allNd)
	for _, b := range bounds {
		fmt.Fprintf(out, "| %.3f |", b)
		for _, f := range ndFams {
			fmt.Fprintf(out, " %.0f%% |", 100*above(famSims[f], b))
		}
		fmt.Fprintf(out, " %.1f%% |", 100*above(allNd, b))
		for _, f := range notFams {
			fmt.Fprintf(out, " %.2f%% |", 100*above(famSims[f], b))
		}
		fmt.Fprintln(out)
	}
	// Bounds set by the different-photo pairs themselves: comparable across models whose similarity scales differ.
	if diff := famSims["different"]; len(diff) > 0 {
		fmt.Fprintf(out, "\n### Recall at bounds set by the different-photo pairs (scale-free)\n\n| bound from | bound |")
		for _, f := range ndFams {
			fmt.Fprintf(out, " %s |", f)
		}
		fmt.Fprintf(out, " all near-dups | missed (recall < 50%%) |\n|---|---:|%s---|\n", strings.Repeat("---:|", len(ndFams)+1))
		for _, q := range []struct {
			name string
			v    float64
		}{{"max different + 0.0001", diff[len(diff)-1] + 0.0001}, {"p99.99 different", quantile(diff, 0.9999)}, {"p99.9 different", quantile(diff, 0.999)}, {"p99 different", quantile(diff, 0.99)}} {
			fmt.Fprintf(out, "| %s | %.4f |", q.name, q.v)
			for _, f := range ndFams {
				fmt.Fprintf(out, " %.0f%% |", 100*above(famSims[f], q.v))
			}
			var missed []string
			for _, k := range kinds {
				if nearDupKind[k] && above(sims[k], q.v) < 0.5 {
					missed = append(missed, k)
				}
			}
			fmt.Fprintf(out, " %.1f%% | %s |\n", 100*above(allNd, q.v), strings.Join(missed, ", "))
		}
	}

	fmt.Fprintf(out, "\n### Transforms missed (recall < 100%%) at each bound\n\n| bound | missed: transform recall |\n|---:|---|\n")
	for _, b := range bounds {
		var missed []string
		for _, k := range kinds {
			if nearDupKind[k] {
				if r := above(sims[k], b); r < 1 {
					missed = append(missed, fmt.Sprintf("%s %.0f%%", k, 100*r))
				}
			}
		}
		fmt.Fprintf(out, "| %.3f | %s |\n", b, strings.Join(missed, ", "))
	}
	fmt.Fprintln(out)
}

func kindOfFamily(pairs []Pair, f string) string {
	for _, p := range pairs {
		if p.Family == f {
			return p.Kind
		}
	}
	return ""
}

func above(sorted []float64, b float64) float64 {
	i, _ := slices.BinarySearch(sorted, b)
	return float64(len(sorted)-i) / float64(len(sorted))
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envList(k string, def []string) []string {
	if v := os.Getenv(k); v != "" {
		return strings.Split(v, ",")
	}
	return def
}
