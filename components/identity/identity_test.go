package identity_test

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/identity"
	"github.com/zot-registry/zot-registry/components/identity/authentik"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// parse validates an identity object (and externalUrl) as the program does.
func parse(t *testing.T, externalURL string, identityObj map[string]any) *config.Config {
	t.Helper()
	return testsupport.Parse(t, map[string]any{
		"registry": map[string]any{"externalUrl": externalURL, "externalProxy": true, "accessControl": map[string]any{"adminUsers": []any{"ci"}}},
		"identity": identityObj,
	})
}

type result struct {
	rec    *mocks.Recorder
	out    map[string]string
	secret map[string]bool
}

// run declares the component; clientSecret is the external client
// secret's input (external mode makes its own; nil is none).
func run(t *testing.T, cfg *config.Config, clientSecret pulumi.StringInput) result {
	t.Helper()
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		secret := clientSecret
		if cfg.Identity.Mode == spec.IdentityExternal {
			secret = pulumi.ToSecret(pulumi.String("external-s3cr3t")).(pulumi.StringOutput)
		}
		c, err := identity.NewClient(ctx, "zot-registry", &identity.Args{
			Settings: cfg.Identity, ExternalURL: cfg.Registry.ExternalURL, ExternalClientSecret: secret,
		})
		if err != nil {
			return nil, err
		}
		return map[string]pulumi.Output{
			"issuer": c.Issuer, "clientId": c.ClientID, "clientSecret": c.ClientSecret,
			"slug": c.ApplicationSlug, "redirect": c.RedirectURI,
		}, nil
	})
	out := map[string]string{}
	for k, v := range r.Outputs {
		out[k] = v.(string)
	}
	return result{r.Rec, out, r.Secret}
}

func one(t *testing.T, rec *mocks.Recorder, typ string) map[string]any {
	t.Helper()
	r := testsupport.One(t, rec, typ)
	p, ok := rec.ParentOf(r)
	require.True(t, ok)
	assert.Equal(t, identity.Type, p.Type, "%s is the component's child", typ)
	return mocks.PlainMap(r.Inputs)
}

// lookup returns the stand-in ID the mocks answered for an invoke.
func lookup(t *testing.T, rec *mocks.Recorder, token, argKey, argValue string) any {
	t.Helper()
	for _, c := range rec.Invokes() {
		if c.Token == token && mocks.PlainMap(c.Args)[argKey] == argValue {
			return mocks.PlainMap(c.Result)["id"]
		}
	}
	t.Fatalf("no %s lookup with %s=%s", token, argKey, argValue)
	return nil
}

func TestStrictRedirectURIForEveryExternalURLForm(t *testing.T) {
	for in, want := range map[string]string{
		"https://registry.example.com":       "https://registry.example.com/zot/auth/callback/oidc",
		"https://registry.example.com/":      "https://registry.example.com/zot/auth/callback/oidc",
		"https://registry.example.com:8443":  "https://registry.example.com:8443/zot/auth/callback/oidc",
		"https://REGISTRY.example.com:8443/": "https://registry.example.com:8443/zot/auth/callback/oidc",
	} {
		t.Run(in, func(t *testing.T) {
			r := run(t, parse(t, in, map[string]any{"mode": "authentik"}), pulumi.StringOutput{})
			p := one(t, r.rec, authentik.OAuth2ProviderType)
			assert.Equal(t, []any{map[string]any{"matching_mode": "strict", "url": want}}, p["allowedRedirectUris"], "exactly one, strict")
			assert.Equal(t, want, r.out["redirect"])
			u, err := url.Parse(want)
			require.NoError(t, err)
			assert.Empty(t, u.RawQuery+u.Fragment)
		})
	}
}

