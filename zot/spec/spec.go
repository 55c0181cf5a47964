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
	ExternalURL     string        `json:"externalUrl" pulumi:"externalUrl,optional"`
	Namespace       string        `json:"namespace" pulumi:"namespace,optional"`
	CreateNamespace bool          `json:"createNamespace" pulumi:"createNamespace,optional"`
	ReleaseName     string        `json:"releaseName" pulumi:"releaseName,optional"`
	Chart           Chart         `json:"chart" pulumi:"chart"`
	Image           Image         `json:"image" pulumi:"image"`
	Port            int           `json:"port" pulumi:"port,optional"`
	ServiceType     string        `json:"serviceType" pulumi:"serviceType,optional"`
	LogLevel        string        `json:"logLevel" pulumi:"logLevel,optional"`
	ReadTimeout     string        `json:"readTimeout" pulumi:"readTimeout,optional"`
	WriteTimeout    string        `json:"writeTimeout" pulumi:"writeTimeout,optional"`
	Persistence     Persistence   `json:"persistence" pulumi:"persistence"`
	Ingress         Ingress       `json:"ingress" pulumi:"ingress"`
	Route           Route         `json:"route" pulumi:"route"`
	ExternalProxy   bool          `json:"externalProxy" pulumi:"externalProxy,optional"`
	Upload          Upload        `json:"upload" pulumi:"upload"`
	AccessControl   AccessControl `json:"accessControl" pulumi:"accessControl"`
	Resources       Resources     `json:"resources" pulumi:"resources"`
	Security        Security      `json:"security" pulumi:"security"`
	// Day-2 settings (operate.go).
	Replicas int `json:"replicas" pulumi:"replicas,optional"`
	// ClusterDomain is the cluster's DNS domain (the kubelet's
	// --cluster-domain): the cluster members and serviceDns are named under it.
	ClusterDomain string `json:"clusterDomain" pulumi:"clusterDomain,optional"`
	// StartupTimeout is how long zot may take to start: it walks the whole
	// bucket before it listens, and the chart's startupProbe is sized to it.
	StartupTimeout string `json:"startupTimeout" pulumi:"startupTimeout,optional"`
	// FastRestart is zot's storage.fastRestart; unset, validation turns it
	// on wherever the metadata DB (and its stamp) survives a restart.
	FastRestart  *bool        `json:"fastRestart" pulumi:"fastRestart,optional"`
	Cache        Cache        `json:"cache" pulumi:"cache"`
	Availability Availability `json:"availability" pulumi:"availability"`
	Metrics      Metrics      `json:"metrics" pulumi:"metrics"`
	GC           GC           `json:"gc" pulumi:"gc"`
	Retention    Retention    `json:"retention" pulumi:"retention"`
	Scrub        Scrub        `json:"scrub" pulumi:"scrub"`

	// Derived by validation; not config keys.
	URL             *url.URL      `json:"-"`
	ReadDuration    time.Duration `json:"-"`
	WriteDuration   time.Duration `json:"-"`
	StartupDuration time.Duration `json:"-"`
}

// Chart pins the Helm chart.
type Chart struct {
	Repository string `json:"repository" pulumi:"repository,optional"`
	Version    string `json:"version" pulumi:"version,optional"`
}

// Image pins zot's container image.
type Image struct {
	Repository string `json:"repository" pulumi:"repository,optional"`
	Tag        string `json:"tag" pulumi:"tag,optional"`
	PullPolicy string `json:"pullPolicy" pulumi:"pullPolicy,optional"`
}

// Persistence is the volume behind zot's local rootDirectory (BoltDB metadata).
type Persistence struct {
	Enabled      bool   `json:"enabled" pulumi:"enabled,optional"`
	Size         string `json:"size" pulumi:"size,optional"`
	StorageClass string `json:"storageClass" pulumi:"storageClass,optional"`
}

// Ingress exposes zot at externalUrl's host.
type Ingress struct {
	Enabled       bool              `json:"enabled" pulumi:"enabled,optional"`
	ClassName     string            `json:"className" pulumi:"className,optional"`
	TLSSecretName string            `json:"tlsSecretName" pulumi:"tlsSecretName,optional"`
	Annotations   map[string]string `json:"annotations" pulumi:"annotations,optional"`
}

