// Package similarity is the vector math behind "search a folder by text or
// example image" and "find near-duplicate images": exact top-k search and
// exact near-duplicate grouping over a matrix of image embeddings.
//
// Embeddings are float32 rows, L2-normalised by the caller (CLIP B/32: 512
// dimensions, SigLIP: 768 or 1152), so the dot product of two rows is their
// cosine similarity. Nothing here is approximate in the sense of an ANN
// index: Top scores every row, and Groups finds every pair at or above its
// bound, using pruning that is provably conservative (see Groups).
//
// The arithmetic kernels have a portable Go version and, on amd64 built
// with GOEXPERIMENT=simd and running on a CPU with AVX-512, a vectorised
// version from simd/archsimd (kernels_simd_amd64.go). The package builds
// and gives the same answers everywhere; only speed differs.
package similarity