func TestAuthentikMode(t *testing.T) {
	cfg := parse(t, "https://registry.dev.example.com", map[string]any{
		"mode": "authentik",
		"authentik": map[string]any{
			"slug": "zot-dev", "applicationName": "Zot (dev)", "groups": []any{"registry-admins", "developers"},
			"subMode": "user_email", "accessTokenValidity": "minutes=5",
		},
	})
	r := run(t, cfg, pulumi.StringOutput{})
	rec := r.rec

	p := one(t, rec, authentik.OAuth2ProviderType)
	assert.Equal(t, "confidential", p["clientType"])
	assert.Equal(t, "zot-dev", p["clientId"], "zot-<stack> by default")
	assert.Equal(t, "Zot (dev)", p["name"])
	assert.Equal(t, "per_provider", p["issuerMode"])
	assert.Equal(t, "user_email", p["subMode"])
	assert.Equal(t, "minutes=5", p["accessTokenValidity"])
	// The program generates the client secret and gives it to Authentik, so
	// the value pushed for zot is the one Authentik checks.
	pw, ok := rec.Find(mocks.RandomPasswordType, "zot-registry-client-secret")
	require.True(t, ok)
	assert.Equal(t, float64(identity.ClientSecretLength), mocks.PlainMap(pw.Inputs)["length"])
	assert.Equal(t, false, mocks.PlainMap(pw.Inputs)["special"], "JSON- and URL-safe")
	generated := mocks.Revealed(pw.State["result"])
	assert.Equal(t, generated, mocks.Revealed(rec.ByType(authentik.OAuth2ProviderType)[0].Inputs["clientSecret"]), "Authentik gets the generated secret")
	assert.Equal(t, mocks.SecretMarker, p["clientSecret"], "and it stays secret in the inputs")
	assert.Equal(t, lookup(t, rec, "authentik:index/getFlow:getFlow", "slug", "default-provider-authorization-implicit-consent"), p["authorizationFlow"])
	assert.Equal(t, lookup(t, rec, "authentik:index/getFlow:getFlow", "slug", "default-provider-invalidation-flow"), p["invalidationFlow"])
	assert.Equal(t, lookup(t, rec, "authentik:index/getCertificateKeyPair:getCertificateKeyPair", "name", "authentik Self-signed Certificate"), p["signingKey"])
	for _, c := range rec.Invokes() {
		if strings.HasSuffix(c.Token, "getCertificateKeyPair") {
			args := mocks.PlainMap(c.Args)
			assert.Equal(t, false, args["fetchKey"], "the private key stays out of the state")
			assert.Equal(t, false, args["fetchCertificate"])
		}
	}

	// openid, email and profile (profile carries groups).
	var scopes []any
	for _, c := range rec.Invokes() {
		if strings.HasSuffix(c.Token, "getPropertyMappingProviderScope") {
			assert.ElementsMatch(t, []any{authentik.ScopeOpenID, authentik.ScopeEmail, authentik.ScopeProfile}, mocks.PlainMap(c.Args)["managedLists"])
			scopes = mocks.PlainMap(c.Result)["ids"].([]any)
		}
	}
	require.Len(t, scopes, 3)
	assert.Equal(t, scopes, p["propertyMappings"])

	app := one(t, rec, authentik.ApplicationType)
	assert.Equal(t, "zot-dev", app["slug"])
	assert.Equal(t, "Zot (dev)", app["name"])
	assert.Equal(t, "https://registry.dev.example.com", app["metaLaunchUrl"])
	provID, err := strconv.Atoi(rec.ByType(authentik.OAuth2ProviderType)[0].ID)
	require.NoError(t, err)
	assert.Equal(t, float64(provID), app["protocolProvider"], "bound to the provider's numeric id")

	// One binding per group, on the application, each with its own order.
	bindings := rec.ByType(authentik.PolicyBindingType)
	require.Len(t, bindings, 2)
	appUUID := mocks.Plain(rec.ByType(authentik.ApplicationType)[0].State["uuid"])
	var groups []any
	orders := map[float64]bool{}
	for _, b := range bindings {
		in := mocks.PlainMap(b.Inputs)
		assert.Equal(t, appUUID, in["target"], "the binding is on the application")
		groups = append(groups, in["group"])
		orders[in["order"].(float64)] = true
	}
	assert.ElementsMatch(t, []any{
		lookup(t, rec, "authentik:index/getGroup:getGroup", "name", "registry-admins"),
		lookup(t, rec, "authentik:index/getGroup:getGroup", "name", "developers"),
	}, groups)
	assert.Len(t, orders, 2)

	assert.Equal(t, "https://auth.example.com/application/o/zot-dev/", r.out["issuer"])
	assert.Equal(t, "zot-dev", r.out["slug"])
	assert.Equal(t, "zot-dev", r.out["clientId"])
	assert.Equal(t, generated, r.out["clientSecret"], "zot's client secret is the generated one")
	assert.True(t, r.secret["clientSecret"], "the client secret is a secret")
	assert.False(t, r.secret["issuer"])
	assert.False(t, r.secret["clientId"])
}

func TestNoGroupsMeansNoBindings(t *testing.T) {
	r := run(t, parse(t, "https://r.example.com", map[string]any{"mode": "authentik"}), pulumi.StringOutput{})
	assert.Empty(t, r.rec.ByType(authentik.PolicyBindingType), "every Authentik user may log in")
}

func TestExternalModeCreatesNothingInAuthentik(t *testing.T) {
	cfg := parse(t, "https://r.example.com", map[string]any{"mode": "external", "issuer": "https://kc.example.com/realms/platform", "clientId": "zot", "label": "Keycloak"})
	r := run(t, cfg, pulumi.StringOutput{})
	var types []string
	for _, res := range r.rec.Resources() {
		if res.Custom {
			types = append(types, res.Type)
		}
	}
	sort.Strings(types)
	for _, typ := range types {
		assert.False(t, strings.HasPrefix(typ, "authentik:"), "external mode registered %s", typ)
		assert.NotEqual(t, "pulumi:providers:authentik", typ)
	}
	assert.Empty(t, r.rec.Invokes(), "no Authentik lookups either")
	assert.Equal(t, "https://kc.example.com/realms/platform", r.out["issuer"])
	assert.Equal(t, "zot", r.out["clientId"])
	assert.Equal(t, "external-s3cr3t", r.out["clientSecret"])
	assert.True(t, r.secret["clientSecret"])
	assert.Equal(t, "https://r.example.com/zot/auth/callback/oidc", r.out["redirect"])
}

func TestIssuer(t *testing.T) {
	assert.Equal(t, "https://auth.example.com/application/o/zot/", identity.Issuer("https://auth.example.com", "zot"))
	assert.Equal(t, "https://auth.example.com/application/o/zot/", identity.Issuer("https://auth.example.com/", "zot"))
}

// TestNoneModeCreatesNothing: identity mode none registers no resource,
// looks nothing up, and publishes no issuer, client or redirect URI.
func TestNoneModeCreatesNothing(t *testing.T) {
	cfg := testsupport.Parse(t, map[string]any{"identity": map[string]any{"mode": "none"}})
	r := run(t, cfg, nil)
	for _, res := range r.rec.Resources() {
		assert.False(t, res.Custom, "mode none registered %s", res.Type)
	}
	assert.Empty(t, r.rec.Invokes())
	for _, k := range []string{"issuer", "clientId", "clientSecret", "redirect", "slug"} {
		assert.Empty(t, r.out[k], k)
	}
	assert.True(t, r.secret["clientSecret"], "an empty secret is still a secret")
}
