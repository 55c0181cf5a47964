// Package testsupport is what the unit tests share, written once: a
// validated config built the way the program builds it (Parse), a
// component run under the recording mocks (Run), the one resource of a
// type (One). The type tokens are internal/mocks' constants.
package testsupport

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Objects is a minimal valid stack config; tests replace what they test.
func Objects() map[string]any {
	return map[string]any{
		"registry": map[string]any{"externalUrl": "https://registry.example.com", "externalProxy": true, "accessControl": map[string]any{"adminUsers": []any{"ci"}}},
		"storage":  map[string]any{"mode": "existing", "bucket": "zot"},
		"identity": map[string]any{"mode": "authentik"},
		"secrets":  map[string]any{"store": map[string]any{"name": "vault"}},
	}
}

// Parse validates Objects with the given top-level objects replaced. The
// source also holds the provider and secret keys the modes may need, stored
// as secrets where they must be.
func Parse(t testing.TB, replace map[string]any) *config.Config {
	t.Helper()
	objs := Objects()
	for k, v := range replace {
		objs[k] = v
	}
	src := source(objs)
	for k, v := range objs {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		src.Values[spec.FullKey(k)] = string(b)
	}
	cfg, err := config.Parse("dev", src)
	require.NoError(t, err)
	return cfg
}

// Prepare resolves stack dev's settings from Objects, as Go values that
// mutate changes, the way every entry point does (spec.Prepare): for tests
// that set settings the config cannot spell, or set many.
func Prepare(t testing.TB, mutate func(*spec.Settings)) *spec.Resolved {
	t.Helper()
	s := spec.Defaults("dev")
	sections := map[string]any{"registry": &s.Registry, "storage": &s.Storage, "identity": &s.Identity, "secrets": &s.Secrets}
	objs := Objects()
	for k, v := range objs {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, sections[k]))
	}
	if mutate != nil {
		mutate(&s)
	}
	r, errs := spec.Prepare(s, config.StackEnv{Source: source(map[string]any{"identity": map[string]any{"mode": s.Identity.Mode}})}, spec.StackConfig)
	require.Empty(t, errs)
	return r
}

// source holds the provider and secret keys the objects' modes may need,
// stored as secrets where they must be: the client secret unless identity
// mode none has no client.
func source(objs map[string]any) config.MapSource {
	src := config.MapSource{
		Values: map[string]string{
			spec.AuthentikURLKey:                    AuthentikURL,
			spec.AuthentikTokenKey:                  "t0k3n",
			spec.FullKey(spec.KeyOIDCClientSecret):  "external-s3cr3t",
			spec.FullKey(spec.KeyS3AccessKeyID):     "AKIACONFIG",
			spec.FullKey(spec.KeyS3SecretAccessKey): "config-s3cr3t",
		},
		Secrets: map[string]bool{
			spec.AuthentikTokenKey:                  true,
			spec.FullKey(spec.KeyOIDCClientSecret):  true,
			spec.FullKey(spec.KeyS3AccessKeyID):     true,
			spec.FullKey(spec.KeyS3SecretAccessKey): true,
		},
	}
	if id, _ := objs["identity"].(map[string]any); id["mode"] == spec.IdentityNone {
		delete(src.Values, spec.FullKey(spec.KeyOIDCClientSecret))
	}
	return src
}