// Route exposes zot at externalUrl's host through a Gateway API HTTPRoute
// attached to Gateways someone else runs (TLS ends at their listeners).
type Route struct {
	Enabled    bool        `json:"enabled" pulumi:"enabled,optional"`
	ParentRefs []ParentRef `json:"parentRefs" pulumi:"parentRefs,optional"`
	// Timeout bounds one request through the Gateway (timeouts.request and
	// timeouts.backendRequest); default: the longer of zot's read and write
	// timeouts, so a large blob upload is not cut off.
	Timeout     string            `json:"timeout" pulumi:"timeout,optional"`
	Annotations map[string]string `json:"annotations" pulumi:"annotations,optional"`

	// Derived by validation; not a config key.
	TimeoutDuration time.Duration `json:"-"`
}

// ParentRef names a Gateway (and optionally one of its listeners).
type ParentRef struct {
	Name        string `json:"name" pulumi:"name,optional"`
	Namespace   string `json:"namespace" pulumi:"namespace,optional"`
	SectionName string `json:"sectionName" pulumi:"sectionName,optional"`
}

// Upload tunes the S3 driver's multipart uploads and copies, in bytes.
type Upload struct {
	ChunkSize                   int64 `json:"chunkSize" pulumi:"chunkSize,optional"`
	MultipartCopyChunkSize      int64 `json:"multipartCopyChunkSize" pulumi:"multipartCopyChunkSize,optional"`
	MultipartCopyMaxConcurrency int64 `json:"multipartCopyMaxConcurrency" pulumi:"multipartCopyMaxConcurrency,optional"`
	MultipartCopyThresholdSize  int64 `json:"multipartCopyThresholdSize" pulumi:"multipartCopyThresholdSize,optional"`
}

// AccessControl says who may push and delete (admins) and who may pull
// (readers). Users are htpasswd users or OpenID users; groups come from the
// OpenID groups claim.
type AccessControl struct {
	AdminUsers    []string `json:"adminUsers" pulumi:"adminUsers,optional"`
	AdminGroups   []string `json:"adminGroups" pulumi:"adminGroups,optional"`
	ReaderUsers   []string `json:"readerUsers" pulumi:"readerUsers,optional"`
	ReaderGroups  []string `json:"readerGroups" pulumi:"readerGroups,optional"`
	AnonymousRead bool     `json:"anonymousRead" pulumi:"anonymousRead,optional"`
}

// Resources are zot's container requests and limits (Kubernetes
// quantities; empty leaves one unset).
type Resources struct {
	Requests ResourceAmounts `json:"requests" pulumi:"requests"`
	Limits   ResourceAmounts `json:"limits" pulumi:"limits"`
}

// ResourceAmounts is a CPU and a memory quantity.
type ResourceAmounts struct {
	CPU    string `json:"cpu" pulumi:"cpu,optional"`
	Memory string `json:"memory" pulumi:"memory,optional"`
}

