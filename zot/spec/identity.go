package spec

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// zot-registry:identity: the OpenID provider of the web UI.

// Identity modes.
const (
	IdentityAuthentik = "authentik" // the provider and application made in Authentik
	IdentityExternal  = "external"  // any OpenID provider managed elsewhere
	IdentityNone      = "none"      // no OpenID provider: htpasswd users only
)

// IdentityModes lists the modes.
var IdentityModes = []string{IdentityAuthentik, IdentityExternal, IdentityNone}

// OpenID reports whether zot logs users in with an OpenID provider.
func (id Identity) OpenID() bool { return id.Mode != IdentityNone }

// Identity is zot-registry:identity: the OpenID provider for the web UI.
type Identity struct {
	Mode     string   `json:"mode" pulumi:"mode,optional"`
	Issuer   string   `json:"issuer" pulumi:"issuer,optional"` // external mode
	ClientID string   `json:"clientId" pulumi:"clientId,optional"`
	Label    string   `json:"label" pulumi:"label,optional"`
	Scopes   []string `json:"scopes" pulumi:"scopes,optional"`
	// UsernameClaim is the ID token claim zot names an SSO user by, and so
	// the form of SSO entries in registry.accessControl.*Users.
	UsernameClaim string `json:"usernameClaim" pulumi:"usernameClaim,optional"`
	// GroupsClaim is the claim whose values are the user's groups, and so
	// the form of registry.accessControl.*Groups.
	GroupsClaim string    `json:"groupsClaim" pulumi:"groupsClaim,optional"`
	Authentik   Authentik `json:"authentik" pulumi:"authentik"`

	// Derived by Resolve; not config keys.
	AuthentikURL *url.URL `json:"-"` // from authentik:url
	// resolved: Resolve made this section (see Resolved).
	resolved bool
}

// Authentik configures the OAuth2 provider and application made in
// Authentik. The Authentik URL and token are the provider's own config,
// authentik:url and authentik:token.
type Authentik struct {
	Slug                 string   `json:"slug" pulumi:"slug,optional"`
	ApplicationName      string   `json:"applicationName" pulumi:"applicationName,optional"`
	AuthorizationFlow    string   `json:"authorizationFlow" pulumi:"authorizationFlow,optional"`
	InvalidationFlow     string   `json:"invalidationFlow" pulumi:"invalidationFlow,optional"`
	SigningKey           string   `json:"signingKey" pulumi:"signingKey,optional"`
	SubMode              string   `json:"subMode" pulumi:"subMode,optional"`
	AccessCodeValidity   string   `json:"accessCodeValidity" pulumi:"accessCodeValidity,optional"`
	AccessTokenValidity  string   `json:"accessTokenValidity" pulumi:"accessTokenValidity,optional"`
	RefreshTokenValidity string   `json:"refreshTokenValidity" pulumi:"refreshTokenValidity,optional"`
	Groups               []string `json:"groups" pulumi:"groups,optional"`
	AllowHTTP            bool     `json:"allowHttp" pulumi:"allowHttp,optional"` // labs only
}

// DefaultScopes are the scopes zot asks the OpenID provider for.
var DefaultScopes = []string{"openid", "profile", "email", "groups"}

var (
	// Authentik's slug field: letters, digits, '-' and '_'.
	authentikSlug = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)
	// Authentik's validity format: unit=amount pairs separated by ';'.
	authentikValidity = regexp.MustCompile(`^(weeks|days|hours|minutes|seconds|microseconds|milliseconds)=[0-9]+(\.[0-9]+)?(;(weeks|days|hours|minutes|seconds|microseconds|milliseconds)=[0-9]+(\.[0-9]+)?)*$`)
	subModes          = []string{"hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn"}
)

