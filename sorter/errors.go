package sorter

import (
	"errors"
	"fmt"
	"strings"
)

// Advisor is an error that says what the investigator can do about it. Every error with advice implements it:
// this package's *Error, models/hub's *Error, imagefile's *Error, torchbin's *ForbiddenGlobalError and the command
// line's own errors, without importing this package (Go interfaces need no declaration). Hint finds the advice in
// any error chain, so the command line and the notebook show every hint, with no conversion between error types.
type Advisor interface {
	error
	// Advice is what to do, one short sentence without a final full stop: the command line prints it after
	// "sorter: hint: ", the notebook after "What to do: ". Empty when the error has none of its own.
	Advice() string
}

// Hint returns the advice of the outermost error in err's chain (following Unwrap, as errors.As does) whose Advice
// is not empty, or "". An outer error that wraps another without advice of its own (Advice "") lets the inner
// one's through, which errors.As alone would hide.
func Hint(err error) string {
	if a, ok := err.(Advisor); ok {
		if h := a.Advice(); h != "" {
			return h
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return Hint(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if h := Hint(e); h != "" {
				return h
			}
		}
	}
	return ""
}

// Explain splits err into what happened, its first line (what follows, such as a stack trace from the compute
// engine, is detail for developers), and what to do, Hint(err). A message that already ends with "; " and the
// hint, as a *hub.Error's does for callers that print only Error(), is cut there, so the hint is shown once.
func Explain(err error) (what, hint string) {
	what, _, _ = strings.Cut(err.Error(), "\n")
	hint = Hint(err)
	if hint != "" {
		what = strings.TrimSuffix(what, "; "+hint)
	}
	return what, hint
}

// Error is a problem with the job that the investigator can fix. Msg says what
// happened, Hint what to do; the CLI prints them on two lines.
type Error struct {
	Msg  string
	Hint string
	Err  error // the underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Advice returns e.Hint (see Advisor).
func (e *Error) Advice() string { return e.Hint }

// ErrCacheInUse is wrapped by the error Run returns when another process holds the embedding cache.
var ErrCacheInUse = errors.New("it is in use by another sorter process")

// ErrDestinationInUse is wrapped by the error Run returns when another process is sorting into the same destination.
var ErrDestinationInUse = errors.New("it is in use by another sorter process")

func errorf(hint string, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint}
}
