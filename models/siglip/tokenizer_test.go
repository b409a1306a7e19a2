package siglip

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/bellingcat/smart-image-sorter/models/goldentest"
)

// Reference files, copied unchanged from the shared fixtures (fixtures/README.md, "SigLIP and SigLIP2").
const (
	siglipDir           = fixturesDir + "/siglip-tiny"  // spiece.model, tokenizer_config.json, special_tokens_map.json, golden.json
	siglip2Dir          = fixturesDir + "/siglip2-tiny" // tokenizer.json, tokenizer.model, tokenizer_config.json, ..., golden.json
	tokenizerGoldenPath = fixturesDir + "/siglip_tokenizer_golden.json"
	goldenMaxLength     = 64 // the pipeline's max_length (max_position_embeddings)
)

// goldenTokens is one tokenizer's result for a case of siglip_tokenizer_golden.json.
type goldenTokens struct {
	NormalizedText string   `json:"normalized_text"`
	Pieces         []string `json:"pieces"`
	IDs            []int32  `json:"ids"`
	NIDs           int      `json:"n_ids"`
	InputIDs       []int32  `json:"input_ids"` // the 64 ids the pipeline feeds the model
	Truncated      bool     `json:"truncated"`
}

type goldenCase struct {
	Key     string        `json:"key"`
	Text    string        `json:"text"`
	SigLIP  *goldenTokens `json:"siglip"`  // nil for the boundary cases of the other tokenizer
	SigLIP2 *goldenTokens `json:"siglip2"` // (SigLIP2 is lowercased, as the README explains)
}

func loadGoldenCases(t testing.TB) []goldenCase {
	t.Helper()
	return goldentest.Cases[goldenCase](t, tokenizerGoldenPath, 50)
}

func loadTestTokenizer(t testing.TB, dir string) *Tokenizer {
	t.Helper()
	tok, err := LoadTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// describeDiff says where got and want first differ, for failure messages; "" if they are equal.
func describeDiff(got, want []int32) string {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			at := func(s []int32) string {
				if i < len(s) {
					return fmt.Sprint(s[i])
				}
				return "(end)"
			}
			return fmt.Sprintf("first difference at position %d: got %s, want %s (got %d ids, want %d)\n got %v\nwant %v",
				i, at(got), at(want), len(got), len(want), got, want)
		}
	}
	return ""
}

// goldenTokenizers are the two test tokenizers with the name of their records in the goldens.
var goldenTokenizers = []struct {
	name     string // "siglip" or "siglip2", the field of a golden case
	dir      string
	pick     func(goldenCase) *goldenTokens
	eos, pad int32
}{
	{"siglip", siglipDir, func(c goldenCase) *goldenTokens { return c.SigLIP }, 1, 1},    // </s>, </s>
	{"siglip2", siglip2Dir, func(c goldenCase) *goldenTokens { return c.SigLIP2 }, 1, 0}, // <eos>, <pad>
}

func TestTokenizerGolden(t *testing.T) {
	cases := loadGoldenCases(t)
	for _, gt := range goldenTokenizers {
		tok := loadTestTokenizer(t, gt.dir)
		count := 0
		for _, c := range cases {
			want := gt.pick(c)
			if want == nil {
				continue // a boundary case of the other tokenizer
			}
			count++
			t.Run(c.Key+"/"+gt.name, func(t *testing.T) {
				if d := describeDiff(tok.Encode(c.Text), want.IDs); d != "" {
					t.Errorf("case %s, %s: Encode(%q): %s\nwant pieces %q", c.Key, gt.name, c.Text, d, want.Pieces)
				}
				got, truncated := tok.Tokenize(c.Text, goldenMaxLength)
				if d := describeDiff(got, want.InputIDs); d != "" {
					t.Errorf("case %s, %s: Tokenize(%q, %d): %s", c.Key, gt.name, c.Text, goldenMaxLength, d)
				}
				if truncated != want.Truncated {
					t.Errorf("case %s, %s: Tokenize(%q, %d) truncated = %v, want %v", c.Key, gt.name, c.Text, goldenMaxLength, truncated, want.Truncated)
				}
			})
		}
		if count != 47 {
			t.Errorf("%s: %d golden cases, want 47", gt.name, count)
		}
	}
}

