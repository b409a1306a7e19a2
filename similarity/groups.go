package similarity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// EdgeTolerance is how far below bound a computed similarity may be and
// still join two rows: Groups links i and j when the float32 dot product
// of rows i and j is >= bound - EdgeTolerance. It makes identical
// L2-normalised vectors (whose float32 self-dot product can round to just
// under 1) group together even at bound 1, and is far below anything
// meaningful for image similarity.
//
// Guarantee, against exact arithmetic: pairs whose true dot product is at
// least bound + 1e-5 are always linked, pairs at most bound - 1e-5 never
// are (for vectors of norm <= 1 and the dimensions used here, float32
// error is well under 1e-5); pairs in between may go either way.
const EdgeTolerance = 1e-6

// panelRows is the side of one work item: Groups compares a panel of rows
// with another panel (a few hundred kB of augmented vectors, so both stay
// in L2 while 64x16 tiles stream through L1).
const panelRows = 1024

// ErrBound is returned (wrapped) by Groups for a bound outside (0, 1].
var ErrBound = errors.New("similarity: bound must be in (0, 1]")

// Groups returns the near-duplicate groups of the rows of m: the connected
// components of the graph with an edge between i and j when their dot
// product (cosine similarity for normalised rows) is at least bound — i.e.
// single-linkage clusters, so a chain of close pairs joins rows that are
// not close to each other themselves. Only groups of two or more rows are
// returned; each group lists its rows in ascending order and groups are
// ordered by their first row.
//
// The result is exact (see EdgeTolerance for the rounding rule): every pair
// that could possibly reach the bound is checked with a full dot product.
// Most pairs are ruled out by a cheaper test that can only err on the side
// of checking too much (index.go explains the bound), and pairs already
// known to be in one group are not checked at all, so inputs where
// everything is similar cost no more than inputs where nothing is.
//
// bound must be in (0, 1]; m must have no NaN or infinite values. Groups
// stops early with ctx's error when ctx is cancelled. progress, if not
// nil, is called from a single goroutine at a time with the amount of work
// done out of total, at most about a hundred times.
func Groups(ctx context.Context, m Matrix, bound float32, progress func(done, total int)) ([][]int, error) {
	g, _, err := groups(ctx, m, bound, progress, indexOptions{})
	return g, err
}

// groupStats counts what the search did, for tests and benchmarks.
type groupStats struct {
	K          int   // principal coordinates used
	tiles      int64 // tile kernel calls
	skipped    int64 // tiles skipped as already one group
	candidates int64 // pairs that passed the test
	checks     int64 // full dot products computed
	edges      int64 // checks that reached the bound
}

func groups(ctx context.Context, m Matrix, bound float32, progress func(done, total int), opt indexOptions) ([][]int, groupStats, error) {
	var st groupStats
	if !(bound > 0 && bound <= 1) { // also rejects NaN
		return nil, st, fmt.Errorf("%w, got %v", ErrBound, bound)
	}
	if err := m.check(); err != nil {
		return nil, st, err
	}
	for i, v := range m.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, st, fmt.Errorf("similarity: row %d has a non-finite value", i/m.Dim)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}
	n := m.Len()
	if n < 2 {
		return nil, st, nil
	}
	edge := bound - EdgeTolerance
	ix, err := buildIndex(ctx, m, edge, opt)
	if err != nil {
		return nil, st, err
	}
	st.K = ix.K
	uf := newUnionFind(n)

	nPanels := (ix.nPad + panelRows - 1) / panelRows
	type item struct{ I, J int }
	items := make([]item, 0, nPanels*(nPanels+1)/2)
	for I := 0; I < nPanels; I++ {
		for J := I; J < nPanels; J++ {
			items = append(items, item{I, J})
		}
	}
	total := len(items)
	var next, done atomic.Int64
	var progMu sync.Mutex
	lastPct := -1
	report := func(d int) {
		if progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		if pct := d * 100 / total; pct > lastPct {
			lastPct = pct
			progress(d, total)
		}
	}
	report(0)

	workers := min(runtime.GOMAXPROCS(0), total)
	stats := make([]groupStats, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := searcher{ix: ix, uf: uf, m: m, edge: edge, st: &stats[w]}
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= total {
					return
				}
				s.panelPair(items[k].I*panelRows, items[k].J*panelRows)
				report(int(done.Add(1)))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}
	for _, s := range stats {
		st.tiles += s.tiles
		st.skipped += s.skipped
		st.candidates += s.candidates
		st.checks += s.checks
		st.edges += s.edges
	}
	return collectGroups(uf, n), st, nil
}

// searcher is one worker's state for comparing panels.
type searcher struct {
	ix     *index
	uf     *unionFind
	m      Matrix
	edge   float32
	st     *groupStats
	rootsI [panelRows]int32 // cached set roots of the i panel's rows
	rootsJ [panelRows]int32
	uniI   [panelRows / tileRows]int32  // root shared by a whole i tile, or -1
	uniJ   [panelRows / blockRows]int32 // root shared by a whole j block, or -1
	masks  tileMasks
}

