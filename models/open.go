// Package models opens the model named by a --model argument: a checkpoint folder, or a Hugging Face Hub id
// downloaded into the Hugging Face cache (models/hub), loaded by its family (family.go: CLIP in models/clip,
// SigLIP in models/siglip). The command line and the notebook both open models through Open, so they resolve
// and report the same way.
package models

import (
	"context"
	"fmt"
	"strings"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/models/tower"
	"github.com/gomlx/compute"
)

// DefaultModel is the original tool's default checkpoint.
const DefaultModel = "openai/clip-vit-base-patch32"

// Choice is a checkpoint offered in menus, with what a user needs to choose between them.
type Choice struct {
	ID   string // Hub id
	Note string // size and speed trade-off, in plain words
}

// Choices are well-known checkpoints on the Hub, CLIP first then SigLIP, fastest first; each is tested loading
// from a fake Hub laid out as the real one (hubtest.Layouts, TestChoicesLoadFromRealLayouts). Any other CLIPModel
// or SiglipModel id works too. Speeds are the image tower's compute relative to ViT-B/32 (4.4, 17.6, 81 and 191 G
// multiply-adds per image for B/32, B/16, L/14 and L/14 at 336 pixels; 17.4 G for SigLIP B/16 at 224 pixels,
// 333 G for SigLIP so400m/14 at 384). Sizes are the Hub's model.safetensors.
var Choices = []Choice{
	{"openai/clip-vit-base-patch32", "605 MB, fastest; the original tool's default"},
	{"openai/clip-vit-base-patch16", "600 MB, about 4x slower than B/32, better on small details"},
	{"laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "605 MB, B/32 speed, trained on more data (LAION-2B)"},
	{"openai/clip-vit-large-patch14", "1.7 GB, about 18x slower than B/32, most accurate of OpenAI's"},
	{"openai/clip-vit-large-patch14-336", "1.7 GB, about 43x slower than B/32; L/14 at 336-pixel input"},
	{"geolocal/StreetCLIP", "1.7 GB, about 43x slower than B/32 (an L/14-336); tuned for where a street photo was taken"},
	{"google/siglip-base-patch16-224", "813 MB, about 4x slower than B/32; SigLIP, more accurate than CLIP of its size; English labels"},
	{"google/siglip2-base-patch16-224", "1.5 GB, about 4x slower than B/32; SigLIP2, reads labels in many languages"},
	{"google/siglip-so400m-patch14-384", "3.5 GB, about 75x slower than B/32; SigLIP's most accurate; English labels"},
	{"google/siglip2-so400m-patch14-384", "4.5 GB, about 75x slower than B/32; SigLIP2's most accurate, labels in many languages"},
}

// ChoiceIDs lists the ids of Choices, comma-separated, for help texts.
func ChoiceIDs() string {
	ids := make([]string, len(Choices))
	for i, c := range Choices {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// Options configure Open.
type Options struct {
	Hub hub.Options
	// Logf receives one-line notices: engine fallbacks, a cached model used because the Hub could not be asked.
	Logf func(format string, args ...any)
	// Backend runs the model; nil picks the fastest engine that starts (models/engine).
	Backend compute.Backend
}

// Open resolves spec (a folder or a Hub id) and loads it with its family's code.
func Open(ctx context.Context, spec string, opts Options) (Model, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cp, err := hub.Resolve(ctx, spec, opts.Hub)
	if err != nil {
		return nil, err
	}
	if cp.CacheFallback != nil {
		logf("using the copy of %s already downloaded, because the Hub could not be asked (%v)", cp.ID, cp.CacheFallback)
	}
	if cp.Note != "" {
		logf("%s", cp.Note)
	}
	family, err := FamilyOf(cp.Dir)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", spec, err)
	}
	// A nil Backend: tower.Load picks the fastest engine that starts (models/engine), announcing fallbacks.
	m, err := family.load(cp.Dir, tower.Options{Backend: opts.Backend, ID: cp.ID, Revision: cp.Revision, Logf: logf})
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", spec, err)
	}
	if note := imagefile.JPEGDecoderNote(); note != "" {
		logf("%s", note)
	}
	return m, nil
}
