package similarity

import "fmt"

// Matrix is a set of vectors of the same dimension, stored row-major in one
// contiguous slice: row i is Data[i*Dim : (i+1)*Dim]. One allocation for
// all rows keeps scans cache- and prefetch-friendly; it is the layout the
// embedding cache already produces.
type Matrix struct {
	Dim  int
	Data []float32
}

// Len returns the number of rows (0 when Dim is not positive).
func (m Matrix) Len() int {
	if m.Dim <= 0 {
		return 0
	}
	return len(m.Data) / m.Dim
}

// Row returns row i, sharing memory with m.Data. Its capacity is capped so
// that appending to it cannot overwrite the next row.
func (m Matrix) Row(i int) []float32 {
	return m.Data[i*m.Dim : (i+1)*m.Dim : (i+1)*m.Dim]
}

// check reports a malformed matrix: a non-positive Dim with data, or data
// that is not a whole number of rows.
func (m Matrix) check() error {
	if m.Dim <= 0 {
		if len(m.Data) != 0 {
			return fmt.Errorf("similarity: matrix has %d values but dimension %d", len(m.Data), m.Dim)
		}
		return nil
	}
	if len(m.Data)%m.Dim != 0 {
		return fmt.Errorf("similarity: matrix has %d values, not a multiple of dimension %d", len(m.Data), m.Dim)
	}
	return nil
}
