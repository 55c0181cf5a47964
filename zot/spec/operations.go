package spec

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// The day-2 settings of zot-registry:registry: replicas and the shared
// metadata they need, start-up, availability, metrics, garbage collection,
// retention, scrub.

// Cache drivers: where zot keeps its metadata (repositories, tags, search,
// users' stars and API keys). zot's storage.remoteCache and cacheDriver.
const (
	CacheLocal    = "local"    // BoltDB files in rootDirectory: one replica only
	CacheRedis    = "redis"    // an existing Redis, any storage mode
	CacheDynamoDB = "dynamodb" // seven tables this program creates, storage mode aws
)

// CacheDrivers lists the drivers.
var CacheDrivers = []string{CacheLocal, CacheRedis, CacheDynamoDB}

// Cache is registry.cache: where the metadata lives. More than one replica
// needs a shared driver: with local metadata every pod would answer the
// catalog and search from its own files.
type Cache struct {
	Driver   string        `json:"driver" pulumi:"driver,optional"`
	Redis    RedisCache    `json:"redis" pulumi:"redis"`
	DynamoDB DynamoDBCache `json:"dynamodb" pulumi:"dynamodb"`
}

// Shared reports whether the metadata is shared by every replica.
func (c Cache) Shared() bool { return c.Driver == CacheRedis || c.Driver == CacheDynamoDB }

// RedisCache is an existing Redis (or Valkey); its password is the secret
// key zot-registry:redisPassword.
type RedisCache struct {
	Addresses []string `json:"addresses" pulumi:"addresses,optional"` // host:port; several for a Redis Cluster
	DB        int      `json:"db" pulumi:"db,optional"`
	Username  string   `json:"username" pulumi:"username,optional"`
	KeyPrefix string   `json:"keyPrefix" pulumi:"keyPrefix,optional"`
	// TLS: zot reaches the Redis over TLS (a rediss:// URL), verified
	// against the image's roots and registry.caBundle.
	TLS bool `json:"tls" pulumi:"tls,optional"`
}

// redisClusterWord is what makes zot v2.1.20 read a Redis URL as a Redis
// Cluster URL (pkg/api/config/redis/redis.go: strings.Count(url, "addr")).
const redisClusterWord = "addr"

// DynamoDBCache names the tables this program creates: <tablePrefix>-<table>.
type DynamoDBCache struct {
	TablePrefix string `json:"tablePrefix" pulumi:"tablePrefix,optional"`
	// Endpoint is the DynamoDB URL zot calls (a VPC endpoint, a local
	// DynamoDB); empty: the region's public endpoint. zot's metadata store
	// refuses an empty one, so the program always writes one.
	Endpoint string `json:"endpoint" pulumi:"endpoint,optional"`
}

// Availability spreads replicas over nodes and bounds voluntary disruptions.
// Both apply with more than one replica.
type Availability struct {
	PodDisruptionBudget bool   `json:"podDisruptionBudget" pulumi:"podDisruptionBudget,optional"`
	MaxUnavailable      int    `json:"maxUnavailable" pulumi:"maxUnavailable,optional"`
	TopologyKey         string `json:"topologyKey" pulumi:"topologyKey,optional"`
	WhenUnsatisfiable   string `json:"whenUnsatisfiable" pulumi:"whenUnsatisfiable,optional"`
}

// Metrics is zot's metrics extension and who may scrape it.
type Metrics struct {
	// Enabled defaults to on once a scrape identity is named (users or
	// anonymous): without one zot refuses every scrape, admins included.
	Enabled        *bool          `json:"enabled" pulumi:"enabled,optional"`
	Path           string         `json:"path" pulumi:"path,optional"`
	Users          []string       `json:"users" pulumi:"users,optional"`         // accessControl.metrics.users
	Anonymous      bool           `json:"anonymous" pulumi:"anonymous,optional"` // accessControl.metrics.anonymousPolicy: [read]
	ServiceMonitor ServiceMonitor `json:"serviceMonitor" pulumi:"serviceMonitor"`
}

// ServiceMonitor is a Prometheus Operator ServiceMonitor this program
// declares (not the chart's: that one needs a Secret named basic-auth and
// scrapes every pod twice once the headless Service exists).
type ServiceMonitor struct {
	Enabled  bool              `json:"enabled" pulumi:"enabled,optional"`
	Interval string            `json:"interval" pulumi:"interval,optional"`
	Labels   map[string]string `json:"labels" pulumi:"labels,optional"`
	// BasicAuthSecret holds username and password keys for the scrape user.
	// In push mode the program writes it from the user's generated password.
	BasicAuthSecret string `json:"basicAuthSecret" pulumi:"basicAuthSecret,optional"`
}

