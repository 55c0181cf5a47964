// Package program is the Pulumi program: load config, wire the components,
// export the outputs. main.go runs it under `pulumi up`; cmd/render runs the
// very same function under mocks, so what a review sees is what deploys.
package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/namespace"
	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/outputs"
)

// Run is the pulumi.RunFunc.
func Run(ctx *pulumi.Context) error {
	_, err := Apply(ctx)
	return err
}

// Apply runs the program and returns its typed outputs (already exported).
// Config errors are returned before any resource is registered.
func Apply(ctx *pulumi.Context) (*outputs.Stack, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	return Deploy(ctx, cfg)
}

// Deploy wires the components for a validated config.
func Deploy(ctx *pulumi.Context, cfg *config.Config) (*outputs.Stack, error) {
	r := cfg.Registry

	ns, err := namespace.NewNamespace(ctx, r.Namespace, &namespace.Args{
		Name:   r.Namespace,
		Create: r.CreateNamespace,
	})
	if err != nil {
		return nil, err
	}

	// Storage, identity and secrets come from config in the shape their
	// components will output; those components replace these literals.
	st := cfg.Storage
	reg, err := registry.NewRegistry(ctx, r.ReleaseName, &registry.Args{
		Namespace: ns.Name,
		Settings:  r,
		Storage: registry.Storage{
			Bucket:         pulumi.String(st.Bucket),
			Region:         pulumi.String(st.Region),
			RegionEndpoint: pulumi.String(st.RegionEndpoint),
			Secure:         pulumi.Bool(st.Secure),
			ForcePathStyle: pulumi.Bool(*st.ForcePathStyle),
			SkipVerify:     pulumi.Bool(st.SkipVerify),
			KeyPrefix:      pulumi.String(st.KeyPrefix),
		},
		Identity: registry.Identity{
			Issuer: pulumi.String(cfg.Identity.Issuer),
			Label:  cfg.Identity.Label,
			Scopes: cfg.Identity.Scopes,
		},
		Secrets: registry.SecretNames{
			OIDC:     cfg.Secrets.OIDCSecretName,
			Htpasswd: cfg.Secrets.HtpasswdSecretName,
			S3:       cfg.Secrets.S3SecretName,
		},
	}, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, err
	}

	out := &outputs.Stack{
		RegistryURL:  reg.RegistryURL,
		RegistryHost: reg.RegistryHost,
		Namespace:    reg.Namespace,
		ReleaseName:  reg.ReleaseName,
		ServiceName:  reg.ServiceName,
		ServiceDNS:   reg.ServiceDNS,
		ChartVersion: reg.ChartVersion,
		ImageTag:     reg.ImageTag,
		Bucket:       pulumi.String(st.Bucket).ToStringOutput(),
		S3Endpoint:   pulumi.String(st.RegionEndpoint).ToStringOutput(),
		OIDCIssuer:   pulumi.String(cfg.Identity.Issuer).ToStringOutput(),
		OIDCClientID: pulumi.String(cfg.Identity.ClientID).ToStringOutput(),
	}
	out.Export(ctx)
	return out, nil
}
