package similarity

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Hit is one search result: a row index and its score (dot product with
// the query, which is the cosine similarity for L2-normalised vectors).
type Hit struct {
	Index int
	Score float32
}

// better is the result order: higher score first, ties by lower index. A
// NaN score (only possible with NaN in the data or the query) ranks after
// every number, so it can never push a real match out of the top k.
func better(a, b Hit) bool {
	an, bn := a.Score != a.Score, b.Score != b.Score
	switch {
	case an != bn:
		return bn
	case !an && a.Score != b.Score:
		return a.Score > b.Score
	}
	return a.Index < b.Index
}

// topScanChunk is how many rows are scored between two passes over the
// top-k heap; small enough for the scores to stay in L1.
const topScanChunk = 1024

// topParallelMin is the matrix size (rows*dim) below which Top stays on
// one goroutine: under it, starting goroutines costs more than it saves.
const topParallelMin = 1 << 18

// Top returns the k rows of m with the highest dot product with q, best
// first, ties broken by lower row index. If k exceeds the number of rows it
// returns all of them; k <= 0 gives nil. It is an exact linear scan (one
// pass over m, split across GOMAXPROCS goroutines for large matrices):
// 100,000 x 512 is a 200 MB read, a few tens of milliseconds.
//
// It panics if len(q) != m.Dim or m is malformed, which are programming
// errors rather than data errors.
func Top(m Matrix, q []float32, k int) []Hit {
	if err := m.check(); err != nil {
		panic(err)
	}
	n := m.Len()
	if n > 0 && len(q) != m.Dim {
		panic(fmt.Sprintf("similarity: query has dimension %d, matrix %d", len(q), m.Dim))
	}
	if k <= 0 || n == 0 {
		return nil
	}
	k = min(k, n)

	workers := 1
	if n*m.Dim >= topParallelMin {
		workers = min(runtime.GOMAXPROCS(0), n/topScanChunk+1)
	}
	parts := make([][]Hit, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { parts[w] = topRange(m, q, k, lo, hi) })
	}
	wg.Wait()

	var all []Hit
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if better(a, b) {
			return -1
		}
		return 1 // never equal: indices differ
	})
	return all[:min(k, len(all))]
}

// topRange returns the best k rows among rows [lo, hi), in no particular
// order. It keeps a heap of the k best seen so far with the worst on top,
// so most rows cost one comparison.
func topRange(m Matrix, q []float32, k, lo, hi int) []Hit {
	h := make(hitHeap, 0, min(k, hi-lo))
	scores := make([]float32, topScanChunk)
	for start := lo; start < hi; start += topScanChunk {
		end := min(start+topScanChunk, hi)
		s := scores[:end-start]
		scoreRows(m.Data[start*m.Dim:end*m.Dim], q, s)
		for i, v := range s {
			c := Hit{Index: start + i, Score: v}
			if len(h) < k {
				h.push(c)
			} else if better(c, h[0]) {
				h[0] = c
				h.down(0)
			}
		}
	}
	return h
}

// hitHeap is a binary heap ordered so that the worst hit is at index 0.
type hitHeap []Hit

func (h *hitHeap) push(x Hit) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !better(s[p], s[i]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h hitHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && better(h[l], h[r]) {
			w = r
		}
		if !better(h[i], h[w]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}
