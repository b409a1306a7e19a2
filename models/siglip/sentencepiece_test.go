package siglip

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// Every expected value in this file was computed with sentencepiece 0.1.97 (Debian python3-sentencepiece,
// the version the goldens were made with): SentencePieceProcessor.encode(text, out_type=str) on
// siglip-tiny/spiece.model, or on a model built with sentencepiece_model_pb2 the way testModel builds it.

// testModel is the content of a small unigram ModelProto.
type testModel struct {
	pieces                         []spPiece
	modelType                      int // 0: UNIGRAM (the default, not written)
	byteFallback                   bool
	addDummyPrefix, keepWhitespace bool
	charsMap                       []byte
}

// bytes serializes m as spiece.model does (identity normalizer unless charsMap is set).
func (m testModel) bytes() []byte {
	var b []byte
	for _, p := range m.pieces {
		var pb []byte
		pb = protowire.AppendTag(pb, 1, protowire.BytesType)
		pb = protowire.AppendString(pb, p.piece)
		pb = protowire.AppendTag(pb, 2, protowire.Fixed32Type)
		pb = protowire.AppendFixed32(pb, math.Float32bits(p.score))
		pb = protowire.AppendTag(pb, 3, protowire.VarintType)
		pb = protowire.AppendVarint(pb, uint64(p.typ))
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, pb)
	}
	var trainer []byte
	if m.modelType != 0 {
		trainer = protowire.AppendTag(trainer, 3, protowire.VarintType)
		trainer = protowire.AppendVarint(trainer, uint64(m.modelType))
	}
	trainer = protowire.AppendTag(trainer, 35, protowire.VarintType)
	trainer = protowire.AppendVarint(trainer, protowire.EncodeBool(m.byteFallback))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, trainer)

	var norm []byte
	norm = protowire.AppendTag(norm, 1, protowire.BytesType)
	norm = protowire.AppendString(norm, "identity")
	if m.charsMap != nil {
		norm = protowire.AppendTag(norm, 2, protowire.BytesType)
		norm = protowire.AppendBytes(norm, m.charsMap)
	}
	norm = protowire.AppendTag(norm, 3, protowire.VarintType)
	norm = protowire.AppendVarint(norm, protowire.EncodeBool(m.addDummyPrefix))
	norm = protowire.AppendTag(norm, 4, protowire.VarintType)
	norm = protowire.AppendVarint(norm, protowire.EncodeBool(!m.keepWhitespace))
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	return protowire.AppendBytes(b, norm)
}

func (m testModel) parse(t *testing.T) *sentencePiece {
	t.Helper()
	sp, err := parseSentencePiece(m.bytes(), "test.model")
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestSentencePieceNormalizer(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(siglipDir, "spiece.model"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := parseSentencePiece(data, "spiece.model")
	if err != nil {
		t.Fatal(err)
	}
	if sp.charsMap == nil || sp.unkID != 2 || len(sp.pieces) != 3000 {
		t.Fatalf("spiece.model: charsmap %v, unk id %d, %d pieces; want nmt_nfkc rules, 2, 3000", sp.charsMap != nil, sp.unkID, len(sp.pieces))
	}
	// nmt_nfkc (the precompiled charsmap): "▁", NBSP, U+200B, U+3000, U+2028 read as spaces, NFKC folds ﬁ,
	// full-width letters, superscripts and composes accents, control characters and U+FFFD go.
	for _, tc := range []struct {
		text   string
		pieces []string
	}{
		{"a▁b", []string{"▁a", "▁", "b"}},
		{"a\u00a0b", []string{"▁a", "▁", "b"}},
		{"a\u200bb", []string{"▁a", "▁", "b"}},
		{"a\u3000b", []string{"▁a", "▁", "b"}},
		{"a\u2028b", []string{"▁a", "▁", "b"}},
		{"  a   b  ", []string{"▁a", "▁", "b"}},
		{"ﬁne", []string{"▁fi", "n", "e"}},
		{"ＡＢＣ！", []string{"▁A", "B", "C", "!"}},
		{"x²", []string{"▁", "x", "2"}},
		{"a\x07b", []string{"▁a", "b"}},
		{"cafe\u0301", []string{"▁caf", "é"}},
		{"\uFFFD", nil},
	} {
		if got := sp.encode(tc.text, true); !slices.Equal(got, tc.pieces) {
			t.Errorf("encode(%q) = %q, want %q", tc.text, got, tc.pieces)
		}
	}
}

func TestSentencePieceViterbi(t *testing.T) {
	for _, tc := range []struct {
		name   string
		model  testModel
		text   string
		pieces []string
		ids    []int32
	}{
		{
			// "ab" (-1) reaches the end first; "a" + "b" scores -1 + 2^-30, which rounds to -1 in float but is
			// compared in double, so it wins: ties follow the C++ arithmetic.
			name: "double against float",
			model: testModel{pieces: []spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"b", 0x1p-30, pieceNormal}, {"ab", -1, pieceNormal}, {"▁", -1, pieceNormal},
			}},
			text: "ab", pieces: []string{"a", "b"}, ids: []int32{1, 2},
		},
		{
			name: "exact tie keeps the first",
			model: testModel{pieces: []spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"b", -1, pieceNormal}, {"ab", -2, pieceNormal},
			}},
			text: "ab", pieces: []string{"ab"}, ids: []int32{3},
		},
		{
			name: "user-defined pieces pass the normaliser and always win",
			model: testModel{pieces: []spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"<x>", 0, pieceUserDefined}, {"▁", -1, pieceNormal},
			}},
			text: "a<x>a  <x>", pieces: []string{"a", "<x>", "a", "▁", "<x>"}, ids: []int32{1, 2, 1, 3, 2},
		},
		{
			name: "unknown runs merge",
			model: testModel{addDummyPrefix: true, pieces: []spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"▁", -1, pieceNormal},
			}},
			text: " a中文 a é ", pieces: []string{"▁", "a", "中文", "▁", "a", "▁", "é"}, ids: []int32{2, 1, 0, 2, 1, 2, 0},
		},
		{
			name: "byte fallback",
			model: testModel{byteFallback: true, pieces: append([]spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"xé", -1, pieceNormal},
			}, bytePieces()...)},
			text:   "aéa中",
			pieces: []string{"a", "<0xC3>", "<0xA9>", "a", "<0xE4>", "<0xB8>", "<0xAD>"},
			ids:    []int32{1, 198, 172, 1, 231, 187, 176},
		},
		{
			name: "remove_extra_whitespaces false",
			model: testModel{keepWhitespace: true, pieces: []spPiece{
				{"<unk>", 0, pieceUnknown}, {"a", -1, pieceNormal}, {"▁", -1, pieceNormal},
			}},
			text: "  a  a ", pieces: []string{"▁", "▁", "a", "▁", "▁", "a", "▁"}, ids: []int32{2, 2, 1, 2, 2, 1, 2},
		},
	} {
		sp := tc.model.parse(t)
		pieces := sp.encode(tc.text, sp.addDummyPrefix)
		ids := make([]int32, len(pieces))
		for i, p := range pieces {
			ids[i] = sp.pieceID(p)
		}
		if !slices.Equal(pieces, tc.pieces) || !slices.Equal(ids, tc.ids) {
			t.Errorf("%s: encode(%q) = %q %v, want %q %v", tc.name, tc.text, pieces, ids, tc.pieces, tc.ids)
		}
	}
}

