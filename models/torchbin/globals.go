// globals.go is the allow-list of Python globals a state dict may name, and this package's own Go versions of
// the few that REDUCE may call. Everything else a pickle names is refused (ForbiddenGlobalError).
package torchbin

import (
	"fmt"
)

// globalKind says what an allowed global is.
type globalKind uint8

const (
	globalOrderedDict               globalKind = iota + 1 // collections.OrderedDict
	globalRebuildTensorV2                                 // torch._utils._rebuild_tensor_v2
	globalRebuildParameter                                // torch._utils._rebuild_parameter
	globalRebuildParameterWithState                       // torch._utils._rebuild_parameter_with_state
	globalStorageType                                     // torch.FloatStorage etc.: only inside a persistent id
)

// pyGlobal is the inert value GLOBAL/STACK_GLOBAL push for an allowed global.
type pyGlobal struct {
	module, name string
	kind         globalKind
	dtype        dtype // for globalStorageType
}

// allowedGlobals maps "module\nname" to what it is.
var allowedGlobals = func() map[string]pyGlobal {
	m := map[string]pyGlobal{}
	add := func(module, name string, kind globalKind, dt dtype) {
		m[module+"\n"+name] = pyGlobal{module: module, name: name, kind: kind, dtype: dt}
	}
	add("collections", "OrderedDict", globalOrderedDict, 0)
	add("torch._utils", "_rebuild_tensor_v2", globalRebuildTensorV2, 0)
	add("torch._utils", "_rebuild_parameter", globalRebuildParameter, 0)
	add("torch._utils", "_rebuild_parameter_with_state", globalRebuildParameterWithState, 0)
	for dt := dtype(1); dt < numDTypes; dt++ {
		add("torch", dt.storageType(), globalStorageType, dt)
	}
	return m
}()

func lookupGlobal(module, name string) (pyGlobal, bool) {
	g, ok := allowedGlobals[module+"\n"+name]
	return g, ok
}

// call runs the Go implementation of an allowed callable.
func (g pyGlobal) call(args pyTuple) (any, error) {
	switch g.kind {
	case globalOrderedDict:
		return orderedDict(args)
	case globalRebuildTensorV2:
		return rebuildTensor(args)
	case globalRebuildParameter, globalRebuildParameterWithState:
		// _rebuild_parameter(data, requires_grad, backward_hooks) and
		// _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state): a Parameter is its data.
		want := 3
		if g.kind == globalRebuildParameterWithState {
			want = 4
		}
		if len(args) != want {
			return nil, fmt.Errorf("expected %d arguments, got %d", want, len(args))
		}
		t, ok := args[0].(*tensor)
		if !ok {
			return nil, fmt.Errorf("expected a tensor as data, got a %s", typeName(args[0]))
		}
		if _, ok := args[1].(bool); !ok {
			return nil, fmt.Errorf("expected a bool requires_grad, got a %s", typeName(args[1]))
		}
		return t, nil
	}
	return nil, fmt.Errorf("%s.%s is not a function this loader calls (a storage type may only appear inside a persistent id)",
		g.module, g.name)
}

// orderedDict is OrderedDict() (what Python 3 pickles, the items following by SETITEMS) or OrderedDict(items)
// with a list of [key, value] pairs (what Python 2 pickled).
func orderedDict(args pyTuple) (any, error) {
	d := &pyDict{ordered: true}
	if len(args) == 0 {
		return d, nil
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("expected no arguments or a list of pairs, got %d arguments", len(args))
	}
	var items []any
	switch v := args[0].(type) {
	case *pyList:
		items = v.items
	case pyTuple:
		items = v
	default:
		return nil, fmt.Errorf("expected a list of pairs, got a %s", typeName(args[0]))
	}
	for _, item := range items {
		var pair []any
		switch v := item.(type) {
		case *pyList:
			pair = v.items
		case pyTuple:
			pair = v
		}
		if len(pair) != 2 {
			return nil, fmt.Errorf("expected a list of [key, value] pairs, found a %s", typeName(item))
		}
		if err := d.set(pair[0], pair[1]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// rebuildTensor is _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
// [, metadata]): it records where the tensor's elements are; nothing is read here.
func rebuildTensor(args pyTuple) (any, error) {
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("expected 6 or 7 arguments, got %d", len(args))
	}
	ref, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("expected a storage, got a %s", typeName(args[0]))
	}
	offset, ok := args[1].(int64)
	if !ok || offset < 0 {
		return nil, fmt.Errorf("storage_offset must be a non-negative int, got %s", describeInt(args[1]))
	}
	size, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("size %v and stride %v have different lengths", size, stride)
	}
	if _, ok := args[4].(bool); !ok {
		return nil, fmt.Errorf("requires_grad must be a bool, got a %s", typeName(args[4]))
	}
	switch args[5].(type) {
	case *pyDict, nil:
	default:
		return nil, fmt.Errorf("backward_hooks must be a dict, got a %s", typeName(args[5]))
	}
	return newTensor(ref, offset, size, stride)
}

// intTuple reads a tuple of non-negative ints (a size or stride).
func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("%s must be a tuple, got a %s", what, typeName(v))
	}
	if len(t) > maxDims {
		return nil, fmt.Errorf("%s has %d dimensions, more than %d", what, len(t), maxDims)
	}
	out := make([]int64, len(t))
	for i, e := range t {
		n, ok := e.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("%s[%d] must be a non-negative int, got %s", what, i, describeInt(e))
		}
		out[i] = n
	}
	return out, nil
}

// describeInt describes a value that should have been a non-negative int.
func describeInt(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprint(n)
	}
	return "a " + typeName(v)
}
