// tokenizer_gemma.go mirrors what Hugging Face tokenizers (the Rust library behind GemmaTokenizerFast;
// tokenizer/added_vocabulary.rs, normalizers, pre_tokenizers/split.rs, models/bpe/model.rs and word.rs,
// processors/template.rs) does with the Gemma tokenizer.json of a SigLIP2 checkpoint, with lowercasing put
// in front of its normalizer as transformers' Siglip2Tokenizer does (do_lower_case; see "Lowercasing in
// SigLIP2" in the fixtures' README: GemmaTokenizerFast in transformers 4.49-4.57 ignores do_lower_case,
// the model was trained on lowercased text).
//
// Per text: the added tokens (<pad> <eos> <bos> <unk> <mask>, normalized: false) are cut out of the raw
// text, leftmost and longest first, and become their ids; every other chunk is lowercased one character at
// a time and normalised (Replace " " with "▁"; no Unicode normalisation, no dummy prefix), and is one BPE
// word (no pre-tokenizer): characters that are not in the vocabulary become their UTF-8 bytes <0xXX>, then
// the adjacent pair with the lowest merge rank is merged, leftmost first, until no pair has a rank.
// TemplateProcessing appends <eos>.
//
// Why not a library: go-huggingface v0.4.3's hftokenizer reads this tokenizer.json but has no byte
// fallback (every character outside the vocabulary becomes <unk> on its own), splits at whitespace when
// pre_tokenizer is null (so tabs and newlines vanish) and lowercases İ to "i"; with a Lowercase normalizer
// put in front (or the text lowercased by hand) it gets 24 of the 47 SigLIP2 golden cases wrong:
// punctuation_run, ascii_punctuation_all, superscript_fraction, currency, social, emoji, emoji_modifier,
// emoji_zwj, accents_decomposed, german, cyrillic, cjk_run, japanese_mixed, korean, arabic,
// greek_final_sigma, turkish_dotted_i, tabs_newlines, unicode_spaces, html_tags, curly_quotes, fullwidth,
// ligature, special_literals. github.com/eliben/go-sentencepiece v0.7.0 on tokenizer.model (the
// SentencePiece model tokenizer.json was converted from) gets all 47 right once the added tokens are split
// off and the text lowercased by hand, but it reads tokenizer.model, which SigLIP2 repositories are not
// known to ship and transformers does not read (GemmaTokenizerFast loads tokenizer.json), and it would be a
// new dependency.

package siglip

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// Gemma's special tokens (GemmaTokenizerFast's defaults); tokenizer_config.json may rename them.
const (
	gemmaBOS = "<bos>"
	gemmaEOS = "<eos>"
	gemmaPad = "<pad>"
)

// tokenizerJSON holds the parts of tokenizer.json this package reads.
type tokenizerJSON struct {
	AddedTokens   []addedTokenJSON   `json:"added_tokens"`
	Normalizer    *normalizerJSON    `json:"normalizer"`
	PreTokenizer  *preTokenizerJSON  `json:"pre_tokenizer"`
	PostProcessor *postProcessorJSON `json:"post_processor"`
	Model         bpeModelJSON       `json:"model"`
}

type addedTokenJSON struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
}

type normalizerJSON struct {
	Type        string           `json:"type"`
	Normalizers []normalizerJSON `json:"normalizers"` // Sequence
	Pattern     *patternJSON     `json:"pattern"`     // Replace
	Content     string           `json:"content"`     // Replace
	Prepend     string           `json:"prepend"`     // Prepend
}

type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

type preTokenizerJSON struct {
	Type     string       `json:"type"`
	Pattern  *patternJSON `json:"pattern"`
	Behavior string       `json:"behavior"`
	Invert   bool         `json:"invert"`
}

type postProcessorJSON struct {
	Type   string `json:"type"`
	Single []struct {
		Sequence *struct {
			ID string `json:"id"`
		} `json:"Sequence"`
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
}

type bpeModelJSON struct {
	Type                    string           `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	IgnoreMerges            bool             `json:"ignore_merges"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  []mergeJSON      `json:"merges"`
}

// mergeJSON is one entry of model.merges: ["left", "right"] (current files) or "left right" (older ones).
type mergeJSON [2]string

func (m *mergeJSON) UnmarshalJSON(data []byte) error {
	var line string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &line); err != nil {
			return err
		}
		parts := strings.Split(line, " ")
		if len(parts) != 2 {
			return fmt.Errorf("merge %q is not two tokens separated by one space", line)
		}
		*m = mergeJSON{parts[0], parts[1]}
		return nil
	}
	var pair []string
	if err := json.Unmarshal(data, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("merge %s is not a pair of tokens", data)
	}
	*m = mergeJSON{pair[0], pair[1]}
	return nil
}