func bytePieces() []spPiece {
	pieces := make([]spPiece, 256)
	for b := range pieces {
		pieces[b] = spPiece{bytePiece(byte(b)), 0, pieceByte}
	}
	return pieces
}

func TestSentencePieceErrors(t *testing.T) {
	unk := spPiece{"<unk>", 0, pieceUnknown}
	a := spPiece{"a", -1, pieceNormal}
	brokenCharsMap := binary.LittleEndian.AppendUint32(nil, 1000) // says 1000 bytes of trie, has none
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a protobuf", []byte("\xff\xff\xff"), "not a SentencePiece model"},
		{"no pieces", testModel{}.bytes(), "has no pieces"},
		{"BPE", testModel{modelType: modelBPE, pieces: []spPiece{unk, a}}.bytes(), "SentencePiece BPE model"},
		{"no unknown piece", testModel{pieces: []spPiece{a}}.bytes(), "no unknown piece"},
		{"two unknown pieces", testModel{pieces: []spPiece{unk, a, {"<u2>", 0, pieceUnknown}}}.bytes(), "two unknown pieces"},
		{"repeated piece", testModel{pieces: []spPiece{unk, a, a}}.bytes(), `"a" is defined twice`},
		{"empty piece", testModel{pieces: []spPiece{unk, {"", 0, pieceNormal}}}.bytes(), "piece 1 is empty"},
		{"byte piece without byte_fallback", testModel{pieces: []spPiece{unk, {"<0x00>", 0, pieceByte}}}.bytes(), "byte_fallback is false"},
		{"byte_fallback without byte pieces", testModel{byteFallback: true, pieces: []spPiece{unk, a}}.bytes(), "no byte piece <0x00>"},
		{"damaged charsmap", testModel{charsMap: brokenCharsMap, pieces: []spPiece{unk, a}}.bytes(), "precompiled_charsmap"},
	} {
		_, err := parseSentencePiece(tc.data, "test.model")
		if err == nil || !strings.Contains(err.Error(), "test.model") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming test.model and saying %q", tc.name, err, tc.want)
		}
	}
}

// TestCharsMapDamaged checks that a trie pointing outside its arrays cannot make normalising panic.
func TestCharsMapDamaged(t *testing.T) {
	units := []uint32{0xffffffff, 0xffffffff, 0x12345678, 0}
	blob := binary.LittleEndian.AppendUint32(nil, uint32(4*len(units)))
	for _, u := range units {
		blob = binary.LittleEndian.AppendUint32(blob, u)
	}
	blob = append(blob, "x\x00"...)
	m, err := parseCharsMap(blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "a", "\xff\xff\xff", strings.Repeat("\x00", 10)} {
		m.longestPrefix(s)
	}
}