// GC is zot's garbage collection of blobs no manifest references.
type GC struct {
	Enabled    bool   `json:"enabled" pulumi:"enabled,optional"`
	Delay      string `json:"delay" pulumi:"delay,optional"`           // storage.gcDelay
	Interval   string `json:"interval" pulumi:"interval,optional"`     // storage.gcInterval
	TimeWindow string `json:"timeWindow" pulumi:"timeWindow,optional"` // storage.gcTimeWindow, HH:MM-HH:MM UTC
}

// Retention is zot's storage.retention: which tags and untagged manifests
// GC deletes. The types are zot's (package zotconfig); config keys are
// zot's field names.
type (
	Retention       = zotconfig.Retention
	RetentionPolicy = zotconfig.RetentionPolicy
	KeepRule        = zotconfig.KeepRule
	KeepUntagged    = zotconfig.KeepUntagged
)

// Scrub is zot's scrub extension: it re-reads every blob to check its digest.
type Scrub struct {
	Enabled  bool   `json:"enabled" pulumi:"enabled,optional"`
	Interval string `json:"interval" pulumi:"interval,optional"`
}

// Defaults of the day-2 settings (declared in operationsSettings below).
const (
	DefaultReplicas          = 1
	MaxReplicas              = 16
	DefaultMaxUnavailable    = 1
	DefaultTopologyKey       = "kubernetes.io/hostname"
	DefaultWhenUnsatisfiable = "DoNotSchedule"
	DefaultMetricsPath       = "/metrics"
	DefaultScrapeInterval    = "30s"
	DefaultRedisKeyPrefix    = "zot"
	// MinScrubInterval is zot's floor: a shorter interval is raised to it.
	MinScrubInterval = 2 * time.Hour
	// MinZotForGCWindow is the zot release that added gcTimeWindow and
	// keepUntagged (zot PRs #4223, #4191); an older zot refuses them as
	// unknown keys.
	MinZotForGCWindow = "v2.1.19"
	// MinZotForFastRestart is the zot release that added
	// storage.fastRestart (zot PR #4026).
	MinZotForFastRestart = "v2.1.18"
	// DefaultClusterDomain is Kubernetes' default (kubelet --cluster-domain).
	DefaultClusterDomain = "cluster.local"
	// DefaultStartupTimeout bounds zot's start: before it listens, zot walks
	// the whole bucket into its metadata DB (MaybeParseStorage in Init),
	// S3 round trips for every repository; chart 0.1.122's probe allows ~35 s.
	// Measured in zot v2.1.20 (tests/zot TestStartupWalk): 8 S3 requests per
	// one-image repository from an empty metadata DB; 10,000 repositories at
	// 20 ms a request is 27 min (29 with zot's own time), so 45m leaves 1.5x.
	DefaultStartupTimeout = "45m"
	// MinStartupTimeout is about the chart's own probe; MaxStartupTimeout
	// keeps a pod that never starts from holding a rollout for days.
	MinStartupTimeout = 30 * time.Second
	MaxStartupTimeout = 12 * time.Hour
)

var whenUnsatisfiable = []string{"DoNotSchedule", "ScheduleAnyway"}

