package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bellingcat/smart-image-sorter/imagefile"
	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/models/torchbin"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// errHelp is returned by a verb that printed its help on request.
var errHelp = errors.New("help requested")

// userError is an error only the command line knows how to explain: a mistake in its arguments (exit code 2),
// or advice that names its flags. Errors from the packages carry their own hints (sorter.Advisor); wrap one
// here only to mark it as a usage mistake, or to add a hint where it has none.
type userError struct {
	msg   string // what happened; "" when err says it
	hint  string // what to do; "" to show err's own hint, if any
	usage bool   // a mistake in the command line (exit code 2)
	err   error  // the cause, if any
}

func (e *userError) Error() string {
	switch {
	case e.err == nil:
		return e.msg
	case e.msg == "":
		return e.err.Error()
	}
	return e.msg + ": " + e.err.Error()
}

func (e *userError) Unwrap() error { return e.err }

// Advice returns the hint given here; when it is "", sorter.Hint goes on to the wrapped error's.
func (e *userError) Advice() string { return e.hint }

// The errors that reach people from the packages this command uses say what to do themselves; printError shows
// it. These fail to compile if one of them stops doing so.
var (
	_ sorter.Advisor = (*userError)(nil)
	_ sorter.Advisor = (*sorter.Error)(nil)
	_ sorter.Advisor = (*hub.Error)(nil)
	_ sorter.Advisor = (*imagefile.Error)(nil)
	_ sorter.Advisor = (*torchbin.ForbiddenGlobalError)(nil)
)

// printError prints err age-style, as one line of what happened and, when any error in its chain has one
// (sorter.Hint), a hint line of what to do:
//
//	sorter: error: what happened
//	sorter: hint: what to do
//
// Internal detail such as stack traces from the compute engine is cut unless SORTER_DEBUG is set.
func printError(w io.Writer, err error) {
	msg, hint := sorter.Explain(err)
	if os.Getenv("SORTER_DEBUG") != "" {
		msg = fmt.Sprintf("%+v", err)
	}
	fmt.Fprintf(w, "sorter: error: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "sorter: hint: %s\n", hint)
	}
}
