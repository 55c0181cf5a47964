// Package components is the whole registry as one Pulumi component,
// zot-registry:index:Registry: the namespace, the bucket and zot's access
// to it, the OpenID client, the Secrets zot mounts and the zot release,
// wired as the program wires them for a stack. The component package
// (provider/) serves it to programs in any Pulumi language; a Go program
// may call NewRegistry directly.
//
// The parts are the packages below this one; none of them imports another.
package components

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/identity"
	"github.com/zot-registry/zot-registry/components/namespace"
	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/components/secrets"
	"github.com/zot-registry/zot-registry/components/storage"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/nodes"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// RegistryType is the component's type token.
const RegistryType = spec.Project + ":index:Registry"

// RegistryArgs are the component's inputs: the four settings sections of a
// stack's config (docs/configuration.md; the same names and defaults) and
// the secret values a stack keeps in its secret config keys.
//
// Start from DefaultRegistryArgs: a section's zero value is not its
// default (persistence, the namespace, the retained bucket are on by
// default). The component package applies the same defaults to the inputs
// a program gives.
type RegistryArgs struct {
	Registry spec.Registry `pulumi:"registry"`
	Storage  spec.Storage  `pulumi:"storage"`
	Identity spec.Identity `pulumi:"identity"`
	Secrets  spec.Secrets  `pulumi:"secrets"`
	// Environment names the registry's environment where a default needs
	// one (the OAuth2 client id zot-<environment>, the bucket prefix);
	// default: the stack's name.
	Environment string `pulumi:"environment,optional"`

	// OIDCClientSecret is the OAuth2 client secret with identity mode
	// external.
	OIDCClientSecret pulumi.StringInput `pulumi:"oidcClientSecret,optional" provider:"secret"`
	// S3AccessKeyID and S3SecretAccessKey are zot's S3 key pair with
	// secrets mode push or kubernetes when storage mode is not aws.
	S3AccessKeyID     pulumi.StringInput `pulumi:"s3AccessKeyId,optional" provider:"secret"`
	S3SecretAccessKey pulumi.StringInput `pulumi:"s3SecretAccessKey,optional" provider:"secret"`
	// RedisPassword is the password of registry.cache.redis, if it has one.
	RedisPassword pulumi.StringInput `pulumi:"redisPassword,optional" provider:"secret"`
}

// DefaultRegistryArgs are the inputs before any is set: every section at
// the defaults docs/configuration.md lists.
func DefaultRegistryArgs(environment string) RegistryArgs {
	d := spec.Defaults(environment)
	return RegistryArgs{Registry: d.Registry, Storage: d.Storage, Identity: d.Identity, Secrets: d.Secrets, Environment: environment}
}

// inputEnv answers validation's questions about secret values from the
// inputs, and about other packages' config (authentik:url, authentik:token:
// the Authentik provider's own settings) from the program's config.
type inputEnv struct {
	ctx  *pulumi.Context
	args *RegistryArgs
}

func (e inputEnv) Config(key string) (string, bool) { return e.ctx.GetConfig(key) }

// Secret: the component makes every secret input a secret itself.
func (e inputEnv) Secret(key string) (given, secret bool) {
	in := map[string]pulumi.StringInput{
		spec.KeyOIDCClientSecret:  e.args.OIDCClientSecret,
		spec.KeyS3AccessKeyID:     e.args.S3AccessKeyID,
		spec.KeyS3SecretAccessKey: e.args.S3SecretAccessKey,
		spec.KeyRedisPassword:     e.args.RedisPassword,
	}
	if v, ok := in[key]; ok {
		return v != nil, true
	}
	v, ok := e.ctx.GetConfig(key)
	return ok && v != "", e.ctx.IsConfigSecret(key)
}

