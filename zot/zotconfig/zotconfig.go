// Package zotconfig builds zot's config.json from typed values. Build is a
// pure function: the same Params always give the same document, so the render,
// the golden test and `pulumi up` all see the same bytes.
package zotconfig

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// Params is everything zot's config depends on.
type Params struct {
	ExternalURL  string
	LogLevel     string
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	Storage      S3Driver
	OIDC         OIDC
	Access       Access

	// FastRestart is storage.fastRestart: zot skips its start-up walk of the
	// bucket while the binary and the storage config are unchanged.
	FastRestart bool

	// Day-2 parts (operate.go); nil leaves a part out.
	Cluster     *Cluster
	CacheDriver *CacheDriver // with it, storage.remoteCache is true
	GC          GC
	Retention   *Retention
	Metrics     *Metrics
	Scrub       *ScrubExt
	// Mirrors are pulled through (the sync extension); SyncCredentialsFile
	// names the upstreams' credentials file, empty without any.
	Mirrors             []Mirror
	SyncCredentialsFile string
}

// S3Driver is the S3 driver's part of Params.
type S3Driver struct {
	Bucket         string
	Region         string
	RegionEndpoint string // empty for AWS S3
	Secure         bool
	SkipVerify     bool
	ForcePathStyle bool
	// KeyPrefix is the S3 driver's rootdirectory: where in the bucket zot
	// keeps its blobs (empty: the bucket root).
	KeyPrefix string
	// Multipart tuning, in bytes (0: zot's default).
	ChunkSize                   int64
	MultipartCopyChunkSize      int64
	MultipartCopyMaxConcurrency int64
	MultipartCopyThresholdSize  int64
	// RedirectBlobURL: blob GETs answer 307 with a presigned URL of the
	// store (pkg/api/routes.go GetBlob; ranged GETs stay proxied).
	RedirectBlobURL bool
}

// openID is the OpenID section, nil without an issuer (identity mode
// none): zot then logs the UI and the CLI in with htpasswd alone.
func openID(o OIDC) *OpenID {
	if o.Issuer == "" {
		return nil
	}
	return &OpenID{Providers: map[string]OpenIDProvider{
		layout.OIDCProviderKey: {
			Name:            o.Label,
			CredentialsFile: layout.OIDCCredentialsPath(),
			Issuer:          o.Issuer,
			Scopes:          nonNil(o.Scopes),
			ClaimMapping:    ClaimMapping{Username: o.UsernameClaim, Groups: cmp.Or(o.GroupsClaim, GroupsClaim)},
		},
	}}
}

// OIDC is the OpenID provider's part of Params; an empty Issuer is none.
type OIDC struct {
	Issuer string
	Label  string // the login button's text
	Scopes []string
	// UsernameClaim names SSO users in accessControl (zot's default, and
	// ours, is email).
	UsernameClaim string
	// GroupsClaim names the claim of the groups in accessControl; empty,
	// GroupsClaim.
	GroupsClaim string
}

// GroupsClaim is the claim zot reads group membership from by default.
const GroupsClaim = "groups"

// Access says who may do what. Users are htpasswd users or OpenID users
// (named by the username claim); groups come from the groups claim.
type Access struct {
	AdminUsers    []string
	AdminGroups   []string
	ReaderUsers   []string
	ReaderGroups  []string
	AnonymousRead bool
	// Repositories are the rules for the repositories a pattern matches.
	Repositories []RepositoryAccess
	// MirrorPatterns are the mirrors' prefixes as patterns (<prefix>/**):
	// MirrorReaders pull there, nobody pushes but the admins.
	MirrorPatterns []string
	MirrorReaders  RepositoryAccess
}

// RepositoryAccess grants pull, push and delete on the repositories a
// pattern matches, besides what the global readers and the admins have.
type RepositoryAccess struct {
	Pattern                   string
	PullUsers, PullGroups     []string
	PushUsers, PushGroups     []string
	DeleteUsers, DeleteGroups []string
	AnonymousRead             bool
}

// Config is zot's config.json. Field names are zot's.
type Config struct {
	DistSpecVersion string      `json:"distSpecVersion"`
	Storage         StorageConf `json:"storage"`
	HTTP            HTTPConf    `json:"http"`
	Log             LogConf     `json:"log"`
	Extensions      Extensions  `json:"extensions"`
	Cluster         *Cluster    `json:"cluster,omitempty"`
}

