// sentencepiece.go mirrors google/sentencepiece v0.1.97 (the version the SigLIP goldens were made with) for
// unigram models: the ModelProto of spiece.model (src/sentencepiece_model.proto), the normaliser with its
// precompiled_charsmap (src/normalizer.cc, a Darts-clone double array, third_party/darts_clone/darts.h), the
// optimised Viterbi of src/unigram_model.cc (Model::EncodeOptimized) and the merging of unknown pieces in
// src/sentencepiece_processor.cc (PopulateSentencePieceText). Only what encoding needs is read: no trainer,
// no sampling, no n-best, no decoding.
//
// Why not a library: github.com/eliben/go-sentencepiece v0.7.0 (what go-huggingface's
// tokenizers/sentencepiece wraps) implements BPE only; NewProcessorFromPath on siglip-tiny/spiece.model fails
// with "model type UNIGRAM not supported" (it also refuses add_dummy_prefix and remove_extra_whitespaces),
// so it gets none of the 47 SigLIP golden cases. go-huggingface's hftokenizer reads tokenizer.json, which
// SigLIP v1 checkpoints do not ship (and its "Unigram" is a greedy longest match, not Viterbi). The protobuf
// wire format is read with google.golang.org/protobuf/encoding/protowire (already in the module graph),
// field numbers from sentencepiece_model.proto; go-huggingface's generated protos live in a package it marks
// "private: don't depend on these".

package siglip

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Piece types of ModelProto.SentencePiece.Type.
const (
	pieceNormal      = 1
	pieceUnknown     = 2
	pieceControl     = 3
	pieceUserDefined = 4
	pieceUnused      = 5
	pieceByte        = 6
)

// Model types of TrainerSpec.ModelType.
const (
	modelUnigram = 1
	modelBPE     = 2
	modelWord    = 3
	modelChar    = 4
)

// kUnkPenalty of unigram_model.cc: an unknown character costs the lowest piece score minus 10.
const unkPenalty float32 = 10

// spaceSymbol is U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space ("▁").
const spaceSymbol = "\u2581"

// spPiece is one ModelProto.SentencePiece.
type spPiece struct {
	piece string
	score float32
	typ   int
}

// sentencePiece is a unigram SentencePiece model read from spiece.model, ready to encode. It is read-only
// after loading and safe for concurrent use.
type sentencePiece struct {
	pieces []spPiece

	// byPiece maps every piece to its id, whatever its type (ModelInterface::PieceToId).
	byPiece map[string]int32
	// matchable maps the pieces Viterbi may use (NORMAL, USER_DEFINED; UNUSED ones are matched and then
	// skipped, as in EncodeOptimized, so they are left out here) to their ids; maxPieceLen is the longest
	// of them in bytes.
	matchable   map[string]int32
	maxPieceLen int
	// userDefined holds the USER_DEFINED pieces: the normaliser passes them through untouched
	// (PrefixMatcher) and Viterbi always prefers them. maxUserLen is the longest in bytes.
	userDefined map[string]bool
	maxUserLen  int

	unkID              int32
	minScore, maxScore float32 // over NORMAL pieces, initialised to FLT_MAX and FLT_MIN as in unigram_model.cc
	byteFallback       bool

	// NormalizerSpec.
	charsMap               *charsMap // nil: no precompiled rules (identity)
	addDummyPrefix         bool
	removeExtraWhitespaces bool
	escapeWhitespaces      bool
}

