package siglip

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyGemma describes a small tokenizer.json in Gemma's structure; json writes it.
type tinyGemma struct {
	normalizer   any // default Replace(" ", "▁"); nil for none
	preTokenizer any
	merges       [][2]string
	added        []map[string]any // more added tokens
	noFuseUnk    bool
	byteFallback func(b int) bool // which <0xXX> tokens the vocabulary has; nil for none
	ignoreMerges bool
}

// tinyVocab is the vocabulary of every tinyGemma; byte tokens <0xXX> follow with id 11 + XX.
var tinyVocab = map[string]int32{"<unk>": 0, "<eos>": 1, "<pad>": 2, "a": 3, "b": 4, "aa": 5, "ab": 6, "▁": 7, "x": 8, "▁a": 9, "aab": 10}

const tinyNextID = 11 // the id tokenizers gives the first added token that is not in tinyVocab

var replaceSpaces = map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"}

func (g tinyGemma) json(t *testing.T) []byte {
	t.Helper()
	vocab := make(map[string]int32)
	for k, v := range tinyVocab {
		vocab[k] = v
	}
	for b := range 256 {
		if g.byteFallback != nil && g.byteFallback(b) {
			vocab[fmt.Sprintf("<0x%02X>", b)] = int32(tinyNextID + b)
		}
	}
	added := []map[string]any{}
	for id, tok := range []string{"<unk>", "<eos>", "<pad>"} {
		added = append(added, map[string]any{"id": id, "content": tok, "normalized": false, "special": true})
	}
	tj := map[string]any{
		"version": "1.0", "added_tokens": append(added, g.added...), "normalizer": g.normalizer, "pre_tokenizer": g.preTokenizer,
		"post_processor": map[string]any{
			"type":           "TemplateProcessing",
			"single":         []any{map[string]any{"Sequence": map[string]any{"id": "A"}}, map[string]any{"SpecialToken": map[string]any{"id": "<eos>"}}},
			"special_tokens": map[string]any{"<eos>": map[string]any{"id": "<eos>", "ids": []int{1}, "tokens": []string{"<eos>"}}},
		},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>", "continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": !g.noFuseUnk, "byte_fallback": g.byteFallback != nil, "ignore_merges": g.ignoreMerges,
			"vocab": vocab, "merges": g.merges,
		},
	}
	data, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGemmaBPE checks the parts of tokenizers' pipeline the SigLIP2 goldens do not reach (every character
