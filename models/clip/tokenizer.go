// tokenizer.go mirrors openai/CLIP clip/simple_tokenizer.py (SimpleTokenizer, commit d05afc4) run without
// ftfy, reading the vocab.json and merges.txt of a Hugging Face checkpoint (the files of CLIPTokenizer).
// Where Python (html.unescape, str.lower, the regex module) behaves differently from Go's standard library,
// the Python behaviour is reproduced and the difference is commented where it happens.

package clip

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Ids of the special tokens in OpenAI's CLIP vocabulary. A Tokenizer uses the ids it finds in vocab.json
// (its sot and eot fields); these constants are the values every released CLIP vocabulary has.
const (
	StartOfText = 49406 // <|startoftext|>
	EndOfText   = 49407 // <|endoftext|>, also the padding token and the position text features are pooled at
)

const (
	startOfTextToken = "<|startoftext|>"
	endOfTextToken   = "<|endoftext|>"
	endOfWord        = "</w>" // appended to the last symbol of every word
)

// Tokenizer is CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer.py / Hugging Face CLIPTokenizer), read
// from a checkpoint's vocab.json and merges.txt. It is safe for concurrent use.
type Tokenizer struct {
	vocab    map[string]int  // vocab.json: BPE symbol -> id
	ranks    map[bpePair]int // merges.txt: pair -> rank (0 for the first merge after the header)
	sot, eot int             // ids of <|startoftext|> and <|endoftext|>

	// cache maps a piece of text (a word, a number, a punctuation run) to its ids, like the reference's
	// self.cache. It grows with the number of distinct pieces seen, as in the reference.
	cache sync.Map // string -> []int
}

// bpePair is two adjacent symbols, one line of merges.txt.
type bpePair struct{ first, second string }

// LoadTokenizer reads dir/vocab.json and dir/merges.txt, the tokenizer files of a Hugging Face CLIP checkpoint.
func LoadTokenizer(dir string) (*Tokenizer, error) {
	vocabPath, mergesPath := filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt")
	vocab, err := os.Open(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("loading CLIP tokenizer: %w (a CLIP checkpoint directory holds vocab.json and merges.txt)", err)
	}
	defer vocab.Close()
	merges, err := os.Open(mergesPath)
	if err != nil {
		return nil, fmt.Errorf("loading CLIP tokenizer: %w (a CLIP checkpoint directory holds vocab.json and merges.txt)", err)
	}
	defer merges.Close()
	return newTokenizer(vocab, vocabPath, merges, mergesPath)
}

func newTokenizer(vocabJSON io.Reader, vocabName string, mergesTXT io.Reader, mergesName string) (*Tokenizer, error) {
	data, err := io.ReadAll(vocabJSON)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", vocabName, err)
	}
	t := &Tokenizer{ranks: make(map[bpePair]int)}
	if err := json.Unmarshal(data, &t.vocab); err != nil {
		return nil, fmt.Errorf("%s is not a CLIP vocabulary (a JSON object mapping BPE tokens to ids): %w", vocabName, err)
	}
	for sym, id := range t.vocab {
		if id < 0 || id >= len(t.vocab) {
			return nil, fmt.Errorf("%s: token %q has id %d, outside 0..%d (the file has %d entries); the file is damaged",
				vocabName, sym, id, len(t.vocab)-1, len(t.vocab))
		}
	}
	var ok bool
	if t.sot, ok = t.vocab[startOfTextToken]; !ok {
		return nil, fmt.Errorf("%s has no %s token; this is not a CLIP vocabulary", vocabName, startOfTextToken)
	}
	if t.eot, ok = t.vocab[endOfTextToken]; !ok {
		return nil, fmt.Errorf("%s has no %s token; this is not a CLIP vocabulary", vocabName, endOfTextToken)
	}
	for _, sym := range byteSymbols {
		for _, s := range []string{sym, sym + endOfWord} {
			if _, ok := t.vocab[s]; !ok {
				return nil, fmt.Errorf("%s has no entry for the byte symbol %q; a CLIP vocabulary has all 256 byte symbols, with and without %s",
					vocabName, s, endOfWord)
			}
		}
	}

	// Python keeps a dict from merge to position, so a repeated line would take its last rank; so does this map.
	sc := bufio.NewScanner(mergesTXT)
	rank := 0
	for line := 1; sc.Scan(); line++ {
		if line == 1 && strings.HasPrefix(sc.Text(), "#version") {
			continue // "#version: 0.2" header
		}
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue // blank line, such as the end of the file
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s line %d: %q has %d fields, want two symbols separated by a space", mergesName, line, sc.Text(), len(fields))
		}
		p := bpePair{fields[0], fields[1]}
		if _, ok := t.vocab[p.first+p.second]; !ok {
			return nil, fmt.Errorf("%s line %d: the merged symbol %q is not in %s; both files must come from the same checkpoint",
				mergesName, line, p.first+p.second, vocabName)
		}
		t.ranks[p] = rank
		rank++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", mergesName, err)
	}
	if len(t.ranks) == 0 {
		return nil, fmt.Errorf("%s has no merges; expected a header line then one \"first second\" pair per line", mergesName)
	}
	return t, nil
}