// parseSentencePiece reads a serialized ModelProto (the contents of spiece.model). name is the file name
// used in error messages.
func parseSentencePiece(data []byte, name string) (*sentencePiece, error) {
	sp := &sentencePiece{
		byPiece: make(map[string]int32), matchable: make(map[string]int32), userDefined: make(map[string]bool),
		unkID: -1, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true,
	}
	modelType, treatWhitespaceAsSuffix := uint64(modelUnigram), false
	var charsMapBlob []byte
	err := forEachField(data, func(num protowire.Number, typ protowire.Type, value []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType: // repeated SentencePiece pieces
			p, err := parsePiece(value)
			if err != nil {
				return fmt.Errorf("piece %d: %w", len(sp.pieces), err)
			}
			sp.pieces = append(sp.pieces, p)
		case num == 2 && typ == protowire.BytesType: // TrainerSpec trainer_spec
			return forEachField(value, func(num protowire.Number, typ protowire.Type, value []byte) error {
				switch {
				case num == 3 && typ == protowire.VarintType:
					modelType, _ = protowire.ConsumeVarint(value)
				case num == 24 && typ == protowire.VarintType:
					treatWhitespaceAsSuffix = varintBool(value)
				case num == 35 && typ == protowire.VarintType:
					sp.byteFallback = varintBool(value)
				}
				return nil
			})
		case num == 3 && typ == protowire.BytesType: // NormalizerSpec normalizer_spec
			return forEachField(value, func(num protowire.Number, typ protowire.Type, value []byte) error {
				switch {
				case num == 2 && typ == protowire.BytesType:
					charsMapBlob = value
				case num == 3 && typ == protowire.VarintType:
					sp.addDummyPrefix = varintBool(value)
				case num == 4 && typ == protowire.VarintType:
					sp.removeExtraWhitespaces = varintBool(value)
				case num == 5 && typ == protowire.VarintType:
					sp.escapeWhitespaces = varintBool(value)
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s is not a SentencePiece model (a ModelProto): %w", name, err)
	}
	if len(sp.pieces) == 0 {
		return nil, fmt.Errorf("%s has no pieces; it is not a SentencePiece model", name)
	}
	if modelType != modelUnigram {
		kinds := map[uint64]string{modelBPE: "BPE", modelWord: "WORD", modelChar: "CHAR"}
		return nil, fmt.Errorf("%s is a SentencePiece %s model (type %d); SigLIP's spiece.model is a UNIGRAM model",
			name, kinds[modelType], modelType)
	}
	if treatWhitespaceAsSuffix {
		return nil, fmt.Errorf("%s sets treat_whitespace_as_suffix, which SigLIP models do not use and this tokenizer does not implement", name)
	}
	if len(charsMapBlob) > 0 {
		if sp.charsMap, err = parseCharsMap(charsMapBlob); err != nil {
			return nil, fmt.Errorf("%s: precompiled_charsmap: %w", name, err)
		}
	}

	// ModelInterface::InitializePieces and unigram::Model::Model.
	sp.minScore, sp.maxScore = math.MaxFloat32, math.Float32frombits(0x00800000) // FLT_MAX, FLT_MIN
	bytesFound := 0
	for i, p := range sp.pieces {
		id := int32(i)
		if p.piece == "" {
			return nil, fmt.Errorf("%s: piece %d is empty; the file is damaged", name, i)
		}
		if _, dup := sp.byPiece[p.piece]; dup {
			return nil, fmt.Errorf("%s: piece %q is defined twice; the file is damaged", name, p.piece)
		}
		sp.byPiece[p.piece] = id
		switch p.typ {
		case pieceNormal:
			sp.matchable[p.piece] = id
			sp.minScore, sp.maxScore = min(sp.minScore, p.score), max(sp.maxScore, p.score)
		case pieceUserDefined:
			sp.matchable[p.piece] = id
			sp.userDefined[p.piece] = true
			sp.maxUserLen = max(sp.maxUserLen, len(p.piece))
		case pieceUnknown:
			if sp.unkID >= 0 {
				return nil, fmt.Errorf("%s has two unknown pieces (%q and %q); the file is damaged", name, sp.pieces[sp.unkID].piece, p.piece)
			}
			sp.unkID = id
		case pieceByte:
			if !sp.byteFallback {
				return nil, fmt.Errorf("%s has the byte piece %q although byte_fallback is false; the file is damaged", name, p.piece)
			}
			bytesFound++
		case pieceControl, pieceUnused:
		default:
			return nil, fmt.Errorf("%s: piece %q has the unknown type %d", name, p.piece, p.typ)
		}
		if _, ok := sp.matchable[p.piece]; ok {
			sp.maxPieceLen = max(sp.maxPieceLen, len(p.piece))
		}
	}
	if sp.unkID < 0 {
		return nil, fmt.Errorf("%s has no unknown piece (type UNKNOWN, usually <unk>); the file is damaged", name)
	}
	if sp.byteFallback {
		for b := range 256 {
			if id, ok := sp.byPiece[bytePiece(byte(b))]; !ok || sp.pieces[id].typ != pieceByte {
				return nil, fmt.Errorf("%s sets byte_fallback but has no byte piece %s; the file is damaged", name, bytePiece(byte(b)))
			}
		}
	}
	return sp, nil
}

// parsePiece reads one ModelProto.SentencePiece: piece = 1, score = 2, type = 3 (default NORMAL).
func parsePiece(data []byte) (spPiece, error) {
	p := spPiece{typ: pieceNormal}
	err := forEachField(data, func(num protowire.Number, typ protowire.Type, value []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			p.piece = string(value)
		case num == 2 && typ == protowire.Fixed32Type:
			p.score = math.Float32frombits(binary.LittleEndian.Uint32(value))
		case num == 3 && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(value)
			p.typ = int(v)
		}
		return nil
	})
	return p, err
}

// forEachField calls f for every field of a serialized protobuf message with the field's raw value: the
// payload of a length-delimited field, the 4 or 8 bytes of a fixed field, the varint's bytes otherwise.
func forEachField(data []byte, f func(num protowire.Number, typ protowire.Type, value []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		m := protowire.ConsumeFieldValue(num, typ, data)
		if m < 0 {
			return protowire.ParseError(m)
		}
		value := data[:m]
		if typ == protowire.BytesType {
			value, _ = protowire.ConsumeBytes(value)
		}
		if err := f(num, typ, value); err != nil {
			return err
		}
		data = data[m:]
	}
	return nil
}

func varintBool(b []byte) bool {
	v, _ := protowire.ConsumeVarint(b)
	return v != 0
}

// bytePiece is the piece of byte b in a byte-fallback model: "<0x41>" for 'A' (ModelInterface ByteToPiece).
func bytePiece(b byte) string { return fmt.Sprintf("<0x%02X>", b) }

// pieceID is SentencePieceProcessor.piece_to_id: the id of any piece, the unknown id for anything else.
func (sp *sentencePiece) pieceID(piece string) int32 {
	if id, ok := sp.byPiece[piece]; ok {
		return id
	}
	return sp.unkID
}

// encode is SentencePieceProcessor.Encode(text, out_type=str): the pieces of text, with addDummyPrefix
// instead of the model's own add_dummy_prefix. Unknown characters appear as their normalised text, a run of
// them merged into one piece (or, in a byte-fallback model, as byte pieces).
func (sp *sentencePiece) encode(text string, addDummyPrefix bool) []string {
	normalized := sp.normalize(text, addDummyPrefix)
	var pieces []string
	prevUnknown := false
	for _, p := range sp.viterbi(normalized) {
		unknown := p.id == sp.unkID
		switch {
		case unknown && sp.byteFallback:
			for i := range len(p.piece) {
				pieces = append(pieces, bytePiece(p.piece[i]))
			}
		case unknown && prevUnknown:
			// "Merges continuous run of unknown pieces so that decoder can copy or generate unknown tokens
			// easily." (PopulateSentencePieceText)
			pieces[len(pieces)-1] += p.piece
		default:
			pieces = append(pieces, p.piece)
		}
		prevUnknown = unknown
	}
	return pieces
}

// normalize is Normalizer::Normalize: the precompiled rules (nmt_nfkc: NFKC plus NMT clean-ups that turn
// control characters and odd spaces into spaces or nothing) applied longest match first, spaces at the
// start and end dropped and runs of spaces collapsed (remove_extra_whitespaces), "▁" put in front
// (add_dummy_prefix) and every space written as "▁" (escape_whitespaces). Invalid UTF-8 bytes become U+FFFD
// one byte at a time.
func (sp *sentencePiece) normalize(input string, addDummyPrefix bool) string {
	if sp.removeExtraWhitespaces { // "Ignores heading space."
		for input != "" {
			out, n := sp.normalizePrefix(input)
			if out != " " {
				break
			}
			input = input[n:]
		}
	}
	if input == "" {
		return ""
	}
	space := " "
	if sp.escapeWhitespaces {
		space = spaceSymbol
	}
	var b strings.Builder
	b.Grow(3 * len(input))
	if addDummyPrefix {
		b.WriteString(space)
	}
	prevSpace := sp.removeExtraWhitespaces
	for input != "" {
		out, n := sp.normalizePrefix(input)
		input = input[n:]
		for prevSpace && strings.HasPrefix(out, " ") {
			out = out[1:]
		}
		if out != "" {
			if sp.escapeWhitespaces {
				b.WriteString(strings.ReplaceAll(out, " ", spaceSymbol))
			} else {
				b.WriteString(out)
			}
			prevSpace = strings.HasSuffix(out, " ")
		}
		if !sp.removeExtraWhitespaces {
			prevSpace = false
		}
	}
	normalized := b.String()
	if sp.removeExtraWhitespaces { // "Ignores tailing space."
		for strings.HasSuffix(normalized, space) {
			normalized = normalized[:len(normalized)-len(space)]
		}
	}
	return normalized
}

// normalizePrefix is Normalizer::NormalizePrefix: the normalised form of the start of input and how many
// bytes of input it stands for. A user-defined piece passes unchanged; otherwise the longest rule of the
// charsmap applies; otherwise one character passes unchanged (an invalid byte becomes U+FFFD).
func (sp *sentencePiece) normalizePrefix(input string) (string, int) {
	if n := sp.userDefinedPrefix(input); n > 0 {
		return input[:n], n
	}
	if sp.charsMap != nil {
		if out, n := sp.charsMap.longestPrefix(input); n > 0 {
			return out, n
		}
	}
	r, n := utf8.DecodeRuneInString(input)
	if r == utf8.RuneError && n == 1 {
		return "\uFFFD", 1
	}
	return input[:n], n
}

// userDefinedPrefix is the length of the longest user-defined piece input starts with, 0 if none
// (PrefixMatcher::PrefixMatch).
func (sp *sentencePiece) userDefinedPrefix(input string) int {
	for n := min(sp.maxUserLen, len(input)); n > 0; n-- {
		if sp.userDefined[input[:n]] {
			return n
		}
	}
	return 0
}

// viterbiPiece is one piece of the best segmentation: its text (a substring of the normalised input) and id.
type viterbiPiece struct {
	piece string
	id    int32
}

// viterbi is unigram::Model::EncodeOptimized: the segmentation of normalized with the highest total score,
// where a piece scores its log probability, a user-defined piece length * max_score - 0.1 (so it always
// wins) and a character no piece starts with scores min_score - 10 as an unknown piece.
//
// The arithmetic is the C++ code's, because it decides ties: a piece's candidate score is computed in
// double (the ?: mixes double and float) and compared with the float stored for that position, while an
// unknown piece's candidate is float + float. Candidates are tried by start position, then by length, the
// unknown piece last; a later candidate replaces an earlier one only if strictly better.
func (sp *sentencePiece) viterbi(normalized string) []viterbiPiece {
	if normalized == "" {
		return nil
	}
	type bestPath struct {
		id       int32
		score    float32 // of the best path ending here
		startsAt int     // of its last piece; -1 while no path ends here
	}
	size := len(normalized)
	best := make([]bestPath, size+1)
	for i := range best {
		best[i] = bestPath{id: -1, startsAt: -1}
	}
	unkScore := sp.minScore - unkPenalty
	for startsAt := 0; startsAt < size; {
		tillHere := best[startsAt].score
		_, charLen := utf8.DecodeRuneInString(normalized[startsAt:]) // valid UTF-8: normalize made it so
		hasSingleChar := false
		for end := startsAt + 1; end <= min(size, startsAt+sp.maxPieceLen); end++ {
			id, ok := sp.matchable[normalized[startsAt:end]]
			if !ok {
				continue
			}
			length := end - startsAt
			score := float64(sp.pieces[id].score)
			if sp.pieces[id].typ == pieceUserDefined {
				score = float64(float32(length)*sp.maxScore) - 0.1
			}
			candidate := score + float64(tillHere)
			if target := &best[end]; target.startsAt == -1 || candidate > float64(target.score) {
				*target = bestPath{id: id, score: float32(candidate), startsAt: startsAt}
			}
			if length == charLen {
				hasSingleChar = true
			}
		}
		if !hasSingleChar {
			candidate := unkScore + tillHere
			if target := &best[startsAt+charLen]; target.startsAt == -1 || candidate > target.score {
				*target = bestPath{id: sp.unkID, score: candidate, startsAt: startsAt}
			}
		}
		startsAt += charLen
	}
	var pieces []viterbiPiece
	for end := size; end > 0; end = best[end].startsAt {
		pieces = append(pieces, viterbiPiece{normalized[best[end].startsAt:end], best[end].id})
	}
	for i, j := 0, len(pieces)-1; i < j; i, j = i+1, j-1 {
		pieces[i], pieces[j] = pieces[j], pieces[i]
	}
	return pieces
}

// charsMap is a decoded precompiled_charsmap: a Darts-clone double-array trie whose keys are UTF-8 strings
// to replace and whose values are offsets of NUL-terminated replacements in normalized.
//
// The blob is <trie size in bytes, uint32 little endian><trie: uint32 units><normalized strings>
// (Normalizer::DecodePrecompiledCharsMap).
type charsMap struct {
	units      []uint32
	normalized []byte
}

func parseCharsMap(blob []byte) (*charsMap, error) {
	if len(blob) <= 4 {
		return nil, fmt.Errorf("%d bytes, too short for a trie", len(blob))
	}
	size := binary.LittleEndian.Uint32(blob)
	if uint64(size) >= uint64(len(blob)-4) || size%4 != 0 || size == 0 {
		return nil, fmt.Errorf("trie size %d does not fit the %d bytes of the blob; the file is damaged", size, len(blob))
	}
	units := make([]uint32, size/4)
	for i := range units {
		units[i] = binary.LittleEndian.Uint32(blob[4+4*i:])
	}
	return &charsMap{units: units, normalized: blob[4+size:]}, nil
}

// longestPrefix returns the replacement of the longest key that input starts with and that key's length,
// or ("", 0) if no key is a prefix of input. It is Darts::DoubleArray::commonPrefixSearch keeping the last
// (longest) result. A damaged trie cannot make it panic: an index outside the arrays ends the search.
func (m *charsMap) longestPrefix(input string) (string, int) {
	units := m.units
	// Fields of a unit (darts.h, DoubleArrayUnit).
	hasLeaf := func(u uint32) bool { return u>>8&1 == 1 }
	value := func(u uint32) uint32 { return u & (1<<31 - 1) }
	label := func(u uint32) uint32 { return u & (1<<31 | 0xFF) }
	offset := func(u uint32) uint32 { return u >> 10 << ((u & (1 << 9)) >> 6) }

	var found uint32
	length := 0
	pos := offset(units[0])
	for i := range len(input) {
		pos ^= uint32(input[i])
		if pos >= uint32(len(units)) {
			break
		}
		u := units[pos]
		if label(u) != uint32(input[i]) {
			break
		}
		pos ^= offset(u)
		if hasLeaf(u) {
			if pos >= uint32(len(units)) {
				break
			}
			found, length = value(units[pos]), i+1
		}
	}
	if length == 0 || found >= uint32(len(m.normalized)) {
		return "", 0
	}
	out := m.normalized[found:]
	if end := bytes.IndexByte(out, 0); end >= 0 {
		out = out[:end]
	}
	return string(out), length
}