// gemmaText is the tokenizers pipeline of a Gemma tokenizer.json without its post-processor.
type gemmaText struct {
	rawAdded   addedTokens // normalized: false, matched on the raw text
	normAdded  addedTokens // normalized: true, matched on the normalised text
	normalize  []func(string) string
	splitAfter string // pre_tokenizer Split(splitAfter, MergedWithPrevious); "" for none
	bpe        *bpeModel
}

// loadGemma reads tokenizer.json and builds SigLIP2's tokenizer with the settings of cfg.
func loadGemma(path string, cfg *tokenizerConfig) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading the SigLIP2 tokenizer: %w", err)
	}
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, fmt.Errorf("%s is not a Hugging Face tokenizer.json: %w", path, err)
	}
	bpe, err := newBPEModel(&tj.Model)
	if err != nil {
		return nil, fmt.Errorf("%s: model: %w", path, err)
	}
	g := &gemmaText{bpe: bpe, rawAdded: newAddedTokens(), normAdded: newAddedTokens()}
	if cfg.lowercase() {
		g.normalize = append(g.normalize, lowerText)
	}
	if err := g.compileNormalizer(tj.Normalizer); err != nil {
		return nil, fmt.Errorf("%s: normalizer: %w", path, err)
	}
	if err := g.compilePreTokenizer(tj.PreTokenizer); err != nil {
		return nil, fmt.Errorf("%s: pre_tokenizer: %w", path, err)
	}

	added := make(map[string]int32) // every added token, to find the special tokens by name
	for _, at := range tj.AddedTokens {
		if at.SingleWord || at.Lstrip || at.Rstrip {
			return nil, fmt.Errorf("%s: added token %q sets single_word, lstrip or rstrip, which Gemma's do not and this tokenizer does not implement",
				path, at.Content)
		}
		if at.Content == "" {
			return nil, fmt.Errorf("%s: added token %d is empty", path, at.ID)
		}
		// tokenizers gives an added token that is in the vocabulary its vocabulary id, whatever the file says.
		if id, ok := bpe.vocab[at.Content]; ok && id != at.ID {
			return nil, fmt.Errorf("%s: added token %q has id %d, and %d in the vocabulary; the file is damaged",
				path, at.Content, at.ID, id)
		}
		added[at.Content] = at.ID
		if at.Normalized {
			g.normAdded.add(g.normalizeText(at.Content), at.ID) // the content is normalised like the text
		} else {
			g.rawAdded.add(at.Content, at.ID)
		}
	}
	tokenID := func(token, key string) (int32, error) {
		if id, ok := added[token]; ok {
			return id, nil
		}
		if id, ok := bpe.vocab[token]; ok {
			return id, nil
		}
		return 0, fmt.Errorf("%s has no token %q, the %s; %s and %s must come from the same checkpoint",
			path, token, key, tokenizerJSONFile, tokenizerConfigFile)
	}

	t := &Tokenizer{kind: SigLIP2, text: g}
	if t.prefix, t.suffix, err = templateTokens(tj.PostProcessor); err != nil {
		return nil, fmt.Errorf("%s: post_processor: %w", path, err)
	}
	// GemmaTokenizerFast.update_post_processor replaces the template with one built from add_bos_token
	// (default true) and add_eos_token (default false) of tokenizer_config.json; SigLIP2's say false and
	// true, as the template does. Without either key the template of tokenizer.json stands.
	if cfg.AddBosToken != nil || cfg.AddEosToken != nil {
		t.prefix, t.suffix = nil, nil
		if cfg.AddBosToken == nil || *cfg.AddBosToken {
			bos, err := tokenID(cfg.BosToken.or(gemmaBOS), "bos_token")
			if err != nil {
				return nil, err
			}
			t.prefix = []int32{bos}
		}
		if cfg.AddEosToken != nil && *cfg.AddEosToken {
			eos, err := tokenID(cfg.EosToken.or(gemmaEOS), "eos_token")
			if err != nil {
				return nil, err
			}
			t.suffix = []int32{eos}
		}
	}
	if t.pad, err = tokenID(cfg.PadToken.or(gemmaPad), "pad_token"); err != nil {
		return nil, err
	}
	return t, nil
}

