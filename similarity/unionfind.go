package similarity

import "sync/atomic"

// unionFind is a disjoint-set forest that several goroutines may use at
// once without locks (the lock-free scheme of Anderson and Woll): parent
// links are atomics, a union links one root under another with a
// compare-and-swap, and finds shorten paths by "halving" with CAS.
//
// A root is always linked under a root of smaller index, so the root of
// every set is its smallest member (Groups relies on that to order its
// output without sorting) and links can never form a cycle.
//
// Races only ever make an answer stale, never wrong: if find(a) == find(b)
// at any moment then a and b are in one set for good, because sets only
// merge.
type unionFind struct {
	parent []atomic.Int32
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]atomic.Int32, n)}
	for i := range u.parent {
		u.parent[i].Store(int32(i))
	}
	return u
}

// find returns the current root of x's set.
func (u *unionFind) find(x int32) int32 {
	for {
		p := u.parent[x].Load()
		if p == x {
			return x
		}
		g := u.parent[p].Load()
		if g == p {
			return p
		}
		// Path halving: point x at its grandparent. Any ancestor is a
		// valid parent, so losing this race to another halving is fine.
		u.parent[x].CompareAndSwap(p, g)
		x = g
	}
}

// union merges the sets of a and b and returns the root of the result.
func (u *unionFind) union(a, b int32) int32 {
	for {
		a, b = u.find(a), u.find(b)
		if a == b {
			return a
		}
		if a > b {
			a, b = b, a
		}
		// Link the larger root under the smaller; fails if b stopped
		// being a root meanwhile, in which case retry from the new roots.
		if u.parent[b].CompareAndSwap(b, a) {
			return a
		}
	}
}
