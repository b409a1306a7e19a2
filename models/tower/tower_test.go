package tower

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/bellingcat/smart-image-sorter/models/engine/enginetest"
	"github.com/bellingcat/smart-image-sorter/models/transformer"
	"github.com/bellingcat/smart-image-sorter/models/weights"
	"github.com/bellingcat/smart-image-sorter/models/weights/weightstest"
)

// loadToy loads towers of a hand-made checkpoint: the image tower maps a 1x2x2 image to [2 * sum, 3 * sum] (its
// weight), the text tower maps one id per text to [id, -id]; logit_scale is log(10) and "spare" is read by no graph.
func loadToy(t *testing.T) *Towers {
	t.Helper()
	dir := t.TempDir()
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), map[string]weightstest.Tensor{
		"proj.weight": {DType: "F32", Shape: []int{2, 1}, Data: weightstest.F32Bytes(2, 3)},
		"logit_scale": {DType: "F32", Shape: []int{}, Data: weightstest.F32Bytes(float32(math.Log(10)))},
		"spare":       {DType: "F32", Shape: []int{1}, Data: weightstest.F32Bytes(7)},
	}, nil)
	spec := Spec{
		Weights:  weights.Spec{Architecture: "Toy", Expected: map[string][]int{"proj.weight": {2, 1}, "logit_scale": {}, "spare": {1}}},
		Channels: 1, ImageSize: 2, ImageOnly: KeysUnder("proj."),
	}
	towers, err := Load(dir, Options{Backend: enginetest.Go(t), Revision: "abc"}, spec,
		func(scope *model.Scope, pixels *graph.Node) *graph.Node {
			sum := graph.ReduceSum(graph.Reshape(pixels, -1, 4), 1) // [batch]
			return transformer.Linear(scope.In("proj"), graph.ExpandAxes(sum, -1))
		},
		func(scope *model.Scope, ids *graph.Node) *graph.Node {
			x := graph.ConvertDType(ids, dtypes.Float32) // [batch, 1]
			return graph.Concatenate([]*graph.Node{x, graph.Neg(x)}, 1)
		})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	if towers.ID != abs || towers.Revision != "abc" {
		t.Errorf("ID %q, Revision %q: want the folder and abc", towers.ID, towers.Revision)
	}
	return towers
}

// idBatch makes the text tower's input for ids [start, end): one id per text.
func idBatch(ids []int32) func(start, end int) ([]*tensors.Tensor, error) {
	return func(start, end int) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(slices.Clone(ids[start:end]), end-start, 1)}, nil
	}
}

func TestTowers(t *testing.T) {
	towers := loadToy(t)
	defer towers.Close()
	rows, err := towers.Images([][]float32{{1, 2, 3, 4}, {0, 0, 0, 1}})
	if err != nil || fmt.Sprint(rows) != "[[20 30] [2 3]]" {
		t.Errorf("Images: %v, %v", rows, err)
	}
	if _, err := towers.Images([][]float32{{1, 2, 3}}); err == nil || err.Error() != "image 0 has 3 values, the model takes 1x2x2 = 4" {
		t.Errorf("wrong pixel count: %v", err)
	}
	if rows, err := towers.Images(nil); rows != nil || err != nil {
		t.Errorf("no images: %v, %v", rows, err)
	}
	// More texts than one call takes: split at MaxTextBatch, rows in order.
	ids := make([]int32, MaxTextBatch+3)
	for i := range ids {
		ids[i] = int32(i)
	}
	var calls []int
	rows, err = towers.Texts(len(ids), func(start, end int) ([]*tensors.Tensor, error) {
		calls = append(calls, end-start)
		return idBatch(ids)(start, end)
	})
	if err != nil || len(rows) != len(ids) || rows[MaxTextBatch+2][1] != -float32(MaxTextBatch+2) || !slices.Equal(calls, []int{MaxTextBatch, 3}) {
		t.Errorf("Texts: %d rows, calls %v, %v", len(rows), calls, err)
	}
	if rows, err := towers.Texts(0, idBatch(nil)); len(rows) != 0 || err != nil {
		t.Errorf("no texts: %v, %v", rows, err)
	}
	bad := errors.New("bad text")
	if _, err := towers.Texts(2, func(int, int) ([]*tensors.Tensor, error) { return nil, bad }); !errors.Is(err, bad) {
		t.Errorf("inputs error: %v", err)
	}
	if s, err := towers.ReadLogitScale(); err != nil || math.Abs(float64(s)-10) > 1e-5 {
		t.Errorf("ReadLogitScale: %v, %v", s, err)
	}
	input, _ := idBatch([]int32{1})(0, 1)
	unread, n, err := towers.UnreadWeights([][]float32{{1, 2, 3, 4}}, input, "logit_scale")
	if err != nil || n != 3 || !slices.Equal(unread, []string{"/spare"}) {
		t.Errorf("UnreadWeights: %v of %d, %v", unread, n, err)
	}
}