// Validate checks the inputs as config.Parse checks a stack's config and
// returns the resolved settings, or every problem at once, keyed by input
// path (registry.externalUrl, oidcClientSecret).
func (a *RegistryArgs) Validate(ctx *pulumi.Context) (*spec.Resolved, error) {
	env := a.Environment
	if env == "" {
		env = ctx.Stack()
	}
	s := spec.Settings{Environment: env, Registry: a.Registry, Storage: a.Storage, Identity: a.Identity, Secrets: a.Secrets}
	r, errs := spec.Prepare(s, inputEnv{ctx, a}, spec.ComponentInputs)
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// NewRegistry validates args and, only when they are valid, registers the
// registry's parts as children of the component. The component's outputs
// are a stack's outputs: one tagged struct (outputs.Stack) for both.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*outputs.Stack, error) {
	if args == nil {
		return nil, errors.New("components.NewRegistry: args are required (start from DefaultRegistryArgs)")
	}
	s, err := args.Validate(ctx)
	if err != nil {
		return nil, err
	}
	c := &outputs.Stack{}
	if err := ctx.RegisterComponentResource(RegistryType, name, c, opts...); err != nil {
		return nil, err
	}
	// A component package's registry keeps Helm's own wait: the program's
	// rollout watch is a resource hook, which the component's host has not
	// been shown to serve (the cluster tier proves it for a stack).
	out, err := Deploy(ctx, name, s, Inputs{
		OIDCClientSecret: args.OIDCClientSecret, S3AccessKeyID: args.S3AccessKeyID,
		S3SecretAccessKey: args.S3SecretAccessKey, RedisPassword: args.RedisPassword,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.SetOutputs(out)
	if err := ctx.RegisterResourceOutputs(c, pulumi.ToMap(anyMap(out.Secrets()))); err != nil {
		return nil, err
	}
	return c, nil
}

func anyMap(m map[string]pulumi.Output) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Inputs are what the parts need beside the settings: the secret values
// (nil where not given) and how the release's rollout is awaited.
type Inputs struct {
	OIDCClientSecret  pulumi.StringInput
	S3AccessKeyID     pulumi.StringInput
	S3SecretAccessKey pulumi.StringInput
	RedisPassword     pulumi.StringInput
	// WatchRollout: the program watches zot's pods after the release's
	// install or upgrade and fails at the first that will not start
	// (components/registry, a resource hook); otherwise Helm waits, atomic.
	WatchRollout bool
}

// Deploy registers the parts for resolved settings s, with opts (the
// component passes itself as their parent; a stack's program passes none,
// so its resources keep the names and parents they have always had). base
// names the storage, identity and secrets parts.
func Deploy(ctx *pulumi.Context, base string, s *spec.Resolved, in Inputs, opts ...pulumi.ResourceOption) (*outputs.Stack, error) {
	d := &deployment{ctx: ctx, base: base, s: s, in: in, opts: opts}
	for _, step := range []func() error{d.namespace, d.storage, d.identity, d.secrets, d.registry} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return d.outputs()
}

// deployment carries the parts from step to step.
type deployment struct {
	ctx  *pulumi.Context
	base string
	s    *spec.Resolved
	in   Inputs
	opts []pulumi.ResourceOption

	ns    *namespace.Namespace
	stor  *storage.Bucket
	ident *identity.Client
	scr   *secrets.Delivery
	reg   *registry.Zot
}

// with is the deployment's options and more.
func (d *deployment) with(more ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append(append([]pulumi.ResourceOption{}, d.opts...), more...)
}

// secret is an input marked secret, nil when not given.
func secret(in pulumi.StringInput) pulumi.StringInput {
	if in == nil {
		return nil
	}
	return pulumi.ToSecret(in).(pulumi.StringOutput)
}

func (d *deployment) namespace() (err error) {
	r := d.s.Registry
	d.ns, err = namespace.NewNamespace(d.ctx, r.Namespace, &namespace.Args{Name: r.Namespace, Create: r.CreateNamespace}, d.with()...)
	return err
}

func (d *deployment) storage() (err error) {
	r := d.s.Registry
	tables := ""
	if r.Cache.Driver == spec.CacheDynamoDB {
		tables = r.Cache.DynamoDB.TablePrefix
	}
	d.stor, err = storage.NewBucket(d.ctx, d.base, &storage.Args{
		Settings:    d.s.Storage,
		Environment: d.s.Environment,
		Tags:        map[string]string{"project": spec.Project, "stack": d.s.Environment},
		TablePrefix: tables,
		ServiceAccount: storage.ServiceAccount{
			Namespace: r.Namespace, Name: chart.ServiceAccountName(r.ReleaseName),
		},
	}, d.with()...)
	return err
}

func (d *deployment) identity() (err error) {
	d.ident, err = identity.NewClient(d.ctx, d.base, &identity.Args{
		Settings:             d.s.Identity,
		Environment:          d.s.Environment,
		ExternalURL:          d.s.Registry.ExternalURL,
		ExternalClientSecret: secret(d.in.OIDCClientSecret),
	}, d.with()...)
	return err
}

// s3KeyPair is zot's S3 key: none with an IAM role; made by the storage
// component in aws mode, else given in push and kubernetes modes;
// otherwise the store holds it (nil). Whatever the program has reaches
// zot's Secret: pushed to the store with ESO, written directly without.
func (d *deployment) s3KeyPair() (id, key pulumi.StringInput) {
	switch s := d.s; {
	case !s.Storage.KeyPairFromStore():
		return nil, nil // an IAM role: no key anywhere
	case s.Storage.Mode == spec.StorageAWS:
		return d.stor.AccessKeyID, d.stor.SecretAccessKey
	case s.NeedsS3KeyPair():
		return secret(d.in.S3AccessKeyID), secret(d.in.S3SecretAccessKey)
	}
	return nil, nil
}

func (d *deployment) secrets() (err error) {
	s := d.s
	s3ID, s3Secret := d.s3KeyPair()
	oidcID, oidcSecret := pulumi.StringInput(d.ident.ClientID), pulumi.StringInput(d.ident.ClientSecret)
	switch {
	case !s.Identity.OpenID():
		oidcID, oidcSecret = nil, nil
	case !d.ident.SecretKnown: // an external client's secret the store holds
		oidcSecret = nil
	}
	d.scr, err = secrets.NewDelivery(d.ctx, d.base, &secrets.Args{
		Namespace:         d.ns.Name,
		Settings:          s.Secrets,
		OIDCClientID:      oidcID,
		OIDCClientSecret:  oidcSecret,
		S3AccessKeyID:     s3ID,
		S3SecretAccessKey: s3Secret,
		MirrorLogins:      secrets.MirrorLogins(s.Registry.Mirrors),
		S3KeyPair:         s.Storage.KeyPairFromStore(),
		OpenID:            s.Identity.OpenID(),
		ReloadsHtpasswd:   layout.ReloadsMountedHtpasswd(s.Registry.Image.Tag),
	}, d.with()...)
	return err
}

func (d *deployment) registry() (err error) {
	s, r, stor, ident, scr := d.s, d.s.Registry, d.stor, d.ident, d.scr
	// The scrape user's password, where the program generated it.
	var scrape pulumi.StringInput
	if s.Secrets.Generates() && len(r.Metrics.Users) > 0 {
		scrape = scr.Password[r.Metrics.Users[0]]
	}
	d.reg, err = registry.NewZot(d.ctx, r.ReleaseName, &registry.Args{
		Namespace: d.ns.Name,
		Settings:  r,
		Bucket: registry.Bucket{
			Bucket:         stor.BucketName,
			Region:         stor.Region,
			RegionEndpoint: stor.Endpoint,
			Secure:         stor.Secure,
			ForcePathStyle: stor.ForcePathStyle,
			SkipVerify:     stor.SkipVerify,
			KeyPrefix:      stor.KeyPrefix,
			RedirectPulls:  s.Storage.Redirects(),
		},
		OpenID: registry.OpenID{
			Issuer:        ident.Issuer,
			Label:         s.Identity.Label,
			Scopes:        s.Identity.Scopes,
			UsernameClaim: s.Identity.UsernameClaim,
			GroupsClaim:   s.Identity.GroupsClaim,
		},
		Secrets:        scr.Names,
		PullRobots:     s.Secrets.Users.Pull(),
		RolloutToken:   s.Secrets.RolloutToken,
		RedisPassword:  secret(d.in.RedisPassword),
		ScrapePassword: scrape,
		// zot starts only once every Secret it mounts is written, the
		// OpenID application it logs in with exists, and with a role the
		// role, its policy and its association.
		DependsOn:     append(append(append([]pulumi.Resource{}, scr.Ready...), ident.Serving...), stor.Access...),
		RoleArn:       irsaRole(s.Storage, stor),
		SecretsDigest: secretsDigest(s.Secrets, scr),
		WatchRollout:  d.in.WatchRollout,
	}, d.with(pulumi.DependsOn([]pulumi.Resource{d.ns}))...)
	return err
}

// outputs are the parts' outputs as a stack exports them.
func (d *deployment) outputs() (*outputs.Stack, error) {
	s, stor, ident, scr, reg := d.s, d.stor, d.ident, d.scr, d.reg
	hosts, crio, err := nodeConfigs(s.Registry)
	if err != nil {
		return nil, err
	}
	return &outputs.Stack{
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
		S3RoleArn:         stor.RoleArn,
		OIDCIssuer:        ident.Issuer,
		OIDCClientID:      ident.ClientID,
		OIDCRedirectURI:   ident.RedirectURI,
		RegistryPasswords: scr.Passwords,
		RegistryPullUsers: pulumi.ToStringArray(s.Secrets.Users.Pull()).ToStringArrayOutput(),
		Replicas:          reg.Replicas,
		HeadlessService:   reg.HeadlessService,
		MetricsPath:       reg.MetricsPath,
		MirrorHostsToml:   pulumi.ToStringMap(hosts).ToStringMapOutput(),
		MirrorCRIOConf:    pulumi.ToStringMap(crio).ToStringMapOutput(),
	}, nil
}

// secretsDigest rolls zot's pods when the program writes its Secrets
// itself (secrets mode kubernetes) and a value changes; nil with ESO.
func secretsDigest(s spec.Secrets, scr *secrets.Delivery) pulumi.StringInput {
	if s.UsesESO() {
		return nil
	}
	return scr.Digest
}

// irsaRole is the role zot's ServiceAccount names with IRSA, else nil.
func irsaRole(s spec.Storage, stor *storage.Bucket) pulumi.StringInput {
	if s.Mode == spec.StorageAWS && s.AWS.Credentials == spec.CredentialsIRSA {
		return stor.RoleArn
	}
	return nil
}

// nodeConfigs are each mirror's containerd hosts.toml and CRI-O
// registries.conf entry, by mirror name.
func nodeConfigs(r spec.Registry) (hosts, crio map[string]string, err error) {
	hosts, crio = map[string]string{}, map[string]string{}
	for _, m := range r.Mirrors {
		if hosts[m.Name], err = nodes.HostsToml(r.ExternalURL, m); err != nil {
			return nil, nil, err
		}
		if crio[m.Name], err = nodes.RegistriesConf(r.ExternalURL, m); err != nil {
			return nil, nil, err
		}
	}
	return hosts, crio, nil
}