// cacheRoots fills roots with the current roots of rows [lo, lo+len), and
// uni[t] with the root shared by all real rows of the t-th group of size
// rows (-1 if they differ or there are none).
func (s *searcher) cacheRoots(lo, hi int, roots []int32, uni []int32, size int) {
	n := s.ix.n
	for r := lo; r < hi; r++ {
		if r < n {
			roots[r-lo] = s.uf.find(int32(r))
		} else {
			roots[r-lo] = -1
		}
	}
	for t := 0; t*size < hi-lo; t++ {
		u := roots[t*size]
		for _, r := range roots[t*size : min((t+1)*size, hi-lo)] {
			if r != u && r != -1 {
				u = -1
				break
			}
		}
		uni[t] = u
	}
}

// panelPair checks all pairs i < j with i in the panel starting at iLo and
// j in the one starting at jLo (iLo <= jLo).
func (s *searcher) panelPair(iLo, jLo int) {
	ix := s.ix
	iHi, jHi := min(iLo+panelRows, ix.nPad), min(jLo+panelRows, ix.nPad)
	s.cacheRoots(iLo, iHi, s.rootsI[:], s.uniI[:], tileRows)
	s.cacheRoots(jLo, jHi, s.rootsJ[:], s.uniJ[:], blockRows)
	L := ix.L
	for it := iLo; it < iHi; it += tileRows {
		ui := s.uniI[(it-iLo)/tileRows]
		a := ix.aug[it*L : (it+tileRows)*L]
		hi := (*[tileRows]float32)(ix.h[it : it+tileRows])
		for jb := max(jLo, it/blockRows*blockRows); jb < jHi; jb += blockRows {
			if jb >= ix.n {
				break
			}
			if ui >= 0 && ui == s.uniJ[(jb-jLo)/blockRows] {
				s.st.skipped++
				continue
			}
			s.st.tiles++
			hj := (*[blockRows]float32)(ix.h[jb : jb+blockRows])
			if !filterTile(a, ix.aug[jb*L:(jb+blockRows)*L], L, hi, hj, &s.masks) {
				continue
			}
			s.tileCandidates(it, jb, iLo, jLo)
		}
	}
}

// tileCandidates checks the pairs the tile kernel let through.
func (s *searcher) tileCandidates(it, jb, iLo, jLo int) {
	n := s.ix.n
	for k := 0; k < tileBlocks; k++ {
		i0 := it + k*blockRows
		for jj := 0; jj < blockRows; jj++ {
			j := jb + jj
			m := s.masks[k][jj]
			if m == 0 || j >= n {
				continue
			}
			// Only pairs i < j.
			if i0 >= j {
				continue
			}
			if j-i0 < blockRows {
				m &= 1<<(j-i0) - 1
			}
			for m != 0 {
				r := bits.TrailingZeros16(m)
				m &= m - 1
				s.candidate(i0+r, j, iLo, jLo)
			}
		}
	}
}

// candidate handles one pair that passed the tile test: skip it if the
// two rows are known to be in one group already (cached roots, no memory
// traffic), then apply the second-level test (two short rows that are
// mostly in L2), and only then look at the union-find and the full rows.
func (s *searcher) candidate(i, j, iLo, jLo int) {
	s.st.candidates++
	ci, cj := &s.rootsI[i-iLo], &s.rootsJ[j-jLo]
	if *ci == *cj {
		return
	}
	ix := s.ix
	if K2 := ix.K2; K2 > ix.K {
		if dot(ix.p2[i*K2:(i+1)*K2], ix.p2[j*K2:(j+1)*K2])+ix.r2[i]*ix.r2[j]+ix.h[i]+ix.h[j] < 0 {
			return
		}
	}
	ri, rj := s.uf.find(int32(i)), s.uf.find(int32(j))
	if ri == rj {
		*ci, *cj = ri, ri
		return
	}
	s.st.checks++
	if dot(s.m.Row(i), s.m.Row(j)) >= s.edge {
		s.st.edges++
		r := s.uf.union(ri, rj)
		*ci, *cj = r, r
		return
	}
	*ci, *cj = ri, rj
}

// collectGroups turns the union-find forest into the sorted output. Roots
// are the smallest member of their set (see unionFind), so scanning rows in
// order meets each group at its first member.
func collectGroups(uf *unionFind, n int) [][]int {
	root := make([]int32, n)
	size := make([]int32, n)
	for i := range root {
		r := uf.find(int32(i))
		root[i] = r
		size[r]++
	}
	slot := make([]int32, n)
	var out [][]int
	for i, r := range root {
		if size[r] < 2 {
			continue
		}
		if int32(i) == r {
			slot[r] = int32(len(out))
			out = append(out, make([]int, 0, size[r]))
		}
		out[slot[r]] = append(out[slot[r]], i)
	}
	return out
}
