package sorter

import (
	"errors"
	"fmt"
)

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

// Hint returns the hint carried by the first *Error in err's chain, or "".
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// ErrCacheInUse is wrapped by the error Run returns when another process holds the embedding cache.
var ErrCacheInUse = errors.New("it is in use by another sorter process")

// ErrDestinationInUse is wrapped by the error Run returns when another process is sorting into the same destination.
var ErrDestinationInUse = errors.New("it is in use by another sorter process")

func errorf(hint string, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint}
}