// The image tower's weights are read on the first image, not at Load; the text tower works without them.
func TestImageWeightsDeferred(t *testing.T) {
	towers := loadToy(t)
	defer towers.Close()
	count := func() (n int) {
		for range towers.store.IterVariables() {
			n++
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d weights after Load, want 2 (proj.weight deferred)", n)
	}
	if rows, err := towers.Texts(1, idBatch([]int32{4})); err != nil || fmt.Sprint(rows) != "[[4 -4]]" || count() != 2 {
		t.Fatalf("Texts: %v, %v; %d weights", rows, err, count())
	}
	if rows, err := towers.Images([][]float32{{1, 1, 1, 1}}); err != nil || fmt.Sprint(rows) != "[[8 12]]" || count() != 3 {
		t.Fatalf("Images: %v, %v; %d weights", rows, err, count())
	}
}

// A deferred weight that is missing or misshapen is still refused at Load.
func TestDeferredWeightsCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), map[string]weightstest.Tensor{
		"proj.weight": {DType: "F32", Shape: []int{3, 1}, Data: weightstest.F32Bytes(2, 3, 4)},
	}, nil)
	spec := Spec{Weights: weights.Spec{Architecture: "Toy", Expected: map[string][]int{"proj.weight": {2, 1}}},
		Channels: 1, ImageSize: 2, ImageOnly: KeysUnder("proj.")}
	_, err := Load(dir, Options{Backend: enginetest.Go(t)}, spec,
		func(scope *model.Scope, pixels *graph.Node) *graph.Node { return pixels },
		func(scope *model.Scope, ids *graph.Node) *graph.Node { return ids })
	if err == nil || !strings.Contains(err.Error(), "proj.weight") {
		t.Fatalf("Load = %v, want a shape error naming proj.weight", err)
	}
}

// TestConcurrentAndClosed: calls from several goroutines are serialised; after Close every call says so, and
// Close twice is harmless.
func TestConcurrentAndClosed(t *testing.T) {
	towers := loadToy(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if rows, err := towers.Images([][]float32{{float32(i), 0, 0, 0}}); err != nil || rows[0][1] != 3*float32(i) {
				t.Errorf("image %d: %v, %v", i, rows, err)
			}
			if rows, err := towers.Texts(1, idBatch([]int32{int32(i)})); err != nil || rows[0][0] != float32(i) {
				t.Errorf("text %d: %v, %v", i, rows, err)
			}
		})
	}
	wg.Wait()
	towers.Close()
	towers.Close()
	if _, err := towers.Images([][]float32{{1, 2, 3, 4}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Images after Close: %v", err)
	}
	if _, err := towers.Texts(1, idBatch([]int32{1})); !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "load it again") {
		t.Errorf("Texts after Close: %v", err)
	}
}

// loadTextToy loads towers whose text tower reads a weight listed in Spec.TextOnly (read in the background):
// text id -> [id * 5, id * 6]; the image tower's weight is deferred as in loadToy.
func loadTextToy(t *testing.T) *Towers {
	t.Helper()
	dir := t.TempDir()
	weightstest.WriteSafetensors(t, filepath.Join(dir, "model.safetensors"), map[string]weightstest.Tensor{
		"proj.weight":  {DType: "F32", Shape: []int{2, 1}, Data: weightstest.F32Bytes(2, 3)},
		"tproj.weight": {DType: "F32", Shape: []int{2, 1}, Data: weightstest.F32Bytes(5, 6)},
		"logit_scale":  {DType: "F32", Shape: []int{}, Data: weightstest.F32Bytes(float32(math.Log(10)))},
	}, nil)
	spec := Spec{
		Weights:  weights.Spec{Architecture: "Toy", Expected: map[string][]int{"proj.weight": {2, 1}, "tproj.weight": {2, 1}, "logit_scale": {}}},
		Channels: 1, ImageSize: 2, ImageOnly: KeysUnder("proj."), TextOnly: KeysUnder("tproj."),
	}
	towers, err := Load(dir, Options{Backend: enginetest.Go(t)}, spec,
		func(scope *model.Scope, pixels *graph.Node) *graph.Node {
			return transformer.Linear(scope.In("proj"), graph.ExpandAxes(graph.ReduceSum(graph.Reshape(pixels, -1, 4), 1), -1))
		},
		func(scope *model.Scope, ids *graph.Node) *graph.Node {
			return transformer.Linear(scope.In("tproj"), graph.ConvertDType(ids, dtypes.Float32))
		})
	if err != nil {
		t.Fatal(err)
	}
	return towers
}

// The text tower's weights arrive in the background; every call that needs the towers (texts, images, a weight,
// Close before any of them) waits for them, from any goroutine.
func TestTextWeightsInBackground(t *testing.T) {
	towers := loadTextToy(t)
	if s, err := towers.ReadLogitScale(); err != nil || math.Abs(float64(s)-10) > 1e-5 {
		t.Errorf("ReadLogitScale: %v, %v", s, err) // an eager weight: no wait
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if rows, err := towers.Texts(1, idBatch([]int32{int32(i)})); err != nil || fmt.Sprint(rows) != fmt.Sprintf("[[%d %d]]", 5*i, 6*i) {
				t.Errorf("Texts(%d): %v, %v", i, rows, err)
			}
			if rows, err := towers.Images([][]float32{{float32(i), 0, 0, 0}}); err != nil || fmt.Sprint(rows) != fmt.Sprintf("[[%d %d]]", 2*i, 3*i) {
				t.Errorf("Images(%d): %v, %v", i, rows, err)
			}
		})
	}
	wg.Wait()
	if w, err := towers.Weight("tproj.weight"); err != nil || w != 5 {
		t.Errorf("Weight(tproj.weight) = %v, %v", w, err)
	}
	towers.Close()
	if _, err := towers.Texts(1, idBatch([]int32{1})); !errors.Is(err, ErrClosed) {
		t.Errorf("Texts after Close: %v", err)
	}

	// Closed before the text weights were used: Close waits for the read and releases what it read.
	early := loadTextToy(t)
	early.Close()
	if _, err := early.Weight("logit_scale"); !errors.Is(err, ErrClosed) {
		t.Errorf("Weight after Close: %v", err)
	}
}
