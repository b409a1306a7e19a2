package similarity

import (
	"context"
	"math"
	"runtime"
	"sync"
)

// This file builds the pruning index for Groups: every row reduced to a
// short vector whose dot products bound the real ones from above.
//
// With mu the mean row, every dot product splits exactly as
//
//	<a, b> = <a-mu, b-mu> + <a, mu> + <b, mu> - |mu|^2
//
// and, with V an orthonormal basis whose first K directions are the leading
// principal components, a-mu = P_K(a) + R_K(a) where P_K(a) are the K
// coordinates along those directions and R_K(a) the rest, orthogonal to
// them. So <a-mu, b-mu> = <P_K(a), P_K(b)> + <R_K(a), R_K(b)> and by
// Cauchy-Schwarz
//
//	<a, b> <= <P_K(a), P_K(b)> + |R_K(a)| |R_K(b)| + <a,mu> + <b,mu> - |mu|^2.
//
// Appending |R_K(a)| to the K coordinates gives each row an "augmented"
// vector of L = K+1 numbers whose dot product is the first two terms; the
// rest is a per-row offset h. A pair can reach the bound only if
// <aug(a), aug(b)> + h(a) + h(b) >= 0, which the tile kernel tests for 1024
// pairs per call. Real embeddings put most of their variance in few
// directions (and share a large mean, which the centring removes), so the
// residual product is small and almost every pair fails the test.
//
// Rounding: the augmented vectors are computed in float32, so the test is
// made conservative: h adds a slack of 5e-5 |a|^2 per row (so the test
// passes pairs whose computed bound is up to 1e-4 |a||b| or more below the
// threshold, about a hundred times the float32 error of these quantities) and the residual norm is inflated by 1e-5 |a-mu|^2
// under the square root, which covers the cancellation in |a-mu|^2 -
// |P_K(a)|^2 when the residual is tiny. Both only let a few more pairs
// through to the exact check.

type index struct {
	n    int
	nPad int       // n rounded up to whole tiles
	L    int       // K coordinates + 1 residual norm
	K    int       // principal coordinates kept
	aug  []float32 // blocked layout: nPad/blockRows blocks of L*blockRows
	h    []float32 // per-row offset; -Inf for padding rows

	// Second, tighter test applied to the pairs that pass the first one,
	// before the full-length dot product: the same bound with K2 >= K
	// coordinates, stored row-major (K2 floats per row, then the residual
	// norm in r2). A pair costs one short dot product here instead of a
	// random access to two full rows. Unused when K2 == K.
	K2 int
	p2 []float32
	r2 []float32
}

const (
	rowSlack      = 5e-5
	residualSlack = 1e-5
	pcaSampleRows = 1024
	evalRows      = 512
	maxBasis      = 128
)

// candidateKs are the numbers of principal coordinates the cost model
// chooses from (those not above the dimension or the basis size).
var candidateKs = []int{8, 16, 24, 32, 48, 64, 96, 128, 192, 256}

// indexOptions lets tests pin the number of coordinates.
type indexOptions struct {
	forceK int // 0: choose by cost model
}

