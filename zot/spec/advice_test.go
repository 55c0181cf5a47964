package spec

import (
	"strings"
	"testing"
)

// TestIdentityAdviceNamesRefusedScopes: an external issuer known to refuse
// the default groups scope gets a warning naming the provider and the
// scopes to set; scopes without it, other providers and Authentik get none.
func TestIdentityAdviceNamesRefusedScopes(t *testing.T) {
	for _, c := range []struct {
		name, mode, issuer string
		scopes             []string
		want               string // "" for no advice
	}{
		{"google default scopes", IdentityExternal, "https://accounts.google.com", nil, "Google"},
		{"google without groups", IdentityExternal, "https://accounts.google.com", []string{"openid", "profile", "email"}, ""},
		{"entra", IdentityExternal, "https://login.microsoftonline.com/8f3c0000-0000-0000-0000-000000000000/v2.0", nil, "Entra ID"},
		{"okta custom server", IdentityExternal, "https://example.okta.com/oauth2/default", nil, "Okta"},
		{"okta org server", IdentityExternal, "https://example.okta.com", nil, ""},
		{"keycloak", IdentityExternal, "https://kc.example.com/realms/platform", nil, ""},
		{"dex", IdentityExternal, "https://dex.example.com/dex", nil, ""},
		{"authentik mode", IdentityAuthentik, "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := IdentityAdvice(Identity{Mode: c.mode, Issuer: c.issuer, Scopes: c.scopes})
			if c.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no advice, got %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Key != "zot-registry:identity.scopes" || !strings.Contains(got[0].Problem, c.want) || !strings.Contains(got[0].Fix, "[openid, profile, email]") {
				t.Fatalf("want one warning on identity.scopes naming %s, got %v", c.want, got)
			}
		})
	}
}