// of siglip2-tiny falls back to bytes, nothing is unknown, no tie between merges decides an id). Every
// expected value was computed with Hugging Face tokenizers 0.23.2 (npm package "tokenizers", the Node
// binding of the Rust library) on the same tokenizer.json, encode(text, addSpecialTokens=false).
func TestGemmaBPE(t *testing.T) {
	aa := [][2]string{{"a", "a"}}
	addedToken := func(content string, normalized bool) map[string]any {
		return map[string]any{"id": tinyNextID, "content": content, "normalized": normalized, "special": false}
	}
	for _, tc := range []struct {
		name string
		tok  tinyGemma
		text string
		want []int32
	}{
		{"leftmost merge first", tinyGemma{merges: aa}, "aaa", []int32{5, 3}},
		{"leftmost merge first, 5", tinyGemma{merges: aa}, "aaaaa", []int32{5, 5, 3}},
		{"lowest rank first", tinyGemma{merges: [][2]string{{"a", "b"}, {"a", "a"}}}, "aab", []int32{3, 6}},
		{"merges chain", tinyGemma{merges: [][2]string{{"a", "a"}, {"a", "b"}, {"aa", "b"}}}, "aab", []int32{10}},
		{"unknown run fused", tinyGemma{merges: aa}, "a中文b", []int32{3, 0, 4}},
		{"unknown run not fused", tinyGemma{merges: aa, noFuseUnk: true}, "a中文b", []int32{3, 0, 0, 4}},
		{"byte fallback", tinyGemma{merges: aa, byteFallback: func(int) bool { return true }}, "a中b", []int32{3, 11 + 0xE4, 11 + 0xB8, 11 + 0xAD, 4}},
		{"byte fallback lacking bytes", tinyGemma{merges: aa, byteFallback: func(b int) bool { return b >= 0xE0 }}, "aé中éb", []int32{3, 0, 4}},
		{"ignore_merges", tinyGemma{merges: aa, ignoreMerges: true}, "aab", []int32{10}},
		{"merges not ignored", tinyGemma{merges: aa}, "aab", []int32{5, 4}},
		{
			"Split(\" \", MergedWithPrevious)",
			tinyGemma{merges: aa, preTokenizer: map[string]any{"type": "Split", "pattern": map[string]any{"String": " "}, "behavior": "MergedWithPrevious", "invert": false}},
			" a  aa b", []int32{0, 3, 0, 0, 5, 0, 4},
		},
		{
			"Prepend",
			tinyGemma{merges: [][2]string{{"▁", "a"}}, normalizer: map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Prepend", "prepend": "▁"}, replaceSpaces}}},
			"a a", []int32{9, 9},
		},
		{
			"normalized added token",
			tinyGemma{merges: aa, normalizer: map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Lowercase"}}}, added: []map[string]any{addedToken("AAB", true)}},
			"xAaBx<eos>AAB", []int32{8, tinyNextID, 8, 1, tinyNextID},
		},
		{"raw added token", tinyGemma{merges: aa, normalizer: replaceSpaces, added: []map[string]any{addedToken("AAB", false)}}, "AAB aab", []int32{tinyNextID, 7, 5, 4}},
		{"longest added token", tinyGemma{merges: aa, normalizer: replaceSpaces, added: []map[string]any{addedToken("<eos><eos>", false)}}, "a<eos><eos><eos>", []int32{3, tinyNextID, 1}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tc.tok.json(t), 0o644); err != nil {
			t.Fatal(err)
		}
		// The expected values come from these files as they are, without the lowercasing added for SigLIP2.
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"do_lower_case": false}`), 0o644); err != nil {
			t.Fatal(err)
		}
		tok, err := LoadTokenizer(dir)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := tok.Encode(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Encode(%q) = %v, want %v", tc.name, tc.text, got, tc.want)
		}
	}
}

func TestGemmaLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(tj map[string]any)
		want string
	}{
		{"added token id against the vocabulary", func(tj map[string]any) {
			tj["added_tokens"] = append(tj["added_tokens"].([]any), map[string]any{"id": 99, "content": "a"})
		}, `added token "a" has id 99, and 3 in the vocabulary`},
		{"lstrip", func(tj map[string]any) {
			tj["added_tokens"] = append(tj["added_tokens"].([]any), map[string]any{"id": 11, "content": "<x>", "lstrip": true})
		}, "lstrip"},
		{"unknown normalizer", func(tj map[string]any) { tj["normalizer"] = map[string]any{"type": "NFKC"} }, `normalizer "NFKC" is not implemented`},
		{"unknown pre-tokenizer", func(tj map[string]any) { tj["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, `pre-tokenizer "Metaspace"`},
		{"unknown post-processor", func(tj map[string]any) { tj["post_processor"] = map[string]any{"type": "ByteLevel"} }, `"ByteLevel" is not implemented`},
		{"template without $A", func(tj map[string]any) {
			tj["post_processor"].(map[string]any)["single"] = []any{map[string]any{"SpecialToken": map[string]any{"id": "<eos>"}}}
		}, "no $A"},
		{"dropout", func(tj map[string]any) { tj["model"].(map[string]any)["dropout"] = 0.1 }, "dropout"},
		{"unk_token outside the vocabulary", func(tj map[string]any) { tj["model"].(map[string]any)["unk_token"] = "[UNK]" }, `unk_token "[UNK]"`},
		{"malformed merge", func(tj map[string]any) { tj["model"].(map[string]any)["merges"] = []any{"a b c"} }, `"a b c" is not two tokens`},
	} {
		var tj map[string]any
		if err := json.Unmarshal(tinyGemma{normalizer: replaceSpaces}.json(t), &tj); err != nil {
			t.Fatal(err)
		}
		tc.edit(tj)
		data, err := json.Marshal(tj)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = LoadTokenizer(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "tokenizer.json")) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", tc.name, err, filepath.Join(dir, "tokenizer.json"), tc.want)
		}
	}
}
