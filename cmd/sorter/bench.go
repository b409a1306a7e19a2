package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

// benchOutput mirrors the keys of shared/bench/torch_clip.py --bench so the two can be read side by side.
type benchOutput struct {
	Model       string             `json:"model"`
	Backend     string             `json:"backend"`
	LoadSeconds float64            `json:"load_seconds"`
	Rates       map[string]float64 `json:"rates"`
	PeakRSSMB   float64            `json:"peak_rss_mb"`
	GOMAXPROCS  int                `json:"gomaxprocs"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "bench --model MODEL [--seconds S]", stderr)
	modelSpec := fs.String("model", "", "checkpoint directory or Hugging Face Hub id")
	revision := fs.String("revision", "", revisionHelp)
	seconds := fs.Float64("seconds", 3, "minimum time per measurement, after two warm-up calls")
	batches := fs.String("batches", "1,8,32", "image-tower batch sizes to time")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	start := time.Now()
	m, err := openModel(ctx, *modelSpec, *revision, stderr)
	if err != nil {
		return err
	}
	defer m.Close()
	out := benchOutput{
		Model: *modelSpec, Backend: m.Backend().Name(), LoadSeconds: round2(time.Since(start).Seconds()),
		Rates: map[string]float64{}, GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	minTime := time.Duration(*seconds * float64(time.Second))
	rng := rand.New(rand.NewPCG(1, 2))
	s := m.ImageSize()
	randomImages := func(n int) [][]float32 {
		px := make([][]float32, n)
		for i := range px {
			px[i] = make([]float32, 3*s*s)
			for j := range px[i] {
				px[i][j] = float32(rng.NormFloat64())
			}
		}
		return px
	}
	for _, field := range strings.Split(*batches, ",") {
		var bs int
		if _, err := fmt.Sscan(strings.TrimSpace(field), &bs); err != nil || bs < 1 {
			return &userError{msg: "--batches must be a comma-separated list of positive integers", usage: true}
		}
		px := randomImages(bs)
		rate, err := timeCalls(ctx, minTime, bs, func() error { _, err := m.EmbedImages(px); return err })
		if err != nil {
			return err
		}
		out.Rates[fmt.Sprintf("image_tower_batch%d_images_per_s", bs)] = rate
	}
	// 77-token prompts, as torch_clip.py times the text tower.
	long := strings.Repeat("word ", 80)
	for _, bs := range []int{1, 5} {
		texts := make([]string, bs)
		for i := range texts {
			texts[i] = long
		}
		rate, err := timeCalls(ctx, minTime, bs, func() error { _, err := m.EmbedTexts(texts); return err })
		if err != nil {
			return err
		}
		out.Rates[fmt.Sprintf("text_tower_batch%d_len77_prompts_per_s", bs)] = rate
	}
	// The original tool's per-image work: image tower at batch 1 plus the text tower over 5 label prompts.
	labels := []string{"weapon", "a meme", "screenshot of a newspaper article", "a picture of a person", "cat"}
	prompts, _ := sorter.Prompts(sorter.DefaultTemplate, labels)
	one := randomImages(1)
	rate, err := timeCalls(ctx, minTime, 1, func() error {
		if _, err := m.EmbedImages(one); err != nil {
			return err
		}
		_, err := m.EmbedTexts(prompts)
		return err
	})
	if err != nil {
		return err
	}
	out.Rates["original_pipeline_5_labels_images_per_s"] = rate
	out.PeakRSSMB = round2(peakRSSMB())
	return writeJSON(stdout, out)
}

// timeCalls runs f twice to warm up, then repeatedly for at least minTime and 3 calls, and returns items/s.
func timeCalls(ctx context.Context, minTime time.Duration, itemsPerCall int, f func() error) (float64, error) {
	for range 2 {
		if err := f(); err != nil {
			return 0, err
		}
	}
	n, start := 0, time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return 0, &userError{msg: "interrupted", err: err}
		}
		if err := f(); err != nil {
			return 0, err
		}
		n++
		if elapsed := time.Since(start); elapsed >= minTime && n >= 3 {
			return round2(float64(n*itemsPerCall) / elapsed.Seconds()), nil
		}
	}
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
