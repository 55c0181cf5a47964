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
	for k, v := range objs {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		src.Values[spec.FullKey(k)] = string(b)
	}
	cfg, err := config.Parse("dev", src)
	require.NoError(t, err)
	return cfg
}