// TestTokenizerCheckpointGolden checks the ids of the 5 prompts in each checkpoint's golden.json, the ids
// its golden text embeddings were computed from.
func TestTokenizerCheckpointGolden(t *testing.T) {
	for _, dir := range []string{siglipDir, siglip2Dir} {
		data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		var golden struct {
			Prompts  []string  `json:"prompts"`
			InputIDs [][]int32 `json:"input_ids"`
		}
		if err := json.Unmarshal(data, &golden); err != nil {
			t.Fatalf("%s/golden.json: %v", dir, err)
		}
		if len(golden.Prompts) != 5 || len(golden.InputIDs) != 5 {
			t.Fatalf("%s/golden.json: %d prompts and %d input_ids, want 5 each", dir, len(golden.Prompts), len(golden.InputIDs))
		}
		tok := loadTestTokenizer(t, dir)
		for i, prompt := range golden.Prompts {
			got, _ := tok.Tokenize(prompt, goldenMaxLength)
			if d := describeDiff(got, golden.InputIDs[i]); d != "" {
				t.Errorf("%s/golden.json prompt %d, %q: %s", dir, i, prompt, d)
			}
		}
	}
}

func TestTokenizerKind(t *testing.T) {
	for dir, want := range map[string]Kind{siglipDir: SigLIP, siglip2Dir: SigLIP2} {
		if got := loadTestTokenizer(t, dir).Kind(); got != want {
			t.Errorf("LoadTokenizer(%s).Kind() = %v, want %v", dir, got, want)
		}
	}
	if s := SigLIP2.String(); !strings.Contains(s, "tokenizer.json") {
		t.Errorf("SigLIP2.String() = %q, want it to name tokenizer.json", s)
	}
}

// TestTokenizerBoundaries checks truncation and padding around the limit with the golden texts of exactly
// 62, 63 and 64 ids: 63 is the longest that keeps every id (63 + EOS = 64), 64 loses its last id.
func TestTokenizerBoundaries(t *testing.T) {
	cases := make(map[string]goldenCase)
	for _, c := range loadGoldenCases(t) {
		cases[c.Key] = c
	}
	for _, tc := range goldenTokenizers {
		tok := loadTestTokenizer(t, tc.dir)
		for _, n := range []int{62, 63, 64} {
			key := fmt.Sprintf("boundary_%d_ids_%s", n, tc.name)
			c, ok := cases[key]
			if !ok || tc.pick(c) == nil {
				t.Fatalf("%s: no case %s", tokenizerGoldenPath, key)
			}
			want := tc.pick(c)
			ids := tok.Encode(c.Text)
			if len(ids) != n {
				t.Fatalf("%s, %s: Encode gives %d ids, want %d", tc.name, key, len(ids), n)
			}
			got, truncated := tok.Tokenize(c.Text, goldenMaxLength)
			if d := describeDiff(got, want.InputIDs); d != "" {
				t.Errorf("%s, %s: %s", tc.name, key, d)
			}
			wantTruncated := n > goldenMaxLength-1
			keep := min(n, goldenMaxLength-1)
			if truncated != wantTruncated || len(got) != goldenMaxLength ||
				!slices.Equal(got[:keep], ids[:keep]) || got[keep] != tc.eos {
				t.Errorf("%s, %s: Tokenize = %v, truncated %v; want the first %d ids, EOS %d, truncated %v",
					tc.name, key, got, truncated, keep, tc.eos, wantTruncated)
			}
			for i := keep + 1; i < len(got); i++ {
				if got[i] != tc.pad {
					t.Errorf("%s, %s: id %d at %d, want the pad id %d", tc.name, key, got[i], i, tc.pad)
				}
			}
		}
	}
}

