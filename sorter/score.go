package sorter

// Scores: the model's probabilities over the labels for one image, ranked.

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// score is one image's probabilities (in label order) and the label indexes
// from most to least probable (ties keep label order).
type score struct {
	probs []float32
	order []int
}

func newScore(probs []float32) score {
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	return score{probs: probs, order: order}
}

func (s score) best() (int, float32) { return s.order[0], s.probs[s.order[0]] }

// formatScore2 writes a probability as the original tool's score column: Python's
// round(p, 2) of the float32 value, printed as pandas prints a float
// (0.97, 0.5, 1.0). Both Python's round and strconv round the exact binary
// value half-to-even, so 0.125 becomes 0.12.
func formatScore2(p float32) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(float64(p), 'f', 2, 64), 64)
	s := strconv.FormatFloat(r, 'f', -1, 64)
	if !strings.ContainsAny(s, ".nI") { // Python writes 1.0, not 1
		s += ".0"
	}
	return s
}

// formatProb writes a probability with 6 decimals for the extra columns.
func formatProb(p float32) string {
	if math.IsNaN(float64(p)) {
		return "NaN"
	}
	return strconv.FormatFloat(float64(p), 'f', 6, 64)
}
