package spec

import (
	"testing"
)

// env is a Source over maps: other packages' config, and the secret values
// given (true: as a secret).
type env struct {
	config  map[string]string
	secrets map[string]bool
}

func (e env) Config(k string) (string, bool) { v, ok := e.config[k]; return v, ok }
func (e env) Secret(k string) (bool, bool)   { s, ok := e.secrets[k]; return ok, s }

// TestErrorsInTheCallersWords: one validation keys its problems as a
// stack's config keys or as the component package's input paths, and says
// how to give or remove a secret value in the same words; another
// package's config key (authentik:token) is config in both.
func TestErrorsInTheCallersWords(t *testing.T) {
	s := Defaults("dev")
	s.Registry.ExternalURL, s.Registry.ExternalProxy = "https://registry.example.com", true
	s.Registry.AccessControl.AdminUsers = []string{"ci"}
	s.Storage.Mode, s.Storage.Bucket = StorageExisting, "zot"
	s.Secrets.Store.Name = "vault"

	external := s
	external.Identity.Mode, external.Identity.Issuer, external.Identity.ClientID = IdentityExternal, "https://idp.example.com", "zot"
	// Without ESO the client secret has no store to come from.
	noStore := external
	noStore.Secrets.Mode, noStore.Secrets.Store = SecretsKubernetes, Defaults("dev").Secrets.Store
	noStore.Secrets.Users = Users{{Name: "ci"}}
	keys := map[string]bool{KeyS3AccessKeyID: true, KeyS3SecretAccessKey: true}
	none := s
	none.Identity.Mode = IdentityNone
	authentik := s
	authentik.Identity.Mode = IdentityAuthentik
	authentikEnv := env{config: map[string]string{AuthentikURLKey: "https://auth.example.com"}, secrets: map[string]bool{AuthentikTokenKey: false}}

	for _, tc := range []struct {
		name     string
		settings Settings
		env      env
		words    Vocabulary
		want     string
	}{
		{"missing, stack", noStore, env{secrets: keys}, StackConfig,
			"config zot-registry:oidcClientSecret: is missing; external mode with secrets mode kubernetes needs the client secret (with ESO, the store may hold it instead); pulumi config set --secret oidcClientSecret <value>"},
		{"missing, inputs", noStore, env{secrets: keys}, ComponentInputs,
			"config oidcClientSecret: is missing; external mode with secrets mode kubernetes needs the client secret (with ESO, the store may hold it instead); set the oidcClientSecret input (a secret)"},
		{"unwanted, stack", none, env{secrets: map[string]bool{KeyOIDCClientSecret: true}}, StackConfig,
			"config zot-registry:oidcClientSecret: is set, but identity mode none has no OpenID client; remove it (pulumi config rm oidcClientSecret)"},
		{"unwanted, inputs", none, env{secrets: map[string]bool{KeyOIDCClientSecret: true}}, ComponentInputs,
			"config oidcClientSecret: is set, but identity mode none has no OpenID client; remove it (leave the oidcClientSecret input unset)"},
		{"plain, stack", external, env{secrets: map[string]bool{KeyOIDCClientSecret: false}}, StackConfig,
			"config zot-registry:oidcClientSecret: is stored in plain text; set it again with pulumi config set --secret oidcClientSecret <value>"},
		{"another package's key, inputs", authentik, authentikEnv, ComponentInputs,
			"config authentik:token: is stored in plain text; set it again with pulumi config set --secret authentik:token <value>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.settings, tc.env, tc.words)
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Errorf("got %v\nwant %s", errs, tc.want)
			}
		})
	}
}
