package zotconfig_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

func params() zotconfig.Params {
	return zotconfig.Params{
		ExternalURL:  "https://registry.example.com",
		LogLevel:     "info",
		ReadTimeout:  time.Hour,
		WriteTimeout: 90 * time.Minute,
		Storage: zotconfig.S3Driver{
			Bucket: "zot", Region: "us-east-1", Secure: true,
			ChunkSize: 67108864, MultipartCopyChunkSize: 33554432,
			MultipartCopyMaxConcurrency: 10, MultipartCopyThresholdSize: 33554432,
		},
		OIDC:   zotconfig.OIDC{Issuer: "https://auth.example.com/application/o/zot/", Label: "SSO", Scopes: []string{"openid"}},
		Access: zotconfig.Access{AdminUsers: []string{"ci"}},
	}
}

// generic marshals and re-reads the config as zot's loader sees JSON.
func generic(t *testing.T, p zotconfig.Params) map[string]any {
	t.Helper()
	js, err := zotconfig.Marshal(zotconfig.Build(p))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &m))
	return m
}

func driver(m map[string]any) map[string]any {
	return m["storage"].(map[string]any)["storageDriver"].(map[string]any)
}

// zot reads a JSON number such as 67108864 as "6" and refuses to start:
// the tuning options must be JSON strings.
func TestTuningOptionsAreJSONStrings(t *testing.T) {
	d := driver(generic(t, params()))
	for key, want := range map[string]string{
		"chunksize":                   "67108864",
		"multipartcopychunksize":      "33554432",
		"multipartcopymaxconcurrency": "10",
		"multipartcopythresholdsize":  "33554432",
	} {
		assert.IsType(t, "", d[key], key)
		assert.Equal(t, want, d[key], key)
	}

	p := params()
	p.Storage = zotconfig.S3Driver{Bucket: "zot", Region: "us-east-1"}
	d = driver(generic(t, p))
	for _, key := range []string{"chunksize", "multipartcopychunksize", "multipartcopymaxconcurrency", "multipartcopythresholdsize", "regionendpoint", "rootdirectory"} {
		assert.NotContains(t, d, key, "unset options are left to zot's defaults")
	}
}

func TestWalkthroughFailureModesAreImpossible(t *testing.T) {
	m := generic(t, params())
	http := m["http"].(map[string]any)
	assert.Equal(t, []any{"docker2s2"}, http["compat"], "without docker2s2 docker's manifest push gets 415")
	assert.Equal(t, "https://registry.example.com", http["externalUrl"])
	assert.Equal(t, "5000", http["port"], "the chart's containerPort")
	assert.Equal(t, "1h0m0s", http["readTimeout"])
	assert.Equal(t, "1h30m0s", http["writeTimeout"])
	st := m["storage"].(map[string]any)
	assert.Equal(t, false, st["dedupe"])
	assert.Equal(t, "/var/lib/registry", st["rootDirectory"], "local BoltDB folder, not the S3 prefix")
	assert.Equal(t, "s3", driver(m)["name"])
	providers := http["auth"].(map[string]any)["openid"].(map[string]any)["providers"].(map[string]any)
	require.Contains(t, providers, "oidc", "the generic OpenID provider key")
	assert.Len(t, providers, 1)
	assert.Equal(t, "/secrets/oidc/oidc-credentials.json", providers["oidc"].(map[string]any)["credentialsFile"])
	ext := m["extensions"].(map[string]any)
	assert.Equal(t, map[string]any{"enable": true}, ext["search"])
	assert.Equal(t, map[string]any{"enable": true}, ext["ui"])
}

func TestAccessControl(t *testing.T) {
	cases := []struct {
		name          string
		access        zotconfig.Access
		wantPolicies  []any
		wantAnonymous []any
	}{
		{"admins only", zotconfig.Access{AdminGroups: []string{"admins"}}, []any{}, []any{}},
		{"readers", zotconfig.Access{AdminUsers: []string{"ci"}, ReaderGroups: []string{"devs"}, ReaderUsers: []string{"bot"}},
			[]any{map[string]any{"users": []any{"bot"}, "groups": []any{"devs"}, "actions": []any{"read"}}}, []any{}},
		{"anonymous read", zotconfig.Access{AdminUsers: []string{"ci"}, AnonymousRead: true}, []any{}, []any{"read"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := params()
			p.Access = tc.access
			ac := generic(t, p)["http"].(map[string]any)["accessControl"].(map[string]any)
			all := ac["repositories"].(map[string]any)["**"].(map[string]any)
			assert.Equal(t, tc.wantPolicies, all["policies"])
			assert.Equal(t, []any{}, all["defaultPolicy"], "an authenticated stranger gets nothing")
			assert.Equal(t, tc.wantAnonymous, all["anonymousPolicy"])
			admin := ac["adminPolicy"].(map[string]any)
			assert.Equal(t, []any{"read", "create", "update", "delete"}, admin["actions"])
		})
	}
}

