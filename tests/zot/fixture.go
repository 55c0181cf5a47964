package zot

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/layout"
)

// Users the tier gives a variant. htpasswd users carry no groups in zot, so
// the reader group is checked with SSO users, whose groups come from the
// provider's groups claim.
type people struct {
	Admin    tier.User // an adminPolicy user (htpasswd): pushes and deletes
	Scraper  tier.User // a metrics user (htpasswd), when metrics are on
	Outsider tier.User // an htpasswd user with no rights
	Puller   tier.User // a read-only htpasswd user (a pull robot), when the config has one
	// Rules are the htpasswd users the repository rules (patterns other
	// than "**") name, by name.
	Rules    map[string]tier.User
	Reader   tier.SSOUser // a member of a reader group
	SSOAdmin tier.SSOUser // a member of an admin group
	Nobody   tier.SSOUser // an SSO user in no group the config names
}

// cluster is a variant running: its S3 server, provider, Redis and zots.
type cluster struct {
	r      *rendered
	b      binaries
	dir    string
	S3     *s3Server
	Bucket string
	Prefix string // the S3 key prefix (storageDriver.rootdirectory)
	Dex    *dexServer
	Redis  string
	// redisCLI are redis-cli's connection options for Redis (password or
	// TLS).
	redisCLI []string
	Zots     []*zotInstance
	People   people
	// PodIdentity serves the pod's AWS credentials when the Helm values
	// give zot no key (an IAM role); nil otherwise.
	PodIdentity *podIdentity
	// OIDC is whether the config has an OpenID provider.
	OIDC bool
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// readOnlyUsers are the htpasswd users (no "@": not SSO emails) of the
// "**" policies that may read and do nothing else: pull robots.
func readOnlyUsers(cfg map[string]any) []string {
	var out []string
	for _, p := range getPath(cfg, "http", "accessControl", "repositories", "**", "policies").([]any) {
		pm := p.(map[string]any)
		if slices.Equal(strs(pm["actions"]), []string{"read"}) {
			for _, u := range strs(pm["users"]) {
				if !strings.Contains(u, "@") {
					out = append(out, u)
				}
			}
		}
	}
	return out
}

// readerGroups are the groups of the "**" policies that may read.
func readerGroups(cfg map[string]any) []string {
	var out []string
	for _, p := range getPath(cfg, "http", "accessControl", "repositories", "**", "policies").([]any) {
		pm := p.(map[string]any)
		if slices.Contains(strs(pm["actions"]), "read") {
			out = append(out, strs(pm["groups"])...)
		}
	}
	return out
}

// setUp renders nothing itself: it starts what the variant's config needs,
// applies the local rewrites and starts every member.
func setUp(t testing.TB, r *rendered, rewrite func(map[string]any)) *cluster {
	t.Helper()
	return setUpStore(t, r, rewrite, false)
}

// setUpStore is setUp with a store that keeps object versions when
// versioned (storage.versioning on AWS S3).
func setUpStore(t testing.TB, r *rendered, rewrite func(map[string]any), versioned bool) *cluster {
	t.Helper()
	return setUpWith(t, r, rewrite, versioned, nil)
}

// setUpWith is setUpStore; with ca, the S3 endpoint and the OpenID issuer
// serve TLS with certificates from it, and zot trusts it as
// registry.caBundle makes it (ca.env).
func setUpWith(t testing.TB, r *rendered, rewrite func(map[string]any), versioned bool, ca *testCA) *cluster {
	t.Helper()
	c := &cluster{r: r, b: needBins(t), dir: t.TempDir()}
	cfg := r.Config
	driver := getPath(cfg, "storage", "storageDriver").(map[string]any)
	c.Bucket = driver["bucket"].(string)
	prefix, _ := driver["rootdirectory"].(string) // absent: the bucket's root
	c.Prefix = strings.Trim(prefix, "/")
	c.S3 = startS3(t, c.b, c.dir, driver["region"].(string), versioned, ca)
	c.S3.Bucket(t, c.Bucket)

	admins := strs(getPath(cfg, "http", "accessControl", "adminPolicy", "users"))
	if len(admins) == 0 {
		t.Fatalf("%s: no adminPolicy user", r.Name)
	}
	c.People.Admin = tier.User{Name: admins[0], Password: "admin-pw-" + admins[0]}
	c.People.Outsider = tier.User{Name: "outsider", Password: "outsider-pw"}
	if m := strs(getPath(cfg, "http", "accessControl", "metrics", "users")); len(m) > 0 {
		c.People.Scraper = tier.User{Name: m[0], Password: "scrape-pw-" + m[0]}
	}
	if p := readOnlyUsers(cfg); len(p) > 0 {
		c.People.Puller = tier.User{Name: p[0], Password: "pull-pw-" + p[0]}
	}
	known := []tier.User{c.People.Admin, c.People.Scraper, c.People.Outsider, c.People.Puller}
	c.People.Rules = map[string]tier.User{}
	for pattern, g := range getPath(cfg, "http", "accessControl", "repositories").(map[string]any) {
		if pattern == "**" {
			continue
		}
		for _, p := range g.(map[string]any)["policies"].([]any) {
			for _, name := range strs(p.(map[string]any)["users"]) {
				if _, ok := c.People.Rules[name]; ok || strings.Contains(name, "@") || slices.ContainsFunc(known, func(u tier.User) bool { return u.Name == name }) {
					continue
				}
				c.People.Rules[name] = tier.User{Name: name, Password: "rule-pw-" + name}
			}
		}
	}
	var lines []string
	for _, u := range append(known, slices.Collect(maps.Values(c.People.Rules))...) {
		if u.Name == "" {
			continue
		}
		h, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, u.Name+":"+string(h))
	}

	var issuer, clientID string
	if getPath(cfg, "http", "auth", "openid") != nil {
		c.OIDC = true
		groups := readerGroups(cfg)
		adminGroups := strs(getPath(cfg, "http", "accessControl", "adminPolicy", "groups"))
		if len(groups) == 0 || len(adminGroups) == 0 {
			t.Fatalf("%s: no reader group or admin group to check", r.Name)
		}
		// User names other than the emails: a claim mapping shows in who zot says they are.
		c.People.Reader = tier.SSOUser{Email: "reader@example.com", Username: "reader-sso", Password: "reader-pw", Groups: groups[:1]}
		c.People.SSOAdmin = tier.SSOUser{Email: "sso-admin@example.com", Username: "admin-sso", Password: "sso-admin-pw", Groups: adminGroups[:1]}
		c.People.Nobody = tier.SSOUser{Email: "nobody@example.com", Username: "nobody-sso", Password: "nobody-pw", Groups: []string{"not-a-zot-group"}}
		clientID = r.OIDCClientID
	}

	members := 1
	if cl, ok := cfg["cluster"].(map[string]any); ok {
		members = len(strs(cl["members"]))
	}
	ports := make([]int, members)
	addrs := make([]string, members)
	for i := range ports {
		ports[i] = tier.FreePort(t)
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", ports[i])
	}
	if c.OIDC {
		// The provider knows exactly the redirect URI the program registers,
		// on the local address: any other and the login fails.
		registered := r.OIDCRedirectURI
		ext := getPath(cfg, "http", "externalUrl").(string)
		if !strings.HasPrefix(registered, ext) {
			t.Fatalf("registered redirect URI %s is not under externalUrl %s", registered, ext)
		}
		var uris []string
		for _, p := range ports {
			uris = append(uris, fmt.Sprintf("http://127.0.0.1:%d", p)+strings.TrimPrefix(registered, ext))
		}
		c.Dex = startDex(t, c.b, c.dir, clientID, oidcSecret, uris, []tier.SSOUser{c.People.Reader, c.People.SSOAdmin, c.People.Nobody}, ca)
		issuer = c.Dex.Issuer
	}
	if name := getPath(cfg, "storage", "cacheDriver", "name"); name == "redis" {
		if u, _ := getPath(cfg, "storage", "cacheDriver", "url").(string); strings.HasPrefix(u, "rediss://") && ca == nil {
			// A Redis on TLS has a certificate of the platform's CA, which
			// registry.caBundle carries (made per run, so not in the render).
			ca = newTestCA(t)
		}
		c.Redis, c.redisCLI = startRedis(t, c.b, c.dir, ca)
	}
	if r.keyless() {
		c.PodIdentity = startPodIdentity(t, c.dir)
	}
	for i, p := range ports {
		l := local{Dir: filepath.Join(c.dir, fmt.Sprintf("zot-%d", i)), Port: p, S3: c.S3, Issuer: issuer,
			ClientID: clientID, Redis: c.Redis, Members: addrs, Htpasswd: strings.Join(lines, "\n") + "\n", Rewrite: rewrite,
			PodIdentity: c.PodIdentity}
		if ca != nil {
			l.Env = []string{ca.env()}
		}
		z := startZot(t, c.b, l, localize(t, r, l))
		c.Zots = append(c.Zots, z)
	}
	return c
}

