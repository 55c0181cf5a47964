package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/spec"
)

type obj = map[string]any

// valid returns a minimal valid config; each test case changes one thing.
func valid() map[string]obj {
	return map[string]obj{
		"registry": {
			"externalUrl":   "https://registry.dev.example.com",
			"externalProxy": true,
			"accessControl": obj{"adminUsers": []any{"ci"}},
		},
		"storage":  {"mode": "existing", "bucket": "zot-dev"},
		"identity": {"mode": "external", "issuer": "https://auth.example.com/application/o/zot/", "clientId": "zot-dev"},
		"secrets":  {"store": obj{"name": "vault"}},
	}
}

func source(t *testing.T, objs map[string]obj) config.MapSource {
	t.Helper()
	// The external client secret, stored as a secret as pulumi config
	// set --secret does; the Authentik URL and token for authentik mode.
	src := config.MapSource{
		Values: map[string]string{
			"zot-registry:oidcClientSecret": "s3cr3t",
			"authentik:url":                 "https://auth.example.com",
			"authentik:token":               "t0k3n",
		},
		Secrets: map[string]bool{"zot-registry:oidcClientSecret": true, "authentik:token": true},
	}
	for k, v := range objs {
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		src.Values[spec.FullKey(k)] = string(b)
	}
	return src
}