// zot grants by the longest matching pattern alone: every rule's group
// repeats the global readers and anonymous read, then adds its own.
func TestRepositoryRulesKeepTheGlobalReaders(t *testing.T) {
	p := params()
	p.Access = zotconfig.Access{
		AdminUsers: []string{"ci"}, ReaderGroups: []string{"devs"}, AnonymousRead: false,
		Repositories: []zotconfig.RepositoryAccess{
			{Pattern: "team-a/**", PushGroups: []string{"team-a"}, DeleteUsers: []string{"lead@example.com"}},
			{Pattern: "public/**", AnonymousRead: true},
		},
	}
	repos := generic(t, p)["http"].(map[string]any)["accessControl"].(map[string]any)["repositories"].(map[string]any)
	readers := map[string]any{"users": []any{}, "groups": []any{"devs"}, "actions": []any{"read"}}
	assert.Equal(t, map[string]any{
		"policies": []any{readers,
			map[string]any{"users": []any{}, "groups": []any{"team-a"}, "actions": []any{"read", "create", "update"}},
			map[string]any{"users": []any{"lead@example.com"}, "groups": []any{}, "actions": []any{"read", "delete"}},
		},
		"defaultPolicy": []any{}, "anonymousPolicy": []any{},
	}, repos["team-a/**"])
	assert.Equal(t, map[string]any{"policies": []any{readers}, "defaultPolicy": []any{}, "anonymousPolicy": []any{"read"}}, repos["public/**"])
	assert.Equal(t, []any{readers}, repos["**"].(map[string]any)["policies"])
	assert.Len(t, repos, 3)
}

// Each mirror pulls through on demand under its prefix, keeping digests;
// one with content gets a second, periodic entry for just that content
// (one entry for both would sync the whole upstream). The prefix is
// readable by the mirror readers and the global readers only.
func TestMirrorsSync(t *testing.T) {
	p := params()
	p.Access = zotconfig.Access{AdminUsers: []string{"ci"}, ReaderGroups: []string{"devs"},
		MirrorPatterns: []string{"docker.io/**", "ghcr.io/**"}, MirrorReaders: zotconfig.RepositoryAccess{PullGroups: []string{"nodes"}}}
	p.Mirrors = []zotconfig.Mirror{
		{URL: "https://registry-1.docker.io", Prefix: "docker.io", TLSVerify: true},
		{URL: "https://ghcr.io", Prefix: "ghcr.io", TLSVerify: true, Content: []string{"project-zot/*"}, PollInterval: "6h"},
	}
	m := generic(t, p)
	sync := m["extensions"].(map[string]any)["sync"].(map[string]any)
	assert.Equal(t, true, sync["enable"])
	assert.Equal(t, "/var/lib/zot-sync", sync["downloadDir"], "zot refuses sync on S3 without one")
	regs := sync["registries"].([]any)
	require.Len(t, regs, 3)
	for i, want := range []struct {
		url, prefix, dest string
		onDemand          bool
		poll              any
	}{
		{"https://registry-1.docker.io", "**", "/docker.io", true, nil},
		{"https://ghcr.io", "**", "/ghcr.io", true, nil},
		{"https://ghcr.io", "project-zot/*", "/ghcr.io", false, "6h"},
	} {
		r := regs[i].(map[string]any)
		assert.Equal(t, []any{want.url}, r["urls"])
		assert.Equal(t, want.onDemand, r["onDemand"])
		assert.Equal(t, want.poll, r["pollInterval"])
		assert.Equal(t, true, r["preserveDigest"])
		assert.Equal(t, true, r["tlsVerify"])
		assert.Equal(t, []any{map[string]any{"prefix": want.prefix, "destination": want.dest}}, r["content"])
	}
	repos := m["http"].(map[string]any)["accessControl"].(map[string]any)["repositories"].(map[string]any)
	assert.Equal(t, map[string]any{
		"policies": []any{
			map[string]any{"users": []any{}, "groups": []any{"devs"}, "actions": []any{"read"}},
			map[string]any{"users": []any{}, "groups": []any{"nodes"}, "actions": []any{"read"}},
		},
		"defaultPolicy": []any{}, "anonymousPolicy": []any{},
	}, repos["docker.io/**"], "read only: nobody but the admins pushes under a mirror")

	p.Mirrors, p.Access.MirrorPatterns = nil, nil
	assert.NotContains(t, generic(t, p)["extensions"].(map[string]any), "sync")
}

func TestBuildIsDeterministic(t *testing.T) {
	a, err := zotconfig.Marshal(zotconfig.Build(params()))
	require.NoError(t, err)
	for range 20 {
		b, err := zotconfig.Marshal(zotconfig.Build(params()))
		require.NoError(t, err)
		require.Equal(t, a, b)
	}
}

