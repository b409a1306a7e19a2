package torchbin

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ForbiddenGlobalError reports that a pickle names a Python global (module.name) that a state dict never needs,
// such as os.system or builtins.eval. It is returned as soon as the GLOBAL or STACK_GLOBAL opcode naming it is
// read, before anything else happens with it: nothing was imported or called.
type ForbiddenGlobalError struct {
	Path   string // the checkpoint file
	Module string // the Python module the pickle names, as written in the file (e.g. "posix", "__builtin__")
	Name   string // the attribute of that module (e.g. "system", "eval")
}

// Error is one line naming the file and the global and saying what to do instead.
func (e *ForbiddenGlobalError) Error() string {
	return fmt.Sprintf("%s tries to use the Python function %s, which a PyTorch state dict never needs; "+
		"refusing to load it (nothing was run, the file may be malicious): use the model's safetensors weights "+
		"(model.safetensors) instead", e.Path, displayName(e.Module+"."+e.Name))
}

// Advice says what to do instead of loading the file; the command line prints it as its hint.
func (e *ForbiddenGlobalError) Advice() string {
	return "nothing from the file was run; delete it, and use a copy of the model with model.safetensors " +
		"(or from a source you trust)"
}

// maxDisplayName bounds how much of a file-supplied name goes into an error message.
const maxDisplayName = 200

// displayName makes a name taken from the file safe for a one-line message: shortened if very long, quoted if
// it contains spaces, control characters or anything else that is not plainly printable.
func displayName(s string) string {
	if len(s) > maxDisplayName {
		s = s[:maxDisplayName] + "..."
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' }) {
		return strconv.Quote(s)
	}
	return s
}

// pickleError is an error found while interpreting a pickle, at byte offset pos of that pickle.
type pickleError struct {
	pos       int64
	msg       string
	truncated bool // the pickle ended early: the file is probably a partial download
}

func (e *pickleError) Error() string {
	if e.truncated {
		return fmt.Sprintf("byte %d: %s: the file is truncated or corrupt; delete it and download again", e.pos, e.msg)
	}
	return fmt.Sprintf("byte %d: %s", e.pos, e.msg)
}
