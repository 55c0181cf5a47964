package render

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Edit changes one setting of a stack config, as a user edits
// Pulumi.<stack>.yaml: key is the full config key ("zot-registry:registry"),
// path the dotted path inside its object ("upload.chunkSize"; empty for the
// whole value), value what is written there (nil removes it).
type Edit struct {
	Key, Path string
	Value     any
}

// Apply returns a copy of sc with the edits made.
func (s *StackConfig) Apply(edits ...Edit) (*StackConfig, error) {
	out, err := s.With(nil)
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		if e.Path == "" {
			if out, err = out.With(map[string]any{e.Key: e.Value}); err != nil {
				return nil, err
			}
			continue
		}
		raw, ok := out.Values[e.Key]
		if !ok {
			return nil, fmt.Errorf("edit %s.%s: the stack has no %s", e.Key, e.Path, e.Key)
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			return nil, fmt.Errorf("edit %s.%s: %s is not an object: %w", e.Key, e.Path, e.Key, err)
		}
		if err := setPath(obj, strings.Split(e.Path, "."), e.Value); err != nil {
			return nil, fmt.Errorf("edit %s.%s: %w", e.Key, e.Path, err)
		}
		if out, err = out.With(map[string]any{e.Key: obj}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func setPath(obj map[string]any, path []string, value any) error {
	if len(path) == 1 {
		if value == nil {
			delete(obj, path[0])
		} else {
			obj[path[0]] = value
		}
		return nil
	}
	next, ok := obj[path[0]].(map[string]any)
	if !ok {
		if _, exists := obj[path[0]]; exists {
			return fmt.Errorf("%s is not an object", path[0])
		}
		next = map[string]any{}
		obj[path[0]] = next
	}
	return setPath(next, path[1:], value)
}