// set walks a dotted path in the top-level object and sets (or, with nil,
// deletes) the value.
func set(objs map[string]obj, path string, v any) {
	parts := strings.Split(path, ".")
	m := objs[parts[0]]
	for _, p := range parts[1 : len(parts)-1] {
		next, ok := m[p].(obj)
		if !ok {
			next = obj{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if v == nil {
		delete(m, last)
		return
	}
	m[last] = v
}

func parse(t *testing.T, objs map[string]obj) (*config.Config, error) {
	t.Helper()
	return config.Parse("dev", source(t, objs))
}

func TestDefaults(t *testing.T) {
	cfg, err := parse(t, valid())
	require.NoError(t, err)
	r := cfg.Registry
	assert.Equal(t, "https://registry.dev.example.com", r.ExternalURL)
	assert.Equal(t, "registry.dev.example.com", r.URL.Host)
	assert.Equal(t, "zot", r.Namespace)
	assert.True(t, r.CreateNamespace)
	assert.Equal(t, "zot", r.ReleaseName)
	assert.Equal(t, spec.Chart{Repository: "https://zotregistry.dev/helm-charts", Version: "0.1.122"}, r.Chart)
	assert.Equal(t, spec.Image{Repository: "ghcr.io/project-zot/zot", Tag: "v2.1.20", PullPolicy: "IfNotPresent"}, r.Image)
	assert.Equal(t, 5000, r.Port)
	assert.Equal(t, "ClusterIP", r.ServiceType)
	assert.Equal(t, "info", r.LogLevel)
	assert.Equal(t, time.Hour, r.ReadDuration)
	assert.Equal(t, time.Hour, r.WriteDuration)
	assert.Equal(t, spec.Persistence{Enabled: true, Size: "10Gi"}, r.Persistence)
	assert.False(t, r.Ingress.Enabled)
	assert.Equal(t, int64(64<<20), r.Upload.ChunkSize)

	s := cfg.Storage
	assert.Equal(t, "us-east-1", s.Region)
	assert.Equal(t, 7, s.AbortIncompleteUploadsDays)
	assert.True(t, s.RetainOnDelete, "images are data: the bucket outlives pulumi destroy")
	assert.False(t, s.Protect)
	assert.False(t, s.Creates(), "existing mode creates nothing")
	assert.True(t, s.Secure, "AWS S3 is always https")
	assert.Empty(t, s.RegionEndpoint)
	assert.False(t, *s.ForcePathStyle, "AWS S3 uses virtual-hosted addressing")

	assert.Equal(t, []string{"openid", "profile", "email", "groups"}, cfg.Identity.Scopes)
	sec := cfg.Secrets
	assert.Equal(t, "store", sec.Mode)
	assert.Equal(t, spec.StoreRef{Name: "vault", Kind: "ClusterSecretStore"}, sec.Store)
	assert.Equal(t, "1h", sec.RefreshInterval)
	assert.True(t, sec.WaitForReady)
	assert.Equal(t, spec.RemoteKeys{
		OIDCClientID: key("zot-dev-oidc-client-id"), OIDCClientSecret: key("zot-dev-oidc-client-secret"), Htpasswd: key("zot-dev-htpasswd"),
		S3AccessKeyID: key("zot-dev-s3-access-key-id"), S3SecretAccessKey: key("zot-dev-s3-secret-access-key"),
		SessionHashKey: key("zot-dev-session-hash-key"), SessionEncryptKey: key("zot-dev-session-encrypt-key"),
	}, sec.RemoteKeys, "zot-<stack>-<value>, no property")
	assert.Equal(t, "5m", sec.WaitTimeout)
	assert.Equal(t, 5*time.Minute, sec.WaitDuration)
	assert.Equal(t, []string{"zot-oidc", "zot-htpasswd", "zot-s3", "zot-session"}, []string{sec.OIDCSecretName, sec.HtpasswdSecretName, sec.S3SecretName, sec.SessionSecretName})
	assert.Equal(t, 32, sec.PasswordLength)
}

func key(k string) spec.RemoteKey { return spec.RemoteKey{Key: k} }

// Rules per repository: checked like the global lists, named by their
// index and field.
func TestRepositoryRules(t *testing.T) {
	const key = "zot-registry:registry.accessControl.repositories"
	rule := func(extra obj) obj {
		r := obj{"pattern": "team-a/**", "pushGroups": []any{"team-a"}}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		rules   []any
		secrets obj
		wantKey string
		wantMsg string
	}{
		{name: "two teams", rules: []any{rule(nil), obj{"pattern": "team-b/**", "pushUsers": []any{"b@example.com"}, "deleteGroups": []any{"team-b"}}, obj{"pattern": "public/**", "anonymousRead": true}}},
		{name: "alternatives", rules: []any{rule(obj{"pattern": "{team-a,team-c}/**"})}},
		{name: "empty pattern", rules: []any{rule(obj{"pattern": ""})}, wantKey: key + "[0].pattern", wantMsg: "is empty"},
		{name: "every repository", rules: []any{rule(obj{"pattern": "**"})}, wantKey: key + "[0].pattern", wantMsg: "readerUsers"},
		{name: "bad glob", rules: []any{rule(obj{"pattern": "team-a/[x"})}, wantKey: key + "[0].pattern", wantMsg: "not a repository pattern"},
		{name: "leading slash", rules: []any{rule(obj{"pattern": "/team-a/**"})}, wantKey: key + "[0].pattern", wantMsg: "not a repository pattern"},
		{name: "twice", rules: []any{rule(nil), rule(obj{"pushGroups": []any{"x"}})}, wantKey: key + "[1].pattern", wantMsg: "also accessControl.repositories[0]"},
		{name: "same length, same repositories", rules: []any{rule(nil), rule(obj{"pattern": "team-?/**"})}, wantKey: key + "[1].pattern", wantMsg: "pick one of them by chance"},
		{name: "same length, disjoint", rules: []any{rule(nil), rule(obj{"pattern": "team-b/**"})}},
		{name: "grants nothing", rules: []any{obj{"pattern": "team-a/**"}}, wantKey: key + "[0]", wantMsg: "grants nothing"},
		{name: "user listed twice", rules: []any{rule(obj{"pullUsers": []any{"a@example.com", "a@example.com"}})}, wantKey: key + "[0].pullUsers[1]", wantMsg: "twice"},
		{name: "field typo", rules: []any{rule(obj{"pushGroup": []any{"x"}})}, wantKey: key + "[0].pushGroup", wantMsg: `did you mean "pushGroups"`},
		{name: "pull robot pushes", rules: []any{rule(obj{"pushUsers": []any{"puller"}})},
			secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", obj{"name": "puller", "role": "pull"}}},
			wantKey: key + "[0].pushUsers[0]", wantMsg: `"puller" is a pull robot`},
		{name: "unknown htpasswd user", rules: []any{rule(obj{"deleteUsers": []any{"nobody"}})},
			secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}},
			wantKey: key + "[0].deleteUsers[0]", wantMsg: "neither an htpasswd user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			objs["registry"]["accessControl"] = obj{"adminUsers": []any{"ci"}, "repositories": tc.rules}
			if tc.secrets != nil {
				objs["secrets"] = tc.secrets
				objs["storage"] = obj{"mode": "aws", "region": "eu-west-1"}
			}
			cfg, err := parse(t, objs)
			if tc.wantKey == "" {
				require.NoError(t, err)
				assert.Len(t, cfg.Registry.AccessControl.Repositories, len(tc.rules))
				return
			}
			var errs spec.Errors
			require.ErrorAs(t, err, &errs)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

// Mirrors: every problem named by index and field, before anything runs.
func TestMirrors(t *testing.T) {
	const key = "zot-registry:registry"
	hub := func(extra obj) obj {
		m := obj{"name": "docker-hub", "url": "https://registry-1.docker.io", "prefix": "docker.io"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	ghcr := obj{"name": "ghcr", "url": "https://ghcr.io", "prefix": "ghcr.io", "content": []any{"project-zot/*"}}
	for _, tc := range []struct {
		name    string
		mirrors []any
		extra   obj // more registry settings
		wantKey string
		wantMsg string
		push    bool // secrets mode push (htpasswd users known)
	}{
		{name: "two mirrors", mirrors: []any{hub(nil), ghcr}, extra: obj{"mirrorReaders": obj{"anonymous": true}}},
		{name: "local http registry", mirrors: []any{hub(obj{"url": "http://registry.local:5000", "insecure": true})}},
		{name: "bad name", mirrors: []any{hub(obj{"name": "Docker Hub"})}, wantKey: key + ".mirrors[0].name", wantMsg: "not a mirror name"},
		{name: "same name", mirrors: []any{hub(nil), hub(obj{"prefix": "hub"})}, wantKey: key + ".mirrors[1].name", wantMsg: "also mirrors[0]"},
		{name: "http", mirrors: []any{hub(obj{"url": "http://registry-1.docker.io"})}, wantKey: key + ".mirrors[0].url", wantMsg: "not https"},
		{name: "url with path", mirrors: []any{hub(obj{"url": "https://registry-1.docker.io/v2"})}, wantKey: key + ".mirrors[0].url", wantMsg: "has a path"},
		{name: "insecure with https", mirrors: []any{hub(obj{"insecure": true})}, wantKey: key + ".mirrors[0].insecure", wantMsg: "URL is https"},
		{name: "prefix with slash", mirrors: []any{hub(obj{"prefix": "/docker.io"})}, wantKey: key + ".mirrors[0].prefix", wantMsg: "not a repository prefix"},
		{name: "prefixes overlap", mirrors: []any{hub(nil), obj{"name": "library", "url": "https://mirror.gcr.io", "prefix": "docker.io/library"}},
			wantKey: key + ".mirrors[1].prefix", wantMsg: `overlaps mirrors[0].prefix "docker.io"`},
		{name: "prefix under a rule", mirrors: []any{hub(obj{"prefix": "team-a/hub"})},
			extra:   obj{"accessControl": obj{"adminUsers": []any{"ci"}, "repositories": []any{obj{"pattern": "team-a/**", "pushGroups": []any{"a"}}}}},
			wantKey: key + ".mirrors[0].prefix", wantMsg: "overlaps accessControl.repositories[0].pattern"},
		{name: "rule with alternatives reaching a mirror", mirrors: []any{hub(nil)},
			extra:   obj{"accessControl": obj{"adminUsers": []any{"ci"}, "repositories": []any{obj{"pattern": "{docker.io,x}/**", "pushGroups": []any{"a"}}}}},
			wantKey: key + ".mirrors[0].prefix", wantMsg: "overlaps accessControl.repositories[0]"},
		{name: "rule with a leading wildcard reaching a mirror", mirrors: []any{hub(nil)},
			extra:   obj{"accessControl": obj{"adminUsers": []any{"ci"}, "repositories": []any{obj{"pattern": "*/library/**", "pushGroups": []any{"a"}}}}},
			wantKey: key + ".mirrors[0].prefix", wantMsg: "overlaps accessControl.repositories[0]"},
		{name: "same upstream twice", mirrors: []any{hub(nil), hub(obj{"name": "hub2", "prefix": "hub"})}, wantKey: key + ".mirrors[1].url", wantMsg: "also mirrors[0]'s upstream"},
		{name: "docker hub under two names", mirrors: []any{hub(nil), hub(obj{"name": "hub2", "prefix": "hub", "url": "https://index.docker.io"})}, wantKey: key + ".mirrors[1].url", wantMsg: "same registry as mirrors[0] (docker.io)"},
		{name: "not a host", mirrors: []any{hub(obj{"url": "https://a'b"})}, wantKey: key + ".mirrors[0].url", wantMsg: "not a registry URL"},
		{name: "escaped host", mirrors: []any{hub(obj{"url": "https://a%25b"})}, wantKey: key + ".mirrors[0].url", wantMsg: "not a registry URL"},
		{name: "mirror reader neither user nor email", mirrors: []any{hub(nil)}, extra: obj{"mirrorReaders": obj{"users": []any{"nobody"}}},
			wantKey: key + ".mirrorReaders.users[0]", wantMsg: "neither an htpasswd user", push: true},
		{name: "rule beside a mirror", mirrors: []any{hub(nil)},
			extra: obj{"accessControl": obj{"adminUsers": []any{"ci"}, "repositories": []any{obj{"pattern": "docker.iox/**", "pushGroups": []any{"a"}}}}}},
		{name: "content everything", mirrors: []any{hub(obj{"content": []any{"**"}})}, wantKey: key + ".mirrors[0].content[0]", wantMsg: "whole upstream"},
		{name: "poll without content", mirrors: []any{hub(obj{"pollInterval": "1h"})}, wantKey: key + ".mirrors[0].pollInterval", wantMsg: "content is empty"},
		{name: "poll too often", mirrors: []any{hub(obj{"content": []any{"library/alpine"}, "pollInterval": "1m"})}, wantKey: key + ".mirrors[0].pollInterval", wantMsg: "at least 10m"},
		{name: "field typo", mirrors: []any{hub(obj{"prefx": "x"})}, wantKey: key + ".mirrors[0].prefx", wantMsg: `did you mean "prefix"`},
		{name: "readers without mirrors", extra: obj{"mirrorReaders": obj{"groups": []any{"nodes"}}}, wantKey: key + ".mirrorReaders", wantMsg: "no mirrors"},
		{name: "download size", mirrors: []any{hub(nil)}, extra: obj{"mirrorDownloadSize": "lots"}, wantKey: key + ".mirrorDownloadSize", wantMsg: "not a size"},
		{name: "a cache", mirrors: []any{hub(obj{"keepPulledWithin": "720h"})}},
		{name: "login", mirrors: []any{hub(obj{"credentials": obj{"username": "hub", "password": obj{"key": "hub", "property": "token"}}})}},
		{name: "login key empty", mirrors: []any{hub(obj{"credentials": obj{"username": "", "password": "hub"}})}, wantKey: key + ".mirrors[0].credentials.username", wantMsg: "is empty"},
		{name: "login key with space", mirrors: []any{hub(obj{"credentials": obj{"username": "hub", "password": "hub "}})}, wantKey: key + ".mirrors[0].credentials.password", wantMsg: "white space"},
		{name: "login field typo", mirrors: []any{hub(obj{"credentials": obj{"username": "hub", "pasword": "hub"}})}, wantKey: key + ".mirrors[0].credentials.pasword", wantMsg: `did you mean "password"`},
		{name: "cache window", mirrors: []any{hub(obj{"keepPulledWithin": "a month"})}, wantKey: key + ".mirrors[0].keepPulledWithin", wantMsg: "not a duration"},
		{name: "cache without gc", mirrors: []any{hub(obj{"keepPulledWithin": "720h"})}, extra: obj{"gc": obj{"enabled": false}}, wantKey: key + ".mirrors[0].keepPulledWithin", wantMsg: "gc.enabled is false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			if tc.mirrors != nil {
				objs["registry"]["mirrors"] = tc.mirrors
			}
			for k, v := range tc.extra {
				objs["registry"][k] = v
			}
			if tc.push {
				objs["secrets"] = obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}}
				objs["storage"] = obj{"mode": "aws", "region": "eu-west-1"}
			}
			cfg, err := parse(t, objs)
			if tc.wantKey == "" {
				require.NoError(t, err)
				for _, m := range cfg.Registry.Mirrors {
					assert.NotEmpty(t, m.Host)
					assert.True(t, m.TLSVerify != nil && *m.TLSVerify, "tlsVerify defaults to true")
					if len(m.Content) > 0 {
						assert.Equal(t, 6*time.Hour, m.PollDuration, "the default pollInterval")
					}
				}
				return
			}
			var errs spec.Errors
			require.ErrorAs(t, err, &errs)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

// Blob pulls are redirected to the store by default only where every
// client reaches it: AWS S3.
func TestRedirectPullsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		storage obj
		want    bool
	}{
		{"aws", obj{"mode": "aws", "region": "eu-west-1"}, true},
		{"aws, turned off", obj{"mode": "aws", "region": "eu-west-1", "redirectPulls": false}, false},
		{"s3-compatible", obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000"}, false},
		{"existing, turned on", obj{"mode": "existing", "bucket": "shared-zot", "endpoint": "https://s3.example.com", "redirectPulls": true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			objs["storage"] = tc.storage
			cfg, err := parse(t, objs)
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.Storage.Redirects())
		})
	}
}

// A bare name is a push robot, as before roles; {name, role} gives one.
func TestRobotRoles(t *testing.T) {
	objs := valid()
	objs["storage"] = obj{"mode": "aws", "region": "eu-west-1"}
	objs["secrets"] = obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", obj{"name": "cluster-pull", "role": "pull"}, "prometheus"}}
	objs["registry"]["metrics"] = obj{"users": []any{"prometheus"}}
	cfg, err := parse(t, objs)
	require.NoError(t, err)
	assert.Equal(t, spec.Users{{Name: "ci", Role: "push"}, {Name: "cluster-pull", Role: "pull"}, {Name: "prometheus", Role: "push"}}, cfg.Secrets.Users)
	assert.Equal(t, []string{"cluster-pull"}, cfg.Secrets.Users.Pull())

	objs["registry"]["metrics"] = obj{"users": []any{"cluster-pull"}}
	_, err = parse(t, objs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `zot-registry:registry.metrics.users[0]: "cluster-pull" is a pull robot`)
}

// A copied stack file that keeps the default remote keys must not read or
// push the other stack's values: each default key carries the stack name,
// and a key the stack names (or an empty one) is kept as given.
func TestDefaultRemoteKeysCarryTheStack(t *testing.T) {
	objs := valid()
	objs["secrets"] = obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"htpasswd": "shared/htpasswd", "sessionHashKey": ""}}
	keys := map[string]map[string]string{}
	for _, stack := range []string{"dev", "staging"} {
		cfg, err := config.Parse(stack, source(t, objs))
		require.NoError(t, err)
		keys[stack] = map[string]string{}
		for _, r := range cfg.Secrets.RemoteKeys.All() {
			keys[stack][r.Field] = r.Key
		}
	}
	for field, dev := range keys["dev"] {
		if field == "htpasswd" {
			assert.Equal(t, "shared/htpasswd", dev, "a key the stack names is kept")
			continue
		}
		assert.NotEqual(t, dev, keys["staging"][field], "default %s", field)
		assert.Contains(t, keys["staging"][field], "zot-staging-", "default %s", field)
	}
	assert.Equal(t, "zot-staging-session-hash-key", keys["staging"]["sessionHashKey"], "an empty key is the default")
}

func TestRemoteKeysTakeAPropertyEach(t *testing.T) {
	objs := valid()
	objs["secrets"] = obj{
		"store":          obj{"name": "vault"},
		"remoteProperty": "value",
		"remoteKeys": obj{
			"htpasswd":         obj{"key": "zot/auth", "property": "htpasswd"},
			"oidcClientSecret": obj{"key": "zot/oidc"},
			"sessionHashKey":   "zot/session",
		},
	}
	cfg, err := config.Parse("dev", source(t, objs))
	require.NoError(t, err)
	k := cfg.Secrets.RemoteKeys
	assert.Equal(t, spec.RemoteKey{Key: "zot/auth", Property: "htpasswd"}, k.Htpasswd, "a key's own property wins")
	assert.Equal(t, spec.RemoteKey{Key: "zot/oidc", Property: "value"}, k.OIDCClientSecret, "the default fills in")
	assert.Equal(t, spec.RemoteKey{Key: "zot/session", Property: "value"}, k.SessionHashKey, "a plain string is the key")
	assert.Equal(t, spec.RemoteKey{Key: "zot-htpasswd", Property: "value"}.String(), "zot-htpasswd#value")
	for _, r := range k.All() {
		assert.NotEmpty(t, r.Property, r.Field)
	}
}

func TestEndpointIsTheSingleSourceOfSecureAndPathStyle(t *testing.T) {
	cases := []struct {
		endpoint       string
		forcePathStyle any
		wantEndpoint   string
		wantSecure     bool
		wantPathStyle  bool
	}{
		{"http://rustfs.storage.svc:9000", nil, "http://rustfs.storage.svc:9000", false, true},
		{"https://minio.example.com/", nil, "https://minio.example.com", true, true},
		{"https://s3.example.com", false, "https://s3.example.com", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.endpoint, func(t *testing.T) {
			objs := valid()
			set(objs, "storage.endpoint", tc.endpoint)
			if tc.forcePathStyle != nil {
				set(objs, "storage.forcePathStyle", tc.forcePathStyle)
			}
			cfg, err := parse(t, objs)
			require.NoError(t, err)
			assert.Equal(t, tc.wantEndpoint, cfg.Storage.RegionEndpoint)
			assert.Equal(t, tc.wantSecure, cfg.Storage.Secure)
			assert.Equal(t, tc.wantPathStyle, *cfg.Storage.ForcePathStyle)
		})
	}
}

// TestCABundleTakesCertificates: two CAs in one bundle pass as given.
func TestCABundleTakesCertificates(t *testing.T) {
	a, _ := testsupport.CAPEM(t, "issuer CA")
	b, _ := testsupport.CAPEM(t, "S3 CA")
	objs := valid()
	set(objs, "registry.caBundle", a+b)
	cfg, err := parse(t, objs)
	require.NoError(t, err)
	assert.Equal(t, a+b, cfg.Registry.CABundle)
}

func TestExternalURLIsNormalised(t *testing.T) {
	for in, want := range map[string]string{
		"https://registry.dev.example.com/":     "https://registry.dev.example.com",
		"https://Registry.Dev.Example.com:8443": "https://registry.dev.example.com:8443",
	} {
		objs := valid()
		set(objs, "registry.externalUrl", in)
		cfg, err := parse(t, objs)
		require.NoError(t, err, in)
		assert.Equal(t, want, cfg.Registry.ExternalURL)
	}
}

// TestBadInput: each bad value fails with an error that names its key.
func TestBadInput(t *testing.T) {
	const reg = "zot-registry:registry"
	caCert, caKey := testsupport.CAPEM(t, "private CA")
	cases := []struct {
		name    string
		path    string
		value   any
		wantKey string
		wantMsg string
	}{
		{"externalUrl missing", "registry.externalUrl", nil, reg + ".externalUrl", "is missing"},
		{"caBundle not PEM", "registry.caBundle", "MIIB...", reg + ".caBundle", "block 1 is not PEM"},
		{"caBundle with a key", "registry.caBundle", caCert + caKey, reg + ".caBundle", "block 2 (EC PRIVATE KEY) is not a certificate"},
		{"externalUrl not a URL", "registry.externalUrl", "registry.example.com", reg + ".externalUrl", "not an absolute URL"},
		{"externalUrl http", "registry.externalUrl", "http://registry.example.com", reg + ".externalUrl", "must use https"},
		{"externalUrl path", "registry.externalUrl", "https://example.com/zot", reg + ".externalUrl", "has a path"},
		{"externalUrl query", "registry.externalUrl", "https://example.com?x=1", reg + ".externalUrl", "query or fragment"},
		{"externalUrl fragment", "registry.externalUrl", "https://example.com#x", reg + ".externalUrl", "query or fragment"},
		{"externalUrl bad port", "registry.externalUrl", "https://example.com:99999", reg + ".externalUrl", "invalid port"},
		{"port zero", "registry.port", 0, reg + ".port", "out of range"},
		{"port too high", "registry.port", 70000, reg + ".port", "out of range"},
		{"port not a number", "registry.port", "5000", reg + ".port", "must be a whole number"},
		{"chart version empty", "registry.chart.version", "", reg + ".chart.version", "is empty"},
		{"chart version latest", "registry.chart.version", "latest", reg + ".chart.version", "latest"},
		{"chart repo http", "registry.chart.repository", "http://charts.example.com", reg + ".chart.repository", "not an https://"},
		{"image tag empty", "registry.image.tag", "", reg + ".image.tag", "is empty"},
		{"image tag latest", "registry.image.tag", "latest", reg + ".image.tag", "latest"},
		{"image tag invalid", "registry.image.tag", "v2 1", reg + ".image.tag", "not a valid image tag"},
		{"image repo with tag", "registry.image.repository", "ghcr.io/project-zot/zot:v2.1.18", reg + ".image.repository", "without tag"},
		{"pull policy", "registry.image.pullPolicy", "Sometimes", reg + ".image.pullPolicy", "not allowed"},
		{"namespace", "registry.namespace", "Zot_NS", reg + ".namespace", "not a valid namespace"},
		{"release name", "registry.releaseName", strings.Repeat("z", 54), reg + ".releaseName", "Helm release name"},
		{"service type", "registry.serviceType", "ExternalName", reg + ".serviceType", "not allowed"},
		{"log level", "registry.logLevel", "verbose", reg + ".logLevel", "not allowed"},
		{"read timeout not duration", "registry.readTimeout", "an hour", reg + ".readTimeout", "not a duration"},
		{"read timeout too short", "registry.readTimeout", "60s0ms", "", ""}, // exactly 1m is allowed
		{"write timeout too short", "registry.writeTimeout", "30s", reg + ".writeTimeout", "below 1m"},
		{"persistence size", "registry.persistence.size", "ten gigs", reg + ".persistence.size", "not a volume size"},
		{"persistence size zero", "registry.persistence.size", "0Gi", reg + ".persistence.size", "not a volume size"},
		{"storage class", "registry.persistence.storageClass", "Fast SSD", reg + ".persistence.storageClass", "storage class"},
		{"chunk size too small", "registry.upload.chunkSize", 1 << 20, reg + ".upload.chunkSize", "multipart part limits"},
		{"chunk size too large", "registry.upload.chunkSize", int64(6) << 30, reg + ".upload.chunkSize", "multipart part limits"},
		{"copy chunk size", "registry.upload.multipartCopyChunkSize", 1024, reg + ".upload.multipartCopyChunkSize", "multipart part limits"},
		{"copy concurrency", "registry.upload.multipartCopyMaxConcurrency", -1, reg + ".upload.multipartCopyMaxConcurrency", "out of range"},
		{"empty admin group", "registry.accessControl.adminGroups", []any{"admins", ""}, reg + ".accessControl.adminGroups[1]", "is empty"},
		{"empty reader group", "registry.accessControl.readerGroups", []any{" "}, reg + ".accessControl.readerGroups[0]", "is empty"},
		{"duplicate reader", "registry.accessControl.readerUsers", []any{"a", "a"}, reg + ".accessControl.readerUsers[1]", "listed twice"},
		{"no admin", "registry.accessControl.adminUsers", []any{}, reg + ".accessControl", "nobody could push"},
		{"unknown registry key", "registry.externalURL", "https://x.example.com", reg + ".externalURL", `did you mean "externalUrl"`},
		{"unknown nested key", "registry.persistence.sise", "10Gi", reg + ".persistence.sise", `did you mean "size"`},
		{"unknown unrelated key", "registry.shards", 3, reg + ".shards", "known settings here"},
		{"wrong object type", "registry.persistence", "yes", reg + ".persistence", "must be an object"},
		{"ingress port mismatch", "registry.externalUrl", "https://registry.example.com:8443", "", ""},
		{"bucket missing", "storage.bucket", nil, "zot-registry:storage.bucket", "is missing"},
		{"bucket short", "storage.bucket", "zo", "zot-registry:storage.bucket", "3 to 63"},
		{"bucket long", "storage.bucket", strings.Repeat("b", 64), "zot-registry:storage.bucket", "3 to 63"},
		{"bucket uppercase", "storage.bucket", "Zot-Dev", "zot-registry:storage.bucket", "uppercase"},
		{"bucket underscore", "storage.bucket", "zot_dev", "zot-registry:storage.bucket", "'_'"},
		{"bucket ip", "storage.bucket", "192.168.1.10", "zot-registry:storage.bucket", "IP address"},
		{"bucket dots", "storage.bucket", "zot..dev", "zot-registry:storage.bucket", "adjacent dots"},
		{"bucket xn--", "storage.bucket", "xn--zot", "zot-registry:storage.bucket", "xn--"},
		{"bucket ends with dash", "storage.bucket", "zot-", "zot-registry:storage.bucket", "start and end"},
		{"endpoint not URL", "storage.endpoint", "rustfs:9000", "zot-registry:storage.endpoint", "not an http"},
		{"endpoint with path", "storage.endpoint", "https://s3.example.com/zot", "zot-registry:storage.endpoint", "path or query"},
		{"key prefix", "storage.keyPrefix", "zot/", "zot-registry:storage.keyPrefix", "key prefix"},
		{"issuer missing", "identity.issuer", nil, "zot-registry:identity.issuer", "is missing"},
		{"issuer http", "identity.issuer", "http://auth.example.com/application/o/zot/", "zot-registry:identity.issuer", "must use https"},
		{"client id empty", "identity.clientId", " ", "zot-registry:identity.clientId", "is empty"},
		{"scopes without openid", "identity.scopes", []any{"profile"}, "zot-registry:identity.scopes", "openid"},
		{"root user", "registry.security", map[string]any{"runAsUser": 0}, "zot-registry:registry.security.runAsUser", "would run zot as root"},
		{"cpu quantity", "registry.resources", map[string]any{"requests": map[string]any{"cpu": "two"}}, "zot-registry:registry.resources.requests.cpu", "not a CPU quantity"},
		{"memory quantity", "registry.resources", map[string]any{"limits": map[string]any{"memory": "2GB"}}, "zot-registry:registry.resources.limits.memory", "not a memory quantity"},
		{"seccomp profile", "registry.security", map[string]any{"runAsUser": 1000, "seccompProfile": "Localhost"}, "zot-registry:registry.security.seccompProfile", "not allowed"},
		{"username claim empty", "identity.usernameClaim", " ", "zot-registry:identity.usernameClaim", "not a claim name"},
		{"groups claim with a space", "identity.groupsClaim", "my groups", "zot-registry:identity.groupsClaim", "not a claim name"},
		{"email claim without the email scope", "identity.scopes", []any{"openid", "profile"}, "zot-registry:identity.usernameClaim", `scopes lack "email"`},
		{"secret name", "secrets.oidcSecretName", "Zot OIDC", "zot-registry:secrets.oidcSecretName", "not a valid volume name"},
		{"S3 secret name", "secrets.s3SecretName", "Zot S3", "zot-registry:secrets.s3SecretName", "not a valid Secret name"},
		{"secret names collide", "secrets.s3SecretName", "zot-htpasswd", "zot-registry:secrets.s3SecretName", "also htpasswdSecretName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			set(objs, tc.path, tc.value)
			checkProblem(t, objs, tc.wantKey, tc.wantMsg)
		})
	}
}

// checkProblem parses objs and checks the one problem wanted at wantKey
// (none when wantKey is empty): its text, and that it says what to do.
func checkProblem(t *testing.T, objs map[string]obj, wantKey, wantMsg string) {
	t.Helper()
	_, err := parse(t, objs)
	if wantKey == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	var errs spec.Errors
	require.True(t, errors.As(err, &errs), "want spec.Errors, got %T", err)
	require.Contains(t, errs.Keys(), wantKey, err.Error())
	for _, e := range errs {
		if e.Key == wantKey {
			assert.Contains(t, e.Problem+"; "+e.Fix, wantMsg)
			assert.NotEmpty(t, e.Fix, "every error says what to do")
			assert.Contains(t, e.Error(), wantKey)
		}
	}
}

// TestRouteRules: zot is served one way, and a route names real Gateways.
func TestRouteRules(t *testing.T) {
	const reg = "zot-registry:registry"
	route := func(parents ...any) obj { return obj{"enabled": true, "parentRefs": parents} }
	gw := obj{"name": "public", "namespace": "gateway-system", "sectionName": "https"}
	cases := []struct {
		name    string
		changes map[string]any
		wantKey string
		wantMsg string
	}{
		{"route", map[string]any{"registry.externalProxy": nil, "registry.route": route(gw)}, "", ""},
		{"both", map[string]any{"registry.route": route(gw), "registry.ingress": obj{"enabled": true}}, reg + ".route.enabled", "both true"},
		{"neither", map[string]any{"registry.externalProxy": nil}, reg + ".route.enabled", "nothing serves externalUrl https://registry.dev.example.com"},
		{"neither but a load balancer", map[string]any{"registry.externalProxy": nil, "registry.serviceType": "LoadBalancer"}, "", ""},
		{"no parentRefs", map[string]any{"registry.route": route()}, reg + ".route.parentRefs", "attaches to no Gateway"},
		{"bad gateway name", map[string]any{"registry.route": route(obj{"name": "Public GW"})}, reg + ".route.parentRefs[0].name", "not a Gateway name"},
		{"bad namespace", map[string]any{"registry.route": route(obj{"name": "public", "namespace": "gateway.system"})}, reg + ".route.parentRefs[0].namespace", "not a namespace"},
		{"bad listener", map[string]any{"registry.route": route(obj{"name": "public", "sectionName": "HTTPS"})}, reg + ".route.parentRefs[0].sectionName", "not a listener name"},
		{"port in externalUrl", map[string]any{"registry.route": route(gw), "registry.externalUrl": "https://registry.example.com:8443"}, reg + ".externalUrl", "cannot hold a port"},
		{"bad timeout", map[string]any{"registry.route": obj{"enabled": true, "parentRefs": []any{gw}, "timeout": "an hour"}}, reg + ".route.timeout", "not a duration"},
		{"unknown route key", map[string]any{"registry.route": obj{"enabled": true, "parentRefs": []any{gw}, "hostnames": []any{"x"}}}, reg + ".route.hostnames", "known settings here"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			for path, v := range tc.changes {
				set(objs, path, v)
			}
			cfg, err := parse(t, objs)
			if tc.wantKey == "" {
				require.NoError(t, err)
				if cfg.Registry.Route.Enabled {
					assert.Equal(t, time.Hour, cfg.Registry.Route.TimeoutDuration, "the default is zot's longest timeout")
				}
				return
			}
			require.Error(t, err)
			var errs spec.Errors
			require.True(t, errors.As(err, &errs), "want spec.Errors, got %T", err)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

func TestIngressRules(t *testing.T) {
	objs := valid()
	set(objs, "registry.ingress", obj{"enabled": true, "className": "nginx"})
	set(objs, "registry.externalUrl", "https://registry.example.com:8443")
	_, err := parse(t, objs)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "zot-registry:registry.externalUrl: names port 8443")

	objs = valid()
	set(objs, "registry.ingress", obj{"enabled": true, "className": "", "tlsSecretName": "Bad Name"})
	_, err = parse(t, objs)
	var errs spec.Errors
	require.ErrorAs(t, err, &errs)
	assert.ElementsMatch(t, []string{"zot-registry:registry.ingress.className", "zot-registry:registry.ingress.tlsSecretName"}, errs.Keys())
}

func TestMissingObjectsAndSecretObjects(t *testing.T) {
	objs := valid()
	objs["storage"] = nil
	objs["identity"] = nil
	_, err := parse(t, objs)
	var errs spec.Errors
	require.ErrorAs(t, err, &errs)
	assert.Equal(t, []string{"zot-registry:storage", "zot-registry:identity"}, errs.Keys())

	src := source(t, valid())
	src.Secrets["zot-registry:registry"] = true
	_, err = config.Parse("dev", src)
	require.ErrorAs(t, err, &errs)
	assert.Equal(t, []string{"zot-registry:registry"}, errs.Keys())
	assert.Contains(t, err.Error(), "stored as a secret")

	// secrets names the store: it may not be left out.
	objs = valid()
	objs["secrets"] = nil
	_, err = parse(t, objs)
	require.ErrorAs(t, err, &errs)
	assert.Equal(t, []string{"zot-registry:secrets"}, errs.Keys())
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	objs := valid()
	set(objs, "registry.externalUrl", "http://x")
	set(objs, "registry.port", 0)
	set(objs, "storage.bucket", "X")
	_, err := parse(t, objs)
	var errs spec.Errors
	require.ErrorAs(t, err, &errs)
	assert.Len(t, errs, 3)
	assert.True(t, strings.HasPrefix(err.Error(), "3 config problems:"))
}

func TestStorageModes(t *testing.T) {
	const key = "zot-registry:storage"
	cases := []struct {
		name    string
		storage obj
		wantKey string
		wantMsg string
		check   func(t *testing.T, s spec.Storage)
	}{
		{name: "aws with defaults", storage: obj{"mode": "aws", "region": "eu-central-1"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "zot-registry-dev", s.BucketPrefix, "a random suffix follows")
			assert.True(t, s.Secure)
			assert.False(t, *s.ForcePathStyle)
			assert.Empty(t, s.RegionEndpoint)
			assert.True(t, s.Creates())
		}},
		{name: "aws with a name", storage: obj{"mode": "aws", "region": "eu-central-1", "bucket": "acme-zot"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "acme-zot", s.Bucket)
			assert.Empty(t, s.BucketPrefix)
		}},
		{name: "s3-compatible", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "zot-registry-dev", s.BucketPrefix)
			assert.Equal(t, "us-east-1", s.Region)
			assert.Equal(t, "http://rustfs:9000", s.RegionEndpoint)
			assert.False(t, s.Secure)
			assert.True(t, *s.ForcePathStyle)
		}},
		{name: "s3-compatible secure agrees", storage: obj{"mode": "s3-compatible", "endpoint": "https://minio:9000", "secure": true}},
		{name: "provisionEndpoint defaults to endpoint", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000/"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "http://rustfs:9000", s.ProvisionURL)
		}},
		{name: "provisionEndpoint apart from zot's", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs.storage.svc.cluster.local:9000", "provisionEndpoint": "https://s3.dev.example.com/"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "http://rustfs.storage.svc.cluster.local:9000", s.RegionEndpoint, "zot keeps the in-cluster endpoint")
			assert.Equal(t, "https://s3.dev.example.com", s.ProvisionURL)
			assert.False(t, s.Secure, "secure follows zot's endpoint")
		}},
		{name: "provisionEndpoint in existing mode", storage: obj{"mode": "existing", "bucket": "zot", "endpoint": "http://garage:3900", "provisionEndpoint": "http://127.0.0.1:3900"}, check: func(t *testing.T, s spec.Storage) {
			assert.Equal(t, "http://127.0.0.1:3900", s.ProvisionURL)
		}},
		{name: "provisionEndpoint without endpoint", storage: obj{"mode": "aws", "region": "eu-west-1", "provisionEndpoint": "http://127.0.0.1:9000"}, wantKey: key + ".provisionEndpoint", wantMsg: "endpoint is empty"},
		{name: "provisionEndpoint not a URL", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000", "provisionEndpoint": "127.0.0.1:9000"}, wantKey: key + ".provisionEndpoint", wantMsg: "not an http"},
		{name: "provisionEndpoint with a path", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000", "provisionEndpoint": "https://s3.example.com/zot-dev"}, wantKey: key + ".provisionEndpoint", wantMsg: "path or query"},
		{name: "mode missing", storage: obj{"bucket": "zot"}, wantKey: key + ".mode", wantMsg: "is missing"},
		{name: "mode unknown", storage: obj{"mode": "gcs", "bucket": "zot"}, wantKey: key + ".mode", wantMsg: "not a storage mode"},
		{name: "aws without region", storage: obj{"mode": "aws"}, wantKey: key + ".region", wantMsg: "is missing"},
		{name: "aws with endpoint", storage: obj{"mode": "aws", "region": "eu-west-1", "endpoint": "https://s3.example.com"}, wantKey: key + ".endpoint", wantMsg: "aws mode"},
		{name: "aws insecure", storage: obj{"mode": "aws", "region": "eu-west-1", "secure": false}, wantKey: key + ".secure", wantMsg: "always https"},
		{name: "s3-compatible without endpoint", storage: obj{"mode": "s3-compatible"}, wantKey: key + ".endpoint", wantMsg: "is missing"},
		{name: "secure with http endpoint", storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000", "secure": true}, wantKey: key + ".secure", wantMsg: "says otherwise"},
		{name: "existing without bucket", storage: obj{"mode": "existing"}, wantKey: key + ".bucket", wantMsg: "is missing"},
		{name: "abort days zero", storage: obj{"mode": "existing", "bucket": "zot", "abortIncompleteUploadsDays": 0}, wantKey: key + ".abortIncompleteUploadsDays", wantMsg: "at least 1"},
		{name: "protect in existing mode", storage: obj{"mode": "existing", "bucket": "zot", "protect": true}, wantKey: key, wantMsg: "creates none"},
		{name: "bucket rules in aws mode", storage: obj{"mode": "aws", "region": "eu-west-1", "bucket": "Zot"}, wantKey: key + ".bucket", wantMsg: "uppercase"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			objs["storage"] = tc.storage
			cfg, err := parse(t, objs)
			if tc.wantKey == "" {
				require.NoError(t, err)
				if tc.check != nil {
					tc.check(t, cfg.Storage)
				}
				return
			}
			var errs spec.Errors
			require.ErrorAs(t, err, &errs)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

func TestDefaultBucketNameForLongStack(t *testing.T) {
	objs := valid()
	objs["storage"] = obj{"mode": "aws", "region": "eu-west-1"}
	cfg, err := config.Parse(strings.Repeat("Prod_", 20), source(t, objs))
	require.NoError(t, err)
	assert.LessOrEqual(t, len(cfg.Storage.BucketPrefix)+9, 63)
	assert.Regexp(t, `^[a-z0-9][a-z0-9-]*[a-z0-9]$`, cfg.Storage.BucketPrefix)
}

func TestIdentityModes(t *testing.T) {
	const key = "zot-registry:identity"
	cases := []struct {
		name     string
		identity obj
		mutate   func(config.MapSource)
		wantKey  string
		wantMsg  string
		check    func(t *testing.T, id spec.Identity)
	}{
		{name: "authentik defaults", identity: obj{"mode": "authentik"}, check: func(t *testing.T, id spec.Identity) {
			assert.Equal(t, "zot-dev", id.ClientID, "zot-<stack>")
			assert.Equal(t, "https://auth.example.com", id.AuthentikURL.String())
			assert.Equal(t, "Authentik", id.Label)
			a := id.Authentik
			assert.Equal(t, "zot", a.Slug)
			assert.Equal(t, "default-provider-authorization-implicit-consent", a.AuthorizationFlow)
			assert.Equal(t, "default-provider-invalidation-flow", a.InvalidationFlow)
			assert.Equal(t, "hashed_user_id", a.SubMode)
			assert.Equal(t, "minutes=10", a.AccessTokenValidity)
			assert.Empty(t, a.Groups)
		}},
		{name: "authentik url trailing slash", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { s.Values["authentik:url"] = "https://auth.example.com/" },
			check: func(t *testing.T, id spec.Identity) {
				assert.Equal(t, "https://auth.example.com", id.AuthentikURL.String())
			}},
		{name: "authentik lab over http", identity: obj{"mode": "authentik", "authentik": obj{"allowHttp": true}}, mutate: func(s config.MapSource) { s.Values["authentik:url"] = "http://authentik.lab:9000" }},
		{name: "external", identity: obj{"mode": "external", "issuer": "https://kc.example.com/realms/x", "clientId": "zot"}, check: func(t *testing.T, id spec.Identity) {
			assert.Equal(t, "SSO", id.Label)
			assert.Nil(t, id.AuthentikURL)
		}},
		{name: "mode missing", identity: obj{"clientId": "zot"}, wantKey: key + ".mode", wantMsg: "is missing"},
		{name: "mode unknown", identity: obj{"mode": "keycloak"}, wantKey: key + ".mode", wantMsg: "not an identity mode"},
		{name: "authentik url missing", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { delete(s.Values, "authentik:url") }, wantKey: "authentik:url", wantMsg: "is missing"},
		{name: "authentik url http", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { s.Values["authentik:url"] = "http://auth.example.com" }, wantKey: "authentik:url", wantMsg: "allowHttp"},
		{name: "authentik url path", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { s.Values["authentik:url"] = "https://example.com/auth" }, wantKey: "authentik:url", wantMsg: "path"},
		{name: "authentik url not a URL", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { s.Values["authentik:url"] = "auth.example.com" }, wantKey: "authentik:url", wantMsg: "not an https URL"},
		{name: "authentik token plain", identity: obj{"mode": "authentik"}, mutate: func(s config.MapSource) { s.Secrets["authentik:token"] = false }, wantKey: "authentik:token", wantMsg: "plain text"},
		{name: "slug", identity: obj{"mode": "authentik", "authentik": obj{"slug": "zot registry"}}, wantKey: key + ".authentik.slug", wantMsg: "not an Authentik slug"},
		{name: "client id empty", identity: obj{"mode": "authentik", "clientId": " "}, wantKey: key + ".clientId", wantMsg: "is empty"},
		{name: "group empty", identity: obj{"mode": "authentik", "authentik": obj{"groups": []any{"registry-users", ""}}}, wantKey: key + ".authentik.groups[1]", wantMsg: "is empty"},
		{name: "group twice", identity: obj{"mode": "authentik", "authentik": obj{"groups": []any{"a", "a"}}}, wantKey: key + ".authentik.groups[1]", wantMsg: "twice"},
		{name: "sub mode", identity: obj{"mode": "authentik", "authentik": obj{"subMode": "email"}}, wantKey: key + ".authentik.subMode", wantMsg: "not allowed"},
		{name: "validity", identity: obj{"mode": "authentik", "authentik": obj{"accessTokenValidity": "10m"}}, wantKey: key + ".authentik.accessTokenValidity", wantMsg: "Authentik duration"},
		{name: "issuer in authentik mode", identity: obj{"mode": "authentik", "issuer": "https://x.example.com/"}, wantKey: key + ".issuer", wantMsg: "derives it"},
		{name: "external without issuer", identity: obj{"mode": "external", "clientId": "zot"}, wantKey: key + ".issuer", wantMsg: "is missing"},
		{name: "external issuer http", identity: obj{"mode": "external", "clientId": "zot", "issuer": "http://kc.example.com/realms/x"}, wantKey: key + ".issuer", wantMsg: "must use https"},
		{name: "external without client id", identity: obj{"mode": "external", "issuer": "https://kc.example.com/realms/x"}, wantKey: key + ".clientId", wantMsg: "is empty"},
		{name: "external without secret and without ESO", identity: obj{"mode": "external", "clientId": "zot", "issuer": "https://kc.example.com/realms/x"},
			mutate: func(s config.MapSource) {
				delete(s.Values, "zot-registry:oidcClientSecret")
				s.Values["zot-registry:secrets"] = `{"mode":"kubernetes"}`
				s.Values["zot-registry:s3AccessKeyId"], s.Values["zot-registry:s3SecretAccessKey"] = "id", "key"
				s.Secrets["zot-registry:s3AccessKeyId"], s.Secrets["zot-registry:s3SecretAccessKey"] = true, true
			}, wantKey: "zot-registry:oidcClientSecret", wantMsg: "is missing"},
		{name: "external secret in plain text", identity: obj{"mode": "external", "clientId": "zot", "issuer": "https://kc.example.com/realms/x"},
			mutate: func(s config.MapSource) { s.Secrets["zot-registry:oidcClientSecret"] = false }, wantKey: "zot-registry:oidcClientSecret", wantMsg: "plain text"},
		{name: "external with authentik groups", identity: obj{"mode": "external", "clientId": "zot", "issuer": "https://kc.example.com/realms/x", "authentik": obj{"groups": []any{"a"}}},
			wantKey: key + ".authentik", wantMsg: "creates nothing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			objs["identity"] = tc.identity
			src := source(t, objs)
			if tc.mutate != nil {
				tc.mutate(src)
			}
			cfg, err := config.Parse("dev", src)
			if tc.wantKey == "" {
				require.NoError(t, err)
				if tc.check != nil {
					tc.check(t, cfg.Identity)
				}
				return
			}
			var errs spec.Errors
			require.ErrorAs(t, err, &errs)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

func TestSecretsModes(t *testing.T) {
	const key = "zot-registry:secrets"
	cases := []struct {
		name    string
		secrets obj
		storage obj
		mutate  func(config.MapSource)
		wantKey string
		wantMsg string
	}{
		{name: "store", secrets: obj{"store": obj{"name": "vault", "kind": "SecretStore"}, "refreshInterval": "15m"}},
		{name: "push with aws storage", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", "robot.ci"}},
			storage: obj{"mode": "aws", "region": "eu-west-1"}},
		{name: "push with s3-compatible storage and keys", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}},
			storage: obj{"mode": "s3-compatible", "endpoint": "http://rustfs:9000"}, mutate: func(s config.MapSource) {
				s.Values["zot-registry:s3AccessKeyId"], s.Values["zot-registry:s3SecretAccessKey"] = "a", "b"
				s.Secrets["zot-registry:s3AccessKeyId"], s.Secrets["zot-registry:s3SecretAccessKey"] = true, true
			}},
		{name: "store name empty", secrets: obj{"store": obj{"name": ""}}, wantKey: key + ".store.name", wantMsg: "is empty"},
		{name: "store kind", secrets: obj{"store": obj{"name": "vault", "kind": "Vault"}}, wantKey: key + ".store.kind", wantMsg: "not allowed"},
		{name: "refresh interval", secrets: obj{"store": obj{"name": "vault"}, "refreshInterval": "hourly"}, wantKey: key + ".refreshInterval", wantMsg: "not a duration"},
		{name: "remote key blank", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"htpasswd": " "}}, wantKey: key + ".remoteKeys.htpasswd", wantMsg: "white space"},
		{name: "remote key duplicated", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"s3SecretAccessKey": "zot-dev-s3-access-key-id"}}, wantKey: key + ".remoteKeys.s3SecretAccessKey", wantMsg: "also remoteKeys.s3AccessKeyId"},
		{name: "unknown mode", secrets: obj{"mode": "sync", "store": obj{"name": "vault"}}, wantKey: key + ".mode", wantMsg: "not a secrets mode"},
		{name: "user empty", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{""}}, storage: obj{"mode": "aws", "region": "eu-west-1"}, wantKey: key + ".users[0]", wantMsg: "is empty"},
		{name: "user with colon", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci:x"}}, storage: obj{"mode": "aws", "region": "eu-west-1"}, wantKey: key + ".users[0]", wantMsg: "':'"},
		{name: "user twice", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", "ci"}}, storage: obj{"mode": "aws", "region": "eu-west-1"}, wantKey: key + ".users[1]", wantMsg: "twice"},
		{name: "push without users", secrets: obj{"mode": "push", "store": obj{"name": "vault"}}, storage: obj{"mode": "aws", "region": "eu-west-1"}, wantKey: key + ".users", wantMsg: "nobody could docker login"},
		{name: "short passwords", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}, "passwordLength": 12}, storage: obj{"mode": "aws", "region": "eu-west-1"}, wantKey: key + ".passwordLength", wantMsg: "too short"},
		{name: "admin neither htpasswd user nor email", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci-pusher"}}, storage: obj{"mode": "aws", "region": "eu-west-1"},
			wantKey: "zot-registry:registry.accessControl.adminUsers[0]", wantMsg: `"ci" is neither an htpasswd user (secrets.users) nor an email address`},
		{name: "push and pull robots", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", obj{"name": "cluster-pull", "role": "pull"}, obj{"name": "renovate"}}},
			storage: obj{"mode": "aws", "region": "eu-west-1"}},
		{name: "robot role unknown", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", obj{"name": "p", "role": "read"}}}, storage: obj{"mode": "aws", "region": "eu-west-1"},
			wantKey: key + ".users[1].role", wantMsg: `"read"`},
		{name: "robot field typo", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci", obj{"name": "p", "rol": "pull"}}}, storage: obj{"mode": "aws", "region": "eu-west-1"},
			wantKey: key + ".users[1].rol", wantMsg: `did you mean "role"`},
		{name: "pull robot as admin", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{obj{"name": "ci", "role": "pull"}}}, storage: obj{"mode": "aws", "region": "eu-west-1"},
			wantKey: "zot-registry:registry.accessControl.adminUsers[0]", wantMsg: `"ci" is a pull robot`},
		{name: "users in store mode", secrets: obj{"store": obj{"name": "vault"}, "users": []any{"ci"}}, wantKey: key + ".users", wantMsg: "store mode"},
		{name: "push without S3 keys", secrets: obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}}, wantKey: "zot-registry:s3AccessKeyId", wantMsg: "only storage mode aws"},
		{name: "one key, several properties", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{
			"s3AccessKeyId": obj{"key": "zot/s3", "property": "id"}, "s3SecretAccessKey": obj{"key": "zot/s3", "property": "secret"}}}},
		{name: "remote key and property duplicated", secrets: obj{"store": obj{"name": "vault"}, "remoteProperty": "v", "remoteKeys": obj{
			"s3AccessKeyId": obj{"key": "zot/s3"}, "s3SecretAccessKey": obj{"key": "zot/s3", "property": "v"}}},
			wantKey: key + ".remoteKeys.s3SecretAccessKey", wantMsg: `"zot/s3#v" is also remoteKeys.s3AccessKeyId`},
		{name: "remote key unknown field", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"htpasswd": obj{"key": "k", "proprety": "value"}}},
			wantKey: key + ".remoteKeys.htpasswd.proprety", wantMsg: `did you mean "property"`},
		{name: "remote key wrong type", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"htpasswd": 3}},
			wantKey: key + ".remoteKeys.htpasswd", wantMsg: "must be"},
		{name: "property with space", secrets: obj{"store": obj{"name": "vault"}, "remoteKeys": obj{"htpasswd": obj{"key": "k", "property": "value "}}},
			wantKey: key + ".remoteKeys.htpasswd.property", wantMsg: "white space"},
		{name: "wait timeout", secrets: obj{"store": obj{"name": "vault"}, "waitTimeout": "5"}, wantKey: key + ".waitTimeout", wantMsg: "at least 30s"},
		{name: "wait timeout too short", secrets: obj{"store": obj{"name": "vault"}, "waitTimeout": "10s"}, wantKey: key + ".waitTimeout", wantMsg: "at least 30s"},
		{name: "mounted Secret name with a dot", secrets: obj{"store": obj{"name": "vault"}, "htpasswdSecretName": "zot.htpasswd"},
			wantKey: key + ".htpasswdSecretName", wantMsg: "not a valid volume name"},
		{name: "mounted Secret name too long", secrets: obj{"store": obj{"name": "vault"}, "oidcSecretName": strings.Repeat("a", 64)},
			wantKey: key + ".oidcSecretName", wantMsg: "at most 63"},
		{name: "mounted Secret name is a chart volume", secrets: obj{"store": obj{"name": "vault"}, "sessionSecretName": "zot-config"},
			wantKey: key + ".sessionSecretName", wantMsg: "the chart's own pod volumes"},
		{name: "mounted Secret name is the PVC volume", secrets: obj{"store": obj{"name": "vault"}, "htpasswdSecretName": "zot-pvc"},
			wantKey: key + ".htpasswdSecretName", wantMsg: "the chart's own pod volumes"},
		{name: "S3 Secret name may have a dot (read through env)", secrets: obj{"store": obj{"name": "vault"}, "s3SecretName": "zot.s3"}},
		{name: "secret names collide with session", secrets: obj{"store": obj{"name": "vault"}, "sessionSecretName": "zot-oidc"}, wantKey: key + ".sessionSecretName", wantMsg: "also oidcSecretName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			objs["secrets"] = tc.secrets
			if tc.storage != nil {
				objs["storage"] = tc.storage
			}
			src := source(t, objs)
			if tc.mutate != nil {
				tc.mutate(src)
			}
			_, err := config.Parse("dev", src)
			if tc.wantKey == "" {
				require.NoError(t, err)
				return
			}
			var errs spec.Errors
			require.ErrorAs(t, err, &errs)
			require.Contains(t, errs.Keys(), tc.wantKey, err.Error())
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

// TestEveryProblemInOneRun: a typo does not hide the other problems; each is
// reported once, with its full key, and the typo is not also "missing".
func TestEveryProblemInOneRun(t *testing.T) {
	objs := valid()
	url := objs["registry"]["externalUrl"]
	delete(objs["registry"], "externalUrl")
	set(objs, "registry.externalURL", url)
	set(objs, "storage.bucket", "Zot_Dev")
	set(objs, "registry.upload", obj{"chunkSize": 1024})
	set(objs, "registry.port", "5000")
	_, err := parse(t, objs)
	require.Error(t, err)
	var errs spec.Errors
	require.True(t, errors.As(err, &errs))
	assert.ElementsMatch(t, []string{
		"zot-registry:registry.externalURL",
		"zot-registry:registry.port",
		"zot-registry:registry.upload.chunkSize",
		"zot-registry:storage.bucket",
	}, errs.Keys(), err.Error())
	assert.Contains(t, err.Error(), `did you mean "externalUrl"`)
	assert.NotContains(t, err.Error(), "registry.externalUrl: is missing")

	// A section that cannot be read is one problem, not one per setting.
	objs = valid()
	src := source(t, objs)
	src.Values["zot-registry:registry"] = `"https://registry.example.com"`
	_, err = config.Parse("dev", src)
	require.True(t, errors.As(err, &errs))
	assert.Equal(t, []string{"zot-registry:registry"}, errs.Keys(), err.Error())
}

// TestOperationsRules: the day-2 settings, each problem at its key, as zot
// would refuse it (or worse, accept it and fail at start).
func TestOperationsRules(t *testing.T) {
	const reg = "zot-registry:registry"
	redis := obj{"driver": "redis", "redis": obj{"addresses": []any{"redis-master.redis.svc.cluster.local:6379"}}}
	cases := []struct {
		name    string
		edits   []edit
		wantKey string // empty: valid
		wantMsg string
	}{
		{"defaults: one replica, local metadata, no metrics", nil, "", ""},
		{"three replicas on redis", []edit{{"registry.replicas", 3}, {"registry.cache", redis}}, "", ""},
		{"replicas zero", []edit{{"registry.replicas", 0}}, reg + ".replicas", "out of range"},
		{"replicas 17", []edit{{"registry.replicas", 17}, {"registry.cache", redis}}, reg + ".replicas", "use 1 to 16"},
		{"replicas on local metadata", []edit{{"registry.replicas", 2}}, reg + ".cache.driver", "need shared metadata"},
		{"unknown driver", []edit{{"registry.cache.driver", "boltdb"}}, reg + ".cache.driver", "not allowed"},
		{"redis without addresses", []edit{{"registry.cache.driver", "redis"}}, reg + ".cache.redis.addresses", "is empty"},
		{"redis address without port", []edit{{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"redis"}}}}}, reg + ".cache.redis.addresses[0]", "not host:port"},
		{"redis cluster with a db", []edit{{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"a:6379", "b:6379"}, "db": 2}}}}, reg + ".cache.redis.db", "Redis Cluster"},
		{"redis settings without redis", []edit{{"registry.cache.redis", obj{"addresses": []any{"a:6379"}}}}, reg + ".cache.redis", "cache.driver is local"},
		{"redis over tls", []edit{{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"redis.redis.svc:6380"}, "tls": true}}}}, "", ""},
		{"redis over tls with a user", []edit{{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"redis:6380"}, "tls": true, "username": "zot"}}}}, reg + ".cache.redis.username", "logs the URL"},
		{"redis over tls at a host named addr", []edit{{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"redis-addr.redis.svc:6380"}, "tls": true}}}}, reg + ".cache.redis.addresses[0]", "Redis Cluster"},
		{"redis tls without redis", []edit{{"registry.cache.redis.tls", true}}, reg + ".cache.redis", "cache.driver is local"},
		{"dynamodb outside aws", []edit{{"registry.cache.driver", "dynamodb"}}, reg + ".cache.driver", "storage mode existing"},
		{"dynamodb in aws mode", []edit{{"registry.cache.driver", "dynamodb"}, {"storage", obj{"mode": "aws", "region": "eu-central-1", "bucket": "zot-dev"}}}, "", ""},
		{"dynamodb table prefix", []edit{{"registry.cache", obj{"driver": "dynamodb", "dynamodb": obj{"tablePrefix": "zot prod"}}}, {"storage", obj{"mode": "aws", "region": "eu-central-1", "bucket": "zot-dev"}}}, reg + ".cache.dynamodb.tablePrefix", "valid DynamoDB table names"},
		{"budget evicts everything", []edit{{"registry.replicas", 2}, {"registry.cache", redis}, {"registry.availability.maxUnavailable", 2}}, reg + ".availability.maxUnavailable", "every one of the 2 replicas"},
		{"budget zero", []edit{{"registry.availability.maxUnavailable", 0}}, reg + ".availability.maxUnavailable", "block every node drain"},
		{"topology key", []edit{{"registry.availability.topologyKey", "a node"}}, reg + ".availability.topologyKey", "not a node label key"},
		{"when unsatisfiable", []edit{{"registry.availability.whenUnsatisfiable", "Never"}}, reg + ".availability.whenUnsatisfiable", "not allowed"},
		{"metrics on without a scrape identity", []edit{{"registry.metrics.enabled", true}}, reg + ".metrics.users", "403 even to admins"},
		{"metrics users", []edit{{"registry.metrics.users", []any{"prometheus"}}}, "", ""},
		{"metrics path /v2", []edit{{"registry.metrics", obj{"users": []any{"p"}, "path": "/v2"}}}, reg + ".metrics.path", "clean path of its own"},
		{"metrics path not clean", []edit{{"registry.metrics", obj{"users": []any{"p"}, "path": "/metrics/"}}}, reg + ".metrics.path", "clean path"},
		{"metrics user not generated in push mode", []edit{{"registry.metrics.users", []any{"prometheus"}}, {"secrets", obj{"store": obj{"name": "vault"}, "mode": "push", "users": []any{"ci"}}}, {"storage", obj{"mode": "aws", "region": "eu-central-1", "bucket": "zot-dev"}}}, reg + ".metrics.users[0]", "add it to secrets.users"},
		{"service monitor without metrics", []edit{{"registry.metrics.serviceMonitor.enabled", true}}, reg + ".metrics.serviceMonitor.enabled", "metrics.enabled is false"},
		{"service monitor in store mode without a Secret", []edit{{"registry.metrics", obj{"users": []any{"p"}, "serviceMonitor": obj{"enabled": true}}}}, reg + ".metrics.serviceMonitor.basicAuthSecret", "only the store knows"},
		{"service monitor anonymous", []edit{{"registry.metrics", obj{"anonymous": true, "serviceMonitor": obj{"enabled": true}}}}, "", ""},
		{"service monitor interval", []edit{{"registry.metrics", obj{"anonymous": true, "serviceMonitor": obj{"enabled": true, "interval": "1h30"}}}}, reg + ".metrics.serviceMonitor.interval", "Prometheus duration"},
		{"gc delay", []edit{{"registry.gc.delay", "a week"}}, reg + ".gc.delay", "not a duration zot accepts"},
		{"gc interval negative", []edit{{"registry.gc.interval", "-1h"}}, reg + ".gc.interval", "not a duration zot accepts"},
		{"gc window", []edit{{"registry.gc.timeWindow", "01:00-01:00"}}, reg + ".gc.timeWindow", "daily window"},
		{"gc window format", []edit{{"registry.gc.timeWindow", "1am-5am"}}, reg + ".gc.timeWindow", "HH:MM-HH:MM"},
		{"gc window on an older zot", []edit{{"registry.gc.timeWindow", "01:00-05:00"}, {"registry.image.tag", "v2.1.18"}}, reg + ".gc.timeWindow", "needs zot v2.1.19"},
		{"gc settings with gc off", []edit{{"registry.gc", obj{"enabled": false, "delay": "2h"}}}, reg + ".gc.enabled", "zot ignores them"},
		{"retention with gc off", []edit{{"registry.gc.enabled", false}, {"registry.retention.policies", []any{obj{"repositories": []any{"**"}}}}}, reg + ".retention.policies", "runs as part of GC"},
		{"retention policy", []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "deleteUntagged": true, "keepTags": []any{obj{"mostRecentlyPushedCount": 10}}, "keepUntagged": obj{"pushedWithin": "168h"}}}}}, "", ""},
		{"retention without repositories", []edit{{"registry.retention.policies", []any{obj{"deleteUntagged": true}}}}, reg + ".retention.policies[0].repositories", "applies to no repository"},
		{"retention bad glob", []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"infra/["}}}}}, reg + ".retention.policies[0].repositories[0]", "not a repository glob"},
		{"retention bad tag regexp", []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "keepTags": []any{obj{"patterns": []any{"v(1"}}}}}}}, reg + ".retention.policies[0].keepTags[0].patterns[0]", "not a regular expression"},
		{"retention days", []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "keepTags": []any{obj{"pushedWithin": "7d"}}}}}}, reg + ".retention.policies[0].keepTags[0].pushedWithin", "written in hours"},
		{"retention unknown key", []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "keepTags": []any{obj{"pullTimeWindow": "1h"}}}}}}, reg + ".retention.policies[0].keepTags[0].pullTimeWindow", "pulledWithin"},
		{"keepUntagged on an older zot", []edit{{"registry.image.tag", "v2.1.18"}, {"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "keepUntagged": obj{"pushedWithin": "168h"}}}}}, reg + ".retention.policies[0].keepUntagged", "needs zot v2.1.19"},
		{"scrub interval", []edit{{"registry.scrub", obj{"enabled": true, "interval": "1h"}}}, reg + ".scrub.interval", "at least 2h"},
		{"redis password without redis", []edit{{"registry.replicas", 1}}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := edited(tc.edits)
			checkProblem(t, objs, tc.wantKey, tc.wantMsg)
		})
	}
}

