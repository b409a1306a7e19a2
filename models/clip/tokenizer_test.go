package clip

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bellingcat/smart-image-sorter/models/goldentest"
)

const (
	tokenizerGoldenPath = "../../testdata/fixtures/tokenizer_golden.json"
	tokenizerDir        = "../../testdata/fixtures/clip-tiny"
)

// tokenizerCase is one case of tokenizer_golden.json, computed with openai/CLIP simple_tokenizer.py without ftfy.
type tokenizerCase struct {
	Key            string   `json:"key"`
	Text           string   `json:"text"`
	NormalizedText string   `json:"normalized_text"`
	Pieces         []string `json:"pieces"` // BPE symbols of ids
	IDs            []int    `json:"ids"`
	InputIDs77     []int32  `json:"input_ids_77"`
	Truncated      bool     `json:"truncated"`
	Flagged        bool     `json:"flagged"` // Hugging Face differs; ids are still the truth
	Note           string   `json:"note"`
}

func loadTestTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := LoadTokenizer(tokenizerDir)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func loadTokenizerGolden(t testing.TB) []tokenizerCase {
	t.Helper()
	return goldentest.Cases[tokenizerCase](t, tokenizerGoldenPath, 44)
}

// firstIDDiff returns the first index where got and want differ, or -1 if they are equal.
func firstIDDiff[T comparable](got, want []T) int {
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			return i
		}
	}
	return -1
}

// describeIDDiff says where got and want first differ, for failure messages.
func describeIDDiff[T comparable](got, want []T) string {
	i := firstIDDiff(got, want)
	at := func(s []T) string {
		if i < len(s) {
			return fmt.Sprint(s[i])
		}
		return "(end)"
	}
	return fmt.Sprintf("first difference at index %d: got %s, want %s (got %d ids, want %d)", i, at(got), at(want), len(got), len(want))
}

// symbols turns ids back into BPE symbols, to compare with the golden pieces.
func (t *Tokenizer) symbols(ids []int) []string {
	byID := make(map[int]string, len(t.vocab))
	for sym, id := range t.vocab {
		byID[id] = sym
	}
	syms := make([]string, len(ids))
	for i, id := range ids {
		syms[i] = byID[id]
	}
	return syms
}

func TestTokenizerGolden(t *testing.T) {
	tok := loadTestTokenizer(t)
	if tok.sot != StartOfText || tok.EndOfTextID() != EndOfText || tok.VocabSize() != 49408 {
		t.Errorf("special ids %d, %d and vocab size %d, want %d, %d and 49408",
			tok.sot, tok.EndOfTextID(), tok.VocabSize(), StartOfText, EndOfText)
	}
	for _, c := range loadTokenizerGolden(t) {
		t.Run(c.Key, func(t *testing.T) {
			if got := normalizeText(c.Text); got != c.NormalizedText {
				t.Errorf("%s: normalized %q, want %q", c.Key, got, c.NormalizedText)
			}
			if got := tok.Encode(c.Text); !slices.Equal(got, c.IDs) {
				t.Errorf("%s: Encode(%q): %s\n got pieces %q\nwant pieces %q\n%s",
					c.Key, c.Text, describeIDDiff(got, c.IDs), tok.symbols(got), c.Pieces, c.Note)
			}
			got, truncated := tok.Tokenize(c.Text, 77)
			if !slices.Equal(got, c.InputIDs77) {
				t.Errorf("%s: Tokenize(%q, 77): %s", c.Key, c.Text, describeIDDiff(got, c.InputIDs77))
			}
			if truncated != c.Truncated {
				t.Errorf("%s: Tokenize(%q, 77) truncated = %v, want %v", c.Key, c.Text, truncated, c.Truncated)
			}
		})
	}
}

func TestTokenizerTruncation(t *testing.T) {
	tok := loadTestTokenizer(t)
	const cat = 2368 // "cat</w>"
	for _, tc := range []struct {
		words, contextLength, wantLen int
		wantTruncated                 bool
	}{
		{words: 75, contextLength: 77, wantLen: 77},
		{words: 76, contextLength: 77, wantLen: 77, wantTruncated: true},
		{words: 200, contextLength: 77, wantLen: 77, wantTruncated: true},
		{words: 3, contextLength: 2, wantLen: 2, wantTruncated: true},
		{words: 0, contextLength: 2, wantLen: 2},
	} {
		text := strings.Repeat("cat ", tc.words)
		ids, truncated := tok.Tokenize(text, tc.contextLength)
		name := fmt.Sprintf("Tokenize(%d words, %d)", tc.words, tc.contextLength)
		if len(ids) != tc.wantLen || truncated != tc.wantTruncated {
			t.Errorf("%s: %d ids, truncated %v; want %d, %v", name, len(ids), truncated, tc.wantLen, tc.wantTruncated)
			continue
		}
		// Text features are pooled at the first <|endoftext|>: it must be last and only there.
		if ids[0] != StartOfText || ids[len(ids)-1] != EndOfText {
			t.Errorf("%s = %v, want <|startoftext|> first and <|endoftext|> last", name, ids)
		}
		for i, id := range ids[1 : len(ids)-1] {
			if id != cat {
				t.Errorf("%s: id %d at %d, want %d", name, id, i+1, cat)
				break
			}
		}
	}
}

