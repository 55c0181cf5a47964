// Package config reads the stack's structured configuration, fills in the
// defaults, validates everything up front and returns typed values. It is the
// only place that knows config key names; components take its typed values.
//
// Every problem is reported at once, as a FieldError that names the full key
// (zot-registry:registry.externalUrl), says what is wrong and what to do, and
// Load fails before the program registers any resource.
package config

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// Config is the whole validated configuration of one stack: the settings
// resolved, and the secret values.
type Config struct {
	spec.Resolved

	// ExternalClientSecret is zot-registry:oidcClientSecret in identity mode
	// external, read as a secret output; nil otherwise (with ESO the store
	// may hold it).
	ExternalClientSecret pulumi.StringOutput
	// S3KeyPair is zot's S3 key pair from the s3AccessKeyId/s3SecretAccessKey
	// secret keys (secrets mode push or kubernetes, storage mode not aws); nil otherwise.
	S3KeyPair *KeyPair
	// RedisPassword is zot-registry:redisPassword with the redis cache
	// driver, a secret output; nil when not set.
	RedisPassword pulumi.StringOutput
}

// KeyPair is an S3 access key pair; both are secret outputs.
type KeyPair struct {
	AccessKeyID     pulumi.StringOutput
	SecretAccessKey pulumi.StringOutput
}

// Source is where raw config comes from: the Pulumi context when the program
// runs, a parsed Pulumi.<stack>.yaml in the offline render, a map in tests.
type Source interface {
	// Get returns the raw value of a full key (zot-registry:registry):
	// a JSON document for structured values.
	Get(fullKey string) (string, bool)
	IsSecret(fullKey string) bool
}

type contextSource struct{ ctx *pulumi.Context }

func (s contextSource) Get(k string) (string, bool) { return s.ctx.GetConfig(k) }
func (s contextSource) IsSecret(k string) bool      { return s.ctx.IsConfigSecret(k) }

// Load reads and validates the stack's config from the Pulumi context.
// Secret keys are read as secret outputs, never as plain strings.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg, err := Parse(ctx.Stack(), contextSource{ctx})
	if err != nil {
		return nil, err
	}
	for _, w := range spec.IdentityAdvice(cfg.Identity) {
		_ = ctx.Log.Warn(w.Error(), nil) // preview shows it; nothing to stop
	}
	if _, given := ctx.GetConfig(spec.FullKey(spec.KeyOIDCClientSecret)); given && cfg.Identity.Mode == spec.IdentityExternal {
		cfg.ExternalClientSecret = pconfig.RequireSecret(ctx, spec.FullKey(spec.KeyOIDCClientSecret))
	}
	if cfg.NeedsS3KeyPair() {
		cfg.S3KeyPair = &KeyPair{
			AccessKeyID:     pconfig.RequireSecret(ctx, spec.FullKey(spec.KeyS3AccessKeyID)),
			SecretAccessKey: pconfig.RequireSecret(ctx, spec.FullKey(spec.KeyS3SecretAccessKey)),
		}
	}
	if cfg.Registry.Cache.Driver == spec.CacheRedis {
		if _, ok := ctx.GetConfig(spec.FullKey(spec.KeyRedisPassword)); ok {
			cfg.RedisPassword = pconfig.RequireSecret(ctx, spec.FullKey(spec.KeyRedisPassword))
		}
	}
	return cfg, nil
}

// MapSource is a Source over a map of full keys; keys in secret are secrets.
type MapSource struct {
	Values  map[string]string
	Secrets map[string]bool
}

func (m MapSource) Get(k string) (string, bool) { v, ok := m.Values[k]; return v, ok }
func (m MapSource) IsSecret(k string) bool      { return m.Secrets[k] }

// Parse decodes and validates config from src for the named stack.
func Parse(stack string, src Source) (*Config, error) {
	given := spec.Defaults(stack)
	var errs spec.Errors
	targets := map[string]any{
		spec.KeyRegistry: &given.Registry,
		spec.KeyStorage:  &given.Storage,
		spec.KeyIdentity: &given.Identity,
		spec.KeySecrets:  &given.Secrets,
	}
	required := map[string]string{
		spec.KeyRegistry: "set at least registry.externalUrl and registry.accessControl",
		spec.KeyStorage:  "set at least storage.mode (aws, s3-compatible or existing)",
		spec.KeyIdentity: "set at least identity.mode (authentik, external or none)",
		spec.KeySecrets:  "set at least secrets.store.name (the External Secrets Operator store), or secrets.mode: kubernetes without ESO",
	}
	// Every problem in one run: a section that cannot be read at all is
	// reported once (its settings are not checked again), a typo is
	// reported with the setting it was meant to be (not also as missing).
	var unread, meant []string
	for _, k := range spec.Keys {
		full := spec.FullKey(k)
		c := spec.Collector{Errs: &errs, Key: full}
		raw, ok := src.Get(full)
		if !ok {
			if hint, isRequired := required[k]; isRequired {
				c.Add("", "is missing", "%s in Pulumi.%s.yaml (see docs/configuration.md)", hint, stack)
				unread = append(unread, full)
			}
			continue
		}
		if src.IsSecret(full) {
			// A secret object would be decoded into plain values and could end
			// up in Helm values or outputs in clear text.
			c.Add("", "is stored as a secret", "keep structured settings plain; secrets go in their own keys (pulumi config set --secret)")
			unread = append(unread, full)
			continue
		}
		read, typos := decodeStrict(c, raw, targets[k])
		if !read {
			unread = append(unread, full)
		}
		meant = append(meant, typos...)
	}
	errs = append(errs, spec.Validate(given, StackEnv{src}, spec.StackConfig)...)
	errs = slices.DeleteFunc(errs, func(e *spec.FieldError) bool {
		for _, u := range unread {
			if strings.HasPrefix(e.Key, u+".") {
				return true
			}
		}
		return e.Problem == "is missing" && slices.Contains(meant, e.Key)
	})
	if len(errs) > 0 {
		return nil, errs
	}
	return &Config{Resolved: *spec.Resolve(given, StackEnv{src})}, nil
}

// StackEnv answers validation from a stack's config, where each secret
// value is a secret key of the project (oidcClientSecret) or of a provider
// (authentik:token).
type StackEnv struct{ Source }

// Config reads another package's key (authentik:url).
func (e StackEnv) Config(key string) (string, bool) { return e.Get(key) }

// Secret: a project secret value is zot-registry:<key>.
func (e StackEnv) Secret(key string) (given, secret bool) {
	if !strings.Contains(key, ":") {
		key = spec.FullKey(key)
	}
	v, ok := e.Get(key)
	return ok && v != "", e.IsSecret(key)
}