// TestRedisPasswordIsASecretKey: the Redis password is a secret key of its
// own, stored as a secret, and only with the redis driver.
func TestRedisPasswordIsASecretKey(t *testing.T) {
	redis := obj{"driver": "redis", "redis": obj{"addresses": []any{"redis:6379"}}}
	objs := valid()
	set(objs, "registry.cache", redis)
	src := source(t, objs)
	src.Values["zot-registry:redisPassword"] = "pw"
	_, err := config.Parse("dev", src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config zot-registry:redisPassword: is stored in plain text")

	src.Secrets["zot-registry:redisPassword"] = true
	_, err = config.Parse("dev", src)
	require.NoError(t, err)

	// Over TLS zot would log it: refused, before anything deploys.
	set(objs, "registry.cache.redis.tls", true)
	tls := source(t, objs)
	tls.Values["zot-registry:redisPassword"], tls.Secrets["zot-registry:redisPassword"] = "pw", true
	_, err = config.Parse("dev", tls)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config zot-registry:redisPassword: is set with registry.cache.redis.tls")
	assert.Contains(t, err.Error(), "in every pod's log")

	src = source(t, valid())
	src.Values["zot-registry:redisPassword"] = "pw"
	src.Secrets["zot-registry:redisPassword"] = true
	_, err = config.Parse("dev", src)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "registry.cache.driver is not redis")
}

