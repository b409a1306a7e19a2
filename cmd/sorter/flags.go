package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/bellingcat/smart-image-sorter/sorter"
)

// newFlagSet returns a flag set whose errors come back to the caller instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sorter %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterleaved parses flags that may come before, between or after positional arguments
// ("sorter embed a.jpg --text cat b.jpg") and returns the positional ones in order. "--" ends flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, &userError{err: err, hint: fmt.Sprintf(`run "sorter %s --help" for the flags`, fs.Name()), usage: true}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseLabels reads a --labels value with sorter.ParseLabels, printing its note (about empty items, such as a
// trailing comma, that it left out) on stderr. A problem with the labels is a usage mistake with the hint
// ParseLabels gave it.
func parseLabels(list string, stderr io.Writer) ([]string, error) {
	labels, note, err := sorter.ParseLabels(list)
	if err != nil {
		return nil, &userError{usage: true, err: err}
	}
	if note != "" {
		fmt.Fprintf(stderr, "sorter: note: %s\n", note)
	}
	return labels, nil
}

// stringList is a flag that can be repeated.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
