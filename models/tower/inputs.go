// inputs.go turns what the families embed into the towers' input tensors: preprocessed images stacked into
// pixel_values, and texts in batches of at most MaxTextBatch (each family tokenizes and pads them its own way).

package tower

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Images runs the image tower on preprocessed images, each Channels*ImageSize*ImageSize values (CHW): one row per
// image, in order. No images give no rows (nil) without running the tower.
func (t *Towers) Images(pixels [][]float32) ([][]float32, error) {
	if len(pixels) == 0 {
		return nil, nil
	}
	input, err := t.pixelTensor(pixels)
	if err != nil {
		return nil, err
	}
	defer input.FinalizeAll() // free its engine-side copy now, not when the garbage collector gets to it
	return t.run(false, input)
}

// pixelTensor stacks preprocessed images into a [batch, channels, size, size] tensor.
func (t *Towers) pixelTensor(pixels [][]float32) (*tensors.Tensor, error) {
	c, s := t.channels, t.size
	per := c * s * s
	input := tensors.FromShape(shapes.Make(dtypes.Float32, len(pixels), c, s, s))
	var err error
	tensors.MustMutableFlatData(input, func(flat []float32) {
		for i, p := range pixels {
			if len(p) != per {
				err = fmt.Errorf("image %d has %d values, the model takes %dx%dx%d = %d", i, len(p), c, s, s, per)
				return
			}
			copy(flat[i*per:], p)
		}
	})
	return input, err
}

// MaxTextBatch bounds one text-tower call; longer lists are split.
const MaxTextBatch = 64

// Texts runs the text tower on n texts, at most MaxTextBatch per call, and returns one row per text, in order.
// inputs makes the tower's input tensors for texts [start, end) (the token ids, and whatever else the family's
// tower takes); they are freed after the call.
func (t *Towers) Texts(n int, inputs func(start, end int) ([]*tensors.Tensor, error)) ([][]float32, error) {
	out := make([][]float32, 0, n)
	for start := 0; start < n; start += MaxTextBatch {
		end := min(start+MaxTextBatch, n)
		in, err := inputs(start, end)
		if err != nil {
			return nil, err
		}
		args := make([]any, len(in))
		for i, x := range in {
			args[i] = x
		}
		rows, err := t.run(true, args...)
		for _, x := range in {
			x.FinalizeAll()
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}
