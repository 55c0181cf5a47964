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
	"encoding/json"
	"net/url"
	"time"
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

// Registry is zot-registry:registry: the zot deployment itself.
type Registry struct {
	ExternalURL     string        `json:"externalUrl"`
	Namespace       string        `json:"namespace"`
	CreateNamespace bool          `json:"createNamespace"`
	ReleaseName     string        `json:"releaseName"`
	Chart           Chart         `json:"chart"`
	Image           Image         `json:"image"`
	Port            int           `json:"port"`
	ServiceType     string        `json:"serviceType"`
	LogLevel        string        `json:"logLevel"`
	ReadTimeout     string        `json:"readTimeout"`
	WriteTimeout    string        `json:"writeTimeout"`
	Persistence     Persistence   `json:"persistence"`
	Ingress         Ingress       `json:"ingress"`
	Route           Route         `json:"route"`
	ExternalProxy   bool          `json:"externalProxy"`
	Upload          Upload        `json:"upload"`
	AccessControl   AccessControl `json:"accessControl"`
	Resources       Resources     `json:"resources"`
	Security        Security      `json:"security"`
	// Day-2 settings (operate.go).
	Replicas int `json:"replicas"`
	// ClusterDomain is the cluster's DNS domain (the kubelet's
	// --cluster-domain): the cluster members and serviceDns are named under it.
	ClusterDomain string `json:"clusterDomain"`
	// StartupTimeout is how long zot may take to start: it walks the whole
	// bucket before it listens, and the chart's startupProbe is sized to it.
	StartupTimeout string `json:"startupTimeout"`
	// FastRestart is zot's storage.fastRestart; unset, validation turns it
	// on wherever the metadata DB (and its stamp) survives a restart.
	FastRestart  *bool        `json:"fastRestart"`
	Cache        Cache        `json:"cache"`
	Availability Availability `json:"availability"`
	Metrics      Metrics      `json:"metrics"`
	GC           GC           `json:"gc"`
	Retention    Retention    `json:"retention"`
	Scrub        Scrub        `json:"scrub"`

	// Derived by validation; not config keys.
	URL             *url.URL      `json:"-"`
	ReadDuration    time.Duration `json:"-"`
	WriteDuration   time.Duration `json:"-"`
	StartupDuration time.Duration `json:"-"`
}

// Chart pins the Helm chart.
type Chart struct {
	Repository string `json:"repository"`
	Version    string `json:"version"`
}

// Image pins zot's container image.
type Image struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	PullPolicy string `json:"pullPolicy"`
}

// Persistence is the volume behind zot's local rootDirectory (BoltDB metadata).
type Persistence struct {
	Enabled      bool   `json:"enabled"`
	Size         string `json:"size"`
	StorageClass string `json:"storageClass"`
}

// Ingress exposes zot at externalUrl's host.
type Ingress struct {
	Enabled       bool              `json:"enabled"`
	ClassName     string            `json:"className"`
	TLSSecretName string            `json:"tlsSecretName"`
	Annotations   map[string]string `json:"annotations"`
}

// Route exposes zot at externalUrl's host through a Gateway API HTTPRoute
// attached to Gateways someone else runs (TLS ends at their listeners).
type Route struct {
	Enabled    bool        `json:"enabled"`
	ParentRefs []ParentRef `json:"parentRefs"`
	// Timeout bounds one request through the Gateway (timeouts.request and
	// timeouts.backendRequest); default: the longer of zot's read and write
	// timeouts, so a large blob upload is not cut off.
	Timeout     string            `json:"timeout"`
	Annotations map[string]string `json:"annotations"`

	// Derived by validation; not a config key.
	TimeoutDuration time.Duration `json:"-"`
}

// ParentRef names a Gateway (and optionally one of its listeners).
type ParentRef struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	SectionName string `json:"sectionName"`
}

// Upload tunes the S3 driver's multipart uploads and copies, in bytes.
type Upload struct {
	ChunkSize                   int64 `json:"chunkSize"`
	MultipartCopyChunkSize      int64 `json:"multipartCopyChunkSize"`
	MultipartCopyMaxConcurrency int64 `json:"multipartCopyMaxConcurrency"`
	MultipartCopyThresholdSize  int64 `json:"multipartCopyThresholdSize"`
}

// AccessControl says who may push and delete (admins) and who may pull
// (readers). Users are htpasswd users or OpenID users; groups come from the
// OpenID groups claim.
type AccessControl struct {
	AdminUsers    []string `json:"adminUsers"`
	AdminGroups   []string `json:"adminGroups"`
	ReaderUsers   []string `json:"readerUsers"`
	ReaderGroups  []string `json:"readerGroups"`
	AnonymousRead bool     `json:"anonymousRead"`
}

