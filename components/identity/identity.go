// Package identity sets up the OpenID Connect login of zot's web UI: in
// authentik mode the OAuth2 provider and application in Authentik (the
// walk-through's manual steps, automated), in external mode the coordinates
// of any other provider.
package identity

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/identity/authentik"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:identity:Identity"

// Args configures Identity.
type Args struct {
	Settings spec.Identity
	// ExternalURL is the registry's validated externalUrl: the redirect URI
	// and the launch URL derive from it.
	ExternalURL string
	// Environment names the default client id zot-<environment>; default:
	// the stack.
	Environment string
	// ExternalClientSecret is the client secret in external mode.
	ExternalClientSecret pulumi.StringInput
}

// Client is the OpenID client zot uses.
type Client struct {
	pulumi.ResourceState

	Issuer       pulumi.StringOutput
	ClientID     pulumi.StringOutput
	ClientSecret pulumi.StringOutput // secret
	// SecretKnown: the program has the client secret (it made it, or
	// oidcClientSecret gave it); false for an external client whose secret
	// only the secret store holds.
	SecretKnown     bool
	ApplicationSlug pulumi.StringOutput // empty in external mode
	RedirectURI     pulumi.StringOutput

	// Serving lists what must exist before zot logs users in: in authentik
	// mode the application (it serves the issuer) and its group bindings.
	// Issuer is known from config alone, so zot's config.json is known at
	// the first preview; the release depends on these instead.
	Serving []pulumi.Resource
}

// Issuer is Authentik's per-provider issuer for an application slug.
func Issuer(authentikURL, slug string) string {
	return strings.TrimSuffix(authentikURL, "/") + "/application/o/" + slug + "/"
}

// NewClient creates the Authentik provider and application, or carries
// an external provider's coordinates.
func NewClient(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Client, error) {
	if args == nil || args.ExternalURL == "" {
		return nil, fmt.Errorf("identity %s: args with the registry's ExternalURL are required", name)
	}
	// Settings come validated and resolved (spec.Prepare: config.Load for
	// a stack, the component's inputs for the package).
	if !args.Settings.Resolved() {
		return nil, fmt.Errorf("identity %s: %w", name, spec.ErrUnresolved)
	}
	a := *args
	if a.Environment == "" {
		a.Environment = ctx.Stack()
	}
	args = &a
	c := &Client{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	redirect := layout.RedirectURI(args.ExternalURL)
	if !s.OpenID() {
		redirect = "" // no provider: nothing to register
	}
	c.RedirectURI = pulumi.String(redirect).ToStringOutput()
	c.ClientID = pulumi.String(s.ClientID).ToStringOutput()

	switch s.Mode {
	case spec.IdentityNone:
		// htpasswd users only: no provider, no client, no resource.
		c.Issuer = pulumi.String("").ToStringOutput()
		c.ClientSecret = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
		c.ApplicationSlug = pulumi.String("").ToStringOutput()
	case spec.IdentityExternal:
		c.Issuer = pulumi.String(s.Issuer).ToStringOutput()
		c.ClientSecret = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
		if args.ExternalClientSecret != nil { // else the secret store holds it
			c.ClientSecret = pulumi.ToSecret(args.ExternalClientSecret).(pulumi.StringOutput)
			c.SecretKnown = true
		}
		c.ApplicationSlug = pulumi.String("").ToStringOutput()
	case spec.IdentityAuthentik:
		if err := c.inAuthentik(ctx, name, s, args.ExternalURL, redirect); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("identity %s: unknown mode %q", name, s.Mode)
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"issuer":          c.Issuer,
		"clientId":        c.ClientID,
		"clientSecret":    c.ClientSecret,
		"applicationSlug": c.ApplicationSlug,
		"redirectUri":     c.RedirectURI,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// ClientSecretLength is the length of the generated OAuth2 client secret.
const ClientSecretLength = 64

func (c *Client) inAuthentik(ctx *pulumi.Context, name string, s spec.Identity, externalURL, redirect string) error {
	a := s.Authentik
	parent := pulumi.Parent(c)
	// The program makes the client secret and gives it to Authentik, so the
	// value zot gets is the one Authentik checks. Left to Authentik, the
	// secret would exist only in Authentik and the state, and zot would log
	// in with whatever the store held (invalid_client). Kept in state: it
	// changes only when this resource is replaced.
	secret, err := random.NewRandomPassword(ctx, name+"-client-secret", &random.RandomPasswordArgs{
		Length:  pulumi.Int(ClientSecretLength),
		Special: pulumi.Bool(false), // safe in JSON, URLs and form bodies
	}, parent)
	if err != nil {
		return err
	}
	clientSecret := pulumi.ToSecret(secret.Result).(pulumi.StringOutput)
	provider, err := authentik.NewOAuth2Provider(ctx, name, authentik.OAuth2ProviderArgs{
		Name:              a.ApplicationName,
		ClientID:          s.ClientID,
		ClientSecret:      clientSecret,
		RedirectURI:       redirect,
		AuthorizationFlow: authentik.FlowID(ctx, a.AuthorizationFlow, parent),
		InvalidationFlow:  authentik.FlowID(ctx, a.InvalidationFlow, parent),
		SigningKey:        authentik.SigningKeyID(ctx, a.SigningKey, parent),
		PropertyMappings: authentik.ScopeMappingIDs(ctx, []string{
			authentik.ScopeOpenID, authentik.ScopeEmail, authentik.ScopeProfile,
		}, parent),
		SubMode:              a.SubMode,
		AccessCodeValidity:   a.AccessCodeValidity,
		AccessTokenValidity:  a.AccessTokenValidity,
		RefreshTokenValidity: a.RefreshTokenValidity,
	}, parent)
	if err != nil {
		return err
	}
	app, err := authentik.NewApplication(ctx, name, authentik.ApplicationArgs{
		Name:       a.ApplicationName,
		Slug:       a.Slug,
		ProviderID: provider.ID,
		LaunchURL:  externalURL,
	}, parent)
	if err != nil {
		return err
	}
	// Without bindings every Authentik user may log in; zot's accessControl
	// still decides what they may do.
	c.Serving = []pulumi.Resource{app}
	for i, group := range a.Groups {
		binding, err := authentik.NewGroupBinding(ctx, fmt.Sprintf("%s-%s", name, group), app.Uuid,
			authentik.GroupID(ctx, group, parent), (i+1)*10, parent)
		if err != nil {
			return err
		}
		c.Serving = append(c.Serving, binding)
	}
	// Authentik serves the issuer at a path made of the slug, so it is known
	// from config: derived from the application's UUID it was unknown at a
	// new stack's preview, and with it all of config.json.
	c.Issuer = pulumi.String(Issuer(s.AuthentikURL.String(), a.Slug)).ToStringOutput()
	c.ClientSecret = clientSecret
	c.SecretKnown = true
	c.ApplicationSlug = pulumi.String(a.Slug).ToStringOutput()
	return nil
}
