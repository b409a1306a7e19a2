// patch.go mirrors the patch_embedding of Hugging Face's CLIPVisionEmbeddings (transformers/models/clip/
// modeling_clip.py) and SiglipVisionEmbeddings (models/siglip/modeling_siglip.py): an nn.Conv2d with
// kernel = stride = patch_size and "valid" padding, without a bias in CLIP and with one in SigLIP.

package transformer

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// PatchEmbedding applies the patch convolution stored in scope (weight [hidden, channels, patch, patch], and bias
// [hidden] where the checkpoint has one) to pixels [batch, channels, size, size]: [batch, patches, hidden], the
// patches row by row as the convolution output's flatten(2) orders them.
//
// It is written as patch extraction plus a matmul, which is the same arithmetic and 10-28x faster than Convolve on
// the pure-Go backend (NOTES.md). When patch does not divide size (SigLIP's so400m-patch14-384: 27 patches of 14
// cover 378 of 384 pixels) the convolution never reads the last rows and columns: they are cut off first.
func PatchEmbedding(scope *model.Scope, pixels *graph.Node, patch int) *graph.Node {
	g := pixels.Graph()
	dims := pixels.Shape().Dimensions
	batch, c, size, p := dims[0], dims[1], dims[2], patch
	grid := size / p
	x := pixels
	if covered := grid * p; covered != size {
		x = graph.Slice(x, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, covered), graph.AxisRange(0, covered))
	}
	// Each patch's values in (channel, y, x) order, as the [hidden, channels, p, p] kernel is laid out.
	x = graph.Reshape(x, batch, c, grid, p, grid, p) // [batch, c, gridY, pY, gridX, pX]
	x = graph.TransposeAllAxes(x, 0, 2, 4, 1, 3, 5)  // [batch, gridY, gridX, c, pY, pX]
	x = graph.Reshape(x, batch*grid*grid, c*p*p)     // [batch*patches, c*p*p] (2-D: see Linear)
	kernel := Param(scope, g, "weight")
	hidden := kernel.Shape().Dimensions[0]
	w := graph.Reshape(kernel, hidden, c*p*p)
	var b *graph.Node
	if scope.GetVariable("bias") != nil {
		b = Param(scope, g, "bias")
	}
	x = nn.Dense(x, w, b, compute.DenseLayoutOutputsInput) // [batch*patches, hidden]
	return graph.Reshape(x, batch, grid*grid, hidden)      // [batch, patches, hidden]
}