// Resources are zot's container requests and limits (Kubernetes
// quantities; empty leaves one unset).
type Resources struct {
	Requests ResourceAmounts `json:"requests"`
	Limits   ResourceAmounts `json:"limits"`
}

// ResourceAmounts is a CPU and a memory quantity.
type ResourceAmounts struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Security is the pod's and container's security context. Privilege
// escalation is never allowed and every capability is dropped: zot needs
// none (it listens on 5000).
type Security struct {
	RunAsUser              int64  `json:"runAsUser"`
	RunAsGroup             int64  `json:"runAsGroup"`
	FSGroup                int64  `json:"fsGroup"`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem"`
	SeccompProfile         string `json:"seccompProfile"`
}

// Storage modes.
const (
	StorageAWS          = "aws"           // a bucket, an IAM user and key on AWS S3
	StorageS3Compatible = "s3-compatible" // a bucket on MinIO, RustFS, Ceph RGW, Garage…
	StorageExisting     = "existing"      // a bucket managed elsewhere: nothing created
)

// StorageModes lists the modes in the order docs/storage.md gives them.
var StorageModes = []string{StorageAWS, StorageS3Compatible, StorageExisting}

// Storage is zot-registry:storage: the bucket zot keeps blobs in.
type Storage struct {
	Mode           string `json:"mode"`
	Bucket         string `json:"bucket"`
	Region         string `json:"region"`
	Endpoint       string `json:"endpoint"`
	SecureSetting  *bool  `json:"secure"`
	ForcePathStyle *bool  `json:"forcePathStyle"`
	SkipVerify     bool   `json:"skipVerify"`
	KeyPrefix      string `json:"keyPrefix"`
	// AbortIncompleteUploadsDays: a failed docker push leaves multipart parts
	// that are billed until a lifecycle rule removes them.
	AbortIncompleteUploadsDays int  `json:"abortIncompleteUploadsDays"`
	RetainOnDelete             bool `json:"retainOnDelete"`
	Protect                    bool `json:"protect"`

	// Derived by validation; not config keys.
	Secure         bool   `json:"-"` // from the endpoint's scheme
	RegionEndpoint string `json:"-"` // scheme://host[:port], empty for AWS S3
	// BucketPrefix names a bucket this program creates when bucket is empty:
	// in aws mode a random suffix follows (names are global).
	BucketPrefix string `json:"-"`
}

// Creates reports whether this program creates the bucket.
func (s Storage) Creates() bool { return s.Mode == StorageAWS || s.Mode == StorageS3Compatible }

// Identity modes.
const (
	IdentityAuthentik = "authentik" // the provider and application made in Authentik
	IdentityExternal  = "external"  // any OpenID provider managed elsewhere
)

// IdentityModes lists the modes.
var IdentityModes = []string{IdentityAuthentik, IdentityExternal}

// Identity is zot-registry:identity: the OpenID provider for the web UI.
type Identity struct {
	Mode     string   `json:"mode"`
	Issuer   string   `json:"issuer"` // external mode
	ClientID string   `json:"clientId"`
	Label    string   `json:"label"`
	Scopes   []string `json:"scopes"`
	// UsernameClaim is the ID token claim zot names an SSO user by, and so
	// the form of SSO entries in registry.accessControl.*Users.
	UsernameClaim string    `json:"usernameClaim"`
	Authentik     Authentik `json:"authentik"`

	// Derived by validation; not config keys.
	AuthentikURL *url.URL `json:"-"` // from authentik:url
}

// Authentik configures the OAuth2 provider and application made in
// Authentik. The Authentik URL and token are the provider's own config,
// authentik:url and authentik:token.
type Authentik struct {
	Slug                 string   `json:"slug"`
	ApplicationName      string   `json:"applicationName"`
	AuthorizationFlow    string   `json:"authorizationFlow"`
	InvalidationFlow     string   `json:"invalidationFlow"`
	SigningKey           string   `json:"signingKey"`
	SubMode              string   `json:"subMode"`
	AccessCodeValidity   string   `json:"accessCodeValidity"`
	AccessTokenValidity  string   `json:"accessTokenValidity"`
	RefreshTokenValidity string   `json:"refreshTokenValidity"`
	Groups               []string `json:"groups"`
	AllowHTTP            bool     `json:"allowHttp"` // labs only
}