// fromStore says the secrets reach zot through ESO: with external mode the
// client secret may then be in the store alone.
func validateIdentity(id Identity, src Source, stack string, fromStore bool, c Collector) {
	if !validMode(c, id.Mode, IdentityModes, "identity") {
		return
	}
	if id.Mode == IdentityNone {
		validateNone(id, src, stack, c)
		return
	}
	if id.Mode == IdentityAuthentik {
		validateAuthentik(id, src, c)
	} else {
		validateExternal(id, src, fromStore, c)
	}
	if strings.TrimSpace(id.clientID(stack)) == "" {
		c.Add("clientId", "is empty", "set the OAuth2 client id (authentik mode defaults to zot-<stack>)")
	}
	if id.Label != "" && strings.TrimSpace(id.Label) == "" { // empty: the default (resolveIdentity)
		c.Add("label", "is empty", "name the login button, e.g. %q", DefaultOIDCLabel)
	}
	if id.Scopes == nil {
		id.Scopes = DefaultScopes // id is a copy
	}
	hasOpenID := false
	for i, s := range id.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			c.Add(fmt.Sprintf("scopes[%d]", i), fmt.Sprintf("%q is not a scope", s), "use one word per entry")
		}
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		c.Add("scopes", `does not include "openid", so the provider returns no ID token`, "add openid (default: %s)", strings.Join(DefaultScopes, " "))
	}
	switch claim := id.UsernameClaim; {
	case strings.TrimSpace(claim) == "" || strings.ContainsAny(claim, " \t"):
		c.Add("usernameClaim", fmt.Sprintf("%q is not a claim name", claim), "use email (default), preferred_username, sub or another claim of the ID token")
	case claimScope[claim] != "" && !slices.Contains(id.Scopes, claimScope[claim]):
		c.Add("usernameClaim", fmt.Sprintf("is %s, but scopes lack %q, so the ID token has no %s claim", claim, claimScope[claim], claim), "add %s to identity.scopes", claimScope[claim])
	}
	if claim := id.GroupsClaim; strings.TrimSpace(claim) == "" || strings.ContainsAny(claim, " \t") {
		c.Add("groupsClaim", fmt.Sprintf("%q is not a claim name", claim), "use groups (default), roles or the claim your provider's groups mapper writes")
	}
}

// clientID is the OAuth2 client id: as set, else zot-<stack> in authentik
// mode (the program makes the client there).
func (id Identity) clientID(stack string) string {
	if id.ClientID == "" && id.Mode == IdentityAuthentik {
		return "zot-" + stack
	}
	return id.ClientID
}

// claimScope is the standard scope that brings a standard claim (OpenID
// Connect Core 5.4).
var claimScope = map[string]string{"email": "email", "preferred_username": "profile", "name": "profile"}

// validateNone: without an OpenID provider every other identity setting
// would be ignored, so each one set is an error.
func validateNone(id Identity, src Source, stack string, c Collector) {
	d := Defaults(stack).Identity
	const fix = "remove it: identity mode none logs in with htpasswd users only (or use mode authentik or external)"
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"issuer", id.Issuer != ""},
		{"clientId", id.ClientID != ""},
		{"label", id.Label != ""},
		{"scopes", id.Scopes != nil},
		{"usernameClaim", id.UsernameClaim != d.UsernameClaim},
		{"groupsClaim", id.GroupsClaim != d.GroupsClaim},
		{"authentik", !reflect.DeepEqual(id.Authentik, d.Authentik)},
	} {
		if f.set {
			c.Add(f.field, "is set, but identity mode none has no OpenID provider", fix)
		}
	}
	c.unwanted(src, KeyOIDCClientSecret, "is set, but identity mode none has no OpenID client", "")
}

// validateGroupsNeedOpenID: groups come only from the OpenID groups
// claim, so without a provider a group in access control matches nobody.
func validateGroupsNeedOpenID(cfg *Settings, c Collector) {
	if cfg.Identity.OpenID() {
		return
	}
	r := cfg.Registry
	lists := []struct {
		field  string
		groups []string
	}{
		{"accessControl.adminGroups", r.AccessControl.AdminGroups},
		{"accessControl.readerGroups", r.AccessControl.ReaderGroups},
		{"mirrorReaders.groups", r.MirrorReaders.Groups},
	}
	for i, rule := range r.AccessControl.Repositories {
		for _, l := range rule.lists() {
			if !l.users {
				lists = append(lists, struct {
					field  string
					groups []string
				}{fmt.Sprintf("accessControl.repositories[%d].%s", i, l.field), l.names})
			}
		}
	}
	for _, l := range lists {
		if len(l.groups) > 0 {
			c.Add(l.field, "names groups, but identity mode none has no OpenID provider, and groups come only from its groups claim", "grant htpasswd users instead (secrets.users), or use identity mode authentik or external")
		}
	}
}

func validateExternal(id Identity, src Source, fromStore bool, c Collector) {
	const fix = "set it to the provider's issuer, e.g. https://keycloak.example.com/realms/platform"
	switch u, err := url.Parse(id.Issuer); {
	case id.Issuer == "":
		c.Add("issuer", "is missing; external mode takes the issuer from config", fix)
	case err != nil || u.Host == "":
		c.Add("issuer", fmt.Sprintf("%q is not an absolute URL", id.Issuer), fix)
	case u.Scheme != "https":
		c.Add("issuer", fmt.Sprintf("%q must use https; zot fetches its discovery document at start-up", id.Issuer), fix)
	case u.RawQuery != "" || u.Fragment != "":
		c.Add("issuer", fmt.Sprintf("%q has a query or fragment", id.Issuer), fix)
	}
	// Through ESO the store may hold it (remoteKeys.oidcClientSecret);
	// secrets mode kubernetes has no store to read it from.
	c.secret(src, KeyOIDCClientSecret, !fromStore, "external mode with secrets mode kubernetes needs the client secret (with ESO, the store may hold it instead)")
	a := id.Authentik
	if len(a.Groups) > 0 || a.AllowHTTP {
		c.Add("authentik", "is set, but external mode creates nothing in Authentik", "remove it, or use mode authentik")
	}
}