// EndOfTextID is the id of <|endoftext|> (49407 in CLIP).
func (t *Tokenizer) EndOfTextID() int { return t.eot }

// VocabSize is the number of entries in vocab.json (49408 in CLIP); ids are 0..VocabSize()-1.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// Encode returns the BPE ids of text, without <|startoftext|> and <|endoftext|> around them
// (SimpleTokenizer.encode). The text <|startoftext|> or <|endoftext|> inside text maps to that token's id.
func (t *Tokenizer) Encode(text string) []int {
	var ids []int
	for _, piece := range splitPattern.FindAllString(normalizeText(text), -1) {
		switch piece {
		case startOfTextToken:
			ids = append(ids, t.sot)
		case endOfTextToken:
			ids = append(ids, t.eot)
		default:
			ids = append(ids, t.bpe(piece)...)
		}
	}
	return ids
}

// Tokenize returns the model input for text, as clip.tokenize(text, context_length, truncate=True) without
// the padding: <|startoftext|>, the ids of Encode, <|endoftext|>. If that is longer than contextLength it keeps
// the first contextLength ids, sets the last to <|endoftext|> and reports truncated. contextLength is 77 for
// CLIP (max_position_embeddings); it must be at least 2.
func (t *Tokenizer) Tokenize(text string, contextLength int) (ids []int32, truncated bool) {
	if contextLength < 2 {
		panic(fmt.Sprintf("clip: Tokenize with context length %d; it must hold at least the start and end tokens", contextLength))
	}
	bpe := t.Encode(text)
	if len(bpe)+2 > contextLength {
		bpe, truncated = bpe[:contextLength-2], true
	}
	ids = make([]int32, 0, len(bpe)+2)
	ids = append(ids, int32(t.sot))
	for _, id := range bpe {
		ids = append(ids, int32(id))
	}
	return append(ids, int32(t.eot)), truncated
}

