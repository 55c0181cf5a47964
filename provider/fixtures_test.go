package main

import (
	"encoding/json"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// stackInputs are a stack's config as the component's inputs: each
// section's value as written, each secret key as a secret input, and the
// other providers' keys (authentik:url) as the program's config.
func stackInputs(t *testing.T, sc *render.StackConfig) (property.Map, map[pconfig.Key]string) {
	t.Helper()
	in := map[string]property.Value{}
	for _, section := range spec.Keys {
		raw, ok := sc.Values[spec.FullKey(section)]
		if !ok {
			continue
		}
		var v any
		require.NoError(t, json.Unmarshal([]byte(raw), &v), section)
		in[section] = resource.FromResourcePropertyValue(resource.NewPropertyValue(v))
	}
	for _, key := range spec.SecretKeys {
		if v, ok := sc.Values[spec.FullKey(key)]; ok {
			in[key] = property.New(v).WithSecret(true)
		}
	}
	cfg := map[pconfig.Key]string{}
	for k, v := range sc.Values {
		if key := pconfig.MustParseKey(k); key.Namespace() != spec.Project {
			cfg[key] = v
		}
	}
	return property.NewMap(in), cfg
}

// TestInputsTakeWhatAStackTakes: each stack file's config, given to the
// package as inputs (remote keys and users in their short forms, defaults
// left out as in the file), makes byte for byte the config.json and Helm
// values the stack program renders for it.
func TestInputsTakeWhatAStackTakes(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			want, err := render.Evaluate("..", stack)
			require.NoError(t, err)
			sc, err := render.LoadStackConfig("..", stack)
			require.NoError(t, err)
			in, cfg := stackInputs(t, sc)

			rec := mocks.New("consumer", stack)
			_, err = server(t, rec).Construct(p.ConstructRequest{
				Urn:    resource.NewURN(tokens.QName(stack), "consumer", "", components.RegistryType, "zot"),
				Config: cfg,
				Inputs: in,
			})
			require.NoError(t, err, "the stack's config is valid input")
			releases := rec.ByType(mocks.ReleaseType)
			require.Len(t, releases, 1)
			values := mocks.PlainMap(releases[0].Inputs)["values"].(map[string]any)
			files := values["configFiles"].(map[string]any)
			assert.Equal(t, want.ConfigJSON, files[layout.ConfigFile], "config.json")
			wantValues, err := json.MarshalIndent(want.Values, "", "  ")
			require.NoError(t, err)
			gotValues, err := json.MarshalIndent(values, "", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(wantValues), string(gotValues), "the Helm values")
		})
	}
}

// TestShortForms: what a stack's config may write in short is written out
// for the schema's types, keeping a secret mark.
func TestShortForms(t *testing.T) {
	val := func(v any) property.Value { return resource.FromResourcePropertyValue(resource.NewPropertyValue(v)) }
	secrets := shortForms(spec.KeySecrets, val(map[string]any{
		"users":      []any{"ci", map[string]any{"name": "puller", "role": "pull"}},
		"remoteKeys": map[string]any{"htpasswd": "zot-htpasswd", "oidcClientId": map[string]any{"key": "k", "property": "p"}},
	}))
	assert.Equal(t, val(map[string]any{
		"users":      []any{map[string]any{"name": "ci"}, map[string]any{"name": "puller", "role": "pull"}},
		"remoteKeys": map[string]any{"htpasswd": map[string]any{"key": "zot-htpasswd"}, "oidcClientId": map[string]any{"key": "k", "property": "p"}},
	}), secrets)
	registry := shortForms(spec.KeyRegistry, val(map[string]any{
		"mirrors": []any{map[string]any{"name": "hub", "credentials": map[string]any{"username": "hub-user", "password": "hub-token"}}},
	}))
	assert.Equal(t, val(map[string]any{
		"mirrors": []any{map[string]any{"name": "hub", "credentials": map[string]any{
			"username": map[string]any{"key": "hub-user"}, "password": map[string]any{"key": "hub-token"}}}},
	}), registry)
	hidden := property.New("zot-htpasswd").WithSecret(true)
	kept := shortForms(spec.KeySecrets, property.New(property.NewMap(map[string]property.Value{
		"remoteKeys": property.New(property.NewMap(map[string]property.Value{"htpasswd": hidden})),
	})))
	assert.True(t, kept.AsMap().Get("remoteKeys").AsMap().Get("htpasswd").AsMap().Get("key").Secret(), "a secret key name stays secret")
}