func validateAuthentik(id Identity, src Source, c Collector) {
	a := id.Authentik
	if id.Issuer != "" {
		c.Add("issuer", "is set, but authentik mode derives it from authentik:url and the slug", "remove it")
	}
	// The Authentik URL is the provider's own config key: one place for the
	// provider and the issuer.
	raw, _ := src.Config(AuthentikURLKey)
	urlErr := func(problem string) {
		*c.Errs = append(*c.Errs, &FieldError{Key: AuthentikURLKey, Problem: problem, Fix: "pulumi config set authentik:url https://auth.example.com"})
	}
	switch u, err := url.Parse(raw); {
	case raw == "":
		urlErr("is missing; identity mode authentik needs the Authentik URL")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		urlErr(fmt.Sprintf("%q is not an https URL", raw))
	case u.Scheme == "http" && !a.AllowHTTP:
		urlErr(fmt.Sprintf("%q uses http; tokens and client secrets would cross the network in clear", raw) + " (for a lab, set identity.authentik.allowHttp: true)")
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		urlErr(fmt.Sprintf("%q has a path or query; give the Authentik root URL", raw))
	}
	c.secret(src, AuthentikTokenKey, false, "")
	if !authentikSlug.MatchString(a.Slug) || len(a.Slug) > 50 {
		c.Add("authentik.slug", fmt.Sprintf("%q is not an Authentik slug", a.Slug), "use letters, digits, '-' and '_' (default %q)", DefaultSlug)
	}
	for field, v := range map[string]string{
		"authentik.applicationName":   a.ApplicationName,
		"authentik.authorizationFlow": a.AuthorizationFlow,
		"authentik.invalidationFlow":  a.InvalidationFlow,
		"authentik.signingKey":        a.SigningKey,
	} {
		if strings.TrimSpace(v) == "" {
			c.Add(field, "is empty", "name it, or remove the key for the default")
		}
	}
	oneOf(c, "authentik.subMode", a.SubMode, subModes)
	for field, v := range map[string]string{
		"authentik.accessCodeValidity":   a.AccessCodeValidity,
		"authentik.accessTokenValidity":  a.AccessTokenValidity,
		"authentik.refreshTokenValidity": a.RefreshTokenValidity,
	} {
		if !authentikValidity.MatchString(v) {
			c.Add(field, fmt.Sprintf("%q is not an Authentik duration", v), "use unit=amount pairs such as minutes=10 or days=30;hours=12")
		}
	}
	seen := map[string]bool{}
	for i, g := range a.Groups {
		field := fmt.Sprintf("authentik.groups[%d]", i)
		switch {
		case strings.TrimSpace(g) == "":
			c.Add(field, "is empty", "name an Authentik group, or remove the entry")
		case seen[g]:
			c.Add(field, fmt.Sprintf("%q is listed twice", g), "remove the duplicate")
		}
		seen[g] = true
	}
}

