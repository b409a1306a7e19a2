package sorter

import (
	"errors"
	"fmt"
	"testing"
)

// advised is an error with advice from another package, as hub's, imagefile's or the command line's.
type advised struct {
	msg, advice string
	err         error
}

func (e *advised) Error() string  { return e.msg }
func (e *advised) Advice() string { return e.advice }
func (e *advised) Unwrap() error  { return e.err }

// hubLike spells its hint in its message too, as *hub.Error does.
type hubLike struct{ what, hint string }

func (e *hubLike) Error() string  { return e.what + "; " + e.hint }
func (e *hubLike) Advice() string { return e.hint }

func TestHint(t *testing.T) {
	labels := errorf("keep only one of them", `labels "cat" and "cat" are the same label`)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"sorter error", labels, "keep only one of them"},
		{"wrapped", fmt.Errorf("sorting: %w", labels), "keep only one of them"},
		{"another package's", fmt.Errorf("loading m: %w", &advised{msg: "bad file", advice: "convert it"}), "convert it"},
		{"outermost wins", &advised{msg: "usage", advice: "run --help", err: labels}, "run --help"},
		{"empty advice lets the inner one through", &advised{msg: "usage", err: labels}, "keep only one of them"},
		{"empty advice through a sorter error", &Error{Msg: "outer", Err: &advised{msg: "inner", advice: "do this"}}, "do this"},
		{"joined", errors.Join(errors.New("plain"), labels), "keep only one of them"},
		{"none", fmt.Errorf("x: %w", errors.New("plain")), ""},
		{"nil", nil, ""},
	} {
		if got := Hint(tc.err); got != tc.want {
			t.Errorf("%s: Hint(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		what, hint string
	}{
		{"sorter error", &Error{Msg: "threshold 2 is not between 0 and 1", Hint: "use a probability"},
			"threshold 2 is not between 0 and 1", "use a probability"},
		{"hint said once", fmt.Errorf("loading m: %w", &hubLike{what: "cannot reach huggingface.co", hint: "check your connection"}),
			"loading m: cannot reach huggingface.co", "check your connection"},
		{"another hint wins, the message is whole", &Error{Msg: "the model failed", Hint: "check --model", Err: &hubLike{what: "w", hint: "h"}},
			"the model failed: w; h", "check --model"},
		{"first line only", errors.New("compute engine failed\ngoroutine 1 [running]:"), "compute engine failed", ""},
	} {
		what, hint := Explain(tc.err)
		if what != tc.what || hint != tc.hint {
			t.Errorf("%s: Explain = %q, %q; want %q, %q", tc.name, what, hint, tc.what, tc.hint)
		}
	}
}