// TestKeepTagsFirstMatch: zot uses, for each tag, the first keepTags entry
// whose patterns match it (v2.1.20 pkg/retention/retention.go getTagPolicy;
// no patterns match every tag), so an entry behind one that already matches
// all its tags never applies. Such an entry is an error that names both
// entries and the one entry to write instead.
func TestKeepTagsFirstMatch(t *testing.T) {
	const reg = "zot-registry:registry"
	policy := func(keep ...any) []any {
		return []any{obj{"repositories": []any{"**"}, "keepTags": keep}}
	}
	cases := []struct {
		name    string
		keep    []any
		wantKey string // empty: valid
		wantMsg string
	}{
		{"one entry with both rules", policy(obj{"mostRecentlyPushedCount": 10, "pulledWithin": "720h"}), "", ""},
		{"the old prod list: the second entry never applies", policy(obj{"mostRecentlyPushedCount": 10}, obj{"pulledWithin": "720h"}),
			reg + ".retention.policies[0].keepTags[1]", "merge them into one entry: {mostRecentlyPushedCount: 10, pulledWithin: 720h}"},
		{"the message names the earlier entry and the rule", policy(obj{"mostRecentlyPushedCount": 10}, obj{"pulledWithin": "720h"}),
			reg + ".retention.policies[0].keepTags[1]", "can never apply: zot uses the first matching entry for each tag, and keepTags[0] matches every tag this one matches"},
		{"same patterns in another order", policy(obj{"patterns": []any{"^v", "^r"}, "pushedWithin": "24h"}, obj{"patterns": []any{"^r", "^v"}, "mostRecentlyPulledCount": 3}),
			reg + ".retention.policies[0].keepTags[1]", `merge them into one entry: {patterns: ["^v", "^r"], mostRecentlyPulledCount: 3, pushedWithin: 24h}`},
		{"a catch-all before a specific entry", policy(obj{"mostRecentlyPushedCount": 5}, obj{"patterns": []any{"^v"}, "pushedWithin": "8760h"}),
			reg + ".retention.policies[0].keepTags[1]", "move it before keepTags[0]"},
		{"the same rule twice: the merged entry keeps the longer window", policy(obj{"pulledWithin": "720h"}, obj{"pulledWithin": "24h", "mostRecentlyPushedCount": 2}),
			reg + ".retention.policies[0].keepTags[1]", "{mostRecentlyPushedCount: 2, pulledWithin: 720h}"},
		{"a third catch-all is reported against the first", policy(obj{"mostRecentlyPushedCount": 10}, obj{"pulledWithin": "720h"}, obj{"mostRecentlyPulledCount": 4}),
			reg + ".retention.policies[0].keepTags[2]", "keepTags[0]"},
		{"specific entries before a catch-all", policy(obj{"patterns": []any{"^v[0-9]"}, "mostRecentlyPushedCount": 20}, obj{"mostRecentlyPushedCount": 5}), "", ""},
		{"different patterns", policy(obj{"patterns": []any{"^v"}, "pushedWithin": "24h"}, obj{"patterns": []any{"^release-"}, "mostRecentlyPushedCount": 3}), "", ""},
		{"in the second policy", []any{
			obj{"repositories": []any{"infra/**"}, "keepTags": []any{obj{"mostRecentlyPushedCount": 3}}},
			obj{"repositories": []any{"**"}, "keepTags": []any{obj{"patterns": []any{"^v"}}, obj{"patterns": []any{"^v"}, "pulledWithin": "1h"}}},
		}, reg + ".retention.policies[1].keepTags[1]", "keepTags[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			set(objs, "registry.retention.policies", tc.keep)
			checkProblem(t, objs, tc.wantKey, tc.wantMsg)
		})
	}
}

