// Package spec is the registry's settings: the four sections a stack (or
// a program using the component package) gives, their defaults, and their
// validation. It is about zot and its deployment only and imports no Pulumi
// package, so the components, config and the policy rules all build on it.
//
// Every problem is reported at once, as a FieldError that names the key
// (zot-registry:registry.externalUrl in a stack, registry.externalUrl as a
// component input), says what is wrong and what to do.
package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// Project is the Pulumi project name and so the config namespace.
const Project = "zot-registry"

// The structured config keys, without the project prefix.
const (
	KeyRegistry = "registry"
	KeyStorage  = "storage"
	KeyIdentity = "identity"
	KeySecrets  = "secrets"
)

// Keys lists the structured config keys; Pulumi.yaml declares the same.
var Keys = []string{KeyRegistry, KeyStorage, KeyIdentity, KeySecrets}

// Secret keys: optional, so Pulumi.yaml cannot declare them (the CLI
// requires every declared key without a default in every stack).
const (
	// KeyOIDCClientSecret is the client secret in identity mode external.
	KeyOIDCClientSecret = "oidcClientSecret"
	// KeyS3AccessKeyID and KeyS3SecretAccessKey are zot's S3 key pair in
	// secrets mode push when the storage component made none (not aws mode).
	KeyS3AccessKeyID     = "s3AccessKeyId"
	KeyS3SecretAccessKey = "s3SecretAccessKey"
)

// SecretKeys lists the project's secret keys.
var SecretKeys = []string{KeyOIDCClientSecret, KeyS3AccessKeyID, KeyS3SecretAccessKey, KeyRedisPassword}

// The Authentik provider's own config keys.
const (
	AuthentikURLKey   = "authentik:url"
	AuthentikTokenKey = "authentik:token"
)

// FullKey is the key as Pulumi stores it: zot-registry:registry.
func FullKey(k string) string { return Project + ":" + k }

// Default values the settings' declarations (and other code) name.
const (
	DefaultNamespace       = "zot"
	DefaultReleaseName     = "zot"
	DefaultChartRepository = "https://zotregistry.dev/helm-charts"
	DefaultChartVersion    = "0.1.122"
	DefaultImageRepository = "ghcr.io/project-zot/zot"
	// DefaultImageTag is newer than chart 0.1.122's appVersion (v2.1.18, its
	// Chart.yaml): the release the zot tier (tests/zot) runs every generated
	// config.json in.
	DefaultImageTag    = "v2.1.20"
	DefaultPullPolicy  = "IfNotPresent"
	DefaultPort        = 5000
	DefaultServiceType = "ClusterIP"
	DefaultLogLevel    = "info"
	// One hour: the timeouts cover a whole blob upload, and a multi-GB layer
	// on a slow link takes far longer than the walk-through's 60 s.
	DefaultTimeout       = "1h"
	DefaultVolumeSize    = "10Gi"
	DefaultIngressClass  = "nginx"
	DefaultChunkSize     = 64 << 20    // 64 MiB parts: a sixth of the S3 requests per layer of zot's 10 MiB default
	DefaultRegion        = "us-east-1" // for S3-compatible stores
	DefaultAbortDays     = 7
	DefaultOIDCLabel     = "SSO"
	DefaultUsernameClaim = "email" // zot's own default
	DefaultGroupsClaim   = zotconfig.GroupsClaim
	// Requests sized for one replica serving a team; the memory limit keeps
	// a runaway zot from starving its node. No CPU limit by default: it
	// throttles uploads without protecting anything a request does not.
	DefaultCPURequest    = "250m"
	DefaultMemoryRequest = "512Mi"
	DefaultMemoryLimit   = "2Gi"
	// DefaultNonRootID is distroless's nonroot user and group: the zot image
	// has no USER, so without it zot runs as root.
	DefaultNonRootID       = 65532
	SeccompRuntimeDefault  = "RuntimeDefault"
	DefaultAuthentikLabel  = "Authentik"
	DefaultSlug            = "zot"
	DefaultAppName         = "Zot registry"
	DefaultAuthzFlow       = "default-provider-authorization-implicit-consent"
	DefaultInvalidFlow     = "default-provider-invalidation-flow"
	DefaultSigningKey      = "authentik Self-signed Certificate"
	DefaultSubMode         = "hashed_user_id"
	DefaultCodeValidity    = "minutes=1"
	DefaultTokenValidity   = "minutes=10"
	DefaultRefreshValidity = "days=30"
	DefaultOIDCSecretName  = "zot-oidc"
	DefaultHtpasswdSecret  = "zot-htpasswd"
	DefaultS3SecretName    = "zot-s3"
	DefaultSyncSecretName  = "zot-sync"
	// Long enough for ESO's first sync and a store's retries; short enough
	// that a missing remote key fails pulumi up within minutes.
	DefaultWaitTimeout = "5m"
	MinWaitTimeout     = 30 * time.Second
	MinTimeout         = time.Minute
	MinChunkSize       = 5 << 20 // S3's smallest multipart part
	MaxChunkSize       = 5 << 30 // S3's largest multipart part
)