// encode is Tokenizer::encode without the post-processor: added tokens, normalizer, pre-tokenizer, BPE.
func (g *gemmaText) encode(text string) []int32 {
	var ids []int32
	g.rawAdded.split(text, func(chunk string, id int32) {
		if id >= 0 {
			ids = append(ids, id)
			return
		}
		g.normAdded.split(g.normalizeText(chunk), func(chunk string, id int32) {
			if id >= 0 {
				ids = append(ids, id)
				return
			}
			for _, word := range g.words(chunk) {
				ids = g.bpe.encodeWord(word, ids)
			}
		})
	})
	return ids
}

func (g *gemmaText) normalizeText(text string) string {
	for _, f := range g.normalize {
		text = f(text)
	}
	return text
}

// compileNormalizer appends the steps of tokenizer.json's normalizer to g.normalize. Gemma's is
// Replace(" ", "▁"); Sequence, Lowercase and Prepend are read too.
func (g *gemmaText) compileNormalizer(n *normalizerJSON) error {
	if n == nil {
		return nil
	}
	switch n.Type {
	case "Sequence":
		for i := range n.Normalizers {
			if err := g.compileNormalizer(&n.Normalizers[i]); err != nil {
				return err
			}
		}
	case "Replace":
		if n.Pattern == nil || n.Pattern.String == nil || *n.Pattern.String == "" {
			return fmt.Errorf("Replace with a pattern other than a non-empty string is not implemented (Gemma replaces \" \")")
		}
		from, to := *n.Pattern.String, n.Content
		g.normalize = append(g.normalize, func(s string) string { return strings.ReplaceAll(s, from, to) })
	case "Lowercase":
		g.normalize = append(g.normalize, lowerText)
	case "Prepend":
		prefix := n.Prepend
		g.normalize = append(g.normalize, func(s string) string {
			if s == "" { // NormalizedString::prepend leaves an empty string alone
				return s
			}
			return prefix + s
		})
	default:
		return fmt.Errorf("normalizer %q is not implemented; Gemma's tokenizer.json has Replace (read too: Sequence, Lowercase, Prepend)",
			n.Type)
	}
	return nil
}

// compilePreTokenizer reads tokenizer.json's pre_tokenizer: null in the Gemma files SigLIP2 copied, or
// Split(" ", MergedWithPrevious) as transformers' current GemmaConverter writes it (a no-op after the
// Replace normalizer, which leaves no spaces).
func (g *gemmaText) compilePreTokenizer(p *preTokenizerJSON) error {
	if p == nil {
		return nil
	}
	if p.Type == "Split" && p.Pattern != nil && p.Pattern.String != nil && *p.Pattern.String != "" &&
		p.Behavior == "MergedWithPrevious" && !p.Invert {
		g.splitAfter = *p.Pattern.String
		return nil
	}
	return fmt.Errorf("pre-tokenizer %q (behavior %q, invert %v) is not implemented; Gemma has none or Split(\" \", MergedWithPrevious)",
		p.Type, p.Behavior, p.Invert)
}

// words is the pre-tokenizer: the whole text, or the text cut after every occurrence of splitAfter (the
// delimiter stays with the word before it).
func (g *gemmaText) words(text string) []string {
	if g.splitAfter == "" {
		return []string{text}
	}
	var words []string
	for text != "" {
		i := strings.Index(text, g.splitAfter)
		if i < 0 {
			return append(words, text)
		}
		words = append(words, text[:i+len(g.splitAfter)])
		text = text[i+len(g.splitAfter):]
	}
	return words
}

// templateTokens reads a TemplateProcessing post-processor's single template, "$A <eos>" for Gemma in
// SigLIP2: the ids of its special tokens before and after the sequence. A null post-processor adds none.
func templateTokens(p *postProcessorJSON) (prefix, suffix []int32, err error) {
	if p == nil {
		return nil, nil, nil
	}
	if p.Type != "TemplateProcessing" {
		return nil, nil, fmt.Errorf("%q is not implemented; Gemma's is TemplateProcessing", p.Type)
	}
	seenSequence := false
	for _, item := range p.Single {
		switch {
		case item.Sequence != nil && item.Sequence.ID == "A" && !seenSequence:
			seenSequence = true
		case item.SpecialToken != nil:
			tok, ok := p.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return nil, nil, fmt.Errorf("the single template names %q, which is not in special_tokens", item.SpecialToken.ID)
			}
			if seenSequence {
				suffix = append(suffix, tok.IDs...)
			} else {
				prefix = append(prefix, tok.IDs...)
			}
		default:
			return nil, nil, fmt.Errorf("the single template must hold the sequence $A once and special tokens")
		}
	}
	if !seenSequence {
		return nil, nil, fmt.Errorf("the single template has no $A")
	}
	return prefix, suffix, nil
}

