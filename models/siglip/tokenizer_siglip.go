// tokenizer_siglip.go mirrors transformers' SiglipTokenizer (models/siglip/tokenization_siglip.py at
// c8dfc84ee87d238ad88090d677fe5f1bae4739cf, the slow tokenizer every SigLIP v1 checkpoint names) as the
// zero-shot pipeline calls it, with PreTrainedTokenizer.tokenize (tokenization_utils.py: do_lower_case,
// splitting on special tokens) around it. The SentencePiece model itself is sentencepiece.go.
//
// Per text: every "▁" becomes a space and one "▁" goes in front; the text is lowercased one character at a
// time except the special tokens; it is split at the special tokens </s> and <unk> (whitespace around them
// dropped); each other chunk loses its ASCII punctuation, has its whitespace runs collapsed and is encoded
// as "<unk>" + chunk with the dummy prefix off, the pieces of "<unk>" then dropped. This round trip equals
// encoding the chunk with the dummy prefix on (the normaliser reads "▁" as a space), except next to the
// special tokens, where the golden case special_literals shows the difference, so the round trip is kept.

package siglip

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SiglipTokenizer's own special tokens (its __init__ defaults); tokenizer_config.json may rename them.
const (
	siglipEOS = "</s>"
	siglipUnk = "<unk>"
	siglipPad = "</s>" // the pad token is the EOS token
)

// siglipText is SiglipTokenizer's tokenize followed by convert_tokens_to_ids.
type siglipText struct {
	sp *sentencePiece
	// specials are the special tokens (eos, unk, pad; all_special_tokens order, no repeats) with their ids.
	// SiglipTokenizer makes them AddedTokens with lstrip and rstrip, so whitespace around them goes.
	specials   []string
	specialIDs map[string]int32
	unkToken   string
	unkLength  int // unk_token_length: how many pieces "<unk>" encodes to (5 in siglip-tiny: <, u, n, k, >)
	lowercase  bool
}

// loadSiglip reads spiece.model and builds SigLIP v1's tokenizer with the settings of cfg.
func loadSiglip(path string, cfg *tokenizerConfig) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading the SigLIP tokenizer: %w", err)
	}
	sp, err := parseSentencePiece(data, path)
	if err != nil {
		return nil, err
	}
	if len(cfg.AdditionalSpecialTokens) > 0 {
		return nil, fmt.Errorf("%s: additional_special_tokens %q: SigLIP checkpoints have none and this tokenizer does not implement them",
			cfg.path, cfg.AdditionalSpecialTokens)
	}
	s := &siglipText{
		sp: sp, specialIDs: make(map[string]int32), unkToken: cfg.UnkToken.or(siglipUnk), lowercase: cfg.lowercase(),
	}
	eos, pad := cfg.EosToken.or(siglipEOS), cfg.PadToken.or(siglipPad)
	for i, tok := range []string{eos, s.unkToken, pad} {
		if slices.Contains(s.specials, tok) {
			continue
		}
		id, ok := sp.byPiece[tok]
		if !ok {
			return nil, fmt.Errorf("%s has no piece %q, the %s; %s and %s must come from the same checkpoint",
				path, tok, []string{"eos_token", "unk_token", "pad_token"}[i], spieceFile, tokenizerConfigFile)
		}
		s.specials = append(s.specials, tok)
		s.specialIDs[tok] = id
	}
	// added_tokens_decoder lists the special tokens again with their ids (transformers >= 4.34).
	for key, raw := range cfg.AddedTokensDecoder {
		var added struct {
			Content string `json:"content"`
		}
		if err := json.Unmarshal(raw, &added); err != nil || !slices.Contains(s.specials, added.Content) {
			return nil, fmt.Errorf("%s: added token %s %s is not one of SigLIP's special tokens %q; this tokenizer does not implement other added tokens",
				cfg.path, key, raw, s.specials)
		}
		if id, err := strconv.Atoi(key); err != nil || int32(id) != s.specialIDs[added.Content] {
			return nil, fmt.Errorf("%s gives %q the id %s, %s the id %d; both files must come from the same checkpoint",
				cfg.path, added.Content, key, path, s.specialIDs[added.Content])
		}
	}
	s.unkLength = len(sp.encode(s.unkToken, false)) // the processor SiglipTokenizer builds has no dummy prefix
	return &Tokenizer{
		kind: SigLIP, text: s, suffix: []int32{s.specialIDs[eos]}, suffixIfAbsent: true, pad: s.specialIDs[pad],
	}, nil
}