type StorageConf struct {
	RootDirectory string `json:"rootDirectory"`
	Dedupe        bool   `json:"dedupe"`
	RemoteCache   bool   `json:"remoteCache,omitempty"`
	// RedirectBlobURL is zot's storage.redirectBlobURL (v2.1.20).
	RedirectBlobURL bool          `json:"redirectBlobURL,omitempty"`
	FastRestart     bool          `json:"fastRestart,omitempty"`
	GC              bool          `json:"gc"`
	GCDelay         string        `json:"gcDelay,omitempty"`
	GCInterval      string        `json:"gcInterval,omitempty"`
	GCTimeWindow    string        `json:"gcTimeWindow,omitempty"`
	Retention       *Retention    `json:"retention,omitempty"`
	StorageDriver   StorageDriver `json:"storageDriver"`
	CacheDriver     *CacheDriver  `json:"cacheDriver,omitempty"`
}

// StorageDriver is zot's S3 driver section. The tuning options are strings on
// purpose: zot reads a JSON number such as 67108864 as "6" and refuses to start.
type StorageDriver struct {
	Name                        string `json:"name"`
	Region                      string `json:"region"`
	RegionEndpoint              string `json:"regionendpoint,omitempty"`
	Bucket                      string `json:"bucket"`
	Secure                      bool   `json:"secure"`
	SkipVerify                  bool   `json:"skipverify"`
	ForcePathStyle              bool   `json:"forcepathstyle"`
	RootDirectory               string `json:"rootdirectory,omitempty"`
	ChunkSize                   string `json:"chunksize,omitempty"`
	MultipartCopyChunkSize      string `json:"multipartcopychunksize,omitempty"`
	MultipartCopyMaxConcurrency string `json:"multipartcopymaxconcurrency,omitempty"`
	MultipartCopyThresholdSize  string `json:"multipartcopythresholdsize,omitempty"`
}

type HTTPConf struct {
	Address       string        `json:"address"`
	Port          string        `json:"port"`
	ExternalURL   string        `json:"externalUrl"`
	ReadTimeout   string        `json:"readTimeout"`
	WriteTimeout  string        `json:"writeTimeout"`
	Compat        []string      `json:"compat"`
	Auth          Auth          `json:"auth"`
	AccessControl AccessControl `json:"accessControl"`
}

type Auth struct {
	HTPasswd        HTPasswd `json:"htpasswd"`
	OpenID          *OpenID  `json:"openid,omitempty"` // nil: htpasswd only
	SessionKeysFile string   `json:"sessionKeysFile"`
	// SecureSession marks the session cookie Secure. zot sets the flag by
	// itself only when it serves TLS; behind a TLS ingress it must be told.
	SecureSession bool `json:"secureSession"`
}

type HTPasswd struct {
	Path string `json:"path"`
}

type OpenID struct {
	Providers map[string]OpenIDProvider `json:"providers"`
}

type OpenIDProvider struct {
	Name            string       `json:"name"`
	CredentialsFile string       `json:"credentialsFile"`
	Issuer          string       `json:"issuer"`
	Scopes          []string     `json:"scopes"`
	ClaimMapping    ClaimMapping `json:"claimMapping"`
}

// ClaimMapping says which claims name a user and carry the groups (zot
// v2.1.18 pkg/api/config ClaimMapping; without it the user is the email).
type ClaimMapping struct {
	Username string `json:"username"`
	Groups   string `json:"groups"`
}

type AccessControl struct {
	Repositories map[string]PolicyGroup `json:"repositories"`
	AdminPolicy  Policy                 `json:"adminPolicy"`
	Metrics      *MetricsAccess         `json:"metrics,omitempty"`
}

type PolicyGroup struct {
	Policies        []Policy `json:"policies"`
	DefaultPolicy   []string `json:"defaultPolicy"`
	AnonymousPolicy []string `json:"anonymousPolicy"`
}

type Policy struct {
	Users   []string `json:"users"`
	Groups  []string `json:"groups"`
	Actions []string `json:"actions"`
}

type LogConf struct {
	Level string `json:"level"`
}

type Extensions struct {
	Search  Enable      `json:"search"`
	UI      Enable      `json:"ui"`
	Metrics *MetricsExt `json:"metrics,omitempty"`
	Scrub   *ScrubExt   `json:"scrub,omitempty"`
	Sync    *SyncExt    `json:"sync,omitempty"`
}

// SyncExt is zot's sync extension (v2.1.20 pkg/extensions/config/sync
// Config): the mirrors, each pulled through on demand.
type SyncExt struct {
	Enable          bool           `json:"enable"`
	CredentialsFile string         `json:"credentialsFile,omitempty"`
	DownloadDir     string         `json:"downloadDir"`
	Registries      []SyncRegistry `json:"registries"`
}