// TestMinimumZotForNewKeys: a zot older than a key refuses it as unknown and
// does not start. gcTimeWindow and keepUntagged came with v2.1.19 (zot PRs
// #4223, #4191), storage.fastRestart with v2.1.18 (#4026).
func TestMinimumZotForNewKeys(t *testing.T) {
	const reg = "zot-registry:registry"
	window := []edit{{"registry.gc.timeWindow", "01:00-05:00"}}
	untagged := []edit{{"registry.retention.policies", []any{obj{"repositories": []any{"**"}, "keepUntagged": obj{"pushedWithin": "168h"}}}}}
	with := func(tag string, e []edit) []edit { return append([]edit{{"registry.image.tag", tag}}, e...) }
	cases := []struct {
		name    string
		edits   []edit
		wantKey string
		wantMsg string
	}{
		{"gc window on v2.1.19", with("v2.1.19", window), "", ""},
		{"gc window on v2.1.18", with("v2.1.18", window), reg + ".gc.timeWindow", "needs zot v2.1.19 or later"},
		{"keepUntagged on v2.1.19", with("v2.1.19", untagged), "", ""},
		{"keepUntagged on v2.1.18", with("v2.1.18", untagged), reg + ".retention.policies[0].keepUntagged", "needs zot v2.1.19 or later"},
		{"gc window on a custom build", with("main-abc123", window), "", ""},
		{"fastRestart on v2.1.18", with("v2.1.18", []edit{{"registry.fastRestart", true}}), "", ""},
		{"fastRestart on v2.1.17", with("v2.1.17", []edit{{"registry.fastRestart", true}}), reg + ".fastRestart", "needs zot v2.1.18 or later"},
		{"fastRestart's default on v2.1.17 is off, not an error", with("v2.1.17", nil), "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := edited(tc.edits)
			checkProblem(t, objs, tc.wantKey, tc.wantMsg)
		})
	}
}