// TestTokenizerNormalize checks the Python behaviours the golden cases do not all reach. Every expected value
// was computed with Python 3.11 (html.unescape, str.lower, regex 2026.5.9, simple_tokenizer.py).
func TestTokenizerNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"&amp", "&"},
		{"&amp;amp;", "&amp;"}, // one pass
		{"&AMP;", "&"},
		{"&Amp;", "&Amp;"},
		{"&ampé;", "&é;"},
		{"&notit;", "¬it;"}, // longest prefix allowed without a semicolon
		{"&nLt;", "\u226a\u20d2"},
		{"&#38;&#x26;&#X26", "&&&"},
		{"&#0;", "\uFFFD"},
		{"&#1;&#x7f;&#xFFFE;&#x10FFFF;", ""},
		{"&#13;", "\r"},
		{"&#128;", "€"},
		{"&#150", "–"},
		{"&#xD800;&#x110000;&#99999999999999999999;", "\uFFFD\uFFFD\uFFFD"},
		{"&#x;", "&#x;"},
	} {
		if got := unescapeHTML(tc.in); got != tc.want {
			t.Errorf("unescapeHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	for _, tc := range []struct{ in, want string }{
		{"ΟΔΟΣ", "οδος"},
		{"ΟΔΟΣ. ΚΑΙ", "οδος. και"},
		{"Σ", "σ"},
		{"ΑΣΑ", "ασα"},
		{"ΑΣ'Α", "ασ'α"}, // the apostrophe is case-ignorable: a letter follows
		{"Α'Σ", "α'ς"},   // and precedes
		{"ΑΣ\u0301", "ας\u0301"},
		{"İstanbul", "i\u0307stanbul"},
		{"ǅ ẞ \u212a", "ǆ ß k"},
	} {
		if got := pyLower(tc.in); got != tc.want {
			t.Errorf("pyLower(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	for _, tc := range []struct {
		in     string
		pieces []string
	}{
		{"\x1c a \x1f", []string{"a"}},               // str.strip() removes U+001C..U+001F at the ends...
		{"a\x1cb", []string{"a", "\x1c", "b"}},       // ...the regex \s does not match them inside
		{"a\u3000\u00a0\u0085b", []string{"a", "b"}}, // Unicode whitespace
		{"a\u200bb", []string{"a", "\u200b", "b"}},   // U+200B is not whitespace
		{"it'ſ", []string{"it", "'ſ"}},               // IGNORECASE: ſ matches 's
		{"a\u0345b", []string{"a", "b"}},             // U+0345 matches no class of the regex module
		{"AK-47", []string{"ak", "-", "4", "7"}},
		{"x <|endoftext|>y", []string{"x", "<|endoftext|>", "y"}},
	} {
		if got := splitPattern.FindAllString(normalizeText(tc.in), -1); !slices.Equal(got, tc.pieces) {
			t.Errorf("pieces of %q = %q, want %q", tc.in, got, tc.pieces)
		}
	}
}

// TestTokenizerWhiteSpaceClass checks that the \s spelled out for the split is unicode.IsSpace.
func TestTokenizerWhiteSpaceClass(t *testing.T) {
	class := regexp.MustCompile(`^[` + whiteSpaceClass + `]$`)
	var buf []byte
	for r := range rune(unicode.MaxRune + 1) {
		if !utf8.ValidRune(r) {
			continue
		}
		buf = utf8.AppendRune(buf[:0], r)
		if class.Match(buf) != unicode.IsSpace(r) {
			t.Errorf("U+%04X: whiteSpaceClass says %v, unicode.IsSpace %v", r, class.Match(buf), unicode.IsSpace(r))
		}
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	tok := loadTestTokenizer(t) // a cold cache, filled by all goroutines at once
	cases := loadTokenizerGolden(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range cases {
				c := cases[(i+g*5)%len(cases)] // each goroutine starts elsewhere
				if got := tok.Encode(c.Text); !slices.Equal(got, c.IDs) {
					t.Errorf("goroutine %d, %s: %s", g, c.Key, describeIDDiff(got, c.IDs))
				}
			}
		})
	}
	wg.Wait()
}

// writeTinyTokenizer writes a minimal valid vocab.json and merges.txt to a new directory and returns it;
// edit changes the vocabulary and the merges before they are written.
func writeTinyTokenizer(t *testing.T, edit func(vocab map[string]int, merges *string)) string {
	t.Helper()
	vocab := make(map[string]int)
	for b, sym := range byteSymbols {
		vocab[sym] = b
		vocab[sym+endOfWord] = b + 256
	}
	vocab["ab</w>"] = 512
	vocab[startOfTextToken] = 513
	vocab[endOfTextToken] = 514
	merges := "#version: 0.2\na b</w>\n"
	if edit != nil {
		edit(vocab, &merges)
	}
	data, err := json.Marshal(vocab)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vocab.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "merges.txt"), []byte(merges), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTokenizerTinyFiles(t *testing.T) {
	tok, err := LoadTokenizer(writeTinyTokenizer(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	// "ab" merges to "ab</w>"; "ba" has no merge and stays "b", "a</w>" (ids: the byte, the byte + 256).
	ids, _ := tok.Tokenize("ab ba", 77)
	if want := []int32{513, 512, 'b', 'a' + 256, 514}; !slices.Equal(ids, want) {
		t.Errorf("Tokenize(\"ab ba\") = %v, want %v", ids, want)
	}
}

func TestTokenizerErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(vocab map[string]int, merges *string) // changes the files' contents
		after    func(dir string) error                     // changes the written files
		file     string                                     // the file the error must name
		want     string                                     // what it must say is wrong
		notExist bool                                       // the error wraps fs.ErrNotExist
	}{
		{
			name:  "vocab.json missing",
			after: func(dir string) error { return os.Remove(filepath.Join(dir, "vocab.json")) },
			file:  "vocab.json", want: "no such file", notExist: true,
		},
		{
			name:  "merges.txt missing",
			after: func(dir string) error { return os.Remove(filepath.Join(dir, "merges.txt")) },
			file:  "merges.txt", want: "no such file", notExist: true,
		},
		{
			name: "malformed vocab.json",
			after: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "vocab.json"), []byte(`{"a": 1,`), 0o644)
			},
			file: "vocab.json", want: "not a CLIP vocabulary",
		},
		{
			name: "merges line with three fields",
			edit: func(_ map[string]int, merges *string) { *merges += "a b c\n" },
			file: "merges.txt", want: `line 3: "a b c" has 3 fields, want two symbols`,
		},
		{
			name: "merges line with one field",
			edit: func(_ map[string]int, merges *string) { *merges = "#version: 0.2\nab\n" },
			file: "merges.txt", want: `line 2: "ab" has 1 fields`,
		},
		{
			name: "merge result not in vocab",
			edit: func(_ map[string]int, merges *string) { *merges += "b a\n" },
			file: "merges.txt", want: `line 3: the merged symbol "ba" is not in`,
		},
		{
			name: "no <|endoftext|>",
			edit: func(vocab map[string]int, _ *string) { delete(vocab, endOfTextToken) },
			file: "vocab.json", want: "no <|endoftext|> token",
		},
		{
			name: "byte symbol missing",
			edit: func(vocab map[string]int, _ *string) {
				vocab[endOfTextToken] = vocab["Ġ</w>"] // keep the ids 0..n-1
				delete(vocab, "Ġ</w>")
			},
			file: "vocab.json", want: `no entry for the byte symbol "Ġ</w>"`,
		},
		{
			name: "id out of range",
			edit: func(vocab map[string]int, _ *string) { vocab[endOfTextToken] = 49407 },
			file: "vocab.json", want: "has id 49407, outside 0..514",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTinyTokenizer(t, tc.edit)
			if tc.after != nil {
				if err := tc.after(dir); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, tc.file)
			_, err := LoadTokenizer(dir)
			if err == nil {
				t.Fatalf("LoadTokenizer succeeded, want an error naming %s and saying %q", path, tc.want)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadTokenizer error %q\nwant it to name %s and say %q", err, path, tc.want)
			}
			if tc.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("LoadTokenizer error %q does not wrap fs.ErrNotExist", err)
			}
		})
	}
}

func BenchmarkTokenize(b *testing.B) {
	tok := loadTestTokenizer(b)
	labels := []string{"weapon", "a meme", "screenshot of a newspaper article", "a picture of a person", "cat"}
	b.Run("prompts", func(b *testing.B) { // the zero-shot case: the cache holds every word after the first loop
		for b.Loop() {
			for _, label := range labels {
				tok.Tokenize("This is a photo of "+label+".", 77)
			}
		}
	})
	long := strings.Repeat("Київ — столиця України, the quick brown fox 1984! ", 10)
	b.Run("cold_cache", func(b *testing.B) {
		for b.Loop() {
			tok.cache.Clear()
			tok.Tokenize(long, 77)
		}
	})
}