func TestTokenizeMaxLength(t *testing.T) {
	for _, dir := range []string{siglipDir, siglip2Dir} {
		tok := loadTestTokenizer(t, dir)
		for _, maxLength := range []int{1, 2, 5, 64, 100} {
			for _, text := range []string{"", "a photo of a cat", strings.Repeat("cat ", 200)} {
				ids, truncated := tok.Tokenize(text, maxLength)
				if len(ids) != maxLength {
					t.Errorf("%v: Tokenize(%.20q, %d) gives %d ids", tok.Kind(), text, maxLength, len(ids))
				}
				if wantTruncated := len(tok.Encode(text))+1 > maxLength; truncated != wantTruncated {
					t.Errorf("%v: Tokenize(%.20q, %d) truncated = %v, want %v", tok.Kind(), text, maxLength, truncated, wantTruncated)
				}
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%v: Tokenize(\"a\", 0) did not panic; there is no room for EOS", tok.Kind())
				}
			}()
			tok.Tokenize("a", 0)
		}()
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	cases := loadGoldenCases(t)
	for _, gt := range goldenTokenizers {
		tok := loadTestTokenizer(t, gt.dir)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range cases {
					c := cases[(i+g*7)%len(cases)] // each goroutine starts elsewhere
					if want := gt.pick(c); want != nil {
						if got, _ := tok.Tokenize(c.Text, goldenMaxLength); !slices.Equal(got, want.InputIDs) {
							t.Errorf("goroutine %d, %s, case %s: %s", g, gt.name, c.Key, describeDiff(got, want.InputIDs))
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// editJSON rewrites the JSON object in dir/name with edit.
func editJSON(t *testing.T, dir, name string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	edit(obj)
	if data, err = json.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadTokenizerChoice checks which tokenizer a folder gets from its files.
func TestLoadTokenizerChoice(t *testing.T) {
	both := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	spiece, err := os.ReadFile(filepath.Join(siglipDir, "spiece.model"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(both, "spiece.model"), spiece, 0o644); err != nil {
		t.Fatal(err)
	}
	noConfig := goldentest.CopyFiles(t, siglipDir, "spiece.model")
	jsonOnly := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json")
	siglipClass := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	editJSON(t, siglipClass, "tokenizer_config.json", func(c map[string]any) { c["tokenizer_class"] = "SiglipTokenizer" })
	for _, tc := range []struct {
		name, dir string
		want      Kind
	}{
		{"siglip-tiny", siglipDir, SigLIP},
		{"siglip2-tiny (with tokenizer.model beside tokenizer.json)", siglip2Dir, SigLIP2},
		{"GemmaTokenizer with spiece.model beside tokenizer.json", both, SigLIP2},
		{"spiece.model without tokenizer_config.json", noConfig, SigLIP},
		{"tokenizer.json without tokenizer_config.json", jsonOnly, SigLIP2},
	} {
		tok, err := LoadTokenizer(tc.dir)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tok.Kind() != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tok.Kind(), tc.want)
		}
	}
	// Without tokenizer_config.json, tokenizer.json is read as SigLIP2's and the ids are the same.
	for _, c := range loadGoldenCases(t)[:10] {
		if got, _ := loadTestTokenizer(t, jsonOnly).Tokenize(c.Text, goldenMaxLength); !slices.Equal(got, c.SigLIP2.InputIDs) {
			t.Errorf("tokenizer.json alone, case %s: %s", c.Key, describeDiff(got, c.SigLIP2.InputIDs))
		}
	}
	if _, err := LoadTokenizer(siglipClass); err == nil || !strings.Contains(err.Error(), "SiglipTokenizer, which this package reads from spiece.model") {
		t.Errorf("SiglipTokenizer without spiece.model: error %v, want one saying SiglipTokenizer reads spiece.model", err)
	}
}

func TestLoadTokenizerErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := LoadTokenizer(empty)
	var noTok *NoTokenizerError
	if !errors.As(err, &noTok) || noTok.Dir != empty || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadTokenizer(empty folder) = %v, want a *NoTokenizerError for it wrapping fs.ErrNotExist", err)
	}
	if err != nil {
		for _, want := range []string{empty, "spiece.model", "tokenizer.json", "tokenizer_config.json", "SigLIP2"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
	}

	configOnly := goldentest.CopyFiles(t, siglip2Dir, "tokenizer_config.json")
	badClass := goldentest.CopyFiles(t, siglipDir, "spiece.model", "tokenizer_config.json")
	editJSON(t, badClass, "tokenizer_config.json", func(c map[string]any) { c["tokenizer_class"] = "T5Tokenizer" })
	badJSON := goldentest.CopyFiles(t, siglip2Dir)
	if err := os.WriteFile(filepath.Join(badJSON, "tokenizer.json"), []byte(`{"model": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	badConfig := goldentest.CopyFiles(t, siglipDir, "spiece.model")
	if err := os.WriteFile(filepath.Join(badConfig, "tokenizer_config.json"), []byte(`{"eos_token": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := goldentest.CopyFiles(t, siglipDir)
	if err := os.WriteFile(filepath.Join(truncated, "spiece.model"), spiece(t)[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	unigramJSON := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json")
	editJSON(t, unigramJSON, "tokenizer.json", func(c map[string]any) { c["model"].(map[string]any)["type"] = "Unigram" })
	badMerge := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json")
	editJSON(t, badMerge, "tokenizer.json", func(c map[string]any) {
		m := c["model"].(map[string]any)
		m["merges"] = append(m["merges"].([]any), []any{"q", "zz"})
	})
	regexNormalizer := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json")
	editJSON(t, regexNormalizer, "tokenizer.json", func(c map[string]any) {
		c["normalizer"] = map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " +"}, "content": "▁"}
	})
	noPad := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	editJSON(t, noPad, "tokenizer_config.json", func(c map[string]any) { c["pad_token"] = "[PAD]" })
	badSpecial := goldentest.CopyFiles(t, siglipDir, "spiece.model", "tokenizer_config.json")
	editJSON(t, badSpecial, "tokenizer_config.json", func(c map[string]any) { c["eos_token"] = "<eos>" })
	for _, tc := range []struct {
		name, dir string
		want      []string // what the error must say
	}{
		{"tokenizer_config.json alone", configOnly, []string{"GemmaTokenizer", "has no tokenizer.json"}},
		{"unknown tokenizer_class", badClass, []string{"T5Tokenizer", "SiglipTokenizer", "GemmaTokenizer"}},
		{"malformed tokenizer.json", badJSON, []string{filepath.Join(badJSON, "tokenizer.json"), "not a Hugging Face tokenizer.json"}},
		{"malformed tokenizer_config.json", badConfig, []string{filepath.Join(badConfig, "tokenizer_config.json"), "special token is a string"}},
		{"truncated spiece.model", truncated, []string{filepath.Join(truncated, "spiece.model"), "not a SentencePiece model"}},
		{"Unigram tokenizer.json", unigramJSON, []string{"Unigram", "spiece.model instead"}},
		{"merge of unknown tokens", badMerge, []string{"merge 861", `"zz"`, "not in the vocabulary"}},
		{"regular expression normalizer", regexNormalizer, []string{"normalizer", "not implemented"}},
		{"pad token missing", noPad, []string{`no token "[PAD]"`, "pad_token"}},
		{"special token not in spiece.model", badSpecial, []string{`no piece "<eos>"`, "same checkpoint"}},
	} {
		_, err := LoadTokenizer(tc.dir)
		if err == nil {
			t.Errorf("%s: LoadTokenizer succeeded, want an error saying %q", tc.name, tc.want)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, want)
			}
		}
	}
}

func spiece(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(siglipDir, "spiece.model"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestTokenizerConfigKeys checks the tokenizer_config.json keys that change the ids.
func TestTokenizerConfigKeys(t *testing.T) {
	const text = "A Photo"
	lowerIDs := loadTestTokenizer(t, siglip2Dir).Encode("a photo")

	cased := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	editJSON(t, cased, "tokenizer_config.json", func(c map[string]any) { c["do_lower_case"] = false })
	if got := loadTestTokenizer(t, cased).Encode(text); slices.Equal(got, lowerIDs) {
		t.Errorf("do_lower_case false: Encode(%q) = %v, the lowercased ids", text, got)
	}
	if got := loadTestTokenizer(t, siglip2Dir).Encode(text); !slices.Equal(got, lowerIDs) {
		t.Errorf("do_lower_case true: Encode(%q) = %v, want %v", text, got, lowerIDs)
	}

	bos := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	editJSON(t, bos, "tokenizer_config.json", func(c map[string]any) { delete(c, "add_eos_token"); c["add_bos_token"] = true })
	got, _ := loadTestTokenizer(t, bos).Tokenize("a photo", 5)
	if want := append(append([]int32{2}, lowerIDs...), 0, 0); !slices.Equal(got, want) {
		t.Errorf("add_bos_token true, no add_eos_token (GemmaTokenizerFast's defaults): %v, want %v", got, want)
	}

	left := goldentest.CopyFiles(t, siglip2Dir, "tokenizer.json", "tokenizer_config.json")
	editJSON(t, left, "tokenizer_config.json", func(c map[string]any) { c["padding_side"] = "left" })
	got, _ = loadTestTokenizer(t, left).Tokenize("a photo", 5)
	if want := append(append([]int32{0, 0}, lowerIDs...), 1); !slices.Equal(got, want) {
		t.Errorf("padding_side left: %v, want %v", got, want)
	}

	// SigLIP v1: the literal </s> at the end is not followed by a second one (_add_eos_if_not_present).
	v1 := loadTestTokenizer(t, siglipDir)
	ids := v1.Encode("a cat </s>")
	if ids[len(ids)-1] != 1 {
		t.Fatalf("Encode(\"a cat </s>\") = %v, want </s> (1) last", ids)
	}
	got, _ = v1.Tokenize("a cat </s>", len(ids)+1)
	if want := append(slices.Clone(ids), 1); !slices.Equal(got, want) {
		t.Errorf("Tokenize(\"a cat </s>\", %d) = %v, want %v (one </s>, then a pad </s>)", len(ids)+1, got, want)
	}
}

// TestTokenizerInvalidUTF8 checks that bytes that are not UTF-8 read as U+FFFD.
func TestTokenizerInvalidUTF8(t *testing.T) {
	for _, dir := range []string{siglipDir, siglip2Dir} {
		tok := loadTestTokenizer(t, dir)
		if got, want := tok.Encode("a\xffb\xe2\x82"), tok.Encode("a\uFFFDb\uFFFD\uFFFD"); !slices.Equal(got, want) {
			t.Errorf("%v: Encode with invalid bytes = %v, want %v", tok.Kind(), got, want)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, c := range loadGoldenCases(f) {
		f.Add(c.Text, 64)
	}
	f.Add("a\xffb\xe2\x82 </s><unk><eos><mask>▁\u0130\u00a0\u200b", 7)
	tokenizers := []*Tokenizer{loadTestTokenizer(f, siglipDir), loadTestTokenizer(f, siglip2Dir)}
	f.Fuzz(func(t *testing.T, text string, maxLength int) {
		maxLength = 1 + (maxLength%100+100)%100 // 1..100
		for _, tok := range tokenizers {
			ids, truncated := tok.Tokenize(text, maxLength)
			if len(ids) != maxLength {
				t.Fatalf("%v: Tokenize(%q, %d) gives %d ids", tok.Kind(), text, maxLength, len(ids))
			}
			n := len(tok.Encode(text))
			if truncated != (n+1 > maxLength) {
				t.Fatalf("%v: Tokenize(%q, %d) truncated = %v with %d ids", tok.Kind(), text, maxLength, truncated, n)
			}
			if utf8.ValidString(text) && !truncated && tok.Kind() == SigLIP2 && ids[n] != 1 {
				t.Fatalf("%v: Tokenize(%q, %d) = %v, want <eos> after the %d ids", tok.Kind(), text, maxLength, ids, n)
			}
		}
	})
}