// startRedis runs a Redis on 127.0.0.1, no disk: with the tier's password,
// or with ca on TLS alone (no plain port) and no password, as
// registry.cache.redis.tls needs. It returns the address and redis-cli's
// options to reach it.
func startRedis(t testing.TB, b binaries, dir string, ca *testCA) (string, []string) {
	t.Helper()
	port := fmt.Sprint(tier.FreePort(t))
	args := []string{"--bind", "127.0.0.1", "--port", port, "--requirepass", redisPassword}
	cli := []string{"-a", redisPassword, "--no-auth-warning"}
	if ca != nil {
		_, certFile, keyFile := ca.serverCert(t, dir, "redis")
		caFile := filepath.Join(ca.Dir, layout.CAFile)
		args = []string{"--bind", "127.0.0.1", "--port", "0", "--tls-port", port,
			"--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no"}
		cli = []string{"--tls", "--cacert", caFile}
	}
	p := start(t, "redis", dir, nil, b.Redis, append(args, "--save", "", "--appendonly", "no", "--dir", dir)...)
	cli = append([]string{"-h", "127.0.0.1", "-p", port}, cli...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if out, err := exec.Command(b.RedisCLI, append(cli, "ping")...).CombinedOutput(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return "127.0.0.1:" + port, cli
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("redis did not start:\n%s", tier.Tail(p.log, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redis runs redis-cli against the variant's Redis.
func (c *cluster) redis(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(c.b.RedisCLI, append(append([]string{}, c.redisCLI...), args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
	return string(out)
}

// flushRedis empties the Redis (a lost or replaced Redis).
func (c *cluster) flushRedis(t testing.TB) {
	t.Helper()
	c.redis(t, "flushall")
}

// emptyRoot deletes a stopped member's rootDirectory (a new emptyDir, or a
// lost volume).
func (z *zotInstance) emptyRoot(t testing.TB) {
	t.Helper()
	root := z.Config["storage"].(map[string]any)["rootDirectory"].(string)
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
}

// ssoName is the name zot gives an SSO user, by the config's username
// claim (identity.usernameClaim): an API key is that user's CLI password,
// so with a claim other than email it works under the provider's user
// name only.
func (c *cluster) ssoName(u tier.SSOUser) string {
	claim, _ := getPath(c.r.Config, "http", "auth", "openid", "providers", "oidc", "claimMapping", "username").(string)
	return u.Name(claim)
}