// lowerText is the Lowercase normalizer: every character lowercased on its own (writeLower).
func lowerText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		writeLower(&b, r)
	}
	return b.String()
}

// addedTokens finds added tokens in text (AddedVocabulary::split_with_indices: an Aho-Corasick search,
// leftmost match first, the longest of those starting at the same place).
type addedTokens struct {
	ids     map[string]int32
	maxLen  int
	initial [256]bool // first bytes of the tokens, to skip the search elsewhere
}

func newAddedTokens() addedTokens { return addedTokens{ids: make(map[string]int32)} }

func (a *addedTokens) add(token string, id int32) {
	if token == "" {
		return
	}
	a.ids[token] = id
	a.maxLen = max(a.maxLen, len(token))
	a.initial[token[0]] = true
}

// split calls f with the pieces of text in order: each added token with its id, the text between them with
// id -1. No piece is empty.
func (a *addedTokens) split(text string, f func(piece string, id int32)) {
	start := 0
	for i := 0; i < len(text); {
		n := 0
		if a.initial[text[i]] {
			for n = min(a.maxLen, len(text)-i); n > 0; n-- {
				if _, ok := a.ids[text[i:i+n]]; ok {
					break
				}
			}
		}
		if n == 0 {
			i++
			continue
		}
		if start < i {
			f(text[start:i], -1)
		}
		f(text[i:i+n], a.ids[text[i:i+n]])
		i += n
		start = i
	}
	if start < len(text) {
		f(text[start:], -1)
	}
}

// bpeModel is tokenizers' BPE model with byte fallback, read from tokenizer.json's "model".
type bpeModel struct {
	vocab  map[string]int32
	merges map[[2]int32]bpeMerge // pair of ids -> rank and merged id
	unkID  int32                 // -1: no unknown token (unknown characters are dropped)
	// byteIDs are the ids of <0x00>..<0xFF>, -1 where the vocabulary lacks one.
	byteIDs                             [256]int32
	fuseUnk, byteFallback, ignoreMerges bool
}

type bpeMerge struct {
	rank int   // index in model.merges; lower merges first
	id   int32 // of the merged token
}

func newBPEModel(m *bpeModelJSON) (*bpeModel, error) {
	if m.Type != "BPE" {
		return nil, fmt.Errorf("type %q: SigLIP2's Gemma tokenizer is BPE (a SigLIP v1 checkpoint has spiece.model instead)", m.Type)
	}
	switch {
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, fmt.Errorf("dropout %v makes tokenization random; Gemma's is null", *m.Dropout)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "",
		m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, fmt.Errorf("continuing_subword_prefix and end_of_word_suffix are not implemented; Gemma's are null")
	case len(m.Vocab) == 0:
		return nil, fmt.Errorf("the vocabulary is empty")
	}
	b := &bpeModel{
		vocab: m.Vocab, merges: make(map[[2]int32]bpeMerge, len(m.Merges)), unkID: -1,
		fuseUnk: m.FuseUnk, byteFallback: m.ByteFallback, ignoreMerges: m.IgnoreMerges,
	}
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", *m.UnkToken)
		}
		b.unkID = id
	}
	for i := range b.byteIDs {
		b.byteIDs[i] = -1
		if id, ok := m.Vocab[fmt.Sprintf("<0x%02X>", i)]; ok {
			b.byteIDs[i] = id
		}
	}
	// A repeated pair takes its last rank, as in tokenizers (the merges are collected into a map).
	for rank, pair := range m.Merges {
		left, okLeft := m.Vocab[pair[0]]
		right, okRight := m.Vocab[pair[1]]
		merged, okMerged := m.Vocab[pair[0]+pair[1]]
		if !okLeft || !okRight || !okMerged {
			return nil, fmt.Errorf("merge %d %q: %q, %q or %q is not in the vocabulary", rank, pair, pair[0], pair[1], pair[0]+pair[1])
		}
		b.merges[[2]int32{left, right}] = bpeMerge{rank: rank, id: merged}
	}
	return b, nil
}

