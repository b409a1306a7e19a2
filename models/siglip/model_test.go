package siglip

import (
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/goldentest"
	"github.com/bellingcat/smart-image-sorter/models/tower"
)

// TestPatchSizeNotDividingImageSize: as in google/siglip-so400m-patch14-384 (27 patches of 14 cover 378 of 384
// pixels), the convolution never reads the last rows and columns. siglip-tiny's weights with image_size 239 (14
// patches of 16 cover 224) must give the golden embeddings for images whose first 224 rows and columns are the
// golden pixel_values, whatever the other 15 hold.
func TestPatchSizeNotDividingImageSize(t *testing.T) {
	dir := fixtureFolder(t, "siglip-tiny")
	writeFile(t, dir, "config.json", `{"model_type": "siglip", "text_config": {"hidden_size": 32, "intermediate_size": 48,
		"num_attention_heads": 2, "num_hidden_layers": 3, "vocab_size": 3000}, "vision_config": {"hidden_size": 32,
		"intermediate_size": 80, "num_attention_heads": 4, "num_hidden_layers": 2, "patch_size": 16, "image_size": 239}}`)
	writeFile(t, dir, "preprocessor_config.json", `{"size": {"height": 239, "width": 239}, "resample": 3, "image_mean": 0.5, "image_std": 0.5}`)
	g := loadModelGoldens(t, "siglip-tiny")
	rng := rand.New(rand.NewSource(1))
	const big, small = 239, 224
	pixels := make([][]float32, len(g.Pixels))
	for i, ref := range g.Pixels {
		p := make([]float32, 3*big*big)
		for j := range p {
			p[j] = 2*rng.Float32() - 1 // what the patches must not read
		}
		for c := range 3 {
			for y := range small {
				copy(p[c*big*big+y*big:][:small], ref[c*small*small+y*small:][:small])
			}
		}
		pixels[i] = p
	}
	for engine, backend := range enginetest.Backends(t) {
		t.Run(engine, func(t *testing.T) {
			m, err := Load(dir, Options{Backend: backend})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.ImageSize() != big || m.Config.VisionConfig.GridSize() != 14 {
				t.Fatalf("image size %d, grid %d", m.ImageSize(), m.Config.VisionConfig.GridSize())
			}
			got, err := m.EmbedImages(pixels)
			if err != nil {
				t.Fatal(err)
			}
			want, err := loadFixtureModel(t, "siglip-tiny", engine).EmbedImages(g.Pixels)
			if err != nil {
				t.Fatal(err)
			}
			goldentest.CheckClose(t, "image_embeds at 239 vs 224", got, want, 1e-6)
			goldentest.CheckClose(t, "image_embeds at 239 vs golden", got, g.ImageEmbeds, 1e-4)
		})
	}
}

// TestTextDependsOnPadding: with no mask and no causal mask, the padding after a prompt changes its embedding
// (the reason every prompt is padded to 64 and the sequence is never trimmed, unlike CLIP's). Padding with
// another id must move the embedding by far more than rounding.
func TestTextDependsOnPadding(t *testing.T) {
	m := loadFixtureModel(t, "siglip2-tiny", "go")
	g := loadModelGoldens(t, "siglip2-tiny")
	row := append([]int32(nil), g.InputIDs[0]...)
	for i := range row {
		if row[i] == 0 { // SigLIP2 pads with <pad> = 0
			row[i] = 1
		}
	}
	features := m.runText(t, [][]int32{g.InputIDs[0], row})
	embeds := l2Normalize(features)
	if d, _, _ := goldentest.MaxDiff(embeds[:1], embeds[1:], false); d < 0.01 {
		t.Errorf("padding with <eos> instead of <pad> moved the embedding by %g only", d)
	}
	goldentest.CheckClose(t, "text_embeds with the golden padding", embeds[:1], g.TextEmbeds[:1], 1e-4)
}

