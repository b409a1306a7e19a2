package transformer

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// plan is how an encoder's graph is laid out for the engine's scheduler: the same numbers either way (every
// split below is along rows or images, which the encoder treats independently), only the order of the work
// differs.
//
// Workaround for the pure-Go engine (github.com/gomlx/compute v0.1.6). It runs each graph node but its matrix
// products on one goroutine (LayerNorm, the attention's softmax and transposes, bias adds, the activation: a
// quarter of a ViT-B/32 batch's CPU), and it runs independent nodes concurrently. So on that engine the batch is
// split in two halves that go through the encoder as independent chains, and one chain's single-threaded nodes
// run while the other's products do. The products must then be few: the engine's worker pool has 2*GOMAXPROCS
// slots and a product waits for a free slot while holding its own (workerspool.Pool.Saturate), so 2*GOMAXPROCS
// products ready at once deadlock (4 on 2 cores). Hence q, k and v are one product per chain (their weights
// concatenated in the graph: a 7 MB copy per layer and call; in EncoderFirstToken's last layer too, queries of
// every position included), and each chain has at most one product ready at a time, two in all. A batch of one image cannot be split: its MLP is computed as two row halves instead (again
// two products at most).
//
// Measured on a 2-core Xeon, ViT-B/32 image tower, pure-Go engine: see Encoder's commit and README's Speed section.
// It can go when the engine runs elementwise ops on every core: then BenchmarkImageTower with GOMLX_BACKEND=go is
// as fast with planFor returning plan{chains: 1, mlpParts: 1}.
type plan struct {
	chains          int  // independent slices of the batch
	mlpParts        int  // independent row ranges of each MLP
	fuseProjections bool // q, k and v (or k and v) as one product
}

// planFor returns the plan for an encoder input x [batch, seq, hidden] on x's engine.
func planFor(x *graph.Node) plan {
	if x.Graph().Backend().String() != "go" {
		return plan{chains: 1, mlpParts: 1}
	}
	if x.Shape().Dimensions[0] >= 2 {
		return plan{chains: 2, mlpParts: 1, fuseProjections: true}
	}
	return plan{chains: 1, mlpParts: 2, fuseProjections: true}
}

// split cuts x [batch, ...] into p.chains slices of whole images.
func (p plan) split(x *graph.Node) []*graph.Node {
	if p.chains <= 1 {
		return []*graph.Node{x}
	}
	batch := x.Shape().Dimensions[0]
	chains := make([]*graph.Node, p.chains)
	for i := range chains {
		chains[i] = graph.Slice(x, graph.AxisRange(i*batch/p.chains, (i+1)*batch/p.chains))
	}
	return chains
}

// join is the inverse of split.
func (p plan) join(chains []*graph.Node) *graph.Node {
	if len(chains) == 1 {
		return chains[0]
	}
	return graph.Concatenate(chains, 0)
}

// linears applies the Linear of each scope to x as one product: weights (and biases) concatenated along their
// output axis, the result cut back into one output per scope. x: [..., in] -> [..., out_i] each.
func linears(scopes []*model.Scope, x *graph.Node) []*graph.Node {
	g := x.Graph()
	ws, bs := make([]*graph.Node, len(scopes)), make([]*graph.Node, len(scopes))
	for i, s := range scopes {
		if s.GetVariable("bias") == nil { // every family here has biases; without, one product each
			outs := make([]*graph.Node, len(scopes))
			for j, s := range scopes {
				outs[j] = Linear(s, x)
			}
			return outs
		}
		ws[i], bs[i] = Param(s, g, "weight"), Param(s, g, "bias")
	}
	y := dense(x, graph.Concatenate(ws, 0), graph.Concatenate(bs, 0)) // [..., sum of outs]
	outs := make([]*graph.Node, len(scopes))
	start := 0
	for i, w := range ws {
		out := w.Shape().Dimensions[0]
		outs[i] = graph.SliceAxis(y, -1, graph.AxisRange(start, start+out))
		start += out
	}
	return outs
}