// hostPort is host:port, the form zot's Redis addresses take.
var hostPort = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$`)

// DynamoDB table names: 3 to 255 of letters, digits, '_', '-' and '.'.
var tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// validateOperations checks the day-2 settings; storage and secrets are
// needed for the checks that span sections.
func validateOperations(cfg *Settings, c Collector) {
	r := &cfg.Registry
	if r.Replicas < 1 || r.Replicas > MaxReplicas {
		c.Add("replicas", fmt.Sprintf("%d is out of range", r.Replicas), "use 1 to %d (default %d)", MaxReplicas, DefaultReplicas)
	}
	switch d := r.ClusterDomain; {
	case d == "":
		c.Add("clusterDomain", "is empty; the cluster members and serviceDns are named <service>.<namespace>.svc.<clusterDomain>", "set the cluster's DNS domain (the kubelet's --cluster-domain), default %s", DefaultClusterDomain)
	case len(d) > 253 || !dnsSubdomain.MatchString(d):
		c.Add("clusterDomain", fmt.Sprintf("%q is not a DNS name", d), "use the cluster's DNS domain (the kubelet's --cluster-domain) in lowercase without a trailing dot, e.g. %s", DefaultClusterDomain)
	}
	validateCache(cfg, c)
	validateStartup(*r, c)
	a := r.Availability
	if a.MaxUnavailable < 1 {
		c.Add("availability.maxUnavailable", fmt.Sprintf("%d would block every node drain", a.MaxUnavailable), "use at least 1 (default %d)", DefaultMaxUnavailable)
	} else if r.Replicas > 1 && a.MaxUnavailable >= r.Replicas {
		c.Add("availability.maxUnavailable", fmt.Sprintf("%d allows every one of the %d replicas to be evicted at once", a.MaxUnavailable, r.Replicas), "use fewer than registry.replicas (default %d)", DefaultMaxUnavailable)
	}
	if a.TopologyKey == "" || !labelKey.MatchString(a.TopologyKey) {
		c.Add("availability.topologyKey", fmt.Sprintf("%q is not a node label key", a.TopologyKey), "use e.g. %s or topology.kubernetes.io/zone", DefaultTopologyKey)
	}
	oneOf(c, "availability.whenUnsatisfiable", a.WhenUnsatisfiable, whenUnsatisfiable)
	validateMetrics(cfg, c)
	validateGC(r, c)
	validateRetention(r, c)
	if r.Scrub.Enabled && r.Scrub.Interval != "" {
		if d, err := time.ParseDuration(r.Scrub.Interval); err != nil || d < MinScrubInterval {
			c.Add("scrub.interval", fmt.Sprintf("%q is not a duration of at least 2h (zot raises shorter ones)", r.Scrub.Interval), "use e.g. 24h (zot's default), or leave it empty")
		}
	}
}

// tablePrefix is the DynamoDB tables' prefix: as set, else from project
// and stack.
func tablePrefix(stack string, d DynamoDBCache) string {
	if d.TablePrefix == "" {
		return defaultBucketPrefix(stack, false)
	}
	return d.TablePrefix
}

// A Kubernetes label key: an optional DNS prefix and a name.
var labelKey = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

func validateCache(cfg *Settings, c Collector) {
	r := &cfg.Registry
	cache := &r.Cache
	if !slices.Contains(CacheDrivers, cache.Driver) {
		oneOf(c, "cache.driver", cache.Driver, CacheDrivers)
		return
	}
	if r.Replicas > 1 && !cache.Shared() {
		c.Add("cache.driver", fmt.Sprintf("is %s, but %d replicas need shared metadata (each would answer catalog and search from its own files)", cache.Driver, r.Replicas),
			"set registry.cache.driver to redis (any storage mode) or dynamodb (storage mode aws)")
	}
	redis := cache.Redis
	if cache.Driver == CacheRedis {
		if len(redis.Addresses) == 0 {
			c.Add("cache.redis.addresses", "is empty; the redis driver needs the Redis to use", "list host:port entries, e.g. [redis-master.redis.svc.cluster.local:6379]")
		}
		for i, addr := range redis.Addresses {
			if !hostPort.MatchString(addr) {
				c.Add(fmt.Sprintf("cache.redis.addresses[%d]", i), fmt.Sprintf("%q is not host:port", addr), "write e.g. redis-master.redis.svc.cluster.local:6379")
			}
		}
		switch {
		case redis.DB < 0:
			c.Add("cache.redis.db", fmt.Sprintf("%d is not a Redis database number", redis.DB), "use 0 (default) or another database number")
		case redis.DB != 0 && len(redis.Addresses) > 1:
			c.Add("cache.redis.db", fmt.Sprintf("is %d, but several addresses make a Redis Cluster, which has only database 0", redis.DB), "use 0, or one address")
		}
		if redis.TLS {
			validateRedisTLS(redis, c)
		}
		if redis.KeyPrefix == "" || strings.ContainsAny(redis.KeyPrefix, " \t\n") {
			c.Add("cache.redis.keyPrefix", fmt.Sprintf("%q is not a key prefix", redis.KeyPrefix), "use a word such as %s (default), different per registry sharing one Redis", DefaultRedisKeyPrefix)
		}
	} else if len(redis.Addresses) > 0 || redis.Username != "" || redis.TLS {
		c.Add("cache.redis", "is set, but cache.driver is "+cache.Driver, "remove it, or set cache.driver to redis")
	}
	if cache.Driver == CacheDynamoDB {
		if cfg.Storage.Mode != "" && cfg.Storage.Mode != StorageAWS {
			c.Add("cache.driver", fmt.Sprintf("is dynamodb, but storage mode %s has no AWS account to create tables in", cfg.Storage.Mode), "use redis, or storage mode aws")
		}
		if prefix := tablePrefix(cfg.Environment, cache.DynamoDB); !tableName.MatchString(prefix + "-repo-blobs-info") {
			c.Add("cache.dynamodb.tablePrefix", fmt.Sprintf("%q does not make valid DynamoDB table names", prefix), "use letters, digits, '_', '-' and '.', at most 239 characters")
		}
		if e := cache.DynamoDB.Endpoint; e != "" && !endpointURL(e) {
			c.Add("cache.dynamodb.endpoint", fmt.Sprintf("%q is not an http(s) URL of a DynamoDB endpoint", e),
				"write scheme://host[:port] (no path), e.g. https://vpce-….dynamodb.eu-central-1.vpce.amazonaws.com or http://dynamodb-local:8000, or remove it for the region's endpoint")
		}
	} else if cache.DynamoDB.TablePrefix != "" || cache.DynamoDB.Endpoint != "" {
		c.Add("cache.dynamodb", "is set, but cache.driver is "+cache.Driver, "remove it, or set cache.driver to dynamodb")
	}
}

// MetadataSurvives reports whether zot's metadata DB outlives a pod: on the
// volume (one replica with persistence) or in Redis or DynamoDB. An
// emptyDir starts empty, so zot rebuilds it from the bucket every time.
func (r Registry) MetadataSurvives() bool {
	return r.Cache.Shared() || r.Replicas == 1 && r.Persistence.Enabled
}

// FastRestartOn reports whether zot's storage.fastRestart is set.
func (r Registry) FastRestartOn() bool { return r.FastRestart != nil && *r.FastRestart }

// validateStartup: zot walks the bucket before it listens. The startup
// probe must outlast the walk, and fastRestart skips it only where zot's
// stamp survives.
func validateStartup(r Registry, c Collector) {
	switch d, err := time.ParseDuration(r.StartupTimeout); {
	case err != nil:
		c.Add("startupTimeout", fmt.Sprintf("%q is not a duration", r.StartupTimeout), "use a Go duration such as 30m or 2h (default %s)", DefaultStartupTimeout)
	case d < MinStartupTimeout || d > MaxStartupTimeout:
		c.Add("startupTimeout", fmt.Sprintf("%s is out of range", r.StartupTimeout),
			"use at least %s (the chart's own probe; zot walks the bucket before it listens) and at most %s (default %s)", short(MinStartupTimeout), short(MaxStartupTimeout), DefaultStartupTimeout)
	}
	switch {
	case r.FastRestart == nil: // on wherever it can be (resolveRegistry)
	case !*r.FastRestart:
	case !r.MetadataSurvives():
		c.Add("fastRestart", "is true, but nothing keeps zot's metadata between restarts (persistence.enabled is false and cache.driver is local: an emptyDir), so there is never a stamp to skip the bucket walk with",
			"remove it, or enable registry.persistence or a shared registry.cache.driver (redis, dynamodb)")
	default:
		needsZot(r, c, "fastRestart", MinZotForFastRestart)
	}
}

// On reports whether the metrics extension is on: as set, else when
// someone may read metrics.
func (m Metrics) On() bool {
	if m.Enabled == nil {
		return len(m.Users) > 0 || m.Anonymous
	}
	return *m.Enabled
}

func validateMetrics(cfg *Settings, c Collector) {
	m := cfg.Registry.Metrics
	if !m.On() {
		if m.ServiceMonitor.Enabled {
			c.Add("metrics.serviceMonitor.enabled", "is true, but metrics.enabled is false", "enable metrics, or remove the ServiceMonitor")
		}
		return
	}
	// zot's validateMetricsConfig (pkg/cli/server/root.go): clean, absolute,
	// not / or /v2; its own routes are kept off too.
	p := m.Path
	if !strings.HasPrefix(p, "/") || p != path.Clean(p) || p == "/" || p == "/v2" || strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/zot/") {
		c.Add("metrics.path", fmt.Sprintf("%q is not a clean path of its own", p), "use e.g. %s (not /, /v2 or zot's own routes)", DefaultMetricsPath)
	}
	if len(m.Users) == 0 && !m.Anonymous {
		c.Add("metrics.users", "is empty, so nobody may read the metrics metrics.enabled turns on (zot answers 403 even to admins)",
			"name the htpasswd user Prometheus scrapes with (in modes push and kubernetes also in secrets.users), or set registry.metrics.anonymous: true")
	}
	for i, u := range m.Users {
		field := fmt.Sprintf("metrics.users[%d]", i)
		switch {
		case strings.TrimSpace(u) == "" || strings.TrimSpace(u) != u:
			c.Add(field, fmt.Sprintf("%q is not a user name", u), "name an htpasswd user without spaces")
		case cfg.Secrets.Generates() && !cfg.Secrets.Users.Has(u):
			c.Add(field, fmt.Sprintf("%q is not an htpasswd user the program generates (secrets.users), so it has no password", u), "add it to secrets.users")
		case cfg.Secrets.Generates() && slices.Contains(cfg.Secrets.Users.Pull(), u):
			c.Add(field, fmt.Sprintf("%q is a pull robot (secrets.users role pull), which may only pull images", u), "scrape with a user of its own (role push, the default)")
		}
	}
	sm := m.ServiceMonitor
	if !sm.Enabled {
		return
	}
	if _, err := time.ParseDuration(sm.Interval); err != nil || !strings.HasSuffix(sm.Interval, "s") && !strings.HasSuffix(sm.Interval, "m") {
		c.Add("metrics.serviceMonitor.interval", fmt.Sprintf("%q is not a Prometheus duration", sm.Interval), "use e.g. 30s or 1m")
	}
	for k := range sm.Labels {
		if !labelKey.MatchString(k) {
			c.Add("metrics.serviceMonitor.labels", fmt.Sprintf("%q is not a label key", k), "use the labels your Prometheus selects ServiceMonitors by, e.g. release: kube-prometheus-stack")
		}
	}
	switch {
	case m.Anonymous && sm.BasicAuthSecret == "":
	case sm.BasicAuthSecret != "":
		if len(sm.BasicAuthSecret) > 253 || !dnsSubdomain.MatchString(sm.BasicAuthSecret) {
			c.Add("metrics.serviceMonitor.basicAuthSecret", fmt.Sprintf("%q is not a valid Secret name", sm.BasicAuthSecret), "use lowercase letters, digits, '-' and '.'")
		}
	case !cfg.Secrets.Generates():
		c.Add("metrics.serviceMonitor.basicAuthSecret", "is empty; in secrets mode "+cfg.Secrets.Mode+" only the store knows the scrape user's password",
			"name a Secret in zot's namespace with keys username and password, or set registry.metrics.anonymous: true")
	}
}

func validateGC(r *Registry, c Collector) {
	gc := r.GC
	validDuration(c, "gc.delay", gc.Delay)
	validDuration(c, "gc.interval", gc.Interval)
	if !gc.Enabled && (gc.Delay != "" || gc.Interval != "" || gc.TimeWindow != "") {
		c.Add("gc.enabled", "is false, but gc.delay, interval or timeWindow is set (zot ignores them)", "enable gc, or remove them")
	}
	if gc.TimeWindow != "" {
		if !validWindow(gc.TimeWindow) {
			c.Add("gc.timeWindow", fmt.Sprintf("%q is not a daily window", gc.TimeWindow), `use "HH:MM-HH:MM" in UTC with different start and end, e.g. "01:00-05:00"`)
		}
		needsZot(*r, c, "gc.timeWindow", MinZotForGCWindow)
	}
	if !gc.Enabled && len(r.Retention.Policies) > 0 {
		c.Add("retention.policies", "are set, but gc.enabled is false: retention runs as part of GC", "enable gc, or remove the policies")
	}
}

// validWindow is zot's parseGCTimeWindow (pkg/api/config/gctimewindow.go,
// v2.1.20): two 24h times, not equal.
func validWindow(w string) bool {
	start, end, ok := strings.Cut(w, "-")
	if !ok {
		return false
	}
	s, err1 := time.Parse("15:04", strings.TrimSpace(start))
	e, err2 := time.Parse("15:04", strings.TrimSpace(end))
	return err1 == nil && err2 == nil && !s.Equal(e)
}

// needsZot refuses a key zot releases before minTag do not know (they
// refuse unknown keys and stop).
func needsZot(r Registry, c Collector, field, minTag string) {
	if !zotAtLeast(r.Image.Tag, minTag) {
		c.Add(field, fmt.Sprintf("needs zot %s or later, and image.tag is %s (zot refuses keys it does not know)", minTag, r.Image.Tag),
			"set registry.image.tag to %s or later (default %s), or remove %s", minTag, DefaultImageTag, field)
	}
}

// zotAtLeast: tag is release minTag or later, or a tag of another form (a
// custom build), which is not compared.
func zotAtLeast(tag, minTag string) bool {
	t, ok := parseRelease(tag)
	return !ok || !t.less(mustRelease(minTag))
}

type release [3]int

func (a release) less(b release) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

var releaseTag = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)\.([0-9]+)`)

