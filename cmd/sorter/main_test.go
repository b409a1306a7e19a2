package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bellingcat/smart-image-sorter/models/hub/hubtest"
	"github.com/bellingcat/smart-image-sorter/sorter"
)

// TestMain lets the test scripts in testdata/script run this binary as "sorter".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sorter": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the command-line scenarios in testdata/script (testscript format: commands, expected
// output, files). $FIXTURES is the shared reference checkpoint and images. $HUB is a fake Hugging Face Hub on
// loopback serving the curated models laid out as the real Hub has them (hubtest.Layouts), with the tiny
// fixture checkpoint as their contents; scripts use it with HF_ENDPOINT=$HUB and HF_HUB_OFFLINE unset.
func TestScripts(t *testing.T) {
	fixtures, err := filepath.Abs("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	srv := hubtest.NewServer(t, nil)
	for _, l := range hubtest.Layouts {
		srv.AddLayout(l, l.Content(fixtures))
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			env.Setenv("HUB", srv.URL())
			env.Setenv("GOMLX_BACKEND", "go")
			env.Setenv("HF_HUB_OFFLINE", "1")
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			// $SORTERBIN: the folder testscript put the sorter command in (first on PATH), for scripts that set
			// PATH to it alone (no ffmpeg).
			env.Setenv("SORTERBIN", filepath.SplitList(env.Getenv("PATH"))[0])
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"checkjson": checkJSON,
			// truncate SRC DST N writes the first N bytes of SRC to DST (a download cut short).
			"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
				data, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				n, err := strconv.Atoi(args[2])
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), data[:n], 0o644))
			},
		},
	})
}

// checkJSON validates the JSON that "sorter embed" or "sorter classify" printed (the file stdout):
//
//	checkjson embed DIM IMAGES TEXTS         every embedding has DIM values and unit length
//	checkjson classify LABEL...              one image per LABEL, whose top label it is; scores sum to 1 (softmax)
//	                                         or are each in (0, 1) (sigmoid)
func checkJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("checkjson does not support !")
	}
	data := ts.ReadFile("stdout")
	switch args[0] {
	case "embed":
		var out embedOutput
		ts.Check(json.Unmarshal([]byte(data), &out))
		dim, _ := strconv.Atoi(args[1])
		nImages, _ := strconv.Atoi(args[2])
		nTexts, _ := strconv.Atoi(args[3])
		if len(out.Images) != nImages || len(out.Texts) != nTexts {
			ts.Fatalf("%d images and %d texts, want %d and %d", len(out.Images), len(out.Texts), nImages, nTexts)
		}
		var vecs [][]float32
		for _, im := range out.Images {
			vecs = append(vecs, im.Embedding)
		}
		for _, tx := range out.Texts {
			vecs = append(vecs, tx.Embedding)
		}
		for i, v := range vecs {
			if len(v) != dim {
				ts.Fatalf("embedding %d has %d values, want %d", i, len(v), dim)
			}
			var norm float64
			for _, x := range v {
				norm += float64(x) * float64(x)
			}
			if math.Abs(math.Sqrt(norm)-1) > 1e-5 {
				ts.Fatalf("embedding %d has norm %g, want 1", i, math.Sqrt(norm))
			}
		}
	case "classify":
		var out classifyOutput
		ts.Check(json.Unmarshal([]byte(data), &out))
		want := args[1:]
		if len(out.Images) != len(want) {
			ts.Fatalf("%d images, want %d", len(out.Images), len(want))
		}
		for i, img := range out.Images {
			var sum float64
			for _, s := range img.Scores {
				sum += float64(s)
			}
			if len(img.Scores) != len(out.Labels) {
				ts.Fatalf("%s: %d scores for %d labels", img.Path, len(img.Scores), len(out.Labels))
			}
			switch out.Scores {
			case "softmax":
				if math.Abs(sum-1) > 1e-5 {
					ts.Fatalf("%s: softmax scores summing to %g", img.Path, sum)
				}
			case "sigmoid":
				for label, s := range img.Scores {
					if !(s > 0 && s < 1) {
						ts.Fatalf("%s: sigmoid score %g for %q", img.Path, s, label)
					}
				}
			default:
				ts.Fatalf("scores %q, want softmax or sigmoid", out.Scores)
			}
			if img.Label != want[i] {
				ts.Fatalf("%s: label %q, want %q (scores %v)", img.Path, img.Label, want[i], img.Scores)
			}
			for _, s := range img.Scores {
				if s > img.Scores[img.Label] {
					ts.Fatalf("%s: label %q is not the best score", img.Path, img.Label)
				}
			}
		}
		if len(out.Prompts) != len(out.Labels) || !strings.Contains(out.Prompts[0], out.Labels[0]) {
			ts.Fatalf("prompts %q do not match labels %q", out.Prompts, out.Labels)
		}
	default:
		ts.Fatalf("checkjson: unknown kind %q", args[0])
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(sorterProgress(40, 100), 80)
	if !strings.HasPrefix(got, "[================>") || !strings.Contains(got, "40/100 files") || !strings.Contains(got, "ETA 5s") {
		t.Errorf("progressLine = %q", got)
	}
	if got := progressLine(sorterProgress(1, 2), 30); strings.Contains(got, "[") {
		t.Errorf("narrow terminal: %q, want no bar", got)
	}
}

func sorterProgress(done, total int) sorter.Progress {
	return sorter.Progress{Done: done, Total: total, Rate: 12.5, ETA: 5 * time.Second, Elapsed: 3 * time.Second}
}
