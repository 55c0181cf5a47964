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

func TestReloadsMountedHtpasswd(t *testing.T) {
	for tag, want := range map[string]bool{
		"v2.1.20":     false, // the stacks' pin: restart for a new robot
		"v2.1.19":     false,
		"v2.1.21":     true,
		"2.1.21":      true,
		"v2.2.0":      true,
		"v3.0.0":      true,
		"v2.1.21-rc1": false, // a prerelease may predate the fix
		"latest":      false,
		"":            false,
		"sha256:0123": false,
	} {
		if got := layout.ReloadsMountedHtpasswd(tag); got != want {
			t.Errorf("ReloadsMountedHtpasswd(%q) = %v, want %v", tag, got, want)
		}
	}
}