// bpe returns the ids of one piece of text (SimpleTokenizer.bpe followed by the vocabulary lookup).
func (t *Tokenizer) bpe(piece string) []int {
	if ids, ok := t.cache.Load(piece); ok {
		return ids.([]int)
	}
	// One symbol per UTF-8 byte, "</w>" on the last one.
	word := make([]string, len(piece))
	for i := range len(piece) {
		word[i] = byteSymbols[piece[i]]
	}
	word[len(word)-1] += endOfWord

	for len(word) > 1 {
		// The adjacent pair that comes first in merges.txt...
		best, bestRank := -1, math.MaxInt
		for i := range len(word) - 1 {
			if r, ok := t.ranks[bpePair{word[i], word[i+1]}]; ok && r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		// ...is merged wherever it occurs, left to right. Writing in place is safe: merged never gets ahead of i.
		first, second := word[best], word[best+1]
		merged := word[:0]
		for i := 0; i < len(word); i++ {
			if i+1 < len(word) && word[i] == first && word[i+1] == second {
				merged = append(merged, first+second)
				i++
			} else {
				merged = append(merged, word[i])
			}
		}
		word = merged
	}

	ids := make([]int, len(word))
	for i, sym := range word {
		ids[i] = t.vocab[sym] // present: newTokenizer checked the byte symbols and every merge result
	}
	t.cache.Store(piece, ids)
	return ids
}

// byteSymbols is simple_tokenizer.bytes_to_unicode: the printable bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for
// themselves and the other 68 bytes (controls, space, DEL, no-break space, soft hyphen) take U+0100, U+0101, ...
// in byte order, so every byte of UTF-8 text is a visible symbol in vocab.json (a space is "Ġ").
var byteSymbols = func() (table [256]string) {
	n := 0
	for b := range 256 {
		if '!' <= b && b <= '~' || '¡' <= b && b <= '¬' || '®' <= b && b <= 'ÿ' {
			table[b] = string(rune(b))
		} else {
			table[b] = string(rune(256 + n))
			n++
		}
	}
	return table
}()

// normalizeText is the reference's whitespace_clean(basic_clean(text)).lower(), ftfy.fix_text left out:
// HTML entities are unescaped twice, the ends are stripped, every run of whitespace becomes one space and the
// text is lowercased. Invalid UTF-8 reads as U+FFFD, as when Python decodes with errors="replace".
//
// Two notions of whitespace meet here. str.strip() removes the characters of str.isspace(), which include
// the separators U+001C..U+001F; the reference's \s (the regex module's, Unicode White_Space, the same set as
// unicode.IsSpace) does not. So U+001C..U+001F are stripped at the ends but kept inside the text, where the
// split makes them punctuation.
func normalizeText(text string) string {
	text = strings.TrimFunc(unescapeHTML(unescapeHTML(text)), isStrSpace) // basic_clean
	text = strings.Join(strings.FieldsFunc(text, unicode.IsSpace), " ")   // whitespace_clean
	return pyLower(text)
}

// isStrSpace reports whether Python's str.isspace() is true for r: unicode.IsSpace plus the information
// separators U+001C..U+001F (bidirectional class B or S).
func isStrSpace(r rune) bool {
	return unicode.IsSpace(r) || 0x1c <= r && r <= 0x1f
}

// whiteSpaceClass is \s of the regex module for use inside a regexp character class: the code points with the
// Unicode White_Space property, those of unicode.IsSpace. Go's own \s is ASCII only.
const whiteSpaceClass = `\t\n\v\f\r\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// splitPattern is SimpleTokenizer.pat, compiled there with the regex module and IGNORECASE: letters run together,
// digits are one piece each, other characters run together; whatever lies between the matches (the spaces) is
// dropped. Reproducing the regex module takes three adjustments:
//   - \s is spelled out (whiteSpaceClass).
//   - IGNORECASE only matters for the literal alternatives (the text is lowercase), where it lets "ſ" (long s)
//     match "s": "it'ſ" splits as "it", "'ſ". It is not applied to the classes, where Go would fold U+0345
//     (combining ypogegrammeni, case-equivalent to ι) into \p{L}.
//   - The regex module matches U+0345 with none of the classes, so it is dropped like a space; it is excluded
//     from the last class here.
//
// Go's \p{L} and \p{N} follow Unicode 15.0 (Go 1.26) while the regex module bundles newer tables: characters
// assigned since then are letters or digits there and punctuation here.
var splitPattern = regexp.MustCompile(`(?i:<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d)|[\p{L}]+|[\p{N}]|` +
	`[^` + whiteSpaceClass + `\p{L}\p{N}\x{345}]+`)

// htmlCharRef is the pattern of character references in Python's html.unescape (Lib/html/__init__.py).
var htmlCharRef = regexp.MustCompile(`&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`)

// unescapeHTML is Python's html.unescape. Go's html.UnescapeString differs on numeric references: it
// turns "&#x;" into U+FFFD (Python leaves it), wraps around on huge numbers (Python gives U+FFFD) and keeps
// the control characters and noncharacters that Python deletes (&#1;, &#x7f;, &#xfffe;, ...). For named
// references the two agree (see unescapeCharRef) once &nLt; and &nGt; are added: both tables are the WHATWG
// list, and Go's and Python 3.11's agree on its other 2229 names.
func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return htmlCharRef.ReplaceAllStringFunc(s, unescapeCharRef)
}

// unescapeCharRef is html._replace_charref for one match of htmlCharRef.
func unescapeCharRef(ref string) string {
	if ref[1] != '#' {
		// A named reference. Python takes the name if it is an entity, else the longest prefix that is an
		// entity allowed without a semicolon ("&ampx" -> "&x"), else leaves the text. Go's unescaper does the
		// same on this match: it reads the letters and digits, tries the full name and then the prefixes, and
		// the rest of the match holds no '&'. Go's table leaves out the two entities whose replacement is
		// longer than their name.
		switch ref {
		case "&nLt;":
			return "\u226a\u20d2"
		case "&nGt;":
			return "\u226b\u20d2"
		}
		return html.UnescapeString(ref)
	}
	digits, base := strings.TrimSuffix(ref[2:], ";"), 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(digits, base, 32) // the pattern leaves overflow as the only possible error
	switch {
	case err != nil || n == 0 || n > unicode.MaxRune || 0xd800 <= n && n <= 0xdfff:
		return "\uFFFD"
	case 0x80 <= n && n <= 0x9f:
		// Python's _invalid_charrefs read these as Windows-1252, like Go's table. The reference is rewritten in
		// full because Go leaves a short one such as "&#150" at the end of the text alone.
		return html.UnescapeString("&#" + strconv.FormatUint(n, 10) + ";")
	case 0x1 <= n && n <= 0x8, n == 0xb, 0xe <= n && n <= 0x1f, n == 0x7f, 0xfdd0 <= n && n <= 0xfdef, n&0xfffe == 0xfffe:
		return "" // Python's _invalid_codepoints: controls and noncharacters are deleted.
	}
	return string(rune(n))
}

// pyLower is Python's str.lower(). Go's strings.ToLower differs in two ways, both from the Unicode rules
// Python follows (SpecialCasing.txt, section 3.13 of the standard):
//   - İ (U+0130) lowercases to "i\u0307", i followed by a combining dot above; unicode.ToLower gives "i".
//   - Σ (U+03A3) lowercases to the final sigma ς at the end of a word and to σ elsewhere (see finalSigma);
//     unicode.ToLower always gives σ, so "ΟΔΟΣ" would become "οδοσ" instead of "οδος".
//
// Every other code point takes its simple lowercase mapping, the same in both. Python 3.11 follows Unicode 14.0
// and Go 1.26 Unicode 15.0, which added no case mappings, only marks that count as case-ignorable here.
func pyLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && finalSigma(s, i):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the Σ at s[i] is in the Final_Sigma context: a cased letter before it and none
// after it, skipping case-ignorable characters (accents, apostrophes, periods) both ways. This is
// handle_capital_sigma in CPython's Objects/unicodeobject.c.
func finalSigma(s string, i int) bool {
	before := s[:i]
	for before != "" {
		r, size := utf8.DecodeLastRuneInString(before)
		if !isCaseIgnorable(r) {
			if !isCased(r) {
				return false
			}
			break
		}
		before = before[:len(before)-size]
	}
	if before == "" {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// isCased is the Unicode property Cased: Lowercase, Uppercase or titlecase letters.
func isCased(r rune) bool {
	return unicode.In(r, unicode.Ll, unicode.Lu, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// isCaseIgnorable is the Unicode property Case_Ignorable: marks, format characters, modifier letters and
// symbols, and the characters of Word_Break classes MidLetter, MidNumLet and Single_Quote (listed, as Go's
// unicode package has no Word_Break tables).
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '·', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019', '\u2024', '\u2027',
		'\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
