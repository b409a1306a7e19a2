// Command sorter sorts folders of images by what they show, using zero-shot image classification (CLIP, SigLIP): a Go rewrite
// of Bellingcat's Smart Image Sorter. This file only dispatches verbs and turns errors into messages for people;
// the work is in the packages models/clip and sorter.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
)

const usage = `sorter: sort images into folders by what they show (CLIP or SigLIP zero-shot classification)

Usage:
  sorter sort --labels "a, b, c" [--source DIR] [--destination DIR] [flags]
  sorter search [--source DIR] "TEXT"... [--like IMAGE]... [--not "TEXT"]... [--top N] [--copy-to DIR]
  sorter duplicates [--source DIR] [--similarity 0.95] [--destination DIR]
  sorter classify --model MODEL --labels "a, b, c" [--template T] IMAGE...
  sorter embed --model MODEL [--text TEXT]... [IMAGE]...

Run "sorter VERB --help" for a verb's flags.
Environment: GOMLX_BACKEND picks the compute engine (go, xla:cpu, xla:cuda, onnx:cpu);
SORTER_DEBUG=1 shows internal details of errors; SORTER_CPUPROFILE=FILE writes a Go CPU profile.
`

// verbs maps each verb to its implementation.
var verbs = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"embed":      runEmbed,
	"classify":   runClassify,
	"bench":      runBench,
	"sort":       runSort,
	"search":     runSearch,
	"duplicates": runDuplicates,
}

func main() {
	if os.Getenv("GOGC") == "" {
		// The model's weights are one long-lived 600 MB block and each batch makes tens of MB of garbage: with
		// Go's default GOGC=100 a ViT-B/32 sort peaked at 1.37 GB, with 25 at 0.90 GB, at the same speed.
		debug.SetGCPercent(25)
	}
	if path := os.Getenv("SORTER_CPUPROFILE"); path != "" {
		// For speed work: a Go CPU profile of the whole command (go tool pprof BINARY FILE).
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

// run executes one command line and returns the exit code: 0 ok, 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	verb, ok := verbs[args[0]]
	if !ok {
		printError(stderr, &userError{
			msg:  fmt.Sprintf("unknown command %q", args[0]),
			hint: "commands: " + strings.Join(verbNames(), ", ") + `; run "sorter --help"`,
		})
		return 2
	}
	if err := verb(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		printError(stderr, err)
		var ue *userError
		if errors.As(err, &ue) && ue.usage {
			return 2
		}
		return 1
	}
	return 0
}

func verbNames() []string {
	names := make([]string, 0, len(verbs))
	for _, name := range []string{"sort", "search", "duplicates", "classify", "embed", "bench"} {
		if _, ok := verbs[name]; ok {
			names = append(names, name)
		}
	}
	return names
}
