package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bellingcat/smart-image-sorter/models/hub"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

func TestPrintError(t *testing.T) {
	t.Setenv("SORTER_DEBUG", "")
	labels := &sorter.Error{Msg: `labels "a" and "a" are the same label`, Hint: "keep only one of them"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"a usage mistake keeps the package's hint", &userError{usage: true, err: labels},
			"sorter: error: labels \"a\" and \"a\" are the same label\nsorter: hint: keep only one of them\n"},
		{"a hint given here comes first", &userError{msg: "interrupted", hint: "run again with --resume", err: labels},
			"sorter: error: interrupted: labels \"a\" and \"a\" are the same label\nsorter: hint: run again with --resume\n"},
		{"a hub error's hint is said once", fmt.Errorf("loading m: %w", &hub.Error{Kind: hub.ErrNoNetwork, What: "could not reach huggingface.co", Hint: "connect to the internet"}),
			"sorter: error: loading m: could not reach huggingface.co\nsorter: hint: connect to the internet\n"},
		{"no hint, first line only", fmt.Errorf("engine failed\ngoroutine 1 [running]:"),
			"sorter: error: engine failed\n"},
	} {
		var b strings.Builder
		printError(&b, tc.err)
		if b.String() != tc.want {
			t.Errorf("%s: printed\n%s\nwant\n%s", tc.name, b.String(), tc.want)
		}
	}
}

// A problem with the labels or the template is a usage mistake (exit code 2) shown with its own hint.
func TestUsageMistakesKeepTheirHints(t *testing.T) {
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"sort", "--labels", "a cat, a dog, a cat"}, "keep only one of them"},
		{[]string{"sort", "--labels", "a cat, unsorted"}, `rename the label, e.g. "unsorted (label)"`},
		{[]string{"sort", "--labels", "a cat,"}, "give at least two labels"},
		{[]string{"sort", "--labels", "a, b", "--operation", "delete"}, "use one of: copy, move, link, symlink"},
		{[]string{"classify", "--labels", "A cat, a cat", "x.jpg"}, "keep only one of them"},
		{[]string{"classify", "--labels", "a, b", "--template", "a photo", "x.jpg"}, "put {} where the label goes"},
	} {
		var stdout, stderr strings.Builder
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "\nsorter: hint: "+tc.hint) || strings.Count(stderr.String(), "sorter: hint:") != 1 {
			t.Errorf("sorter %q: exit code %d, stderr\n%s\nwant exit code 2 and one hint %q", tc.args, code, stderr.String(), tc.hint)
		}
	}
}
