package zotconfig

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// Scale-out, shared metadata, metrics, GC, retention and scrub: the parts of
// zot's config that day-2 settings drive. Field names are zot's (v2.1.20
// pkg/api/config/config.go and pkg/extensions/config/config.go).

// Cluster is zot's scale-out cluster: every member's address, in one order
// on every member, and the 16-character key that hashes repositories to
// members (siphash-128; zot refuses any other length).
type Cluster struct {
	Members []string `json:"members"`
	HashKey string   `json:"hashKey"`
}

// HashKeyLength is the only cluster.hashKey length zot accepts.
const HashKeyLength = 16

// Members lists the cluster members for a StatefulSet of replicas pods
// named after fullname, behind the chart's headless Service: each pod's
// own DNS name under clusterDomain and zot's port (the pod's, not the
// Service's). Pod i is entry i: the StatefulSet starts pods in order, so
// every name before a pod's own already resolves when it starts (zot
// panics on one that does not).
func Members(fullname, namespace, clusterDomain string, replicas int) []string {
	out := make([]string, replicas)
	for i := range out {
		out[i] = fmt.Sprintf("%s:%d", layout.PodDNS(fullname, namespace, clusterDomain, i), layout.ContainerPort)
	}
	return out
}

// CacheDriver is zot's storage.cacheDriver for a remote cache: Redis or
// DynamoDB. Only the fields of its driver are set.
type CacheDriver struct {
	Name string `json:"name"`

	// redis (pkg/api/config/redis/redis.go ParseRedisUniversalOptions;
	// with url, that alone: GetRedisClient)
	URL       string   `json:"url,omitempty"`
	Addr      []string `json:"addr,omitempty"`
	DB        int      `json:"db,omitempty"`
	Username  string   `json:"username,omitempty"`
	Password  string   `json:"password,omitempty"`
	KeyPrefix string   `json:"keyprefix,omitempty"`

	// dynamodb: every key in DynamoDBParamKeys, each a non-empty string.
	Endpoint               string `json:"endpoint,omitempty"`
	Region                 string `json:"region,omitempty"`
	CacheTablename         string `json:"cachetablename,omitempty"`
	RepoMetaTablename      string `json:"repometatablename,omitempty"`
	RepoBlobsInfoTablename string `json:"repoblobsinfotablename,omitempty"`
	ImageMetaTablename     string `json:"imagemetatablename,omitempty"`
	UserDataTablename      string `json:"userdatatablename,omitempty"`
	APIKeyTablename        string `json:"apikeytablename,omitempty"`
	VersionTablename       string `json:"versiontablename,omitempty"`
}

// DynamoDBParamKeys are the cacheDriver keys zot v2.1.20 reads for
// DynamoDB. The metadata store reads all but cachetablename with
// toStringIfOk (pkg/meta/meta.go getDynamoParams), which takes "" as
// missing and then panics "dynamo parameters are not specified correctly,
// can't proceed"; the blob cache reads cachetablename (pkg/storage/cache.go
// getDynamoParams).
var DynamoDBParamKeys = []string{
	"endpoint", "region", "cachetablename", "repometatablename", "repoblobsinfotablename",
	"imagemetatablename", "userdatatablename", "apikeytablename", "versiontablename",
}

// Cache drivers by zot's name.
const (
	RedisDriver    = "redis"
	DynamoDBDriver = "dynamodb"
)

// Redis is a Redis cache driver; Password is empty without auth.
func Redis(addresses []string, db int, username, password, keyPrefix string) *CacheDriver {
	return &CacheDriver{Name: RedisDriver, Addr: addresses, DB: db, Username: username, Password: password, KeyPrefix: keyPrefix}
}

// RedisTLS is a Redis cache driver over TLS. zot v2.1.20 reads TLS only
// from a rediss:// URL (go-redis ParseURL; with several addresses
// ParseClusterURL, the others as addr parameters) and ignores addr, db,
// username and password beside it; the key prefix it reads apart.
func RedisTLS(addresses []string, db int, keyPrefix string) *CacheDriver {
	u := url.URL{Scheme: "rediss", Host: addresses[0]}
	if len(addresses) > 1 {
		q := url.Values{}
		for _, a := range addresses[1:] {
			q.Add("addr", a)
		}
		u.RawQuery = q.Encode()
	} else {
		u.Path = "/" + strconv.Itoa(db)
	}
	return &CacheDriver{Name: RedisDriver, URL: u.String(), KeyPrefix: keyPrefix}
}

// DynamoDBTable is one table zot uses: its name and hash key.
type DynamoDBTable struct {
	Suffix  string // <prefix>-<suffix>
	HashKey string
}

// DynamoDBTables are the seven tables zot v2.1 reads: the blob cache
// (hash key Digest, pkg/storage/cache/dynamodb.go) and the metadata
// tables (hash key TableKey, pkg/meta/dynamodb/dynamodb.go createTable).
var DynamoDBTables = []DynamoDBTable{
	{"cache", "Digest"},
	{"repo-meta", "TableKey"},
	{"repo-blobs-info", "TableKey"},
	{"image-meta", "TableKey"},
	{"user-data", "TableKey"},
	{"api-keys", "TableKey"},
	{"version", "TableKey"},
}