// Security is the pod's and container's security context. Privilege
// escalation is never allowed and every capability is dropped: zot needs
// none (it listens on 5000).
type Security struct {
	RunAsUser              int64  `json:"runAsUser" pulumi:"runAsUser,optional"`
	RunAsGroup             int64  `json:"runAsGroup" pulumi:"runAsGroup,optional"`
	FSGroup                int64  `json:"fsGroup" pulumi:"fsGroup,optional"`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem" pulumi:"readOnlyRootFilesystem,optional"`
	SeccompProfile         string `json:"seccompProfile" pulumi:"seccompProfile,optional"`
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
	Mode           string `json:"mode" pulumi:"mode,optional"`
	Bucket         string `json:"bucket" pulumi:"bucket,optional"`
	Region         string `json:"region" pulumi:"region,optional"`
	Endpoint       string `json:"endpoint" pulumi:"endpoint,optional"`
	SecureSetting  *bool  `json:"secure" pulumi:"secure,optional"`
	ForcePathStyle *bool  `json:"forcePathStyle" pulumi:"forcePathStyle,optional"`
	SkipVerify     bool   `json:"skipVerify" pulumi:"skipVerify,optional"`
	KeyPrefix      string `json:"keyPrefix" pulumi:"keyPrefix,optional"`
	// AbortIncompleteUploadsDays: a failed docker push leaves multipart parts
	// that are billed until a lifecycle rule removes them.
	AbortIncompleteUploadsDays int  `json:"abortIncompleteUploadsDays" pulumi:"abortIncompleteUploadsDays,optional"`
	RetainOnDelete             bool `json:"retainOnDelete" pulumi:"retainOnDelete,optional"`
	Protect                    bool `json:"protect" pulumi:"protect,optional"`

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
	Mode     string   `json:"mode" pulumi:"mode,optional"`
	Issuer   string   `json:"issuer" pulumi:"issuer,optional"` // external mode
	ClientID string   `json:"clientId" pulumi:"clientId,optional"`
	Label    string   `json:"label" pulumi:"label,optional"`
	Scopes   []string `json:"scopes" pulumi:"scopes,optional"`
	// UsernameClaim is the ID token claim zot names an SSO user by, and so
	// the form of SSO entries in registry.accessControl.*Users.
	UsernameClaim string    `json:"usernameClaim" pulumi:"usernameClaim,optional"`
	Authentik     Authentik `json:"authentik" pulumi:"authentik"`

	// Derived by validation; not config keys.
	AuthentikURL *url.URL `json:"-"` // from authentik:url
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

// Secrets is zot-registry:secrets: the Kubernetes Secrets zot mounts. Their
// keys are fixed by the layout package.
type Secrets struct {
	Mode            string   `json:"mode" pulumi:"mode,optional"`
	Store           StoreRef `json:"store" pulumi:"store"`
	RefreshInterval string   `json:"refreshInterval" pulumi:"refreshInterval,optional"`
	WaitForReady    bool     `json:"waitForReady" pulumi:"waitForReady,optional"`
	// WaitTimeout bounds how long pulumi up waits for each ExternalSecret
	// and PushSecret to become Ready before it fails with ESO's message.
	WaitTimeout string     `json:"waitTimeout" pulumi:"waitTimeout,optional"`
	RemoteKeys  RemoteKeys `json:"remoteKeys" pulumi:"remoteKeys"`
	// RemoteProperty is the field inside each remote key, for every remote
	// key that names none (Vault: the field of `vault kv put KEY value=…`).
	RemoteProperty     string `json:"remoteProperty" pulumi:"remoteProperty,optional"`
	OIDCSecretName     string `json:"oidcSecretName" pulumi:"oidcSecretName,optional"`
	HtpasswdSecretName string `json:"htpasswdSecretName" pulumi:"htpasswdSecretName,optional"`
	S3SecretName       string `json:"s3SecretName" pulumi:"s3SecretName,optional"`
	SessionSecretName  string `json:"sessionSecretName" pulumi:"sessionSecretName,optional"`
	// Push mode: htpasswd users, each with a generated password.
	Users          []string `json:"users" pulumi:"users,optional"`
	PasswordLength int      `json:"passwordLength" pulumi:"passwordLength,optional"`
	// RolloutToken goes into a pod annotation: change it to restart zot
	// after a rotated OIDC client or session keys (zot reads those files
	// only at start-up; it reloads htpasswd by itself).
	RolloutToken string `json:"rolloutToken" pulumi:"rolloutToken,optional"`

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
	Name string `json:"name" pulumi:"name,optional"`
	Kind string `json:"kind" pulumi:"kind,optional"`
}

// RemoteKeys are the keys in the secret store's backend.
type RemoteKeys struct {
	OIDCClientID      RemoteKey `json:"oidcClientId" pulumi:"oidcClientId"`
	OIDCClientSecret  RemoteKey `json:"oidcClientSecret" pulumi:"oidcClientSecret"`
	Htpasswd          RemoteKey `json:"htpasswd" pulumi:"htpasswd"`
	S3AccessKeyID     RemoteKey `json:"s3AccessKeyId" pulumi:"s3AccessKeyId"`
	S3SecretAccessKey RemoteKey `json:"s3SecretAccessKey" pulumi:"s3SecretAccessKey"`
	SessionHashKey    RemoteKey `json:"sessionHashKey" pulumi:"sessionHashKey"`
	SessionEncryptKey RemoteKey `json:"sessionEncryptKey" pulumi:"sessionEncryptKey"`
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
	Key      string `json:"key" pulumi:"key,optional"`
	Property string `json:"property,omitempty" pulumi:"property,optional"`
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