// SyncRegistry is one upstream (sync RegistryConfig).
type SyncRegistry struct {
	URLs         []string `json:"urls"`
	OnDemand     bool     `json:"onDemand"`
	PollInterval string   `json:"pollInterval,omitempty"`
	TLSVerify    bool     `json:"tlsVerify"`
	MaxRetries   int      `json:"maxRetries"`
	RetryDelay   string   `json:"retryDelay"`
	SyncTimeout  string   `json:"syncTimeout"`
	// PreserveDigest keeps the upstream's manifest as it is: a pull by
	// digest gets the digest it asked for (zot otherwise converts Docker
	// manifests to OCI ones, with new digests).
	PreserveDigest bool          `json:"preserveDigest"`
	Content        []SyncContent `json:"content"`
}

// SyncContent maps upstream repositories to local ones: destination, then
// the upstream repository's path.
type SyncContent struct {
	Prefix      string `json:"prefix"`
	Destination string `json:"destination"`
}

// Mirror is one upstream of Params: served under Prefix.
type Mirror struct {
	URL          string
	Prefix       string
	TLSVerify    bool
	Content      []string
	PollInterval string
}

// Retries and timeouts of every mirror: a pull through waits for the
// upstream, so retries are few and short; a sync of large layers may take
// long.
const (
	SyncMaxRetries = 3
	SyncRetryDelay = "5s"
	SyncTimeout    = "30m"
)

// sync is the extension for the mirrors, nil without any. Each mirror is
// one on-demand registry (every upstream repository, under its prefix) and,
// with content, a second entry for the same upstream that syncs just those
// repositories every pollInterval: one entry for both would sync the whole
// upstream.
func sync(mirrors []Mirror, credentialsFile string) *SyncExt {
	if len(mirrors) == 0 {
		return nil
	}
	ext := &SyncExt{Enable: true, CredentialsFile: credentialsFile, DownloadDir: layout.SyncDownloadDir}
	for _, m := range mirrors {
		base := SyncRegistry{URLs: []string{m.URL}, TLSVerify: m.TLSVerify, MaxRetries: SyncMaxRetries, RetryDelay: SyncRetryDelay, SyncTimeout: SyncTimeout, PreserveDigest: true}
		dest := "/" + m.Prefix
		onDemand := base
		onDemand.OnDemand = true
		onDemand.Content = []SyncContent{{Prefix: AllRepositories, Destination: dest}}
		ext.Registries = append(ext.Registries, onDemand)
		if len(m.Content) > 0 {
			periodic := base
			periodic.PollInterval = m.PollInterval
			for _, p := range m.Content {
				periodic.Content = append(periodic.Content, SyncContent{Prefix: p, Destination: dest})
			}
			ext.Registries = append(ext.Registries, periodic)
		}
	}
	return ext
}

type Enable struct {
	Enable bool `json:"enable"`
}

const (
	// DistSpecVersion is the OCI distribution spec zot v2.1 implements.
	DistSpecVersion = "1.1.1"
	// CompatDocker2S2 lets docker push Docker schema 2 manifests; without it
	// zot answers the manifest PUT with 415 MANIFEST_INVALID.
	CompatDocker2S2 = "docker2s2"
	// AllRepositories is zot's glob for every repository.
	AllRepositories = "**"
)

var (
	readActions  = []string{"read"}
	adminActions = []string{"read", "create", "update", "delete"}
	// A push creates a tag or moves one (update); docker checks blobs
	// first (read).
	pushActions   = []string{"read", "create", "update"}
	deleteActions = []string{"read", "delete"}
)

// readPolicies is global with a read policy for users and groups, if any.
func readPolicies(global []Policy, users, groups []string) []Policy {
	out := slices.Clone(global)
	if len(users)+len(groups) > 0 {
		out = append(out, Policy{Users: nonNil(users), Groups: nonNil(groups), Actions: readActions})
	}
	return out
}

// repositories is zot's accessControl.repositories. zot grants by the
// longest pattern that matches a repository and nothing else
// (pkg/api/authz.go AccessController.can), so every rule's policy group
// repeats the global readers and anonymous read: a team's rule adds to
// what everyone has and never hides it.
func repositories(a Access) map[string]PolicyGroup {
	var global []Policy
	if len(a.ReaderUsers)+len(a.ReaderGroups) > 0 {
		global = append(global, Policy{Users: nonNil(a.ReaderUsers), Groups: nonNil(a.ReaderGroups), Actions: readActions})
	}
	anonymous := func(on bool) []string {
		if on || a.AnonymousRead {
			return readActions
		}
		return []string{}
	}
	out := map[string]PolicyGroup{
		AllRepositories: {Policies: nonNilPolicies(global), DefaultPolicy: []string{}, AnonymousPolicy: anonymous(false)},
	}
	for _, pattern := range a.MirrorPatterns {
		m := a.MirrorReaders
		out[pattern] = PolicyGroup{Policies: nonNilPolicies(readPolicies(global, m.PullUsers, m.PullGroups)), DefaultPolicy: []string{}, AnonymousPolicy: anonymous(m.AnonymousRead)}
	}
	for _, r := range a.Repositories {
		policies := slices.Clone(global)
		for _, g := range []struct {
			users, groups, actions []string
		}{{r.PullUsers, r.PullGroups, readActions}, {r.PushUsers, r.PushGroups, pushActions}, {r.DeleteUsers, r.DeleteGroups, deleteActions}} {
			if len(g.users)+len(g.groups) > 0 {
				policies = append(policies, Policy{Users: nonNil(g.users), Groups: nonNil(g.groups), Actions: g.actions})
			}
		}
		out[r.Pattern] = PolicyGroup{Policies: nonNilPolicies(policies), DefaultPolicy: []string{}, AnonymousPolicy: anonymous(r.AnonymousRead)}
	}
	return out
}

