package hubtest

// The file layouts of real Hub repos, as far as public sources establish them (researched
// 2026-12-04; sources named per entry, assumptions said). Tests serve them with tiny fixture
// contents, so the code that picks files, finds conversion pull requests and loads weights is
// tested against what users will meet, not against layouts we imagined.

import (
	"os"
	"path/filepath"
	"slices"
)

// Layout is a Hub repo's files on main and its safetensors conversion pull requests.
type Layout struct {
	ID         string
	MainCommit string   // the commit main pointed to when the sources saw it
	Main       []string // root files on main
	Conversion []ConversionPR
	// Fixtures are the folders of testdata/fixtures whose files stand in for the repo's, the
	// first that has a file winning: a tiny checkpoint of the same family (see Content).
	Fixtures []string
	Source   string // where the layout was established
	Assumed  string // what is assumed rather than seen, "" if nothing
}

// ConversionPR is a pull request of the conversion bot adding model.safetensors to main's files.
type ConversionPR struct {
	Num    int
	Commit string // "" when unknown (a commit is then derived)
	Status string // "open" unless known otherwise
}

// clipFixtures stand in for CLIP repos: the tiny checkpoint, and its PyTorch weights.
var clipFixtures = []string{"clip-tiny", "clip-tiny-bin"}

// Layouts of the models offered in the tool's menus (models.Choices): the CLIP checkpoints, then
// the SigLIP and SigLIP2 ones.
var Layouts = []Layout{
	{
		ID:         "openai/clip-vit-base-patch32",
		Fixtures:   clipFixtures,
		MainCommit: "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268",
		Main: []string{".gitattributes", "README.md", "config.json", "flax_model.msgpack", "merges.txt",
			"preprocessor_config.json", "pytorch_model.bin", "special_tokens_map.json", "tf_model.h5",
			"tokenizer.json", "tokenizer_config.json", "vocab.json"},
		Conversion: []ConversionPR{
			{Num: 15, Commit: "b33cedfd0df4e43b8238760678fcc89e1a0d38b3"},
			{Num: 62},
			{Num: 66, Commit: "c237dc49a33fc61debc9276459120b7eac67e7ef"},
		},
		Source: "a transformers download log of 2026-05-01 (HEAD of model.safetensors and its index on main: 404; " +
			"the conversion thread picked refs/pr/66 after listing discussions); candle's CLIP example " +
			"(candle-examples/examples/clip/main.rs) loads model.safetensors from refs/pr/15; projects pinning " +
			"b33cedfd as that PR's commit; a README linking refs/pr/62",
		Assumed: "flax_model.msgpack on main (the model card claims JAX support); that PRs 15 and 62 are still open " +
			"and add only model.safetensors (what the conversion bot does); PR 62's commit",
	},
	{
		ID:         "openai/clip-vit-base-patch16",
		Fixtures:   clipFixtures,
		MainCommit: "57c216476eefef5ab752ec549e440a49ae4ae5f3",
		Main: []string{".gitattributes", "README.md", "config.json", "merges.txt", "model.safetensors",
			"preprocessor_config.json", "pytorch_model.bin", "special_tokens_map.json", "tokenizer.json",
			"tokenizer_config.json", "vocab.json"},
		Source: "scripts fetching these files at 57c21647 from the model info's siblings; a project checking the " +
			"sha256 of snapshots/57c21647.../model.safetensors",
		Assumed: "model.safetensors on main (one source); .gitattributes and README.md",
	},
	{
		ID:         "openai/clip-vit-large-patch14",
		Fixtures:   clipFixtures,
		MainCommit: "32bd64288804d66eefd0ccbe215aa642df71cc41",
		Main: []string{".gitattributes", "README.md", "config.json", "flax_model.msgpack", "merges.txt",
			"model.safetensors", "preprocessor_config.json", "pytorch_model.bin", "special_tokens_map.json",
			"tf_model.h5", "tokenizer.json", "tokenizer_config.json", "vocab.json"},
		Source: "a provisioning script listing all 13 root files at 32bd6428; candle's flux example downloads " +
			"model.safetensors from main",
	},
	{
		ID:         "openai/clip-vit-large-patch14-336",
		Fixtures:   clipFixtures,
		MainCommit: "ce19dc912ca5cd21c8a653c79e251e808ccabcd1",
		Main: []string{".gitattributes", "README.md", "config.json", "merges.txt", "preprocessor_config.json",
			"pytorch_model.bin", "special_tokens_map.json", "tf_model.h5", "tokenizer.json",
			"tokenizer_config.json", "vocab.json"},
		Source: "LLaVA scripts using snapshots/ce19dc91; an inventory of config.json, preprocessor_config.json and " +
			"pytorch_model.bin (1,711,974,081 bytes) there; tf_model.h5 on main",
		Assumed: "no model.safetensors and no conversion pull request (the harder case: PyTorch weights through " +
			"the safe loader); the tokenizer files, .gitattributes and README.md",
	},
	{
		ID:         "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
		Fixtures:   clipFixtures,
		MainCommit: "1a25a446712ba5ee05982a381eed697ef9b435cf",
		Main: []string{".gitattributes", "README.md", "config.json", "merges.txt", "model.safetensors",
			"open_clip_config.json", "open_clip_model.safetensors", "open_clip_pytorch_model.bin",
			"preprocessor_config.json", "pytorch_model.bin", "special_tokens_map.json", "tokenizer.json",
			"tokenizer_config.json", "vocab.json"},
		Source: "projects using .../resolve/main/model.safetensors and the open_clip_* files at 1a25a446",
		Assumed: "the names of the transformers config and tokenizer files (a manifest counts 9 .json/.txt/.md/" +
			".safetensors files loaded by transformers without naming them); pytorch_model.bin",
	},
	{
		ID:         "geolocal/StreetCLIP",
		Fixtures:   clipFixtures,
		MainCommit: "e3561ba2ad9bf14c9efd6b0092607b8497efbfea",
		Main: []string{".gitattributes", "README.md", "config.json", "merges.txt", "model.safetensors",
			"nagasaki.jpg", "preprocessor_config.json", "pytorch_model.bin", "sanfrancisco.jpeg",
			"special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json"},
		Source: "the model card (widget images on main, library transformers, CLIPModel/CLIPProcessor usage); a " +
			"project loading snapshots/e3561ba2 with use_safetensors=True; a guide naming pytorch_model.bin",
		Assumed: "that e3561ba2 is main; vocab.json and merges.txt (CLIPProcessor can also load from tokenizer.json " +
			"alone); pytorch_model.bin",
	},
	{
		ID:         "google/siglip-base-patch16-224",
		MainCommit: "7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed",
		Main: []string{".gitattributes", "README.md", "config.json", "model.safetensors", "preprocessor_config.json",
			"special_tokens_map.json", "spiece.model", "tokenizer.json", "tokenizer_config.json"},
		Fixtures: []string{"siglip-tiny"},
		Source: "a deployment report checking 7 files at 7fd15f06 against huggingface.co by size and sha256 " +
			"(model.safetensors 812,672,320 bytes, config.json 432, preprocessor_config.json 368, tokenizer_config.json " +
			"711, tokenizer.json 2,399,357, spiece.model 798,330, special_tokens_map.json 409); an ONNX export pinned " +
			"to 7fd15f06; projects fetching resolve/main/ config.json, preprocessor_config.json, spiece.model, " +
			"model.safetensors and tokenizer.json (the same sha256)",
		Assumed: "that 7fd15f06 is still main; .gitattributes and README.md; no other weights (no pytorch_model.bin: " +
			"uploaded with transformers 4.37, which saves safetensors only)",
	},
	{
		ID:         "google/siglip-so400m-patch14-384",
		MainCommit: "9fdffc58afc957d1a03a25b10dba0329ab15c2a3",
		Main: []string{".gitattributes", "README.md", "config.json", "model.safetensors", "preprocessor_config.json",
			"special_tokens_map.json", "spiece.model", "tokenizer.json", "tokenizer_config.json"},
		Fixtures: []string{"siglip-tiny"},
		Source: "a provisioning script downloading these 9 root files from resolve/main; several projects running " +
			"`huggingface-cli download google/siglip-so400m-patch14-384` and using snapshots/9fdffc58; projects " +
			"fetching resolve/main/model.safetensors and spiece.model; a mirror whose tokenizer.json has the sha256 " +
			"of google/siglip-base-patch16-224's",
		Assumed: "that 9fdffc58 is still main; no other weights",
	},
	{
		ID:         "google/siglip2-base-patch16-224",
		MainCommit: "75de2d55ec2d0b4efc50b3e9ad70dba96a7b2fa2",
		Main: []string{".gitattributes", "README.md", "config.json", "model.safetensors", "preprocessor_config.json",
			"special_tokens_map.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json"},
		Fixtures: []string{"siglip2-tiny"},
		Source: "a transformers log loading main (the HEAD of config.json resolved to 75de2d55); an installer " +
			"requiring model.safetensors, config.json, preprocessor_config.json, tokenizer.json and " +
			"tokenizer_config.json in snapshots/75de2d55; projects fetching resolve/main/tokenizer.model, " +
			"tokenizer.json, tokenizer_config.json and special_tokens_map.json; an export report (model.safetensors " +
			"1,500,800,904 bytes, tokenizer.model 4,241,003 bytes)",
		Assumed: ".gitattributes and README.md; no other weights; tokenizer.json is in LFS on the Hub (tens of MB), " +
			"the fixture's is not",
	},
	{
		ID:         "google/siglip2-so400m-patch14-384",
		MainCommit: "e8e487298228002f3d8a82e0cd5c8ea9c567f57f",
		Main: []string{".gitattributes", "README.md", "config.json", "model.safetensors", "preprocessor_config.json",
			"special_tokens_map.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json"},
		Fixtures: []string{"siglip2-tiny"},
		Source: "projects loading snapshots/e8e48729 with AutoModel and AutoTokenizer; a script resuming " +
			"resolve/main/model.safetensors (4,544,143,072 bytes) into snapshots/e8e48729; mirrors fetching " +
			"resolve/main/tokenizer.json (34,363,039 bytes), tokenizer_config.json and special_tokens_map.json; " +
			"projects fetching resolve/main/config.json, preprocessor_config.json and tokenizer.model",
		Assumed: "that e8e48729 is still main; .gitattributes and README.md; no other weights; tokenizer.json is " +
			"in LFS on the Hub, the fixture's is not",
	},
}