// TestEmbedTextsBatches: more texts than one text-tower call takes give the same embeddings as one by one.
func TestEmbedTextsBatches(t *testing.T) {
	m := loadFixtureModel(t, "siglip-tiny", "go")
	texts := make([]string, tower.MaxTextBatch+3)
	for i := range texts {
		texts[i] = fmt.Sprintf("a photo of %d cats", i)
	}
	all, err := m.EmbedTexts(texts)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, tower.MaxTextBatch - 1, tower.MaxTextBatch, len(texts) - 1} {
		one, err := m.EmbedTexts(texts[i : i+1])
		if err != nil {
			t.Fatal(err)
		}
		goldentest.CheckClose(t, fmt.Sprintf("text %d in a batch vs alone", i), all[i:i+1], one, 1e-6)
	}
	if got, err := m.EmbedTexts(nil); err != nil || len(got) != 0 {
		t.Errorf("no texts: %v, %v", got, err)
	}
	if got, err := m.EmbedImages(nil); err != nil || len(got) != 0 {
		t.Errorf("no images: %v, %v", got, err)
	}
}

// TestConcurrentUse embeds images and texts from several goroutines at once (as the sorter's workers do; run with
// -race).
func TestConcurrentUse(t *testing.T) {
	m := loadFixtureModel(t, "siglip2-tiny", "go")
	g := loadModelGoldens(t, "siglip2-tiny")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			got, err := m.EmbedImages(g.Pixels[i : i+2])
			if err == nil {
				if d, _, _ := goldentest.MaxDiff(got, g.ImageEmbeds[i:i+2], false); d > 1e-4 {
					err = fmt.Errorf("images %d, %d differ by %g", i, i+1, d)
				}
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			got, err := m.EmbedTexts(g.Prompts[i : i+1])
			if err == nil {
				if d, _, _ := goldentest.MaxDiff(got, g.TextEmbeds[i:i+1], false); d > 1e-4 {
					err = fmt.Errorf("prompt %d differs by %g", i, d)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestModelIdentity: Variant from the tokenizer files, CacheKey from the family, checkpoint and preprocessing.
func TestModelIdentity(t *testing.T) {
	v1, v2 := loadFixtureModel(t, "siglip-tiny", "go"), loadFixtureModel(t, "siglip2-tiny", "go")
	if v1.Variant() != "SigLIP" || v2.Variant() != "SigLIP2" {
		t.Errorf("variants %q and %q", v1.Variant(), v2.Variant())
	}
	abs, err := filepath.Abs(filepath.Join(fixturesDir, "siglip-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "siglip|" + abs + "||" + v1.Processor.Fingerprint(); v1.CacheKey() != want {
		t.Errorf("CacheKey %q, want %q", v1.CacheKey(), want)
	}
	if v1.CacheKey() == v2.CacheKey() {
		t.Error("the two checkpoints share a cache key")
	}
	m, err := Load(filepath.Join(fixturesDir, "siglip2-tiny"), Options{Backend: enginetest.Go(t), ID: "google/siglip2-base-patch16-224", Revision: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.HasPrefix(m.CacheKey(), "siglip|google/siglip2-base-patch16-224|abc123|pp-") {
		t.Errorf("CacheKey %q", m.CacheKey())
	}
}

// TestClosed: a closed model says so instead of crashing; Close twice is harmless.
func TestClosed(t *testing.T) {
	m, err := Load(filepath.Join(fixturesDir, "siglip-tiny"), Options{Backend: enginetest.Go(t)})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	m.Close()
	if _, err := m.EmbedTexts([]string{"a cat"}); !errors.Is(err, tower.ErrClosed) {
		t.Errorf("EmbedTexts after Close: %v", err)
	}
	if _, err := m.EmbedImages([][]float32{make([]float32, 3*224*224)}); !errors.Is(err, tower.ErrClosed) {
		t.Errorf("EmbedImages after Close: %v", err)
	}
	if _, err := loadFixtureModel(t, "siglip-tiny", "go").EmbedImages([][]float32{make([]float32, 5)}); err == nil ||
		!strings.Contains(err.Error(), "image 0 has 5 values, the model takes 3x224x224 = 150528") {
		t.Errorf("wrong pixel count: %v", err)
	}
}
