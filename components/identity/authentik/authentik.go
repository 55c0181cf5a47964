// Package authentik is the one place that imports an Authentik Pulumi SDK.
// Today that is OSMIT's (github.com/OSMIT-GmbH/pulumi-authentik, matching
// Authentik's Terraform provider 2024.10.x; pulumi up downloads plugin
// authentik v2024.10.3 from OSMIT's releases). Moving to the SDK that
// `pulumi package add terraform-provider goauthentik/authentik` generates
// changes this file and nothing else.
package authentik

import (
	"strconv"

	ak "github.com/OSMIT-GmbH/pulumi-authentik/sdk/v2024/go/authentik"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type tokens, for tests and the render.
const (
	OAuth2ProviderType = "authentik:index/providerOauth2:ProviderOauth2"
	ApplicationType    = "authentik:index/application:Application"
	PolicyBindingType  = "authentik:index/policyBinding:PolicyBinding"
)

// Managed scope mappings Authentik ships; profile carries the groups claim.
var (
	ScopeOpenID  = "goauthentik.io/providers/oauth2/scope-openid"
	ScopeEmail   = "goauthentik.io/providers/oauth2/scope-email"
	ScopeProfile = "goauthentik.io/providers/oauth2/scope-profile"
)

// FlowID looks up a flow by slug.
func FlowID(ctx *pulumi.Context, slug string, opts ...pulumi.InvokeOption) pulumi.StringOutput {
	return ak.LookupFlowOutput(ctx, ak.LookupFlowOutputArgs{Slug: pulumi.String(slug)}, opts...).Id()
}

// SigningKeyID looks up a certificate-key pair by name without fetching the
// private key or certificate, so neither lands in the state.
func SigningKeyID(ctx *pulumi.Context, name string, opts ...pulumi.InvokeOption) pulumi.StringOutput {
	return ak.LookupCertificateKeyPairOutput(ctx, ak.LookupCertificateKeyPairOutputArgs{
		Name:             pulumi.String(name),
		FetchKey:         pulumi.Bool(false),
		FetchCertificate: pulumi.Bool(false),
	}, opts...).Id()
}

// ScopeMappingIDs looks up managed scope mappings by their managed names.
func ScopeMappingIDs(ctx *pulumi.Context, managed []string, opts ...pulumi.InvokeOption) pulumi.StringArrayOutput {
	return ak.LookupPropertyMappingProviderScopeOutput(ctx, ak.LookupPropertyMappingProviderScopeOutputArgs{
		ManagedLists: pulumi.ToStringArray(managed),
	}, opts...).Ids()
}

// GroupID looks up a group by name (without its member list).
func GroupID(ctx *pulumi.Context, name string, opts ...pulumi.InvokeOption) pulumi.StringOutput {
	return ak.LookupGroupOutput(ctx, ak.LookupGroupOutputArgs{
		Name:         pulumi.String(name),
		IncludeUsers: pulumi.Bool(false),
	}, opts...).Id()
}

// OAuth2ProviderArgs is what this program sets on an OAuth2/OpenID provider.
type OAuth2ProviderArgs struct {
	Name                 string
	ClientID             string
	ClientSecret         pulumi.StringInput // made by the program, so zot gets the same value
	RedirectURI          string             // the only one, matched strictly
	AuthorizationFlow    pulumi.StringInput
	InvalidationFlow     pulumi.StringInput
	SigningKey           pulumi.StringInput
	PropertyMappings     pulumi.StringArrayInput
	SubMode              string
	AccessCodeValidity   string
	AccessTokenValidity  string
	RefreshTokenValidity string
}

// OAuth2Provider is a created provider.
type OAuth2Provider struct {
	ID           pulumi.IntOutput    // Authentik's numeric pk
	ClientSecret pulumi.StringOutput // the secret Authentik holds; secret
}

// NewOAuth2Provider creates a confidential OAuth2 provider with exactly one
// strict redirect URI (strict matching is the fix for CVE-2024-52289).
func NewOAuth2Provider(ctx *pulumi.Context, name string, args OAuth2ProviderArgs, opts ...pulumi.ResourceOption) (*OAuth2Provider, error) {
	p, err := ak.NewProviderOauth2(ctx, name, &ak.ProviderOauth2Args{
		Name:              pulumi.String(args.Name),
		ClientId:          pulumi.String(args.ClientID),
		ClientSecret:      args.ClientSecret,
		ClientType:        pulumi.String("confidential"),
		AuthorizationFlow: args.AuthorizationFlow,
		InvalidationFlow:  args.InvalidationFlow,
		SigningKey:        args.SigningKey,
		PropertyMappings:  args.PropertyMappings,
		AllowedRedirectUris: pulumi.StringMapArray{pulumi.StringMap{
			"matching_mode": pulumi.String("strict"),
			"url":           pulumi.String(args.RedirectURI),
		}},
		IssuerMode:             pulumi.String("per_provider"),
		SubMode:                pulumi.String(args.SubMode),
		IncludeClaimsInIdToken: pulumi.Bool(true),
		AccessCodeValidity:     pulumi.String(args.AccessCodeValidity),
		AccessTokenValidity:    pulumi.String(args.AccessTokenValidity),
		RefreshTokenValidity:   pulumi.String(args.RefreshTokenValidity),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &OAuth2Provider{
		ID:           p.ID().ToStringOutput().ApplyT(strconv.Atoi).(pulumi.IntOutput),
		ClientSecret: pulumi.ToSecret(p.ClientSecret).(pulumi.StringOutput),
	}, nil
}

// ApplicationArgs is what this program sets on an application.
type ApplicationArgs struct {
	Name       string
	Slug       string
	ProviderID pulumi.IntInput
	LaunchURL  string
}

// NewApplication creates the application users see in Authentik. Policy
// bindings target its UUID; whatever needs the application to serve its
// issuer depends on the resource.
func NewApplication(ctx *pulumi.Context, name string, args ApplicationArgs, opts ...pulumi.ResourceOption) (*ak.Application, error) {
	app, err := ak.NewApplication(ctx, name, &ak.ApplicationArgs{
		Name:             pulumi.String(args.Name),
		Slug:             pulumi.String(args.Slug),
		ProtocolProvider: args.ProviderID,
		MetaLaunchUrl:    pulumi.String(args.LaunchURL),
		// Any one bound group lets a user in.
		PolicyEngineMode: pulumi.String("any"),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return app, nil
}

// NewGroupBinding lets members of a group use the application.
func NewGroupBinding(ctx *pulumi.Context, name string, application, group pulumi.StringInput, order int, opts ...pulumi.ResourceOption) (*ak.PolicyBinding, error) {
	return ak.NewPolicyBinding(ctx, name, &ak.PolicyBindingArgs{
		Target: application,
		Group:  group,
		Order:  pulumi.Int(order),
	}, opts...)
}