var (
	// RFC 1123 label: namespaces, Helm release names.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// RFC 1123 subdomain: Secret names, TLS secret names.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// A Kubernetes resource quantity as used for volume sizes.
	quantity = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`)
	// S3 bucket names: lowercase letters, digits, dots and hyphens,
	// starting and ending with a letter or digit.
	bucketChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	// An OCI reference tag.
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// Settings is one registry's whole settings: the four sections.
type Settings struct {
	// Environment names the registry's environment: the stack's name, or
	// the component's environment input. Defaults derive from it (the
	// bucket prefix, the OAuth2 client id zot-<environment>).
	Environment string
	Registry    Registry
	Storage     Storage
	Identity    Identity
	Secrets     Secrets
}

// Source is what validation and resolution read besides the four sections:
// other packages' config (authentik:url) and which secret values are given.
// A stack answers from its config (config.Parse), the component package
// from its inputs.
type Source interface {
	// Config returns another package's config value, e.g. authentik:url.
	Config(key string) (string, bool)
	// Secret says whether a secret value is given (oidcClientSecret, or
	// another package's key such as authentik:token) and whether as a
	// secret.
	Secret(key string) (given, secret bool)
}

// Validations counts Validate's runs: one per entry point (a stack's
// config, a component's inputs), which a test holds it to.
var Validations atomic.Int64

// Prepare is what every entry point runs on settings decoded over
// Defaults: Validate, then, when nothing is wrong, Resolve.
func Prepare(cfg Settings, src Source, words Vocabulary) (*Resolved, Errors) {
	if errs := Validate(cfg, src, words); len(errs) > 0 {
		return nil, errs
	}
	return Resolve(cfg, src), nil
}

// Validate returns every problem of the settings at once, keyed in the
// caller's words (StackConfig, ComponentInputs). It changes nothing: what the settings imply (defaults
// that depend on other settings, parsed URLs and durations) is Resolve's.
func Validate(cfg Settings, src Source, words Vocabulary) Errors {
	Validations.Add(1)
	var errs Errors
	validate(&cfg, src, words, &errs)
	return errs
}

func validate(cfg *Settings, src Source, words Vocabulary, errs *Errors) {
	under := func(key string) Collector { return Collector{errs, words.Key(key), words} }
	top := Collector{errs, "", words}
	validateRegistry(&cfg.Registry, under(KeyRegistry))
	validateStorage(cfg.Storage, cfg.Environment, under(KeyStorage))
	validateIdentity(cfg.Identity, src, cfg.Environment, cfg.Secrets.UsesESO(), under(KeyIdentity))
	validateSecrets(cfg, src, under(KeySecrets))
	validateMirrorCredentials(cfg, under(KeyRegistry))
	validateUserNames(cfg, under(KeyRegistry))
	validateGroupsNeedOpenID(cfg, under(KeyRegistry))
	validateOperations(cfg, under(KeyRegistry))
	switch {
	case cfg.Registry.Cache.Driver == CacheRedis && cfg.Registry.Cache.Redis.TLS:
		top.unwanted(src, KeyRedisPassword, "is set with registry.cache.redis.tls; zot v2.1.20 takes TLS only from a rediss:// URL, which it logs in clear at start, so the password would be in every pod's log",
			"use a Redis on TLS that needs no password (reached only from zot's namespace), or turn tls off")
	case cfg.Registry.Cache.Driver == CacheRedis:
		top.secret(src, KeyRedisPassword, false, "")
	default:
		top.unwanted(src, KeyRedisPassword, "is set, but registry.cache.driver is not redis", "use the redis cache driver")
	}
}

// pinned rejects empty and moving versions; it says whether the value passed.
func pinned(c Collector, field, v, example string) bool {
	switch {
	case strings.TrimSpace(v) == "":
		c.Add(field, "is empty", "pin %s", example)
		return false
	case strings.EqualFold(v, "latest"):
		c.Add(field, `is "latest", which moves under a running stack`, "pin %s", example)
		return false
	}
	return true
}

func oneOf(c Collector, field, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.Add(field, fmt.Sprintf("%q is not allowed", v), "use one of: %s", strings.Join(allowed, ", "))
}

func timeout(c Collector, field, v string) {
	d, err := time.ParseDuration(v)
	if err != nil {
		c.Add(field, fmt.Sprintf("%q is not a duration", v), "use a Go duration such as 1h or 30m")
		return
	}
	if d < MinTimeout {
		c.Add(field, fmt.Sprintf("%s is below 1m and would cut off large layer uploads", v), "use at least 1m (default %s)", DefaultTimeout)
	}
}

func validQuantity(s string) bool {
	m := quantity.FindStringSubmatch(s)
	return m != nil && strings.Trim(m[1], "0.") != ""
}

// validMode checks a mode key against its modes and says whether it passed.
func validMode(c Collector, mode string, modes []string, noun string) bool {
	switch {
	case mode == "":
		c.Add("mode", "is missing", "set it to one of: %s", strings.Join(modes, ", "))
	case !slices.Contains(modes, mode):
		article := "a"
		if strings.ContainsRune("aeiou", rune(noun[0])) {
			article = "an"
		}
		c.Add("mode", fmt.Sprintf("%q is not %s %s mode", mode, article, noun), "use one of: %s", strings.Join(modes, ", "))
	default:
		return true
	}
	return false
}

func ptr[T any](v T) *T { return &v }

// NeedsS3KeyPair: in push and kubernetes modes the program delivers zot's
// S3 key, which the storage component makes only in aws mode.
func (c *Settings) NeedsS3KeyPair() bool {
	return c.Secrets.Generates() && c.Storage.Mode != StorageAWS
}

// KeyRedisPassword is the Redis password (registry.cache.driver redis).
const KeyRedisPassword = "redisPassword"

// endpointURL: an http or https URL with a host and nothing after it, as
// the AWS SDK takes a base endpoint.
func endpointURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != "" && u.User == nil &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && !strings.Contains(raw, "#")
}

// short writes a duration as a stack file would: 12h, not 12h0m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// validDuration checks a Go duration that zot reads (storage durations):
// not negative; empty means zot's default.
func validDuration(c Collector, field, v string) {
	if v == "" {
		return
	}
	if d, err := time.ParseDuration(v); err != nil || d < 0 {
		c.Add(field, fmt.Sprintf("%q is not a duration zot accepts", v), "use a Go duration such as 1h or 168h (days are written in hours), or leave it empty for zot's default")
	}
}
