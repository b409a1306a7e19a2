package similarity

// This file holds the numeric kernels every other file is built on, in
// portable Go, together with the function variables through which they are
// called. On amd64 with GOEXPERIMENT=simd and an AVX-512 CPU,
// kernels_simd_amd64.go replaces the variables with vectorised versions at
// init; everywhere else (other CPUs, other architectures, the experiment
// off) these portable versions run. Both paths compute the same quantities
// and are tested against each other; they may differ in the last bits
// because they add the terms in different orders.

// blockRows is the number of rows packed together, dimension-major, in the
// blocked layout used by the pruning pass: one 512-bit register holds the
// same coordinate of blockRows different rows, so a dot product against
// another row needs no horizontal sum.
const blockRows = 16

// tileBlocks is the number of blocks on the "i" side of one call of the
// tile kernel; the "j" side is one block. So one call compares
// tileRows = 64 rows with 16 rows.
const (
	tileBlocks = 4
	tileRows   = tileBlocks * blockRows
)

// tileMasks is the output of the tile kernel: bit r of m[k][j] is set when
// row k*blockRows+r of the i side passes the test against row j of the j
// side.
type tileMasks [tileBlocks][blockRows]uint16

// Kernel entry points. They are variables so the SIMD file can install its
// versions and tests can force either path.
var (
	// dot returns the dot product of a and b (len(b) >= len(a)).
	dot = dotGeneric
	// scoreRows sets out[i] = dot(row i of data, q) for the len(out) rows of
	// data (row-major, len(q) columns).
	scoreRows = scoreRowsGeneric
	// filterTile is the pruning kernel; see filterTileGeneric.
	filterTile = filterTileGeneric
	// project is the change of basis; see projectGeneric.
	project = projectGeneric
	// kernelName says which implementation is installed (for benchmarks
	// and reports).
	kernelName = "generic"
)

// useGenericKernels installs the portable kernels and returns a function
// that restores the previous ones. For tests and benchmarks.
func useGenericKernels() (restore func()) {
	d, s, f, p, n := dot, scoreRows, filterTile, project, kernelName
	dot, scoreRows, filterTile, project, kernelName = dotGeneric, scoreRowsGeneric, filterTileGeneric, projectGeneric, "generic"
	return func() { dot, scoreRows, filterTile, project, kernelName = d, s, f, p, n }
}

func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	// Four independent partial sums: shorter dependency chains, and an
	// error closer to the vector kernels' than one long running sum.
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func scoreRowsGeneric(data []float32, q []float32, out []float32) {
	dim := len(q)
	for i := range out {
		out[i] = dot(q, data[i*dim:(i+1)*dim])
	}
}

// filterTileGeneric is the pruning kernel. a holds tileBlocks consecutive
// blocks of the blocked layout (each L*blockRows floats: coordinate d of
// lane r at d*blockRows+r) and b one block of the same layout. For every
// pair (i, j), i < tileRows, j < blockRows it computes
//
//	s = <a_i, b_j> + hi[i] + hj[j]
//
// (the dot product over the L coordinates) and sets bit i%blockRows of
// out[i/blockRows][j] when s >= 0. It returns whether any bit is set.
func filterTileGeneric(a, b []float32, L int, hi *[tileRows]float32, hj *[blockRows]float32, out *tileMasks) bool {
	a = a[:tileBlocks*L*blockRows]
	b = b[:L*blockRows]
	var acc [tileRows][blockRows]float32
	for d := 0; d < L; d++ {
		bd := (*[blockRows]float32)(b[d*blockRows:])
		for k := 0; k < tileBlocks; k++ {
			ad := (*[blockRows]float32)(a[(k*L+d)*blockRows:])
			for r, av := range ad {
				row := &acc[k*blockRows+r]
				for j, bv := range bd {
					row[j] += av * bv
				}
			}
		}
	}
	hit := false
	for k := 0; k < tileBlocks; k++ {
		for j := 0; j < blockRows; j++ {
			var m uint16
			for r := 0; r < blockRows; r++ {
				if acc[k*blockRows+r][j]+hi[k*blockRows+r]+hj[j] >= 0 {
					m |= 1 << r
				}
			}
			out[k][j] = m
			if m != 0 {
				hit = true
			}
		}
	}
	return hit
}

// projectGeneric computes out[k] = sum_d x[d] * basis[d*K+k] for k < K,
// where K = len(out) and basis is dim x K row-major (dim = len(x)). That is
// the coordinates of x in the (column) basis.
func projectGeneric(x []float32, basis []float32, out []float32) {
	K := len(out)
	clear(out)
	for d, xv := range x {
		if xv == 0 {
			continue
		}
		row := basis[d*K : (d+1)*K]
		for k, bv := range row {
			out[k] += xv * bv
		}
	}
}
