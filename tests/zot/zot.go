package zot

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/layout"
)

// deadUpstream is where the mirrors point unless a test gives them an
// upstream: a loopback port nothing listens on.
const deadUpstream = "http://127.0.0.1:9"

// Test values for what the program leaves to the store or generates.
const (
	clusterHashKey = "tier-hash-key-16" // zot's cluster.hashKey is 16 bytes (siphash)
	redisPassword  = "tier-redis-password"
	oidcSecret     = "tier-oidc-client-secret"
)

// local is where the tier puts what the pod would mount or reach: the
// documented local rewrites of a rendered config.json (docs/development.md,
// "Zot tier"). Nothing else in the config changes.
type local struct {
	Dir      string // files of this instance (rootDirectory, secrets, log)
	Port     int
	S3       *s3Server
	Issuer   string                   // the local OpenID provider
	ClientID string                   // the client the program registers (output oidcClientId)
	Redis    string                   // host:port of the local Redis
	Members  []string                 // 127.0.0.1:port of every member, scale-out
	Htpasswd string                   // the htpasswd file's content
	Rewrite  func(cfg map[string]any) // a test's own change after the rewrites (GC timers, fastRestart), or nil
	// PodIdentity, when set, gives zot the pod's credentials endpoint
	// instead of a key pair in its environment (an IAM role).
	PodIdentity *podIdentity
	// Env is more of zot's environment (SSL_CERT_DIR with a private CA).
	Env []string
}

// URL is the instance's address as docker would use it (its externalUrl).
func (l local) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", l.Port) }

// localize applies the local rewrites to a copy of the rendered config and
// writes the files the config names. It fails when a secret marker is
// left: every secret in config.json must be one the tier knows.
func localize(t testing.TB, r *rendered, l local) map[string]any {
	t.Helper()
	cfg := deepCopy(r.Config)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(l.Dir, 0o755))
	write := func(name, body string) string {
		p := filepath.Join(l.Dir, name)
		must(os.WriteFile(p, []byte(body), 0o600))
		return p
	}

	http := obj(cfg, "http")
	http["address"], http["port"] = "127.0.0.1", fmt.Sprint(l.Port)
	http["externalUrl"] = l.URL()

	storage := obj(cfg, "storage")
	storage["rootDirectory"] = filepath.Join(l.Dir, "root")
	driver := obj(storage, "storageDriver")
	driver["regionendpoint"], driver["secure"], driver["forcepathstyle"] = l.S3.Endpoint, false, true
	if cache, ok := storage["cacheDriver"].(map[string]any); ok && cache["name"] == "redis" {
		if u, ok := cache["url"].(string); ok {
			cache["url"] = redisURLAt(t, u, l.Redis)
		} else {
			cache["addr"] = []any{l.Redis}
		}
		if cache["password"] != nil {
			cache["password"] = redisPassword
		}
	}

	auth := obj(http, "auth")
	if h, ok := auth["htpasswd"].(map[string]any); ok {
		h["path"] = write(layout.HtpasswdKey, l.Htpasswd)
	}
	if auth["sessionKeysFile"] != nil {
		auth["sessionKeysFile"] = write(layout.SessionKeysKey,
			`{"hashKey":"`+strings.Repeat("h", 64)+`","encryptKey":"`+strings.Repeat("e", 32)+`"}`)
	}
	if oidc, ok := getPath(cfg, "http", "auth", "openid", "providers", layout.OIDCProviderKey).(map[string]any); ok {
		oidc["issuer"] = l.Issuer
		oidc["credentialsFile"] = write(layout.OIDCCredentialsKey,
			fmt.Sprintf(`{"clientid":%q,"clientsecret":%q}`, l.ClientID, oidcSecret))
	}

	if cluster, ok := cfg["cluster"].(map[string]any); ok {
		members := make([]any, len(l.Members))
		for i, m := range l.Members {
			members[i] = m
		}
		cluster["members"] = members
		cluster["hashKey"] = clusterHashKey
	}
	// Mirrors: a local staging folder, and no upstream beyond loopback (a
	// test points them at a local registry in its Rewrite).
	if sync, ok := getPath(cfg, "extensions", "sync").(map[string]any); ok {
		sync["downloadDir"] = filepath.Join(l.Dir, "sync")
		if sync["credentialsFile"] != nil { // a login for the dead upstream
			sync["credentialsFile"] = write(layout.SyncCredentialsKey, `{"127.0.0.1:9":{"username":"tier","password":"tier"}}`)
		}
		for _, reg := range sync["registries"].([]any) {
			rm := reg.(map[string]any)
			rm["urls"], rm["tlsVerify"] = []any{deadUpstream}, false
			// Nothing to retry against; zot's shutdown waits for a periodic
			// sync's retries (pointMirrors puts the program's back).
			rm["maxRetries"] = 0
		}
	}
	if l.Rewrite != nil {
		l.Rewrite(cfg)
	}
	body, _ := json.Marshal(cfg)
	if strings.Contains(string(body), r.SecretMarker) {
		t.Fatalf("config.json holds a secret the tier does not stand in for: %s", body)
	}
	return cfg
}

