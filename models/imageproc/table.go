// table.go mirrors image_transforms.rescale and normalize (transformers/image_transforms.py) on 8-bit images, as the
// PIL-based processors apply them after resizing: rescale multiplies in float64 and casts to float32
// (image.astype(float64) * scale, then .astype(float32)); normalize subtracts the mean and divides by the std in
// float32, both cast to float32. An 8-bit channel has 256 values, so both are one lookup table per channel, exact.

package imageproc

// Table maps each 8-bit value of each channel (R, G, B) to its rescaled and normalised value.
type Table [3][256]float32

// Table computes what rescale and normalize make of every 8-bit value. r must be valid (Validate).
func (r RescaleNormalize) Table() *Table {
	var t Table
	for c := range 3 {
		for v := range 256 {
			// rescale: image.astype(float64) * scale, then .astype(float32)
			x := float32(v)
			if r.DoRescale {
				x = float32(float64(v) * r.RescaleFactor)
			}
			// normalize: (image - mean) / std with mean and std cast to float32
			if r.DoNormalize {
				x = float32(x-float32(r.ImageMean[c])) / float32(r.ImageStd[c])
			}
			t[c][v] = x
		}
	}
	return &t
}

// Fill sets every value of out (three planes, CHW) to what 0 becomes: black, and center_crop's padding.
func (t *Table) Fill(out []float32) {
	n := len(out) / 3
	for c := range 3 {
		pad := t[c][0]
		plane := out[c*n : (c+1)*n]
		for i := range plane {
			plane[i] = pad
		}
	}
}

// Planes writes rows of 8-bit pixels into pixel_values through a Table: three planes (R, G, B) of side x side.
type Planes struct {
	r, g, b []float32
	side    int
	table   *Table
}

// Planes returns a writer of out, 3*side*side values, CHW.
func (t *Table) Planes(out []float32, side int) Planes {
	n := side * side
	return Planes{r: out[:n], g: out[n : 2*n], b: out[2*n : 3*n], side: side, table: t}
}

// Row writes row (RGBA bytes as in image.RGBA, alpha ignored) at row y of the planes, from column x: each value
// rescaled and normalised as soon as it is made, straight into the three planes.
func (p Planes) Row(y, x int, row []uint8) {
	w := len(row) / 4
	o := y*p.side + x
	rr, gg, bb := p.r[o:o+w], p.g[o:o+w], p.b[o:o+w]
	lr, lg, lb := &p.table[0], &p.table[1], &p.table[2]
	row = row[:4*w]
	for i := range rr {
		px := row[4*i : 4*i+3 : 4*i+3]
		rr[i], gg[i], bb[i] = lr[px[0]], lg[px[1]], lb[px[2]]
	}
}