// parseRelease reads vX.Y.Z; a tag of another form (a custom build) is not
// compared.
func parseRelease(tag string) (release, bool) {
	m := releaseTag.FindStringSubmatch(tag)
	if m == nil {
		return release{}, false
	}
	var out release
	for i := range out {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out, true
}

func mustRelease(tag string) release {
	r, ok := parseRelease(tag)
	if !ok {
		panic(tag)
	}
	return r
}

func validateRetention(r *Registry, c Collector) {
	ret := r.Retention
	validDuration(c, "retention.delay", ret.Delay)
	for i, p := range ret.Policies {
		field := fmt.Sprintf("retention.policies[%d]", i)
		if len(p.Repositories) == 0 {
			c.Add(field+".repositories", "is empty, so the policy applies to no repository", `list repository globs, e.g. ["**"] for all`)
		}
		for j, glob := range p.Repositories {
			// zot compiles these with doublestar (pkg/cli/server/root.go validateGCRules).
			if glob == "" || !doublestar.ValidatePattern(glob) {
				c.Add(fmt.Sprintf("%s.repositories[%d]", field, j), fmt.Sprintf("%q is not a repository glob", glob), `use globs such as "**", "infra/*" or "tmp/**"`)
			}
		}
		for j, k := range p.KeepTags {
			kf := fmt.Sprintf("%s.keepTags[%d]", field, j)
			for n, pat := range k.Patterns {
				if _, err := regexp.Compile(pat); err != nil {
					c.Add(fmt.Sprintf("%s.patterns[%d]", kf, n), fmt.Sprintf("%q is not a regular expression: %v", pat, err), `use a Go regular expression such as "^v[0-9]+\\."`)
				}
			}
			validDuration(c, kf+".pulledWithin", k.PulledWithin)
			validDuration(c, kf+".pushedWithin", k.PushedWithin)
			if k.MostRecentlyPushedCount < 0 || k.MostRecentlyPulledCount < 0 {
				c.Add(kf, "has a negative count", "use 0 (not a criterion) or more")
			}
		}
		for j, i := range shadowedKeepTags(p.KeepTags) {
			if i < 0 {
				continue
			}
			earlier, k := p.KeepTags[i], p.KeepTags[j]
			fix := "merge them into one entry: %s"
			if len(samePatterns(earlier.Patterns)) != len(samePatterns(k.Patterns)) {
				// k is the narrower one: it may have been meant first.
				fix = fmt.Sprintf("move it before keepTags[%d] if its rules are meant for its own tags only, or %s", i, fix)
			}
			c.Add(fmt.Sprintf("%s.keepTags[%d]", field, j),
				fmt.Sprintf("can never apply: zot uses the first matching entry for each tag, and keepTags[%d] matches every tag this one matches (it has no patterns, or all of this entry's); rules inside one entry are OR-ed", i),
				fix, keepRuleString(mergeKeepRules(earlier, k)))
		}
		if ku := p.KeepUntagged; ku != nil {
			kf := field + ".keepUntagged"
			validDuration(c, kf+".pulledWithin", ku.PulledWithin)
			validDuration(c, kf+".pushedWithin", ku.PushedWithin)
			if ku.MostRecentlyPushedCount < 0 || ku.MostRecentlyPulledCount < 0 {
				c.Add(kf, "has a negative count", "use 0 (not a criterion) or more")
			}
			needsZot(*r, c, kf, MinZotForGCWindow)
		}
	}
}

// shadowedKeepTags says, for each keepTags entry, which earlier entry
// matches every tag it matches, or -1. zot keeps a tag by the first entry
// whose patterns match it (v2.1.20 pkg/retention/retention.go getTagPolicy;
// no patterns match every tag), so such an entry never applies.
func shadowedKeepTags(rules []KeepRule) []int {
	out := make([]int, len(rules))
	for j, k := range rules {
		out[j] = -1
		mine := samePatterns(k.Patterns)
		for i := range j {
			earlier := samePatterns(rules[i].Patterns)
			if len(earlier) == 0 || len(mine) > 0 && subset(mine, earlier) {
				out[j] = i
				break
			}
		}
	}
	return out
}

// samePatterns is a pattern list as a set: sorted, without duplicates.
func samePatterns(p []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(p)))
}