func buildIndex(ctx context.Context, m Matrix, threshold float32, opt indexOptions) (*index, error) {
	n, dim := m.Len(), m.Dim
	mu := meanRow(m)
	var mu2 float64
	mu32 := make([]float32, dim)
	for d, v := range mu {
		mu2 += v * v
		mu32[d] = float32(v)
	}

	q := min(dim, maxBasis)
	if opt.forceK > 0 {
		q = min(dim, opt.forceK)
	}
	S := min(n, pcaSampleRows)
	sample := make([]float32, S*dim)
	for s := 0; s < S; s++ {
		row := m.Row(int(int64(s) * int64(n) / int64(S)))
		for d, v := range row {
			sample[s*dim+d] = v - mu32[d]
		}
	}
	basis, err := principalBasis(ctx, sample, S, dim, q)
	if err != nil {
		return nil, err
	}

	// Offset h: pass iff <aug a, aug b> + h_a + h_b >= 0, i.e. the upper
	// bound is >= threshold - slack.
	half := (float64(threshold) + mu2) / 2
	hOf := func(x []float32) float32 {
		var c, nn float64
		for d, v := range x {
			c += float64(v) * mu[d]
			nn += float64(v) * float64(v)
		}
		return float32(c - half + rowSlack*nn)
	}

	K := opt.forceK
	if K <= 0 {
		K = chooseK(m, mu32, basis, q, hOf)
	}
	K = min(K, q)
	Kp := min((K+15)/16*16, q)
	proj := basis
	if Kp != q {
		proj = make([]float32, dim*Kp)
		for d := 0; d < dim; d++ {
			copy(proj[d*Kp:(d+1)*Kp], basis[d*q:d*q+Kp])
		}
	}

	// The second-level test uses all q directions when that is
	// meaningfully more than K.
	K2 := K
	if q >= 2*K && q%16 == 0 {
		K2, Kp, proj = q, q, basis
	}

	nPad := (n + tileRows - 1) / tileRows * tileRows
	L := K + 1
	ix := &index{n: n, nPad: nPad, L: L, K: K, aug: make([]float32, nPad*L), h: make([]float32, nPad), K2: K2}
	if K2 > K {
		ix.p2 = make([]float32, n*K2)
		ix.r2 = make([]float32, n)
	}
	for i := n; i < nPad; i++ {
		ix.h[i] = float32(math.Inf(-1))
	}
	// Rows are split between workers in whole blocks so each block of the
	// layout is written by one goroutine.
	nBlocks := nPad / blockRows
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			xc := make([]float32, dim)
			p := make([]float32, Kp)
			for b := nBlocks * w / workers; b < nBlocks*(w+1)/workers; b++ {
				if b%64 == 0 && ctx.Err() != nil {
					return
				}
				blk := ix.aug[b*L*blockRows : (b+1)*L*blockRows]
				for lane := 0; lane < blockRows; lane++ {
					i := b*blockRows + lane
					if i >= n {
						break
					}
					x := m.Row(i)
					var c2 float64
					for d, v := range x {
						t := v - mu32[d]
						xc[d] = t
						c2 += float64(t) * float64(t)
					}
					project(xc, proj, p)
					r2 := c2
					for k := 0; k < K; k++ {
						blk[k*blockRows+lane] = p[k]
						r2 -= float64(p[k]) * float64(p[k])
					}
					blk[K*blockRows+lane] = float32(math.Sqrt(max(r2, 0) + residualSlack*c2))
					if K2 > K {
						copy(ix.p2[i*K2:(i+1)*K2], p)
						for k := K; k < K2; k++ {
							r2 -= float64(p[k]) * float64(p[k])
						}
						ix.r2[i] = float32(math.Sqrt(max(r2, 0) + residualSlack*c2))
					}
					ix.h[i] = hOf(x)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ix, nil
}

// meanRow returns the mean of the rows in float64.
func meanRow(m Matrix) []float64 {
	n, dim := m.Len(), m.Dim
	workers := runtime.GOMAXPROCS(0)
	sums := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// float32 partial sums over short runs, float64 across runs.
			s := make([]float64, dim)
			acc := make([]float32, dim)
			for i := n * w / workers; i < n*(w+1)/workers; i++ {
				for d, v := range m.Row(i) {
					acc[d] += v
				}
				if i%64 == 63 {
					for d, v := range acc {
						s[d] += float64(v)
					}
					clear(acc)
				}
			}
			for d, v := range acc {
				s[d] += float64(v)
			}
			sums[w] = s
		})
	}
	wg.Wait()
	mu := make([]float64, dim)
	for _, s := range sums {
		for d, v := range s {
			mu[d] += v
		}
	}
	for d := range mu {
		mu[d] /= float64(n)
	}
	return mu
}

// chooseK picks the number of principal coordinates by estimating, on a
// sample of pairs, what fraction passes the test for each candidate K, and
// minimising (cost of the test) + (pass rate) * (cost of an exact check).
// More coordinates make the test slower but tighter. This only affects
// speed, never the result.
func chooseK(m Matrix, mu32, basis []float32, q int, hOf func([]float32) float32) int {
	n, dim := m.Len(), m.Dim
	E := min(n, evalRows)
	// Offset by half a stride so the rows differ from the PCA sample's,
	// which would look better explained than they are.
	off := n / E / 2
	P := make([]float32, E*q) // coordinates
	R := make([][]float32, E) // residual norm after k coordinates, k = 0..q
	H := make([]float32, E)
	xc := make([]float32, dim)
	for e := 0; e < E; e++ {
		x := m.Row(min(n-1, e*n/E+off))
		var c2 float64
		for d, v := range x {
			t := v - mu32[d]
			xc[d] = t
			c2 += float64(t) * float64(t)
		}
		p := P[e*q : (e+1)*q]
		project(xc, basis, p)
		R[e] = make([]float32, q+1)
		r2 := c2
		for k := 0; k <= q; k++ {
			R[e][k] = float32(math.Sqrt(max(r2, 0) + residualSlack*c2))
			if k < q {
				r2 -= float64(p[k]) * float64(p[k])
			}
		}
		H[e] = hOf(x)
	}
	var ks []int
	for _, k := range candidateKs {
		if k <= q {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 || ks[len(ks)-1] < q && q < 2*ks[len(ks)-1] {
		ks = append(ks, q) // small dims: also try all coordinates
	}
	pass := make([]int, len(ks))
	for a := 0; a < E; a++ {
		pa := P[a*q : (a+1)*q]
		for b := a + 1; b < E; b++ {
			pb := P[b*q : (b+1)*q]
			base := H[a] + H[b]
			var s float32
			k := 0
			for ci, K := range ks {
				for ; k < K; k++ {
					s += pa[k] * pb[k]
				}
				if s+R[a][K]*R[b][K]+base >= 0 {
					pass[ci]++
				}
			}
		}
	}
	pairs := float64(E) * float64(E-1) / 2
	// Costs in units of one multiply-add in the tile kernel. A candidate
	// costs the bit extraction and the second-level test, a short dot
	// product on rows that are usually in L2 but not L1 (measured: of the
	// order of 100-200 ns with the vector kernels); the rare full checks
	// are ignored.
	check := 100 + float64(q)
	if kernelName != "generic" {
		check = 8000 + float64(q)
	}
	best, bestCost := ks[0], math.Inf(1)
	for ci, K := range ks {
		rate := (float64(pass[ci]) + 0.5) / (pairs + 1)
		cost := float64(K+1) + rate*check
		if cost < bestCost {
			best, bestCost = K, cost
		}
	}
	return best
}
