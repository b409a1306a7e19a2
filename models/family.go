package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bellingcat/smart-image-sorter/models/clip"
	"github.com/bellingcat/smart-image-sorter/models/siglip"
	"github.com/bellingcat/smart-image-sorter/models/tower"
)

// Family is one model family: how its checkpoints are recognised (config.json's model_type, as transformers'
// AutoModel picks a class), how they are loaded, and what its scores mean. families lists them; each family's
// code lives in its own folder (models/clip, ...).
type Family struct {
	Name string // as people know it: "CLIP", "SigLIP"
	// ModelTypes are the config.json model_type values its code reads; its loader refuses those it cannot run
	// (a SigLIP2 NaFlex checkpoint, a single tower) with its own message saying what to use instead.
	ModelTypes []string
	Scores     Scores
	load       func(dir string, o tower.Options) (Model, error)
	owns       func(Model) bool // whether a loaded model is of this family
}

// loader adapts a family's Load to Family.load: a failed load gives a nil Model, not a nil *M inside one.
func loader[M Model](load func(dir string, o tower.Options) (M, error)) func(string, tower.Options) (Model, error) {
	return func(dir string, o tower.Options) (Model, error) {
		m, err := load(dir, o)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// ownedBy reports whether a model is an M.
func ownedBy[M Model](m Model) bool { _, ok := m.(M); return ok }

// Scores says what a family's Probabilities are, so that a threshold means something to a person.
type Scores struct {
	// Sigmoid: each label is scored on its own (SigLIP), so scores do not sum to 1 and several labels may each
	// pass a threshold. Otherwise a softmax shares 1 among the labels (CLIP).
	Sigmoid bool
	// Meaning is one sentence for help texts and reports.
	Meaning string
	// SuggestedThreshold is a sensible --threshold to start from, and ThresholdAdvice says why.
	SuggestedThreshold float64
	ThresholdAdvice    string
}

var softmaxScores = Scores{
	Meaning:            "a probability shared among the labels: the scores of an image add up to 1",
	SuggestedThreshold: 0.5,
	ThresholdAdvice: "scores are shared among the labels, so with more labels the best one scores lower; 0.5 keeps " +
		"images where one label clearly wins, 0.3 is gentler with many labels",
}

// sigmoidScores: Hugging Face's SigLIP examples score a clear match 0.1-0.3 and the other labels 1e-3 or less
// (the model card of google/siglip-base-patch16-224, the pipeline's docs).
var sigmoidScores = Scores{
	Sigmoid:            true,
	Meaning:            "each label's own match score, independent of the other labels (they do not add up to 1, and are often small)",
	SuggestedThreshold: 0.05,
	ThresholdAdvice: "each label is scored on its own and a clear match often scores only 0.1 to 0.3, so thresholds " +
		"meant for CLIP (0.3 to 0.5) send most images to unsorted; start near 0.05",
}

// families are the model families this tool loads, in the order messages list them.
var families = []Family{
	{
		Name: "CLIP", ModelTypes: []string{"clip"}, Scores: softmaxScores,
		load: loader(clip.Load), owns: ownedBy[*clip.Model],
	},
	{
		// SigLIP2 checkpoints of fixed resolution share model_type "siglip"; siglip.Model.Variant tells them apart.
		// siglip.LoadConfig refuses NaFlex SigLIP2 ("siglip2") and single towers, saying what works instead.
		Name: "SigLIP", ModelTypes: []string{"siglip", "siglip2", "siglip_vision_model", "siglip_text_model"},
		Scores: sigmoidScores,
		load:   loader(siglip.Load), owns: ownedBy[*siglip.Model],
	},
}

// FamilyOfModel returns the family of a model Open loaded (nil for models from elsewhere, such as tests' fakes).
func FamilyOfModel(m Model) *Family {
	for i := range families {
		if families[i].owns(m) {
			return &families[i]
		}
	}
	return nil
}

// ThresholdHelp says what a threshold means with each family's scores, for help texts.
func ThresholdHelp() string {
	var b strings.Builder
	b.WriteString("0 to 1: images whose best label scores below it go to the folder \"unsorted\" (default none)")
	for _, f := range families {
		fmt.Fprintf(&b, "; %s: %s, try %g", f.Name, f.Scores.Meaning, f.Scores.SuggestedThreshold)
	}
	return b.String()
}

// modelConfig is the part of config.json that picks the family.
type modelConfig struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
}

// FamilyOf reads dir/config.json and returns the family that loads it, or an error that says what the
// checkpoint is and which families are supported.
func FamilyOf(dir string) (*Family, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var cfg modelConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	for i := range families {
		if slices.Contains(families[i].ModelTypes, cfg.ModelType) {
			return &families[i], nil
		}
	}
	what := fmt.Sprintf("model_type %q", cfg.ModelType)
	if cfg.ModelType == "" {
		what = "no model_type"
	}
	if len(cfg.Architectures) > 0 {
		what += " (" + strings.Join(cfg.Architectures, ", ") + ")"
	}
	return nil, fmt.Errorf("%s: %s is not a model family this tool runs; it runs %s checkpoints (zero-shot image classification models)",
		path, what, FamilyNames())
}

// FamilyNames lists the supported families for messages: "CLIP, SigLIP and SigLIP2".
func FamilyNames() string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.Name
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// ThresholdNote is a one-line warning when threshold is far above what m's family scores a clear match (a
// CLIP-sized threshold with SigLIP would send most images to unsorted), or "".
func ThresholdNote(m Model, threshold float64) string {
	f := FamilyOfModel(m)
	if f == nil || !f.Scores.Sigmoid || threshold <= 4*f.Scores.SuggestedThreshold {
		return ""
	}
	name := f.Name
	if v, ok := m.(interface{ Variant() string }); ok { // SigLIP2 shares SigLIP's family
		name = v.Variant()
	}
	return fmt.Sprintf("threshold %g with a %s model: %s", threshold, name, f.Scores.ThresholdAdvice)
}
