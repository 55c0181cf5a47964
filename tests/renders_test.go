package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

// rendered is everything one stack deploys, as the render sees it: every
// resource with its inputs (secrets as the marker), the stack outputs,
// config.json and the Helm values.
type rendered struct {
	Resources  []renderedResource `json:"resources"`
	Outputs    map[string]any     `json:"outputs"`
	ConfigJSON string             `json:"configJson"`
	Values     map[string]any     `json:"values"`
}

type renderedResource struct {
	URN            string            `json:"urn"`
	Custom         bool              `json:"custom"`
	Parent         string            `json:"parent,omitempty"`
	Provider       string            `json:"provider,omitempty"`
	DependsOn      []string          `json:"dependsOn,omitempty"`
	Protect        bool              `json:"protect,omitempty"`
	RetainOnDelete bool              `json:"retainOnDelete,omitempty"`
	CustomTimeouts map[string]string `json:"customTimeouts,omitempty"`
	Inputs         map[string]any    `json:"inputs"`
}

const rendersDir = "testdata/renders"

// TestRendersUnchanged holds every stack and mode variant to the render
// committed in testdata/renders: a refactor that moves code must not move a
// byte of what deploys. After an intended change, `go test ./tests -run
// TestRendersUnchanged -update` rewrites them; the diff is the review.
func TestRendersUnchanged(t *testing.T) {
	variants, err := stacks.All(root)
	require.NoError(t, err)
	require.Greater(t, len(variants), len(stacks.Modes()))
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			res, err := v.Evaluate(root)
			require.NoError(t, err)
			doc := rendered{Outputs: res.Outputs, ConfigJSON: res.ConfigJSON, Values: res.Values}
			for _, r := range res.Recorder.Resources() {
				deps := append([]string(nil), r.DependsOn...)
				sort.Strings(deps)
				doc.Resources = append(doc.Resources, renderedResource{
					URN: r.URN, Custom: r.Custom, Parent: r.Parent, Provider: r.Provider,
					DependsOn: deps, Protect: r.Protect, RetainOnDelete: r.RetainOnDelete,
					CustomTimeouts: r.CustomTimeouts, Inputs: mocks.PlainMap(r.Inputs),
				})
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			path := filepath.Join(rendersDir, v.Name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(rendersDir, 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "no committed render; run with -update after reviewing the program")
			if !bytes.Equal(want, got) {
				var w rendered
				require.NoError(t, json.Unmarshal(want, &w))
				var g rendered
				require.NoError(t, json.Unmarshal(got, &g))
				assert.Equal(t, w.ConfigJSON, g.ConfigJSON, "config.json")
				assert.Equal(t, w.Values, g.Values, "Helm values")
				assert.Equal(t, w.Outputs, g.Outputs, "outputs")
				assert.Equal(t, w.Resources, g.Resources, "resources")
				t.Fatalf("%s differs from the program's render", path)
			}
		})
	}
}