// Build returns zot's config for p. The mount-derived paths come from the
// layout package, the same constants the Helm values mount Secrets with.
func Build(p Params) Config {
	c := Config{
		DistSpecVersion: DistSpecVersion,
		Storage: StorageConf{
			RootDirectory: layout.RootDirectory,
			// dedupe needs a shared cache (BoltDB or DynamoDB) next to remote
			// storage; without one it must be off.
			Dedupe: false,
			// Without remoteCache zot ignores cacheDriver (a warning only)
			// and every replica keeps its own metadata.
			RemoteCache:     p.CacheDriver != nil,
			RedirectBlobURL: p.Storage.RedirectBlobURL,
			CacheDriver:     p.CacheDriver,
			FastRestart:     p.FastRestart,
			GC:              p.GC.Enabled,
			GCDelay:         p.GC.Delay,
			GCInterval:      p.GC.Interval,
			GCTimeWindow:    p.GC.TimeWindow,
			Retention:       p.Retention,
			StorageDriver: StorageDriver{
				Name:                        "s3",
				Region:                      p.Storage.Region,
				RegionEndpoint:              p.Storage.RegionEndpoint,
				Bucket:                      p.Storage.Bucket,
				Secure:                      p.Storage.Secure,
				SkipVerify:                  p.Storage.SkipVerify,
				ForcePathStyle:              p.Storage.ForcePathStyle,
				RootDirectory:               p.Storage.KeyPrefix,
				ChunkSize:                   byteString(p.Storage.ChunkSize),
				MultipartCopyChunkSize:      byteString(p.Storage.MultipartCopyChunkSize),
				MultipartCopyMaxConcurrency: byteString(p.Storage.MultipartCopyMaxConcurrency),
				MultipartCopyThresholdSize:  byteString(p.Storage.MultipartCopyThresholdSize),
			},
		},
		HTTP: HTTPConf{
			Address:      "0.0.0.0",
			Port:         strconv.Itoa(layout.ContainerPort),
			ExternalURL:  p.ExternalURL,
			ReadTimeout:  p.ReadTimeout.String(),
			WriteTimeout: p.WriteTimeout.String(),
			Compat:       []string{CompatDocker2S2},
			Auth: Auth{
				HTPasswd:        HTPasswd{Path: layout.HtpasswdPath()},
				SessionKeysFile: layout.SessionKeysPath(),
				SecureSession:   strings.HasPrefix(p.ExternalURL, "https://"),
				OpenID:          openID(p.OIDC),
			},
			AccessControl: AccessControl{
				Repositories: repositories(p.Access),
				AdminPolicy: Policy{
					Users:   nonNil(p.Access.AdminUsers),
					Groups:  nonNil(p.Access.AdminGroups),
					Actions: adminActions,
				},
			},
		},
		Log: LogConf{Level: p.LogLevel},
		Extensions: Extensions{
			Search: Enable{Enable: true},
			UI:     Enable{Enable: true},
			Scrub:  p.Scrub,
			Sync:   sync(p.Mirrors, p.SyncCredentialsFile),
		},
		Cluster: p.Cluster,
	}
	if m := p.Metrics; m != nil {
		c.Extensions.Metrics = &MetricsExt{Enable: true, Prometheus: Prometheus{Path: m.Path}}
		access := &MetricsAccess{Users: nonNil(m.Users), AnonymousPolicy: []string{}}
		if m.Anonymous {
			access.AnonymousPolicy = readActions
		}
		c.HTTP.AccessControl.Metrics = access
	}
	return c
}

// Marshal is the config.json text: indented, with a trailing newline.
func Marshal(c Config) (string, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func byteString(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// nonNil keeps empty lists as [] in the JSON: zot reads null and [] alike,
// but a reviewer reading the render should not have to know that.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilPolicies(p []Policy) []Policy {
	if p == nil {
		return []Policy{}
	}
	return p
}