// Secrets is zot-registry:secrets: the Kubernetes Secrets zot mounts. Their
// keys are fixed by the layout package.
type Secrets struct {
	Mode            string   `json:"mode"`
	Store           StoreRef `json:"store"`
	RefreshInterval string   `json:"refreshInterval"`
	WaitForReady    bool     `json:"waitForReady"`
	// WaitTimeout bounds how long pulumi up waits for each ExternalSecret
	// and PushSecret to become Ready before it fails with ESO's message.
	WaitTimeout string     `json:"waitTimeout"`
	RemoteKeys  RemoteKeys `json:"remoteKeys"`
	// RemoteProperty is the field inside each remote key, for every remote
	// key that names none (Vault: the field of `vault kv put KEY value=…`).
	RemoteProperty     string `json:"remoteProperty"`
	OIDCSecretName     string `json:"oidcSecretName"`
	HtpasswdSecretName string `json:"htpasswdSecretName"`
	S3SecretName       string `json:"s3SecretName"`
	SessionSecretName  string `json:"sessionSecretName"`
	// Push mode: htpasswd users, each with a generated password.
	Users          []string `json:"users"`
	PasswordLength int      `json:"passwordLength"`
	// RolloutToken goes into a pod annotation: change it to restart zot
	// after a rotated OIDC client or session keys (zot reads those files
	// only at start-up; it reloads htpasswd by itself).
	RolloutToken string `json:"rolloutToken"`

	// Derived by validation; not a config key.
	WaitDuration time.Duration `json:"-"`
}

// Secret delivery modes.
const (
	SecretsStore = "store" // the values already live in the secret store
	SecretsPush  = "push"  // the program generates them and pushes them there
)

// SecretsModes lists the modes.
var SecretsModes = []string{SecretsStore, SecretsPush}

// StoreRef names the External Secrets Operator store.
type StoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// RemoteKeys are the keys in the secret store's backend.
type RemoteKeys struct {
	OIDCClientID      RemoteKey `json:"oidcClientId"`
	OIDCClientSecret  RemoteKey `json:"oidcClientSecret"`
	Htpasswd          RemoteKey `json:"htpasswd"`
	S3AccessKeyID     RemoteKey `json:"s3AccessKeyId"`
	S3SecretAccessKey RemoteKey `json:"s3SecretAccessKey"`
	SessionHashKey    RemoteKey `json:"sessionHashKey"`
	SessionEncryptKey RemoteKey `json:"sessionEncryptKey"`
}

// NamedRemoteKey is one remote key with its config field name.
type NamedRemoteKey struct {
	Field string // e.g. htpasswd
	*RemoteKey
}

// All lists the remote keys in a fixed order, by config field name; the
// entries point into k.
func (k *RemoteKeys) All() []NamedRemoteKey {
	return []NamedRemoteKey{
		{"oidcClientId", &k.OIDCClientID},
		{"oidcClientSecret", &k.OIDCClientSecret},
		{"htpasswd", &k.Htpasswd},
		{"s3AccessKeyId", &k.S3AccessKeyID},
		{"s3SecretAccessKey", &k.S3SecretAccessKey},
		{"sessionHashKey", &k.SessionHashKey},
		{"sessionEncryptKey", &k.SessionEncryptKey},
	}
}

// RemoteKey is where one value lives in the secret store: the key and,
// for stores that keep several fields under one key (Vault, the
// kubernetes provider, JSON secrets in AWS Secrets Manager), the field.
// Without a property ESO hands over the whole key as JSON.
//
// In config it is either a string (the key) or {key, property}.
type RemoteKey struct {
	Key      string `json:"key"`
	Property string `json:"property,omitempty"`
}

// UnmarshalJSON accepts "key" as well as {"key": …, "property": …}.
func (r *RemoteKey) UnmarshalJSON(b []byte) error {
	var key string
	if err := json.Unmarshal(b, &key); err == nil {
		*r = RemoteKey{Key: key}
		return nil
	}
	type plain RemoteKey // no UnmarshalJSON: no recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = RemoteKey(p)
	return nil
}

// String is key or key#property, for messages.
func (r RemoteKey) String() string {
	if r.Property == "" {
		return r.Key
	}
	return r.Key + "#" + r.Property
}

// Defaults. docs/configuration.md lists the same values.
const (
	DefaultNamespace       = "zot"
	DefaultReleaseName     = "zot"
	DefaultChartRepository = "https://zotregistry.dev/helm-charts"
	DefaultChartVersion    = "0.1.122"
	DefaultImageRepository = "ghcr.io/project-zot/zot"
	// DefaultImageTag is newer than chart 0.1.122's appVersion (v2.1.18):
	// the release the generated config was run with (../shared/FACTS.md).
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
	// Long enough for ESO's first sync and a store's retries; short enough
	// that a missing remote key fails pulumi up within minutes.
	DefaultWaitTimeout = "5m"
	MinWaitTimeout     = 30 * time.Second
	MinTimeout         = time.Minute
	MinChunkSize       = 5 << 20 // S3's smallest multipart part
	MaxChunkSize       = 5 << 30 // S3's largest multipart part
)