// TestSessionCookieAndUserNames: behind a TLS ingress zot does not know it
// is served over https, so secureSession must say so (zot v2.1.18
// UseSecureSession: the Secure flag only with TLS in zot or secureSession);
// and SSO users are named by the configured claim.
func TestSessionCookieAndUserNames(t *testing.T) {
	auth := func(m map[string]any) map[string]any {
		return m["http"].(map[string]any)["auth"].(map[string]any)
	}
	p := params()
	p.OIDC.UsernameClaim = "preferred_username"
	m := generic(t, p)
	assert.Equal(t, true, auth(m)["secureSession"], "https externalUrl: Secure session cookie")
	oidc := auth(m)["openid"].(map[string]any)["providers"].(map[string]any)["oidc"].(map[string]any)
	assert.Equal(t, map[string]any{"username": "preferred_username", "groups": "groups"}, oidc["claimMapping"])
	p.OIDC.GroupsClaim = "roles" // identity.groupsClaim (Entra ID's app roles)
	oidc = auth(generic(t, p))["openid"].(map[string]any)["providers"].(map[string]any)["oidc"].(map[string]any)
	assert.Equal(t, map[string]any{"username": "preferred_username", "groups": "roles"}, oidc["claimMapping"])

	p.ExternalURL = "http://registry.lab.local:5000"
	assert.Equal(t, false, auth(generic(t, p))["secureSession"], "a lab over plain http: a Secure cookie would never be sent back")
}

// TestDynamoDBParamsAreNonEmptyStrings: zot starts with every DynamoDB
// cache driver the program writes: each key zot reads
// (zotconfig.DynamoDBParamKeys; v2.1.20 pkg/meta/meta.go getDynamoParams
// panics on a missing or empty one) is a non-empty string.
func TestDynamoDBParamsAreNonEmptyStrings(t *testing.T) {
	cases := []struct {
		name, region, prefix, endpoint string
		wantEndpoint                   string
	}{
		{"regional endpoint", "eu-central-1", "zot-registry-prod", "", "https://dynamodb.eu-central-1.amazonaws.com"},
		{"another region", "us-east-1", "zot", "", "https://dynamodb.us-east-1.amazonaws.com"},
		{"a China region", "cn-north-1", "zot", "", "https://dynamodb.cn-north-1.amazonaws.com.cn"},
		{"a VPC endpoint", "eu-central-1", "zot", "https://vpce-0abc.dynamodb.eu-central-1.vpce.amazonaws.com", "https://vpce-0abc.dynamodb.eu-central-1.vpce.amazonaws.com"},
		{"a local DynamoDB", "us-east-1", "zot", "http://dynamodb-local:8000", "http://dynamodb-local:8000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := params()
			p.CacheDriver = zotconfig.DynamoDB(tc.region, tc.prefix, tc.endpoint)
			cd := generic(t, p)["storage"].(map[string]any)["cacheDriver"].(map[string]any)
			assert.Equal(t, "dynamodb", cd["name"])
			for _, k := range zotconfig.DynamoDBParamKeys {
				v, ok := cd[k].(string)
				assert.True(t, ok && v != "", "cacheDriver.%s is %#v: zot panics at start", k, cd[k])
			}
			assert.Equal(t, tc.wantEndpoint, cd["endpoint"])
			assert.Equal(t, tc.region, cd["region"])
			assert.Equal(t, tc.prefix+"-version", cd["versiontablename"])
		})
	}
	assert.Len(t, zotconfig.DynamoDBParamKeys, len(zotconfig.DynamoDBTables)+2, "endpoint, region and one name per table")
}

// TestNoOpenIDWithoutIssuer: without an issuer (identity mode none) the
// config has no openid section, and htpasswd and the session keys stay.
func TestNoOpenIDWithoutIssuer(t *testing.T) {
	p := params()
	p.OIDC = zotconfig.OIDC{}
	auth := generic(t, p)["http"].(map[string]any)["auth"].(map[string]any)
	assert.NotContains(t, auth, "openid")
	assert.Equal(t, "/secrets/htpasswd/htpasswd", auth["htpasswd"].(map[string]any)["path"])
	assert.Equal(t, "/secrets/session/session-keys.json", auth["sessionKeysFile"])
}

// TestRedisTLSIsAURL: zot v2.1.20 reads TLS only from a rediss:// URL and
// then nothing else of the connection (addr, db, username, password); one
// address is a client of its database, several a Redis Cluster URL (the
// others as addr parameters), and the key prefix stays beside the URL.
func TestRedisTLSIsAURL(t *testing.T) {
	cases := []struct {
		name      string
		addresses []string
		db        int
		want      string
	}{
		{"one Redis", []string{"redis.redis.svc:6380"}, 2, "rediss://redis.redis.svc:6380/2"},
		{"a Redis Cluster", []string{"r0:6380", "r1:6380", "r2:6380"}, 0, "rediss://r0:6380?addr=r1%3A6380&addr=r2%3A6380"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := zotconfig.RedisTLS(tc.addresses, tc.db, "zot-prod")
			b, err := json.Marshal(d)
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.Unmarshal(b, &got))
			assert.Equal(t, map[string]any{"name": "redis", "url": tc.want, "keyprefix": "zot-prod"}, got)
			// zot's cluster test: the word addr anywhere in the URL.
			assert.Equal(t, len(tc.addresses) > 1, strings.Contains(tc.want, "addr"))
		})
	}
}