// encode is SiglipTokenizer.tokenize, then the ids of the tokens.
func (s *siglipText) encode(text string) []int32 {
	text = spaceSymbol + strings.ReplaceAll(text, spaceSymbol, " ")
	if s.lowercase {
		text = s.lower(text)
	}
	chunks := s.split(text)
	var tokens []string
	for _, c := range chunks {
		if s.isSpecial(c) {
			tokens = append(tokens, c)
			continue
		}
		// The special tokens' lstrip and rstrip (whitespace next to one goes) need no code: canonicalize strips
		// every chunk at both ends.
		tokens = append(tokens, s.tokenizeChunk(c)...)
	}
	// "▁" left alone before a special token at the start is dropped.
	if len(tokens) > 1 && tokens[0] == spaceSymbol && s.isSpecial(tokens[1]) {
		tokens = tokens[1:]
	}
	ids := make([]int32, len(tokens))
	for i, tok := range tokens {
		if id, ok := s.specialIDs[tok]; ok {
			ids[i] = id
		} else {
			ids[i] = s.sp.pieceID(tok) // a run of unknown characters is no piece: <unk>
		}
	}
	return ids
}

// lower is the do_lower_case step of PreTrainedTokenizer.tokenize: re.sub with the pattern
// "(</s>|<unk>)|(.+?)", so the special tokens are kept as written and everything else is lowercased one
// character at a time. (.+? does not match "\n", which has no case anyway.)
func (s *siglipText) lower(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for text != "" {
		if tok := s.specialAt(text, false); tok != "" {
			b.WriteString(tok)
			text = text[len(tok):]
			continue
		}
		r, n := utf8.DecodeRuneInString(text)
		writeLower(&b, r)
		text = text[n:]
	}
	return b.String()
}

// split cuts text before and after every special token (tokens_trie.split: leftmost, then longest match).
// No chunk is empty.
func (s *siglipText) split(text string) []string {
	var chunks []string
	start := 0
	for i := 0; i < len(text); {
		tok := s.specialAt(text[i:], true)
		if tok == "" {
			i++
			continue
		}
		if start < i {
			chunks = append(chunks, text[start:i])
		}
		chunks = append(chunks, tok)
		i += len(tok)
		start = i
	}
	if start < len(text) {
		chunks = append(chunks, text[start:])
	}
	return chunks
}

// specialAt returns the special token text starts with, or "": the longest one if longest, else the first
// in all_special_tokens order (a regular expression alternation).
func (s *siglipText) specialAt(text string, longest bool) string {
	found := ""
	for _, tok := range s.specials {
		if strings.HasPrefix(text, tok) && (found == "" || longest && len(tok) > len(found)) {
			found = tok
		}
	}
	return found
}

func (s *siglipText) isSpecial(token string) bool { _, ok := s.specialIDs[token]; return ok }

// tokenizeChunk is SiglipTokenizer._tokenize: canonicalize_text, then the SentencePiece pieces of
// "<unk>" + chunk with the dummy prefix off, less the first unk_token_length pieces (those of "<unk>"; the
// prefix keeps SentencePiece from dropping the chunk's leading "▁" as it does at the start of a text).
func (s *siglipText) tokenizeChunk(chunk string) []string {
	pieces := s.sp.encode(s.unkToken+canonicalize(chunk), false)
	if len(pieces) >= s.unkLength {
		pieces = pieces[s.unkLength:]
	}
	return pieces
}

// canonicalize is SiglipTokenizer.canonicalize_text (from big_vision's prompt_engineering.py): the 32 ASCII
// punctuation characters of Python's string.punctuation are deleted (no others: ’ “ € ！ stay), every run
// of whitespace (Python's \s) becomes one space, and the ends are stripped.
func canonicalize(text string) string {
	text = strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && strings.ContainsRune(asciiPunctuation, r) {
			return -1
		}
		return r
	}, text)
	return strings.Join(strings.FieldsFunc(text, isPySpace), " ")
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// isPySpace reports whether r is whitespace for Python (str.isspace, the regular expression \s, str.strip):
// unicode.IsSpace (the White_Space property) plus the information separators U+001C..U+001F. U+200B (zero
// width space) is not whitespace.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || 0x1c <= r && r <= 0x1f
}