// LayoutFor returns the layout of id, or nil.
func LayoutFor(id string) *Layout {
	i := slices.IndexFunc(Layouts, func(l Layout) bool { return l.ID == id })
	if i < 0 {
		return nil
	}
	return &Layouts[i]
}

// AddLayout adds repo l.ID laid out as l, with content(name) as each file's content; each of its
// conversion pull requests adds content("model.safetensors") to main's files.
func (s *Server) AddLayout(l Layout, content func(name string) []byte) {
	files := map[string][]byte{}
	for _, name := range l.Main {
		files[name] = content(name)
	}
	s.AddRepo(l.ID, files)
	s.mu.Lock()
	s.repos[l.ID].main.commit = l.MainCommit
	s.mu.Unlock()
	for _, pr := range l.Conversion {
		s.AddDiscussion(l.ID, Discussion{Num: pr.Num, Title: ConversionTitle, Author: ConversionBot,
			Status: pr.Status, IsPullRequest: true, Commit: pr.Commit,
			Add: map[string][]byte{"model.safetensors": content("model.safetensors")}})
	}
}

// Content returns a content function for AddLayout serving l's fixtures: fixturesDir is the
// repository's testdata/fixtures.
func (l Layout) Content(fixturesDir string) func(name string) []byte {
	dirs := make([]string, len(l.Fixtures))
	for i, f := range l.Fixtures {
		dirs[i] = filepath.Join(fixturesDir, f)
	}
	return FixtureContent(dirs...)
}

// FixtureContent returns a content function for AddLayout: a file is read from the first of dirs that has it (a
// tiny checkpoint's config, tokenizer and weights files); files no dir has (tf_model.h5, README.md, ...) get a line
// of text, which a client that downloads only what it reads never asks for.
func FixtureContent(dirs ...string) func(name string) []byte {
	return func(name string) []byte {
		for _, dir := range dirs {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				return b
			}
		}
		return []byte(name + " (not read by this tool)\n")
	}
}
