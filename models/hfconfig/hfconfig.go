// Package hfconfig reads a checkpoint's config.json as transformers' PretrainedConfig does
// (transformers/configuration_utils.py): keys the file leaves out keep the class's defaults, and a composite config
// (CLIPConfig, SiglipConfig) holds one sub-config per tower, its sub_configs. Each family declares its own typed
// structs, defaults and checks (its config.go); this package is the reading they share.
package hfconfig

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/bellingcat/smart-image-sorter/models/transformer"
)

// Load reads the config.json at path and parses it with parse (a family's ParseConfig); errors name the file.
func Load[C any](path string, parse func(data []byte) (*C, error)) (*C, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading model config: %w", err)
	}
	cfg, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Keys returns the top-level keys of a config.json with their raw values, to tell which are present: decoding
// into pre-filled defaults cannot.
func Keys(data []byte) (map[string]json.RawMessage, error) {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return nil, fmt.Errorf("config is not valid JSON: %w", err)
	}
	return present, nil
}

// SubConfig decodes the sub-config (text_config, vision_config) under the first of names that is present and not
// null (its key, then legacy spellings) over defaults: json.Unmarshal keeps the defaults for keys the file leaves
// out, as transformers does. A missing sub-config is an error naming the first key, with family ("CLIP") saying
// whose config.json it is: transformers would silently build a default-sized tower, but every real checkpoint states
// both towers' sizes, so a missing one means a broken or foreign file.
func SubConfig[T any](present map[string]json.RawMessage, family string, defaults func() *T, names ...string) (*T, error) {
	for _, key := range names {
		raw, ok := present[key]
		if !ok || string(raw) == "null" {
			continue
		}
		sub := defaults()
		if err := json.Unmarshal(raw, sub); err != nil {
			return nil, fmt.Errorf("config %q: %w", key, err)
		}
		return sub, nil
	}
	return nil, fmt.Errorf("config has no %q; a %s config.json describes both towers", names[0], family)
}

// Positive is a size a config must give above 0, with its key ("vision_config.patch_size").
type Positive struct {
	Key   string
	Value int
}

// CheckPositive names the first of values that is not above 0.
func CheckPositive(values ...Positive) error {
	for _, p := range values {
		if p.Value <= 0 {
			return fmt.Errorf("config %s is %d, must be positive", p.Key, p.Value)
		}
	}
	return nil
}

// CheckTowers checks the encoder sizes of both towers (transformer.TowerConfig.Check), text_config first.
func CheckTowers(text, vision transformer.TowerConfig) error {
	if err := text.Check("text_config"); err != nil {
		return fmt.Errorf("config %w", err)
	}
	if err := vision.Check("vision_config"); err != nil {
		return fmt.Errorf("config %w", err)
	}
	return nil
}
