package sorter

// Labels are typed by an investigator and become folder names. The original tool
// used them verbatim (os.path.join(destination, label)), so "../x" escaped the
// destination; here each label maps to a safe, portable folder name, and the
// original text is kept in the report.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// label is one candidate label of a run.
type label struct {
	Text   string // as typed, trimmed: what the report shows
	Folder string // FolderName(Text)
	Prompt string // Template with {} replaced by Text: what the text tower sees
}

// maxFolderBytes keeps folder names well under the 255-byte limit of common
// filesystems, leaving room for the destination path on Windows.
const maxFolderBytes = 100

// ParseLabels splits a comma-separated list as the original tool does
// ("weapon, a meme, screenshot of a newspaper article"), trims each label and
// checks the set with CheckLabels. Empty items, from a trailing or doubled comma
// ("cat, dog,"), are a typing habit, not a mistake: they are left out, and note
// says so in one line for the caller to show ("" when there were none). Fewer
// than two labels that are not empty is still an error.
func ParseLabels(s string) (labels []string, note string, err error) {
	empty := 0
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			empty++
			continue
		}
		labels = append(labels, p)
	}
	if err = CheckLabels(labels); err != nil {
		return nil, "", err
	}
	switch {
	case empty == 1:
		note = "ignored an empty label (a trailing or doubled comma)"
	case empty > 1:
		note = fmt.Sprintf("ignored %d empty labels (trailing or doubled commas)", empty)
	}
	return labels, note, nil
}

// CheckLabels reports the first problem with a set of labels: fewer than two,
// an empty one, two that differ only in letter case, two that map to the same
// folder, or one that maps to the reserved folder "unsorted".
func CheckLabels(labels []string) error {
	_, err := makeLabels(labels, "{}")
	return err
}

// Prompts fills template's "{}" with each label: the texts the model's text tower reads, as the pipeline's
// hypothesis_template.format(label).
func Prompts(template string, labels []string) ([]string, error) {
	if !strings.Contains(template, "{}") {
		return nil, errorf(fmt.Sprintf("put {} where the label goes, e.g. %q", DefaultTemplate),
			"the template %q has no {} for the label", template)
	}
	prompts := make([]string, len(labels))
	for i, label := range labels {
		prompts[i] = strings.ReplaceAll(template, "{}", label)
	}
	return prompts, nil
}

func makeLabels(texts []string, template string) ([]label, error) {
	const example = `e.g. --labels "weapon, a meme, a picture of a person"`
	if len(texts) == 0 || len(texts) == 1 && strings.TrimSpace(texts[0]) == "" {
		return nil, errorf("give at least two labels separated by commas, "+example, "no labels given")
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" { // only from Options.Labels: ParseLabels leaves empty items out
			return nil, errorf("remove the empty label, or write the missing one",
				"label %d of %d is empty (labels: %q)", i+1, len(texts), strings.Join(texts, ","))
		}
	}
	if len(texts) < 2 {
		return nil, errorf("give at least two labels separated by commas, "+example,
			"only one label given (%q); zero-shot sorting needs at least 2", texts[0])
	}
	labels := make([]label, len(texts))
	byText := map[string]int{}
	byFolder := map[string]int{}
	for i, t := range texts {
		t = strings.TrimSpace(t)
		f := FolderName(t)
		if j, ok := byText[strings.ToLower(t)]; ok {
			return nil, errorf("keep only one of them",
				"labels %q and %q are the same label (letter case is ignored)", labels[j].Text, t)
		}
		if j, ok := byFolder[strings.ToLower(f)]; ok {
			return nil, errorf("change one of the two labels so that their folders differ",
				"labels %q and %q would both be sorted into the folder %q", labels[j].Text, t, f)
		}
		if strings.EqualFold(f, UnsortedFolder) {
			return nil, errorf(fmt.Sprintf("rename the label, e.g. %q", t+" (label)"),
				"label %q would use the folder %q, which is reserved for images whose best score is below the threshold", t, f)
		}
		byText[strings.ToLower(t)] = i
		byFolder[strings.ToLower(f)] = i
		labels[i] = label{Text: t, Folder: f, Prompt: strings.ReplaceAll(template, "{}", t)}
	}
	return labels, nil
}

// FolderName turns a label into a folder name that is safe on Linux, macOS and
// Windows and can never leave the destination: it trims spaces; replaces path
// separators, the characters Windows forbids (<>:"|?*), control characters
// (NUL included), bidirectional-text controls and invalid UTF-8 with "_";
// replaces leading dots (so ".", ".." and hidden names are impossible); drops
// trailing dots and spaces; suffixes Windows reserved device names (con, prn,
// aux, nul, com0-9, lpt0-9) with "_"; and cuts it to 100 bytes. An empty result
// becomes "_". FolderName("../x") is "___x", FolderName("a/b") is "a_b",
// FolderName("con") is "con_".
func FolderName(label string) string {
	var b strings.Builder
	leading := true
	s := strings.TrimSpace(label)
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteByte('_') // invalid UTF-8
			leading = false
		case r == '.' && leading:
			b.WriteByte('_')
		case unicode.IsControl(r) || isBidiControl(r) || strings.ContainsRune(`/\<>:"|?*`, r):
			b.WriteByte('_')
			leading = false
		default:
			b.WriteRune(r)
			leading = false
		}
	}
	name := trimForWindows(b.String())
	if len(name) > maxFolderBytes {
		cut := maxFolderBytes
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = trimForWindows(name[:cut])
	}
	if isReservedWindowsName(name) {
		stem, ext, _ := strings.Cut(name, ".")
		name = strings.TrimRight(stem, " ") + "_"
		if ext != "" {
			name += "." + ext
		}
	}
	if name == "" {
		return "_"
	}
	return name
}

// trimForWindows drops trailing dots and spaces, which Windows silently removes.
func trimForWindows(s string) string { return strings.TrimRight(s, ". ") }

func isBidiControl(r rune) bool {
	return r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// isReservedWindowsName: Windows treats these as devices whatever the extension ("con.txt" too).
func isReservedWindowsName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToLower(strings.TrimRight(stem, " "))
	switch stem {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(stem) >= 4 && (strings.HasPrefix(stem, "com") || strings.HasPrefix(stem, "lpt")) {
		d := stem[3:]
		return len(d) == 1 && d[0] >= '0' && d[0] <= '9' || d == "¹" || d == "²" || d == "³"
	}
	return false
}