// bpeSymbol is one symbol of a word being merged (word.rs Symbol), a doubly linked list over a slice.
type bpeSymbol struct {
	id         int32
	prev, next int  // indices of the neighbours, -1 at the ends
	removed    bool // merged into the symbol before it
}

// encodeWord appends the ids of one word to ids (BPE::merge_word, then Word::merge_all).
func (b *bpeModel) encodeWord(word string, ids []int32) []int32 {
	if word == "" {
		return ids
	}
	if b.ignoreMerges {
		if id, ok := b.vocab[word]; ok {
			return append(ids, id)
		}
	}
	symbols := make([]bpeSymbol, 0, len(word))
	add := func(id int32) {
		if n := len(symbols); n > 0 {
			symbols[n-1].next = n
		}
		symbols = append(symbols, bpeSymbol{id: id, prev: len(symbols) - 1, next: -1})
	}
	// One symbol per character: its id, else its bytes' ids (byte_fallback), else <unk>, a run of unknown
	// characters becoming one <unk> (fuse_unk). As in merge_word, byte tokens do not end a pending <unk>
	// run, which then comes after them; with all 256 byte tokens in the vocabulary (Gemma) it cannot happen.
	pendingUnk := false
	for i := 0; i < len(word); {
		_, n := utf8.DecodeRuneInString(word[i:])
		char := word[i : i+n]
		i += n
		if id, ok := b.vocab[char]; ok {
			if pendingUnk {
				add(b.unkID)
				pendingUnk = false
			}
			add(id)
			continue
		}
		if b.byteFallback && b.hasBytes(char) {
			for j := range len(char) {
				add(b.byteIDs[char[j]])
			}
			continue
		}
		if b.unkID >= 0 {
			if pendingUnk && !b.fuseUnk {
				add(b.unkID)
			}
			pendingUnk = true
		}
	}
	if pendingUnk {
		add(b.unkID)
	}
	b.mergeAll(symbols)
	for _, s := range symbols {
		if !s.removed {
			ids = append(ids, s.id)
		}
	}
	return ids
}

func (b *bpeModel) hasBytes(char string) bool {
	for i := range len(char) {
		if b.byteIDs[char[i]] < 0 {
			return false
		}
	}
	return true
}

// mergeAll is Word::merge_all: a queue of candidate merges ordered by rank, then position; an entry whose
// pair has changed since it was queued is skipped (the check is that the pair now at its position still
// merges to the same id, as in word.rs).
func (b *bpeModel) mergeAll(symbols []bpeSymbol) {
	queue := make(mergeQueue, 0, len(symbols))
	push := func(pos int) {
		next := symbols[pos].next
		if next < 0 {
			return
		}
		if m, ok := b.merges[[2]int32{symbols[pos].id, symbols[next].id}]; ok {
			heap.Push(&queue, queuedMerge{pos: pos, rank: m.rank, id: m.id})
		}
	}
	for pos := range symbols {
		if symbols[pos].next >= 0 {
			if m, ok := b.merges[[2]int32{symbols[pos].id, symbols[pos+1].id}]; ok {
				queue = append(queue, queuedMerge{pos: pos, rank: m.rank, id: m.id})
			}
		}
	}
	heap.Init(&queue)
	for queue.Len() > 0 {
		top := heap.Pop(&queue).(queuedMerge)
		cur := &symbols[top.pos]
		if cur.removed || cur.next < 0 {
			continue
		}
		right := symbols[cur.next]
		if m, ok := b.merges[[2]int32{cur.id, right.id}]; !ok || m.id != top.id {
			continue // expired
		}
		symbols[cur.next].removed = true
		cur.id, cur.next = top.id, right.next
		if right.next >= 0 {
			symbols[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			push(cur.prev)
		}
		push(top.pos)
	}
}

type queuedMerge struct {
	pos, rank int
	id        int32
}

// mergeQueue is a min-heap of merges by rank, then position.
type mergeQueue []queuedMerge

func (q mergeQueue) Len() int { return len(q) }
func (q mergeQueue) Less(i, j int) bool {
	return q[i].rank < q[j].rank || q[i].rank == q[j].rank && q[i].pos < q[j].pos
}
func (q mergeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *mergeQueue) Push(x any)   { *q = append(*q, x.(queuedMerge)) }
func (q *mergeQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