// identitySettings declare the settings whose fields this file holds (declare.go).
var identitySettings = []Setting{
	{Keys: []string{"identity.mode"}, Shown: "required",
		Doc: "`authentik`, `external` or `none` (htpasswd logins only; no other identity setting, and no group in `registry.accessControl` or `mirrorReaders`)."},
	{Keys: []string{"identity.clientId"}, Shown: "authentik: `zot-<stack>`; external: required",
		Doc: "OAuth2 client id."},
	{Keys: []string{"identity.label"}, Shown: "authentik: `Authentik`; external: `SSO`",
		Doc: "Text of zot's login button."},
	{Keys: []string{"identity.scopes"}, Shown: "`[openid, profile, email, groups]`",
		Doc: "Scopes zot asks for; must include `openid` ([per provider](identity.md#openid-providers))."},
	{Keys: []string{"identity.usernameClaim"}, Default: DefaultUsernameClaim,
		Doc: "The ID-token claim naming an SSO user in `registry.accessControl.*Users`, e.g. `preferred_username` or `sub`; the scopes must bring it (`email` needs `email`, `preferred_username` `profile`). In push mode every user entry must be an htpasswd user (`secrets.users`) or, with `email`, an email address."},
	{Keys: []string{"identity.groupsClaim"}, Default: DefaultGroupsClaim,
		Doc: "The claim (a list or one string) whose values `registry.accessControl.*Groups` name; Entra ID's `groups` are object ids ([Identity](identity.md#openid-providers))."},
	{Keys: []string{"identity.issuer"}, Shown: "external: required; authentik: derived, must be unset",
		Doc: "The provider's issuer (https). zot fetches its discovery document at start-up."},
	{Keys: []string{"identity.authentik.slug"}, Default: DefaultSlug,
		Doc: "Application slug (letters, digits, `-`, `_`); part of the issuer."},
	{Keys: []string{"identity.authentik.applicationName"}, Default: DefaultAppName,
		Doc: "Name of the provider and the application."},
	{Keys: []string{"identity.authentik.authorizationFlow"}, Default: DefaultAuthzFlow,
		Doc: "Slug of the authorization flow."},
	{Keys: []string{"identity.authentik.invalidationFlow"}, Default: DefaultInvalidFlow,
		Doc: "Slug of the invalidation (logout) flow."},
	{Keys: []string{"identity.authentik.signingKey"}, Default: DefaultSigningKey,
		Doc: "Name of the certificate-key pair that signs tokens."},
	{Keys: []string{"identity.authentik.subMode"}, Default: DefaultSubMode,
		Doc: "Subject claim: `hashed_user_id`, `user_id`, `user_uuid`, `user_username`, `user_email`, `user_upn`."},
	{Keys: []string{"identity.authentik.accessCodeValidity"}, Default: DefaultCodeValidity,
		Doc: "Authentik duration (`unit=amount;…`)."},
	{Keys: []string{"identity.authentik.accessTokenValidity"}, Default: DefaultTokenValidity,
		Doc: "Authentik duration."},
	{Keys: []string{"identity.authentik.refreshTokenValidity"}, Default: DefaultRefreshValidity,
		Doc: "Authentik duration."},
	{Keys: []string{"identity.authentik.groups"}, Shown: "`[]` (everyone)",
		Doc: "Authentik groups whose members may log in."},
	{Keys: []string{"identity.authentik.allowHttp"},
		Doc: "Accept an `http://` `authentik:url` (labs only)."},
}

// scopeRefusals are OpenID providers known by their issuer to refuse a
// scope they do not define: the authorization request fails and no one
// can log in. Advice, not an error: a provider may have been set up to
// define it.
var scopeRefusals = []struct {
	name  string
	match func(*url.URL) bool
	scope string
	why   string
}{
	{"Google", hostIs("accounts.google.com"), "groups", "Google answers invalid_scope and has no groups claim; grant SSO users by email in registry.accessControl.*Users"},
	{"Entra ID", hostSuffix("login.microsoftonline.com", "login.microsoftonline.us"), "groups", "it is not an Entra ID scope; groups come from the app's token configuration (groups claim with object ids, or app roles with identity.groupsClaim: roles)"},
	{"an Okta custom authorization server", func(u *url.URL) bool {
		return hostSuffix(".okta.com", ".oktapreview.com", ".okta-emea.com")(u) && strings.HasPrefix(u.Path, "/oauth2/")
	}, "groups", "a custom authorization server defines no groups scope unless one is added; add it with a groups claim, or drop it and put the groups claim in every ID token"},
}

func hostIs(h string) func(*url.URL) bool {
	return func(u *url.URL) bool { return strings.EqualFold(u.Hostname(), h) }
}

func hostSuffix(suffixes ...string) func(*url.URL) bool {
	return func(u *url.URL) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(strings.ToLower(u.Hostname()), s) {
				return true
			}
		}
		return false
	}
}

// IdentityAdvice warns where identity.scopes asks the external provider
// for a scope it is known to refuse (docs/identity.md, "OpenID
// providers"); keys are the stack's.
func IdentityAdvice(id Identity) []FieldError {
	u, err := url.Parse(id.Issuer)
	if id.Mode != IdentityExternal || err != nil {
		return nil
	}
	scopes := id.Scopes
	if scopes == nil {
		scopes = DefaultScopes
	}
	var out []FieldError
	for _, r := range scopeRefusals {
		if r.match(u) && slices.Contains(scopes, r.scope) {
			out = append(out, FieldError{Key: FullKey(KeyIdentity) + ".scopes",
				Problem: fmt.Sprintf("asks %s for %q: %s", r.name, r.scope, r.why),
				Fix:     fmt.Sprintf("set identity.scopes without %s, e.g. [openid, profile, email]", r.scope)})
		}
	}
	return out
}
