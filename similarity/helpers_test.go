package similarity

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Test data generators and the float64 reference.

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}

// randomMatrix: isotropic Gaussian rows, normalised.
func randomMatrix(n, dim int, seed uint64) Matrix {
	r := rand.New(rand.NewPCG(seed, 7))
	m := Matrix{Dim: dim, Data: make([]float32, n*dim)}
	for i := 0; i < n; i++ {
		row := m.Row(i)
		for d := range row {
			row[d] = float32(r.NormFloat64())
		}
		normalize(row)
	}
	return m
}

// clipLike imitates CLIP/SigLIP embeddings: a strong shared mean direction
// (typical cosine between unrelated images ~0.5), a power-law spectrum for
// the rest, cluster structure, and planted pairs whose similarity is just
// above or just below each of bounds (by margin), plus a few chains.
func clipLike(n, dim int, seed uint64, bounds []float32, margin float64) Matrix {
	r := rand.New(rand.NewPCG(seed, 11))
	mean := make([]float64, dim)
	for d := range mean {
		mean[d] = r.NormFloat64()
	}
	normalizeF64(mean)
	scale := make([]float64, dim)
	for d := range scale {
		scale[d] = 1 / math.Pow(float64(d+1), 0.6)
	}
	nc := max(1, n/50)
	centres := make([][]float64, nc)
	for c := range centres {
		centres[c] = make([]float64, dim)
		for d := range centres[c] {
			centres[c][d] = r.NormFloat64() * scale[d]
		}
		normalizeF64(centres[c])
	}
	m := Matrix{Dim: dim, Data: make([]float32, n*dim)}
	v := make([]float64, dim)
	for i := 0; i < n; i++ {
		c := centres[r.IntN(nc)]
		noise := make([]float64, dim)
		for d := range noise {
			noise[d] = r.NormFloat64() * scale[d]
		}
		normalizeF64(noise)
		w := 0.3 + 0.5*r.Float64()
		for d := range v {
			v[d] = 1.0*mean[d] + w*c[d] + 0.6*noise[d]
		}
		normalizeF64(v)
		row := m.Row(i)
		for d := range row {
			row[d] = float32(v[d])
		}
	}
	// Planted pairs: row b := s*a + sqrt(1-s^2)*u with u a unit vector
	// orthogonal to a, so <a,b> = s. Rows are taken from a permutation so
	// no planted row is overwritten by a later one; every third plant is a
	// chain a -> b -> c.
	perm := r.Perm(n)
	next := 0
	take := func() int {
		if next >= n {
			return -1
		}
		next++
		return perm[next-1]
	}
	for _, b := range bounds {
		for _, s := range []float64{float64(b) + margin, float64(b) - margin} {
			s = min(s, 1)
			for rep := 0; rep < 3; rep++ {
				x, y := take(), take()
				if y < 0 {
					return m
				}
				plantPair(m, x, y, s, r)
				if rep == 2 {
					if z := take(); z >= 0 {
						plantPair(m, y, z, s, r)
					}
				}
			}
		}
	}
	return m
}

func plantPair(m Matrix, a, b int, s float64, r *rand.Rand) {
	if a == b || b >= m.Len() {
		return
	}
	dim := m.Dim
	x := make([]float64, dim)
	for d, v := range m.Row(a) {
		x[d] = float64(v)
	}
	normalizeF64(x)
	u := make([]float64, dim)
	for d := range u {
		u[d] = r.NormFloat64()
	}
	p := 0.0
	for d := range u {
		p += u[d] * x[d]
	}
	for d := range u {
		u[d] -= p * x[d]
	}
	normalizeF64(u)
	row := m.Row(b)
	c := math.Sqrt(max(0, 1-s*s))
	for d := range row {
		row[d] = float32(s*x[d] + c*u[d])
	}
	// Also store a exactly as the unit vector used.
	for d, v := range x {
		m.Row(a)[d] = float32(v)
	}
}

func normalizeF64(v []float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] *= inv
	}
}

func dotF64(a, b []float32) float64 {
	var s float64
	for i, x := range a {
		s += float64(x) * float64(b[i])
	}
	return s
}

// simpleUF is a plain sequential union-find for the reference.
type simpleUF []int

func newSimpleUF(n int) simpleUF {
	u := make(simpleUF, n)
	for i := range u {
		u[i] = i
	}
	return u
}
func (u simpleUF) find(x int) int {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}
func (u simpleUF) union(a, b int) { u[u.find(a)] = u.find(b) }

// checkGroups verifies got against a float64 brute force: every pair with
// exact similarity >= bound+tol must end up in one group, and every group
// must lie inside one component of the graph with edges >= bound-tol. It
// also checks the output format. It returns how many decisive pairs
// (outside the tolerance band) were above the bound.
func checkGroups(t *testing.T, m Matrix, bound float32, got [][]int, tol float64) int {
	t.Helper()
	n := m.Len()
	lo, hi := newSimpleUF(n), newSimpleUF(n)
	above := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := dotF64(m.Row(i), m.Row(j))
			if s >= float64(bound)-tol {
				lo.union(i, j)
			}
			if s >= float64(bound)+tol {
				hi.union(i, j)
				above++
			}
		}
	}
	group := make([]int, n)
	for i := range group {
		group[i] = -1
	}
	prevFirst := -1
	for g, members := range got {
		if len(members) < 2 {
			t.Fatalf("group %d has %d members", g, len(members))
		}
		if members[0] <= prevFirst {
			t.Fatalf("groups not ordered by first member: %d after %d", members[0], prevFirst)
		}
		prevFirst = members[0]
		for k, i := range members {
			if k > 0 && i <= members[k-1] {
				t.Fatalf("group %d not ascending: %v", g, members)
			}
			if group[i] != -1 {
				t.Fatalf("row %d in groups %d and %d", i, group[i], g)
			}
			group[i] = g
			if lo.find(i) != lo.find(members[0]) {
				t.Fatalf("bound %v: rows %d and %d grouped but not connected by pairs >= bound-%g", bound, members[0], i, tol)
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if hi.find(i) == hi.find(j) && (group[i] == -1 || group[i] != group[j]) {
				t.Fatalf("bound %v: rows %d and %d connected by pairs >= bound+%g but not grouped (dot %v)", bound, i, j, tol, dotF64(m.Row(i), m.Row(j)))
			}
		}
	}
	return above
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(99, 100)) }
