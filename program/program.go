// Package program is the Pulumi program: load config, wire the components,
// export the outputs. main.go runs it under `pulumi up`; cmd/render runs the
// very same function under mocks, so what a review sees is what deploys.
package program

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/identity"
	"github.com/zot-registry/zot-registry/components/namespace"
	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/components/secrets"
	"github.com/zot-registry/zot-registry/components/storage"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Run is the pulumi.RunFunc.
func Run(ctx *pulumi.Context) error {
	_, err := Apply(ctx)
	return err
}

// ErrReported is what Main returns once it has logged the program's error.
var ErrReported = errors.New("zot-registry: the error above stopped the program")

// Main is Run as `pulumi up` runs it (main.go): the error is logged once, as
// the plain text Message makes of it. pulumi.Run would log it inside "an
// unhandled error occurred: program failed: 1 error occurred: * …"; a list
// of config problems reads better as the list itself.
func Main(ctx *pulumi.Context) error {
	err := Run(ctx)
	if err == nil {
		return nil
	}
	if logErr := ctx.Log.Error(Message(err), nil); logErr != nil {
		return errors.Join(err, logErr)
	}
	return ErrReported
}

// Message is the text a user sees for a program error: the list of config
// problems as it is (the render prints the same), any other error as is.
func Message(err error) string {
	var errs spec.Errors
	if errors.As(err, &errs) {
		return errs.Error()
	}
	var fe *spec.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
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

	tables := ""
	if r.Cache.Driver == spec.CacheDynamoDB {
		tables = r.Cache.DynamoDB.TablePrefix
	}
	stor, err := storage.NewStorage(ctx, spec.Project, &storage.Args{
		Settings:    cfg.Storage,
		Tags:        map[string]string{"project": spec.Project, "stack": cfg.Stack},
		TablePrefix: tables,
	})
	if err != nil {
		return nil, err
	}

	ident, err := identity.NewIdentity(ctx, spec.Project, &identity.Args{
		Settings:             cfg.Identity,
		ExternalURL:          r.ExternalURL,
		ExternalClientSecret: cfg.ExternalClientSecret,
	})
	if err != nil {
		return nil, err
	}

	// zot's S3 key: made by the storage component in aws mode, else from
	// config in push mode; otherwise the store holds it. Whatever the
	// program has is pushed to the store, in every secrets mode.
	s3ID, s3Secret := pulumi.StringInput(nil), pulumi.StringInput(nil)
	switch {
	case cfg.Storage.Mode == spec.StorageAWS:
		s3ID, s3Secret = stor.AccessKeyID, stor.SecretAccessKey
	case cfg.S3KeyPair != nil:
		s3ID, s3Secret = cfg.S3KeyPair.AccessKeyID, cfg.S3KeyPair.SecretAccessKey
	}
	sec, err := secrets.NewSecrets(ctx, spec.Project, &secrets.Args{
		Namespace:         ns.Name,
		Settings:          cfg.Secrets,
		OIDCClientID:      ident.ClientID,
		OIDCClientSecret:  ident.ClientSecret,
		S3AccessKeyID:     s3ID,
		S3SecretAccessKey: s3Secret,
	})
	if err != nil {
		return nil, err
	}

	// The scrape user's password, where the program generated it.
	var scrape pulumi.StringInput
	if cfg.Secrets.Mode == spec.SecretsPush && len(r.Metrics.Users) > 0 {
		scrape = sec.Password[r.Metrics.Users[0]]
	}
	var redisPassword pulumi.StringInput
	if cfg.RedisPassword != (pulumi.StringOutput{}) {
		redisPassword = cfg.RedisPassword
	}
	reg, err := registry.NewRegistry(ctx, r.ReleaseName, &registry.Args{
		Namespace: ns.Name,
		Settings:  r,
		Storage: registry.Storage{
			Bucket:         stor.BucketName,
			Region:         stor.Region,
			RegionEndpoint: stor.Endpoint,
			Secure:         stor.Secure,
			ForcePathStyle: stor.ForcePathStyle,
			SkipVerify:     stor.SkipVerify,
			KeyPrefix:      stor.KeyPrefix,
		},
		Identity: registry.Identity{
			Issuer:        ident.Issuer,
			Label:         cfg.Identity.Label,
			Scopes:        cfg.Identity.Scopes,
			UsernameClaim: cfg.Identity.UsernameClaim,
		},
		Secrets:        sec.Names,
		RolloutToken:   cfg.Secrets.RolloutToken,
		RedisPassword:  redisPassword,
		ScrapePassword: scrape,
		// zot starts only once ESO has written every Secret it mounts and
		// the OpenID application it logs in with exists.
		DependsOn: append(append([]pulumi.Resource{}, sec.ExternalSecrets...), ident.Serving...),
	}, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return nil, err
	}

	out := &outputs.Stack{
		RegistryURL:       reg.RegistryURL,
		RegistryHost:      reg.RegistryHost,
		Namespace:         reg.Namespace,
		ReleaseName:       reg.ReleaseName,
		ServiceName:       reg.ServiceName,
		ServiceDNS:        reg.ServiceDNS,
		ChartVersion:      reg.ChartVersion,
		ImageTag:          reg.ImageTag,
		Bucket:            stor.BucketName,
		S3Region:          stor.Region,
		S3Endpoint:        stor.Endpoint,
		S3Secure:          stor.Secure,
		S3ForcePathStyle:  stor.ForcePathStyle,
		StoragePolicy:     stor.PolicyJSON,
		AbortUploads:      stor.AbortUploadsCommand,
		S3AccessKeyID:     stor.AccessKeyID,
		S3SecretAccessKey: stor.SecretAccessKey,
		OIDCIssuer:        ident.Issuer,
		OIDCClientID:      ident.ClientID,
		OIDCRedirectURI:   ident.RedirectURI,
		RegistryPasswords: sec.Passwords,
		Replicas:          reg.Replicas,
		HeadlessService:   reg.HeadlessService,
		MetricsPath:       reg.MetricsPath,
	}
	out.Export(ctx)
	return out, nil
}
