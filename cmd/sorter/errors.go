package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// errHelp is returned by a verb that printed its help on request.
var errHelp = errors.New("help requested")

// userError is an error with a hint of what to do about it, printed age-style:
//
//	sorter: error: what happened
//	sorter: hint: what to do
type userError struct {
	msg   string
	hint  string
	usage bool // a mistake in the command line (exit code 2)
	err   error
}

func (e *userError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *userError) Unwrap() error { return e.err }

// printError prints err as one line (plus a hint line when there is one). Internal detail such as stack
// traces from the compute engine is cut unless SORTER_DEBUG is set.
func printError(w io.Writer, err error) {
	msg := err.Error()
	if os.Getenv("SORTER_DEBUG") == "" {
		msg, _, _ = strings.Cut(msg, "\n")
	} else {
		msg = fmt.Sprintf("%+v", err)
	}
	fmt.Fprintf(w, "sorter: error: %s\n", msg)
	var ue *userError
	if errors.As(err, &ue) && ue.hint != "" {
		fmt.Fprintf(w, "sorter: hint: %s\n", ue.hint)
	}
}