// DefaultScopes are the scopes zot asks the OpenID provider for.
var DefaultScopes = []string{"openid", "profile", "email", "groups"}

// Defaults are the settings before a stack sets any.
func Defaults(stack string) Settings {
	return Settings{
		Stack: stack,
		Registry: Registry{
			Namespace:       DefaultNamespace,
			CreateNamespace: true,
			ReleaseName:     DefaultReleaseName,
			Chart:           Chart{Repository: DefaultChartRepository, Version: DefaultChartVersion},
			Image:           Image{Repository: DefaultImageRepository, Tag: DefaultImageTag, PullPolicy: DefaultPullPolicy},
			Port:            DefaultPort,
			ServiceType:     DefaultServiceType,
			LogLevel:        DefaultLogLevel,
			ReadTimeout:     DefaultTimeout,
			WriteTimeout:    DefaultTimeout,
			Persistence:     Persistence{Enabled: true, Size: DefaultVolumeSize},
			Ingress:         Ingress{ClassName: DefaultIngressClass},
			Upload:          Upload{ChunkSize: DefaultChunkSize},
			Resources: Resources{
				Requests: ResourceAmounts{CPU: DefaultCPURequest, Memory: DefaultMemoryRequest},
				Limits:   ResourceAmounts{Memory: DefaultMemoryLimit},
			},
			Security: Security{
				RunAsUser: DefaultNonRootID, RunAsGroup: DefaultNonRootID, FSGroup: DefaultNonRootID,
				ReadOnlyRootFilesystem: true, SeccompProfile: SeccompRuntimeDefault,
			},
			Replicas:       DefaultReplicas,
			ClusterDomain:  DefaultClusterDomain,
			StartupTimeout: DefaultStartupTimeout,
			Cache:          Cache{Driver: CacheLocal, Redis: RedisCache{KeyPrefix: DefaultRedisKeyPrefix}},
			Availability: Availability{
				PodDisruptionBudget: true, MaxUnavailable: DefaultMaxUnavailable,
				TopologyKey: DefaultTopologyKey, WhenUnsatisfiable: DefaultWhenUnsatisfiable,
			},
			Metrics: Metrics{Path: DefaultMetricsPath, ServiceMonitor: ServiceMonitor{Interval: DefaultScrapeInterval}},
			GC:      GC{Enabled: true},
		},
		Storage: Storage{AbortIncompleteUploadsDays: DefaultAbortDays, RetainOnDelete: true},
		Identity: Identity{UsernameClaim: DefaultUsernameClaim, Authentik: Authentik{
			Slug:                 DefaultSlug,
			ApplicationName:      DefaultAppName,
			AuthorizationFlow:    DefaultAuthzFlow,
			InvalidationFlow:     DefaultInvalidFlow,
			SigningKey:           DefaultSigningKey,
			SubMode:              DefaultSubMode,
			AccessCodeValidity:   DefaultCodeValidity,
			AccessTokenValidity:  DefaultTokenValidity,
			RefreshTokenValidity: DefaultRefreshValidity,
		}},
		Secrets: Secrets{
			Mode:            SecretsStore,
			Store:           StoreRef{Kind: "ClusterSecretStore"},
			RefreshInterval: "1h",
			WaitForReady:    true,
			WaitTimeout:     DefaultWaitTimeout,
			RemoteKeys: RemoteKeys{
				OIDCClientID:      RemoteKey{Key: "zot-oidc-client-id"},
				OIDCClientSecret:  RemoteKey{Key: "zot-oidc-client-secret"},
				Htpasswd:          RemoteKey{Key: "zot-htpasswd"},
				S3AccessKeyID:     RemoteKey{Key: "zot-rustfs-access"},
				S3SecretAccessKey: RemoteKey{Key: "zot-rustfs-secret"},
				SessionHashKey:    RemoteKey{Key: "zot-session-hash-key"},
				SessionEncryptKey: RemoteKey{Key: "zot-session-encrypt-key"},
			},
			OIDCSecretName:     DefaultOIDCSecretName,
			HtpasswdSecretName: DefaultHtpasswdSecret,
			S3SecretName:       DefaultS3SecretName,
			SessionSecretName:  "zot-session",
			PasswordLength:     32,
		},
	}
}