type edit struct {
	path  string
	value any
}

// edited is the valid config with the edits applied: a whole section for a
// path without a dot, else the value at the dotted path.
func edited(edits []edit) map[string]obj {
	objs := valid()
	for _, e := range edits {
		if section, ok := e.value.(obj); ok && !strings.Contains(e.path, ".") {
			objs[e.path] = section
			continue
		}
		set(objs, e.path, e.value)
	}
	return objs
}

// TestClusterStartupAndDynamoDBSettings: registry.clusterDomain,
// registry.startupTimeout, registry.fastRestart and
// registry.cache.dynamodb.endpoint, each problem at its key.
func TestClusterStartupAndDynamoDBSettings(t *testing.T) {
	const reg = "zot-registry:registry"
	aws := obj{"mode": "aws", "region": "eu-central-1", "bucket": "zot-dev"}
	dynamo := func(endpoint string) []edit {
		return []edit{{"registry.cache", obj{"driver": "dynamodb", "dynamodb": obj{"endpoint": endpoint}}}, {"storage", aws}}
	}
	cases := []struct {
		name    string
		edits   []edit
		wantKey string
		wantMsg string
	}{
		{"cluster domain", []edit{{"registry.clusterDomain", "k8s.example.internal"}}, "", ""},
		{"cluster domain with a trailing dot", []edit{{"registry.clusterDomain", "cluster.local."}}, reg + ".clusterDomain", "not a DNS name"},
		{"cluster domain with capitals", []edit{{"registry.clusterDomain", "Cluster.Local"}}, reg + ".clusterDomain", "not a DNS name"},
		{"empty cluster domain", []edit{{"registry.clusterDomain", ""}}, reg + ".clusterDomain", "kubelet's --cluster-domain"},
		{"startup timeout", []edit{{"registry.startupTimeout", "2h"}}, "", ""},
		{"startup timeout not a duration", []edit{{"registry.startupTimeout", "1d"}}, reg + ".startupTimeout", "not a duration"},
		{"startup timeout too short", []edit{{"registry.startupTimeout", "10s"}}, reg + ".startupTimeout", "at least 30s"},
		{"startup timeout negative", []edit{{"registry.startupTimeout", "-5m"}}, reg + ".startupTimeout", "at least 30s"},
		{"startup timeout too long", []edit{{"registry.startupTimeout", "48h"}}, reg + ".startupTimeout", "at most 12h"},
		{"fast restart on a volume", []edit{{"registry.fastRestart", true}}, "", ""},
		{"fast restart off", []edit{{"registry.fastRestart", false}}, "", ""},
		{"fast restart without a volume", []edit{{"registry.fastRestart", true}, {"registry.persistence.enabled", false}}, reg + ".fastRestart", "nothing keeps zot's metadata"},
		{"fast restart without a volume, with redis", []edit{{"registry.fastRestart", true}, {"registry.persistence.enabled", false},
			{"registry.cache", obj{"driver": "redis", "redis": obj{"addresses": []any{"redis:6379"}}}}}, "", ""},
		{"dynamodb local endpoint", dynamo("http://dynamodb-local.dev.svc:8000"), "", ""},
		{"dynamodb vpc endpoint", dynamo("https://vpce-0abc.dynamodb.eu-central-1.vpce.amazonaws.com"), "", ""},
		{"dynamodb endpoint without scheme", dynamo("dynamodb.eu-central-1.amazonaws.com"), reg + ".cache.dynamodb.endpoint", "not an http(s) URL"},
		{"dynamodb endpoint with a path", dynamo("https://dynamodb.example.com/x"), reg + ".cache.dynamodb.endpoint", "not an http(s) URL"},
		{"dynamodb endpoint ftp", dynamo("ftp://dynamodb.example.com"), reg + ".cache.dynamodb.endpoint", "not an http(s) URL"},
		{"dynamodb endpoint without dynamodb", []edit{{"registry.cache.dynamodb.endpoint", "http://localhost:8000"}}, reg + ".cache.dynamodb", "cache.driver is local"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := edited(tc.edits)
			checkProblem(t, objs, tc.wantKey, tc.wantMsg)
		})
	}
}