// zotInstance is one running zot.
type zotInstance struct {
	t      testing.TB
	bin    string
	local  local
	Config map[string]any
	File   string
	proc   *proc
	env    []string
	args   []string
}

// verify runs `zot verify` on a config file.
func verify(t testing.TB, bin, file string) {
	t.Helper()
	out, err := exec.Command(bin, "verify", file).CombinedOutput()
	if err != nil {
		t.Fatalf("zot verify %s: %v\n%s", file, err, out)
	}
}

// startZot writes cfg, verifies it and serves it until /startupz answers.
func startZot(t testing.TB, b binaries, l local, cfg map[string]any, extraArgs ...string) *zotInstance {
	t.Helper()
	body, _ := json.MarshalIndent(cfg, "", "  ")
	file := filepath.Join(l.Dir, layout.ConfigFile)
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	verify(t, b.Zot, file)
	env := keyEnv()
	if l.PodIdentity != nil {
		env = l.PodIdentity.Env()
	}
	env = append(env, l.Env...)
	z := &zotInstance{t: t, bin: b.Zot, local: l, Config: cfg, File: file, env: env,
		args: append([]string{"serve"}, append(extraArgs, file)...)}
	z.Start()
	return z
}

// Start (again) and wait until zot is ready; returns the time to /startupz.
func (z *zotInstance) Start() time.Duration {
	z.t.Helper()
	z.proc = start(z.t, fmt.Sprintf("zot-%d", z.local.Port), z.local.Dir, z.env, z.bin, z.args...)
	took := waitHTTP(z.t, z.proc, z.local.URL()+"/startupz", http.StatusOK, 3*time.Minute)
	waitHTTP(z.t, z.proc, z.local.URL()+"/readyz", http.StatusOK, time.Minute)
	return took
}

// Stop ends zot (SIGTERM) and waits for it.
func (z *zotInstance) Stop() { z.proc.stop() }

func (z *zotInstance) URL() string  { return z.local.URL() }
func (z *zotInstance) Host() string { return strings.TrimPrefix(z.local.URL(), "http://") }
func (z *zotInstance) Log() string  { b, _ := os.ReadFile(z.proc.log); return string(b) }

// Registry is the instance as a registry client reaches it (plain http).
func (z *zotInstance) Registry() tier.Registry {
	return tier.Registry{Host: z.Host(), Insecure: true}
}

// serve runs an http.Handler on 127.0.0.1 until the test ends.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

func obj(m map[string]any, key string) map[string]any {
	v, ok := m[key].(map[string]any)
	if !ok {
		v = map[string]any{}
		m[key] = v
	}
	return v
}

func getPath(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// redisURLAt is a Redis URL of the render (rediss://) at the local Redis:
// its scheme, database and parameters as rendered. A cluster URL (other
// members as addr parameters) has no local counterpart here.
func redisURLAt(t testing.TB, rendered, addr string) string {
	t.Helper()
	u, err := url.Parse(rendered)
	if err != nil || u.Query().Has("addr") {
		t.Fatalf("cacheDriver.url %q: one Redis only here (%v)", rendered, err)
	}
	u.Host = addr
	return u.String()
}
