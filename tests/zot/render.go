package zot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	// Named schema: the package's own name is this tier's type.
	schema "github.com/zot-registry/zot-registry/tests/rendered"
)

// rendered is one variant as tests/render-variants writes it, with its
// config.json parsed.
type rendered struct {
	schema.Variant
	Config map[string]any `json:"-"`
}

// keyless reports whether zot gets no S3 key pair in its environment: it
// assumes an IAM role (storage.aws.credentials).
func (r *rendered) keyless() bool { return !slices.Contains(r.ZotEnv, "AWS_ACCESS_KEY_ID") }

// renders holds every variant, loaded once by TestMain.
var renders []*rendered

func loadRenders(dir string) ([]*rendered, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no renders in %s (%v)", dir, err)
	}
	var out []*rendered
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r := &rendered{}
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		if err := json.Unmarshal([]byte(r.ConfigJSON), &r.Config); err != nil {
			return nil, fmt.Errorf("%s: config.json: %v", r.Name, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// named is the render of one variant.
func named(t testing.TB, name string) *rendered {
	t.Helper()
	for _, r := range renders {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no render of %s", name)
	return nil
}

// fresh is a deep copy, so a test may change it.
func (r *rendered) fresh() *rendered {
	c := *r
	c.Config = deepCopy(r.Config)
	return &c
}