// TestStartupAndFastRestartDefaults: the startup timeout is one constant;
// fast restart is on wherever zot's metadata survives a restart (a volume,
// Redis, DynamoDB) and off where it is an emptyDir, which holds no stamp.
func TestStartupAndFastRestartDefaults(t *testing.T) {
	redis := obj{"driver": "redis", "redis": obj{"addresses": []any{"redis:6379"}}}
	cases := []struct {
		name  string
		edits []edit
		want  bool
	}{
		{"a volume", nil, true},
		{"an emptyDir", []edit{{"registry.persistence.enabled", false}}, false},
		{"an emptyDir, metadata in redis", []edit{{"registry.persistence.enabled", false}, {"registry.cache", redis}}, true},
		{"three replicas on redis", []edit{{"registry.replicas", 3}, {"registry.cache", redis}}, true},
		{"a zot without the key", []edit{{"registry.image.tag", "v2.1.17"}}, false},
		{"turned off", []edit{{"registry.fastRestart", false}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := edited(tc.edits)
			cfg, err := parse(t, objs)
			require.NoError(t, err)
			r := cfg.Registry
			b, err := json.Marshal(r)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			assert.Equal(t, tc.want, m["fastRestart"], "registry.fastRestart after defaults")
			assert.Equal(t, "45m", m["startupTimeout"], "registry.startupTimeout's default")
			assert.Equal(t, "cluster.local", m["clusterDomain"], "registry.clusterDomain's default")
		})
	}
}
