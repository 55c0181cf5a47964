package layout_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/zot-registry/zot-registry/zot/layout"
)

func TestRedirectURI(t *testing.T) {
	for in, want := range map[string]string{
		"https://registry.example.com":       "https://registry.example.com/zot/auth/callback/oidc",
		"https://registry.example.com/":      "https://registry.example.com/zot/auth/callback/oidc",
		"https://registry.example.com:8443/": "https://registry.example.com:8443/zot/auth/callback/oidc",
	} {
		assert.Equal(t, want, layout.RedirectURI(in), in)
	}
}

func TestPaths(t *testing.T) {
	assert.Equal(t, "/secrets/htpasswd/htpasswd", layout.HtpasswdPath())
	assert.Equal(t, "/secrets/oidc/oidc-credentials.json", layout.OIDCCredentialsPath())
	assert.Equal(t, "/secrets/session/session-keys.json", layout.SessionKeysPath())
}
