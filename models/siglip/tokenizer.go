// tokenizer.go is the text tokenizer: the ids the Hugging Face zero-shot-image-classification pipeline feeds
// the text tower (padding="max_length", truncation=True, input_ids only). It picks the tokenizer a checkpoint folder asks for and does what both share (truncation,
// special tokens, padding, lowercasing), as transformers' AutoTokenizer and PreTrainedTokenizerBase do.
// tokenizer_siglip.go (SigLIP v1, SiglipTokenizer over sentencepiece.go) and tokenizer_gemma.go (SigLIP2,
// Gemma's tokenizer.json) turn text into ids.

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
	"unicode"
	"unicode/utf8"
)

// Kind says which of the two SigLIP text tokenizers a Tokenizer is.
type Kind int

const (
	// SigLIP is SigLIP v1's tokenizer: transformers' SiglipTokenizer on a SentencePiece unigram spiece.model
	// (google/siglip-*).
	SigLIP Kind = iota + 1
	// SigLIP2 is SigLIP2's tokenizer: Gemma's byte-fallback BPE from tokenizer.json, lowercased
	// (google/siglip2-*).
	SigLIP2
)

func (k Kind) String() string {
	switch k {
	case SigLIP:
		return "SigLIP tokenizer (spiece.model, SentencePiece unigram)"
	case SigLIP2:
		return "SigLIP2 tokenizer (tokenizer.json, Gemma BPE)"
	}
	return fmt.Sprintf("siglip.Kind(%d)", int(k))
}

// The files LoadTokenizer reads, as the Hub names them.
const (
	spieceFile          = "spiece.model"          // SigLIP v1
	tokenizerJSONFile   = "tokenizer.json"        // SigLIP2
	tokenizerConfigFile = "tokenizer_config.json" // both, optional
)

// Tokenizer turns a prompt into the ids of a SigLIP or SigLIP2 text tower. It is read-only after
// LoadTokenizer and safe for concurrent use.
type Tokenizer struct {
	kind Kind
	text interface {
		// encode returns the ids of text without the special tokens around them.
		encode(text string) []int32
	}
	prefix, suffix []int32 // special tokens around the text: none and [</s>] (SigLIP), none and [<eos>] (SigLIP2)
	// suffixIfAbsent leaves the suffix out when the ids already end with it (SiglipTokenizer's
	// _add_eos_if_not_present: a text ending in the literal "</s>" gets no second one).
	suffixIfAbsent bool
	pad            int32 // </s> (1) for SigLIP, <pad> (0) for SigLIP2
	padLeft        bool  // tokenizer_config.json padding_side "left"; both families pad on the right
}

// NoTokenizerError is returned by LoadTokenizer for a folder that has neither spiece.model nor
// tokenizer.json. It wraps fs.ErrNotExist.
type NoTokenizerError struct {
	Dir string
}

func (e *NoTokenizerError) Error() string {
	return fmt.Sprintf("no SigLIP tokenizer in %s: a SigLIP checkpoint folder holds %s (SigLIP, SentencePiece) "+
		"and a SigLIP2 one %s (Gemma), usually with %s; neither %s nor %s is there",
		e.Dir, spieceFile, tokenizerJSONFile, tokenizerConfigFile, spieceFile, tokenizerJSONFile)
}

func (e *NoTokenizerError) Unwrap() error { return fs.ErrNotExist }

// Values of tokenizer_config.json's tokenizer_class, by family.
var (
	siglipClasses  = []string{"SiglipTokenizer", "SiglipTokenizerFast"}
	siglip2Classes = []string{"GemmaTokenizer", "GemmaTokenizerFast", "Siglip2Tokenizer", "Siglip2TokenizerFast"}
)

