package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/policy"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

// project writes a project folder with the repository's Pulumi.yaml and
// the given stack files.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), b, 0o644))
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+name+".yaml"), []byte(content), 0o644))
	}
	return dir
}

// fixture is a fixture stack file (tests/stacks), the base the copies
// below start from, so editing the project's examples changes no case.
func fixture(t *testing.T, stack string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, stacks.FixtureDir, "Pulumi."+stack+".yaml"))
	require.NoError(t, err)
	return string(b)
}

// TestStacksApart: a new environment copied from prod must change what prod
// owns; copied unchanged, the check names both stacks and every shared value.
func TestStacksApart(t *testing.T) {
	prod := fixture(t, "prod")
	cases := []struct {
		name    string
		staging string
		shared  []string // the values the violations must name
	}{
		{"every unique value changed", strings.ReplaceAll(prod, "prod", "staging"), nil},
		{"copied unchanged", prod, []string{
			`bucket "example-zot-registry-prod" on AWS S3`,
			"remote key zot-prod-htpasswd",
			`Authentik slug "zot-prod" at https://auth.example.com`,
			`client id "zot-prod" at https://auth.example.com`,
			"Pod Identity association of ServiceAccount zot/zot in EKS cluster platform-prod (eu-central-1)",
			"release zot/zot in Kubernetes context prod",
		}},
		{"another context, same EKS cluster", strings.ReplaceAll(strings.ReplaceAll(prod, "prod", "staging"), "eksCluster: platform-staging", "eksCluster: platform-prod"),
			[]string{"Pod Identity association of ServiceAccount zot/zot in EKS cluster platform-prod (eu-central-1)"}},
		{"only the bucket kept", strings.ReplaceAll(strings.ReplaceAll(prod, "prod", "staging"), "example-zot-registry-staging", "example-zot-registry-prod"),
			[]string{`bucket "example-zot-registry-prod" on AWS S3`}},
		{"another context, same namespace and release", strings.ReplaceAll(strings.ReplaceAll(prod, "prod", "staging"), "kubernetes:context: staging", "kubernetes:context: prod"),
			[]string{"release zot/zot in Kubernetes context prod"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loaded, skipped, err := policy.LoadStacks(project(t, map[string]string{"prod": prod, "staging": tc.staging}))
			require.NoError(t, err)
			require.Empty(t, skipped, "both configs are valid")
			vs := policy.Collisions(loaded)
			if tc.shared == nil {
				assert.Empty(t, vs)
				return
			}
			for _, want := range tc.shared {
				found := false
				for _, v := range vs {
					found = found || (v.Rule == policy.StacksApart && v.Resource == "stacks prod and staging" && strings.Contains(v.Message, want))
				}
				assert.True(t, found, "want a violation naming %s; got %v", want, vs)
			}
			if len(tc.shared) == 1 {
				assert.Len(t, vs, 1, "only what is shared: %v", vs)
			}
			assert.Equal(t, vs, policy.Involving(vs, "staging"))
			assert.Equal(t, vs, policy.Involving(vs, "prod"))
			assert.Empty(t, policy.Involving(vs, "dev"))
		})
	}
}

// TestStacksApartOnlyWhatCanBeCompared: what lives in a cluster is
// compared only when both stacks name their Kubernetes context (a per-stack
// KUBECONFIG picks the cluster otherwise), and every pair of three stacks
// that share a value is named.
func TestStacksApartOnlyWhatCanBeCompared(t *testing.T) {
	dev := fixture(t, "dev")
	noContext := strings.ReplaceAll(dev, "  kubernetes:context: dev\n", "")
	require.NotEqual(t, dev, noContext)
	other := func(s, name string) string {
		return strings.NewReplacer("zot-dev", "zot-"+name, "slug: zot\n", "slug: zot-"+name+"\n", "zot-rustfs-", "zot-"+name+"-rustfs-").Replace(s)
	}

	loaded, skipped, err := policy.LoadStacks(project(t, map[string]string{"a": other(noContext, "a"), "b": other(noContext, "b")}))
	require.NoError(t, err)
	require.Empty(t, skipped)
	for _, v := range policy.Collisions(loaded) {
		assert.NotContains(t, v.Message, "release", "no context: the clusters are unknown")
		assert.NotContains(t, v.Message, "bucket", "an in-cluster endpoint names a store per cluster")
	}

	loaded, _, err = policy.LoadStacks(project(t, map[string]string{"a": dev, "b": dev, "c": dev}))
	require.NoError(t, err)
	pairs := map[string]bool{}
	for _, v := range policy.Collisions(loaded) {
		if strings.Contains(v.Message, "release zot/zot") {
			pairs[v.Resource] = true
		}
	}
	assert.Equal(t, map[string]bool{"stacks a and b": true, "stacks a and c": true, "stacks b and c": true}, pairs)

	// A broken file of another stack is left out, not fatal.
	loaded, skipped, err = policy.LoadStacks(project(t, map[string]string{"a": dev, "b": "config: [\n"}))
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, skipped)
	assert.Len(t, loaded, 1)
}

// TestExampleStacksApart: the project's own stacks, whatever they are,
// share nothing.
func TestExampleStacksApart(t *testing.T) {
	examples, skipped, err := policy.LoadStacks(root)
	require.NoError(t, err)
	require.Empty(t, skipped)
	assert.Empty(t, policy.Collisions(examples))
}