// TableName is a table's name for a prefix.
func TableName(prefix string, t DynamoDBTable) string { return prefix + "-" + t.Suffix }

// DynamoDBEndpoint is the region's public DynamoDB endpoint (China's
// regions are under amazonaws.com.cn).
func DynamoDBEndpoint(region string) string {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain += ".cn"
	}
	return "https://dynamodb." + region + "." + domain
}

// DynamoDB is a DynamoDB cache driver over the tables of prefix; an empty
// endpoint is the region's (zot refuses an empty one).
func DynamoDB(region, prefix, endpoint string) *CacheDriver {
	name := func(i int) string { return TableName(prefix, DynamoDBTables[i]) }
	if endpoint == "" {
		endpoint = DynamoDBEndpoint(region)
	}
	return &CacheDriver{
		Name: DynamoDBDriver, Endpoint: endpoint, Region: region,
		CacheTablename: name(0), RepoMetaTablename: name(1), RepoBlobsInfoTablename: name(2),
		ImageMetaTablename: name(3), UserDataTablename: name(4), APIKeyTablename: name(5), VersionTablename: name(6),
	}
}

// GC is zot's garbage collection; empty durations are zot's defaults (1h).
type GC struct {
	Enabled    bool
	Delay      string
	Interval   string
	TimeWindow string
}

// Retention is zot's storage.retention.
type Retention struct {
	DryRun   bool              `json:"dryRun" pulumi:"dryRun,optional"`
	Delay    string            `json:"delay,omitempty" pulumi:"delay,optional"`
	Policies []RetentionPolicy `json:"policies" pulumi:"policies,optional"`
}

// RetentionPolicy is one of storage.retention.policies.
type RetentionPolicy struct {
	Repositories    []string      `json:"repositories" pulumi:"repositories,optional"`
	DeleteReferrers bool          `json:"deleteReferrers" pulumi:"deleteReferrers,optional"`
	DeleteUntagged  *bool         `json:"deleteUntagged,omitempty" pulumi:"deleteUntagged,optional"`
	KeepTags        []KeepRule    `json:"keepTags,omitempty" pulumi:"keepTags,optional"`
	KeepUntagged    *KeepUntagged `json:"keepUntagged,omitempty" pulumi:"keepUntagged,optional"`
}

// KeepRule is one of keepTags: tags matching Patterns (every tag when
// empty) that meet any criterion are kept. zot judges each tag only by the
// first entry whose Patterns match it (pkg/retention/retention.go
// getTagPolicy).
type KeepRule struct {
	Patterns                []string `json:"patterns,omitempty" pulumi:"patterns,optional"`
	PulledWithin            string   `json:"pulledWithin,omitempty" pulumi:"pulledWithin,optional"`
	PushedWithin            string   `json:"pushedWithin,omitempty" pulumi:"pushedWithin,optional"`
	MostRecentlyPushedCount int      `json:"mostRecentlyPushedCount,omitempty" pulumi:"mostRecentlyPushedCount,optional"`
	MostRecentlyPulledCount int      `json:"mostRecentlyPulledCount,omitempty" pulumi:"mostRecentlyPulledCount,optional"`
}

// KeepUntagged keeps the untagged manifests meeting any criterion (zot
// v2.1.19 and later).
type KeepUntagged struct {
	PulledWithin            string `json:"pulledWithin,omitempty" pulumi:"pulledWithin,optional"`
	PushedWithin            string `json:"pushedWithin,omitempty" pulumi:"pushedWithin,optional"`
	MostRecentlyPushedCount int    `json:"mostRecentlyPushedCount,omitempty" pulumi:"mostRecentlyPushedCount,optional"`
	MostRecentlyPulledCount int    `json:"mostRecentlyPulledCount,omitempty" pulumi:"mostRecentlyPulledCount,optional"`
}

// Metrics is the metrics extension and who may read it.
type Metrics struct {
	Path      string
	Users     []string
	Anonymous bool
}

// MetricsExt is extensions.metrics.
type MetricsExt struct {
	Enable     bool       `json:"enable"`
	Prometheus Prometheus `json:"prometheus"`
}

// Prometheus is extensions.metrics.prometheus.
type Prometheus struct {
	Path string `json:"path"`
}

// MetricsAccess is http.accessControl.metrics: only these users (and
// anonymous callers with anonymousPolicy [read]) may read metrics; admins
// are not implied.
type MetricsAccess struct {
	Users           []string `json:"users"`
	AnonymousPolicy []string `json:"anonymousPolicy"`
}

// ScrubExt is extensions.scrub.
type ScrubExt struct {
	Enable   bool   `json:"enable"`
	Interval string `json:"interval,omitempty"`
}