// LoadTokenizer reads the tokenizer of the Hugging Face SigLIP or SigLIP2 checkpoint in dir:
//   - tokenizer.json, when tokenizer_config.json's tokenizer_class is a Gemma or SigLIP2 class or when there
//     is no spiece.model: SigLIP2 (see tokenizer_gemma.go);
//   - spiece.model otherwise: SigLIP v1 (see tokenizer_siglip.go).
//
// tokenizer_config.json is optional; the keys read from it are do_lower_case (default true: both families
// were trained on lowercased text), the special tokens (eos_token, unk_token, pad_token, bos_token),
// add_bos_token and add_eos_token (SigLIP2) and padding_side.
func LoadTokenizer(dir string) (*Tokenizer, error) {
	cfg, err := readTokenizerConfig(filepath.Join(dir, tokenizerConfigFile))
	if err != nil {
		return nil, err
	}
	hasSpiece, err := fileExists(filepath.Join(dir, spieceFile))
	if err != nil {
		return nil, err
	}
	hasJSON, err := fileExists(filepath.Join(dir, tokenizerJSONFile))
	if err != nil {
		return nil, err
	}

	class := cfg.TokenizerClass
	var t *Tokenizer
	switch {
	case class != "" && !slices.Contains(siglipClasses, class) && !slices.Contains(siglip2Classes, class):
		return nil, fmt.Errorf("%s: tokenizer_class %q is not a SigLIP tokenizer; supported: %s (SigLIP, %s) and %s (SigLIP2, %s)",
			filepath.Join(dir, tokenizerConfigFile), class, strings.Join(siglipClasses, ", "), spieceFile,
			strings.Join(siglip2Classes, ", "), tokenizerJSONFile)
	case slices.Contains(siglip2Classes, class) && !hasJSON:
		return nil, fmt.Errorf("%s names %s, which this package reads from %s, and %s has no %s",
			filepath.Join(dir, tokenizerConfigFile), class, tokenizerJSONFile, dir, tokenizerJSONFile)
	case slices.Contains(siglipClasses, class) && !hasSpiece:
		return nil, fmt.Errorf("%s names %s, which this package reads from %s, and %s has no %s",
			filepath.Join(dir, tokenizerConfigFile), class, spieceFile, dir, spieceFile)
	case hasJSON && (slices.Contains(siglip2Classes, class) || !hasSpiece):
		t, err = loadGemma(filepath.Join(dir, tokenizerJSONFile), cfg)
	case hasSpiece:
		t, err = loadSiglip(filepath.Join(dir, spieceFile), cfg)
	default:
		return nil, &NoTokenizerError{Dir: dir}
	}
	if err != nil {
		return nil, err
	}
	switch cfg.PaddingSide {
	case "", "right":
	case "left":
		t.padLeft = true
	default:
		return nil, fmt.Errorf("%s: padding_side %q, want \"right\" or \"left\"", filepath.Join(dir, tokenizerConfigFile), cfg.PaddingSide)
	}
	return t, nil
}

// Kind says which tokenizer t is, for messages.
func (t *Tokenizer) Kind() Kind { return t.kind }

// Encode returns the ids of text without special tokens and padding (the "ids" of the goldens).
func (t *Tokenizer) Encode(text string) []int32 {
	return t.text.encode(validUTF8(text))
}

// Tokenize returns exactly maxLength ids for text, what the zero-shot pipeline gets from
// tokenizer(text, padding="max_length", max_length=maxLength, truncation=True): the ids of Encode cut to
// leave room for the special tokens, the special tokens (EOS at the end), then padding. truncated reports
// that ids were cut. maxLength is 64 for SigLIP (max_position_embeddings); it must leave room for the
// special tokens (1 for both families).
func (t *Tokenizer) Tokenize(text string, maxLength int) (ids []int32, truncated bool) {
	room := maxLength - len(t.prefix) - len(t.suffix)
	if room < 0 {
		panic(fmt.Sprintf("siglip: Tokenize with max length %d; the %s needs at least %d for its special tokens",
			maxLength, t.kind, len(t.prefix)+len(t.suffix)))
	}
	body := t.Encode(text)
	if len(body) > room { // truncation keeps the start
		body, truncated = body[:room], true
	}
	ids = make([]int32, 0, maxLength)
	ids = append(ids, t.prefix...)
	ids = append(ids, body...)
	if !t.suffixIfAbsent || !slices.Equal(ids[max(0, len(ids)-len(t.suffix)):], t.suffix) {
		ids = append(ids, t.suffix...)
	}
	padding := slices.Repeat([]int32{t.pad}, maxLength-len(ids))
	if t.padLeft {
		return append(padding, ids...), truncated
	}
	return append(ids, padding...), truncated
}