// subset: every pattern of a is in b (both sorted sets), so every tag a
// matches b matches too.
func subset(a, b []string) bool {
	for _, p := range a {
		if _, found := slices.BinarySearch(b, p); !found {
			return false
		}
	}
	return true
}

// mergeKeepRules is the one entry that keeps what either keeps: the earlier
// entry's patterns (they cover the later's), and per criterion the larger
// count or the longer window (two rules of one kind, OR-ed, keep what the
// larger keeps).
func mergeKeepRules(a, b KeepRule) KeepRule {
	longer := func(x, y string) string {
		dx, errX := time.ParseDuration(x)
		dy, errY := time.ParseDuration(y)
		switch {
		case x == "" || errX != nil:
			return y
		case y == "" || errY != nil || dx >= dy:
			return x
		}
		return y
	}
	return KeepRule{
		Patterns:                a.Patterns,
		PulledWithin:            longer(a.PulledWithin, b.PulledWithin),
		PushedWithin:            longer(a.PushedWithin, b.PushedWithin),
		MostRecentlyPushedCount: max(a.MostRecentlyPushedCount, b.MostRecentlyPushedCount),
		MostRecentlyPulledCount: max(a.MostRecentlyPulledCount, b.MostRecentlyPulledCount),
	}
}

// keepRuleString writes a keepTags entry as YAML flow, as in a stack file.
func keepRuleString(k KeepRule) string {
	var parts []string
	if len(k.Patterns) > 0 {
		quoted := make([]string, len(k.Patterns))
		for i, p := range k.Patterns {
			quoted[i] = strconv.Quote(p)
		}
		parts = append(parts, "patterns: ["+strings.Join(quoted, ", ")+"]")
	}
	if k.MostRecentlyPushedCount > 0 {
		parts = append(parts, fmt.Sprintf("mostRecentlyPushedCount: %d", k.MostRecentlyPushedCount))
	}
	if k.MostRecentlyPulledCount > 0 {
		parts = append(parts, fmt.Sprintf("mostRecentlyPulledCount: %d", k.MostRecentlyPulledCount))
	}
	if k.PushedWithin != "" {
		parts = append(parts, "pushedWithin: "+k.PushedWithin)
	}
	if k.PulledWithin != "" {
		parts = append(parts, "pulledWithin: "+k.PulledWithin)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// operationsSettings declare the settings whose fields this file holds (declare.go).
var operationsSettings = []Setting{
	{Keys: []string{"registry.cache.driver"}, Default: CacheLocal,
		Doc: "Where zot keeps metadata (catalog, tags, search, stars, API keys): `local` (BoltDB in `rootDirectory`; one replica only), `redis` (an existing Redis, any storage mode) or `dynamodb` (seven tables this program creates; storage mode `aws`). `redis` and `dynamodb` set zot's `storage.remoteCache: true`, without which zot ignores `cacheDriver`."},
	{Keys: []string{"registry.cache.redis.addresses"}, Shown: "none; required with `redis`",
		Doc: "`host:port` entries; several make a Redis Cluster. The password is the secret key `zot-registry:redisPassword` (optional)."},
	{Keys: []string{"registry.cache.redis.db"},
		Doc: "Database number (only 0 with a Redis Cluster)."},
	{Keys: []string{"registry.cache.redis.username"},
		Doc: "Redis ACL user."},
	{Keys: []string{"registry.cache.redis.keyPrefix"}, Default: DefaultRedisKeyPrefix,
		Doc: "Prefix of zot's keys; different per registry sharing one Redis."},
	{Keys: []string{"registry.cache.redis.tls"},
		Doc: "Reach the Redis over TLS (`rediss://`), trusting the image's roots and `caBundle`. zot v2.1.20 takes TLS only from a URL, which it logs in clear at start: with `tls`, `redisPassword` and `username` are refused, so the Redis must need no password (reach it from zot's namespace only)."},
	{Keys: []string{"registry.cache.dynamodb.endpoint"}, Shown: "`https://dynamodb.<storage.region>.amazonaws.com` (`.amazonaws.com.cn` in China's regions)",
		Doc: "The DynamoDB endpoint zot calls (`cacheDriver.endpoint`): an `http(s)://host[:port]` URL, e.g. an interface VPC endpoint or a local DynamoDB. zot's metadata store refuses an empty endpoint (it panics at start), so the program always writes one. The tables are made in the stack's AWS account and `storage.region` either way."},
	{Keys: []string{"registry.cache.dynamodb.tablePrefix"}, Shown: "`zot-registry-<stack>`",
		Doc: "Tables `<tablePrefix>-cache`, `-repo-meta`, `-repo-blobs-info`, `-image-meta`, `-user-data`, `-api-keys`, `-version`: on-demand billing, kept on destroy and protected exactly as the bucket (`storage.retainOnDelete`, `storage.protect`). zot's IAM policy gets exactly the six table actions it calls, on these seven tables."},
	{Keys: []string{"registry.availability.podDisruptionBudget"}, Default: true,
		Doc: "With more than one replica: a PodDisruptionBudget (the chart's) so a node drain evicts at most `maxUnavailable` pods."},
	{Keys: []string{"registry.availability.maxUnavailable"}, Default: DefaultMaxUnavailable,
		Doc: "At least 1, fewer than `replicas`."},
	{Keys: []string{"registry.availability.topologyKey"}, Default: DefaultTopologyKey,
		Doc: "With more than one replica: a topology spread constraint (maxSkew 1) over this node label, so replicas do not share a node (`topology.kubernetes.io/zone` spreads zones)."},
	{Keys: []string{"registry.availability.whenUnsatisfiable"}, Default: DefaultWhenUnsatisfiable,
		Doc: "`DoNotSchedule` (a pod waits for a free node) or `ScheduleAnyway`."},
	{Keys: []string{"registry.metrics.enabled"}, Shown: "on when `users` or `anonymous` is set",
		Doc: "zot's metrics extension (Prometheus text). Turning it on without a scrape identity is an error: zot answers 403 to everyone else, admins included."},
	{Keys: []string{"registry.metrics.path"}, Default: DefaultMetricsPath,
		Doc: "Where each pod serves metrics (a clean path; not `/`, `/v2` or zot's own routes)."},
	{Keys: []string{"registry.metrics.users"},
		Doc: "htpasswd users who may read metrics (zot's `accessControl.metrics.users`); in modes `push` and `kubernetes` each must be in `secrets.users`."},
	{Keys: []string{"registry.metrics.anonymous"},
		Doc: "Anyone may read metrics (`accessControl.metrics.anonymousPolicy: [read]`)."},
	{Keys: []string{"registry.metrics.serviceMonitor.enabled"},
		Doc: "A Prometheus Operator `ServiceMonitor` (`monitoring.coreos.com/v1`) the program declares: every ready pod scraped once through zot's Service (the headless one is dropped by relabeling), basic auth from `basicAuthSecret`. Not the chart's, which needs a Secret named `basic-auth`."},
	{Keys: []string{"registry.metrics.serviceMonitor.interval"}, Default: DefaultScrapeInterval,
		Doc: "Scrape interval (`s` or `m`)."},
	{Keys: []string{"registry.metrics.serviceMonitor.labels"},
		Doc: "Labels on the ServiceMonitor, for your Prometheus's selector (e.g. `release: kube-prometheus-stack`)."},
	{Keys: []string{"registry.metrics.serviceMonitor.basicAuthSecret"}, Shown: "modes `push` and `kubernetes`: `<releaseName>-metrics-auth`, written by the program",
		Doc: "A Secret in zot's namespace with keys `username` and `password` for the first `metrics.users` entry; required in store mode unless `anonymous`."},
	{Keys: []string{"registry.gc.enabled"}, Default: true,
		Doc: "zot's garbage collection of blobs no manifest references (`storage.gc`); retention runs as part of it."},
	{Keys: []string{"registry.gc.delay"}, Shown: "zot's default (`1h`)",
		Doc: "`storage.gcDelay`: how old an unreferenced blob must be (Go duration)."},
	{Keys: []string{"registry.gc.interval"}, Shown: "zot's default (`1h`)",
		Doc: "`storage.gcInterval`: how often GC and retention run."},
	{Keys: []string{"registry.gc.timeWindow"},
		Doc: "`storage.gcTimeWindow`: `\"HH:MM-HH:MM\"` (UTC) in which a GC run may start; needs `image.tag` v2.1.19 or later."},
	{Keys: []string{"registry.retention.dryRun"},
		Doc: "Log what retention would delete, delete nothing."},
	{Keys: []string{"registry.retention.delay"}, Shown: "zot's default (`gc.delay`)",
		Doc: "How old an untagged manifest or referrer must be before retention removes it."},
	{Keys: []string{"registry.retention.policies"}, Shown: "none (keep everything)",
		Doc: "zot's policies, typed and checked: `[{repositories: [globs], deleteReferrers, deleteUntagged, keepTags: [{patterns: [regexps], pulledWithin, pushedWithin, mostRecentlyPushedCount, mostRecentlyPulledCount}], keepUntagged: {pulledWithin, pushedWithin, mostRecentlyPushedCount, mostRecentlyPulledCount}}]`. For each tag zot uses the **first** `keepTags` entry whose `patterns` match it (an entry without `patterns` matches every tag) and keeps the tag when any rule of that entry keeps it; later entries never see it. So write the rules for one set of tags as one entry (`{mostRecentlyPushedCount: 10, pulledWithin: 720h}`, not two entries): an entry behind one with no patterns, or with all of its patterns, is an error that names the earlier entry and the merged entry to write. `pulledWithin` and `pushedWithin` also keep any tag *pushed* within the window. Durations are Go durations (a week is `168h`); `keepUntagged` needs v2.1.19. Unknown keys (`pullTimeWindow`) are errors, as in zot. See [Operations](operations.md#garbage-collection-and-retention)."},
	{Keys: []string{"registry.scrub.enabled"},
		Doc: "zot's scrub extension: re-reads every blob to check its digest (on S3 that reads the whole bucket)."},
	{Keys: []string{"registry.scrub.interval"}, Shown: "zot's default (`24h`)",
		Doc: "At least `2h`."},
}

// validateRedisTLS: zot v2.1.20 reads TLS only from a URL, which carries
// the user name and password (and which it logs), and it takes any URL
// holding redisClusterWord for a Redis Cluster.
func validateRedisTLS(redis RedisCache, c Collector) {
	if redis.Username != "" {
		c.Add("cache.redis.username", "is set with tls; zot reads TLS only from a URL and sends no user name without a password, which tls refuses (zot logs the URL)",
			"remove it, or turn cache.redis.tls off")
	}
	for i, addr := range redis.Addresses {
		if strings.Contains(strings.ToLower(addr), redisClusterWord) {
			c.Add(fmt.Sprintf("cache.redis.addresses[%d]", i), fmt.Sprintf("%q contains %q, which makes zot v2.1.20 take the TLS URL for a Redis Cluster", addr, redisClusterWord),
				"reach the Redis by a name or address without it (a Service alias), or turn cache.redis.tls off")
		}
	}
}
