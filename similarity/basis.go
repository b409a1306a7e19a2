package similarity

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// This file finds the rotation used by the pruning pass: an orthonormal set
// of directions along which a sample of the (centred) rows varies most, the
// leading principal components.
//
// Only orthonormality matters for exactness: whatever directions are
// returned, splitting a vector into its coordinates along them plus a
// remainder orthogonal to them is an exact identity, and the bound built on
// it holds. How well the directions capture the variance only decides how
// much gets pruned. That is why a sample and an approximate (but exactly
// orthonormalised) eigenvector computation are good enough.

// principalBasis returns q orthonormal directions (as a dim x q row-major
// float32 matrix, one direction per column, in decreasing order of
// variance) for the centred sample rows (S x dim, row-major).
//
// For dim <= directEigenMaxDim it diagonalises the sample covariance
// directly; above that, a full eigendecomposition is too slow (gonum takes
// ~0.5 s at 512 and ~5 s at 1152 on the reference machine), so it runs a
// few rounds of block power ("subspace") iteration on the covariance and a
// Rayleigh-Ritz step, which only costs O(dim^2 * q).
func principalBasis(ctx context.Context, sample []float32, S, dim, q int) ([]float32, error) {
	cov, err := covariance(ctx, sample, S, dim)
	if err != nil {
		return nil, err
	}
	var vecs [][]float64 // q orthonormal vectors of length dim
	if dim <= directEigenMaxDim {
		vecs = topEigenvectors(cov, dim, q)
	} else {
		vecs, err = subspaceIteration(ctx, cov, dim, q)
		if err != nil {
			return nil, err
		}
	}
	basis := make([]float32, dim*q)
	for c, v := range vecs {
		for d, x := range v {
			basis[d*q+c] = float32(x)
		}
	}
	return basis, nil
}

const (
	directEigenMaxDim = 256
	subspaceRounds    = 4
)

// covariance returns the dim x dim matrix sample^T sample / S (float32,
// both triangles filled), computed as dot products of the sample's columns.
func covariance(ctx context.Context, sample []float32, S, dim int) ([]float32, error) {
	cols := make([]float32, dim*S)
	for s := 0; s < S; s++ {
		for d := 0; d < dim; d++ {
			cols[d*S+s] = sample[s*dim+d]
		}
	}
	cov := make([]float32, dim*dim)
	inv := 1 / float32(S)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for a := w; a < dim; a += workers {
				if a%64 == w && ctx.Err() != nil {
					return
				}
				ca := cols[a*S : (a+1)*S]
				for b := 0; b <= a; b++ {
					v := dot(ca, cols[b*S:(b+1)*S]) * inv
					cov[a*dim+b] = v
					cov[b*dim+a] = v
				}
			}
		})
	}
	wg.Wait()
	return cov, ctx.Err()
}

// topEigenvectors diagonalises the symmetric matrix a (float32, n x n) and
// returns the eigenvectors of its q largest eigenvalues, largest first.
func topEigenvectors(a []float32, n, q int) [][]float64 {
	a64 := make([]float64, n*n)
	for i, v := range a {
		a64[i] = float64(v)
	}
	// Symmetrise exactly: rounding may leave the triangles a hair apart.
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			m := (a64[i*n+j] + a64[j*n+i]) / 2
			a64[i*n+j], a64[j*n+i] = m, m
		}
	}
	var eig mat.EigenSym
	vecs := make([][]float64, q)
	if eig.Factorize(mat.NewSymDense(n, a64), true) {
		var ev mat.Dense
		eig.VectorsTo(&ev)
		// gonum returns ascending eigenvalues.
		for c := 0; c < q; c++ {
			vecs[c] = mat.Col(nil, n-1-c, &ev)
		}
	} else {
		// Does not happen for finite input; the identity is still an
		// orthonormal basis, so the result stays exact, only slower.
		for c := range vecs {
			vecs[c] = make([]float64, n)
			vecs[c][c] = 1
		}
	}
	orthonormalize(vecs, rand.New(rand.NewPCG(1, 2)))
	return vecs
}

// subspaceIteration returns q orthonormal vectors spanning (approximately)
// the top-q eigenspace of the symmetric dim x dim matrix cov, ordered by
// decreasing Rayleigh quotient.
func subspaceIteration(ctx context.Context, cov []float32, dim, q int) ([][]float64, error) {
	rng := rand.New(rand.NewPCG(0x5eed, uint64(dim)))
	vecs := make([][]float64, q)
	for c := range vecs {
		vecs[c] = make([]float64, dim)
		for d := range vecs[c] {
			vecs[c][d] = rng.NormFloat64()
		}
	}
	orthonormalize(vecs, rng)
	q32 := make([]float32, dim*q)
	z := make([]float32, dim*q)
	mulCov := func() {
		for c, v := range vecs {
			for d, x := range v {
				q32[d*q+c] = float32(x)
			}
		}
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for a := w * dim / workers; a < (w+1)*dim/workers; a++ {
					project(cov[a*dim:(a+1)*dim], q32, z[a*q:(a+1)*q])
				}
			})
		}
		wg.Wait()
	}
	for range subspaceRounds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mulCov()
		for c, v := range vecs {
			for d := range v {
				v[d] = float64(z[d*q+c])
			}
		}
		orthonormalize(vecs, rng)
	}
	// Rayleigh-Ritz: diagonalise the q x q matrix vecs^T cov vecs and rotate
	// vecs by its eigenvectors, which sorts them by variance and sharpens
	// the leading ones.
	mulCov()
	b := make([]float32, q*q)
	for i, vi := range vecs {
		for j := 0; j <= i; j++ {
			var s float64
			for d, x := range vi {
				s += x * float64(z[d*q+j])
			}
			b[i*q+j], b[j*q+i] = float32(s), float32(s)
		}
	}
	w := topEigenvectors(b, q, q)
	out := make([][]float64, q)
	for c := range out {
		v := make([]float64, dim)
		for i, wi := range w[c] {
			if wi == 0 {
				continue
			}
			for d, x := range vecs[i] {
				v[d] += wi * x
			}
		}
		out[c] = v
	}
	orthonormalize(out, rng)
	return out, nil
}

// orthonormalize makes vecs orthonormal in place by modified Gram-Schmidt,
// applied twice per vector ("twice is enough" for float64 accuracy).
// A vector that is (numerically) in the span of the previous ones is
// replaced by a random one, so the result is always a full orthonormal set
// even for rank-deficient input such as zero-variance data.
func orthonormalize(vecs [][]float64, rng *rand.Rand) {
	for j := 0; j < len(vecs); j++ {
		v := vecs[j]
		for attempt := 0; ; attempt++ {
			n0 := norm64(v)
			for range 2 {
				for _, u := range vecs[:j] {
					r := dot64(u, v)
					for d := range v {
						v[d] -= r * u[d]
					}
				}
			}
			n1 := norm64(v)
			if n1 > 1e-6*n0 && n1 > 1e-300 {
				for d := range v {
					v[d] /= n1
				}
				break
			}
			for d := range v {
				v[d] = rng.NormFloat64()
			}
		}
	}
}

func dot64(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
	}
	if i < len(a) {
		s0 += a[i] * b[i]
	}
	return s0 + s1
}

func norm64(a []float64) float64 { return math.Sqrt(dot64(a, a)) }