// tokenizerConfig holds the keys of tokenizer_config.json this package reads.
type tokenizerConfig struct {
	path string // of the file, for messages; "" when the folder has none

	TokenizerClass          string                     `json:"tokenizer_class"`
	DoLowerCase             *bool                      `json:"do_lower_case"`
	AddBosToken             *bool                      `json:"add_bos_token"`
	AddEosToken             *bool                      `json:"add_eos_token"`
	BosToken                tokenContent               `json:"bos_token"`
	EosToken                tokenContent               `json:"eos_token"`
	UnkToken                tokenContent               `json:"unk_token"`
	PadToken                tokenContent               `json:"pad_token"`
	AdditionalSpecialTokens []tokenContent             `json:"additional_special_tokens"`
	AddedTokensDecoder      map[string]json.RawMessage `json:"added_tokens_decoder"`
	PaddingSide             string                     `json:"padding_side"`
}

// lowercase is do_lower_case, true when absent.
func (c *tokenizerConfig) lowercase() bool { return c.DoLowerCase == nil || *c.DoLowerCase }

// tokenContent is a special token in tokenizer_config.json: a string, or an AddedToken object whose
// "content" is the string (older files), or null.
type tokenContent string

func (c *tokenContent) UnmarshalJSON(data []byte) error {
	var s *string
	if err := json.Unmarshal(data, &s); err == nil {
		if s != nil {
			*c = tokenContent(*s)
		}
		return nil
	}
	var tok struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(data, &tok); err != nil {
		return fmt.Errorf("a special token is a string or an object with \"content\", got %s", data)
	}
	*c = tokenContent(tok.Content)
	return nil
}

// or returns c, or def when c is empty (the key is missing).
func (c tokenContent) or(def string) string {
	if c == "" {
		return def
	}
	return string(c)
}

// readTokenizerConfig reads tokenizer_config.json; a missing file reads as an empty config.
func readTokenizerConfig(path string) (*tokenizerConfig, error) {
	cfg := new(tokenizerConfig)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading tokenizer config: %w", err)
	}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("%s is not a tokenizer config (a JSON object such as {\"tokenizer_class\": ...}): %w", path, err)
	}
	cfg.path = path
	return cfg, nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking for the tokenizer: %w", err)
	}
	return true, nil
}

// validUTF8 returns s with every byte that is not part of valid UTF-8 replaced by U+FFFD. Python (where the
// pipeline runs) only has valid text; this is what decoding bytes with errors="replace" comes closest to.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s { // an invalid byte reads as utf8.RuneError, one byte at a time
		b.WriteRune(r)
	}
	return b.String()
}

// writeLower writes the lowercase of r one character at a time, without context: Python's str.lower() on a
// one-character string (SigLIP's do_lower_case regex takes one character per match) and Rust's
// char::to_lowercase (the tokenizers Lowercase normalizer). Both apply the unconditional full mappings of
// SpecialCasing.txt, whose only lowercase entry is İ (U+0130) -> "i\u0307" (unicode.ToLower gives "i");
// the context-dependent final sigma does not apply, so "ΟΔΟΣ" becomes "οδοσ". Every other character takes its
// simple lowercase mapping, unicode.ToLower. Go 1.26 follows Unicode 15.0, Python 3.11 Unicode 14.0 (15.0
// added no case pairs); Rust's newer tables case letters added since (Unicode 16's Garay script and a few
// Latin letters), which stay unchanged here.
func writeLower(b *strings.Builder, r rune) {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteByte(byte(r))
	case r == 'İ':
		b.WriteString("i\u0307")
	default:
		b.WriteRune(unicode.ToLower(r))
	}
}
