package zot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// dynamoDB reports whether a variant keeps metadata in DynamoDB, which
// cannot run here (no DynamoDB, and the tier reaches nothing beyond
// loopback): those configs go through `zot verify` only; the unit tests
// assert every key zot's getDynamoParams reads (pkg/meta/meta.go).
func dynamoDB(cfg map[string]any) bool {
	return getPath(cfg, "storage", "cacheDriver", "name") == "dynamodb"
}

// TestEveryGeneratedConfigRunsInZot: for every fixture stack, mode
// variant and example stack (example-<stack>) the program's tests enumerate, the generated config.json is run
// in zot v2.1.20 and checked for what users rely on.
func TestEveryGeneratedConfigRunsInZot(t *testing.T) {
	b := needBins(t)
	for _, r := range renders {
		t.Run(r.Name, func(t *testing.T) {
			if dynamoDB(r.Config) {
				verifyOnly(t, b, r)
				return
			}
			c := setUp(t, r, nil)
			c.checkImages(t)
			c.checkKeyless(t)
			c.checkAccess(t)
			c.checkMetrics(t)
			if c.OIDC {
				c.checkSSO(t)
			} else {
				c.checkBasicUILogin(t)
			}
			if len(c.Zots) > 1 {
				c.checkScaleOut(t)
			}
			c.checkDataSurvives(t)
		})
	}
}

// verifyOnly runs `zot verify` on the variant's config, then `zot serve`
// with a DynamoDB endpoint on loopback where nothing listens: zot must get
// as far as calling DynamoDB (a connection error) and not stop at reading
// its parameters, which panics on an empty or missing key (pkg/meta/meta.go
// getDynamoParams, "dynamo parameters are not specified correctly"). An
// empty endpoint fails before zot is started: zot would send its first
// request to the region's public endpoint.
func verifyOnly(t *testing.T, b binaries, r *rendered) {
	t.Log("DynamoDB does not run here (no DynamoDB server, nothing beyond loopback): zot verify, then zot serve up to its first DynamoDB call")
	dir := t.TempDir()
	dead := fmt.Sprintf("http://127.0.0.1:%d", tier.FreePort(t))
	dynamo := fmt.Sprintf("127.0.0.1:%d", tier.FreePort(t)) // nothing listens
	port := tier.FreePort(t)
	l := local{Dir: dir, Port: port, S3: &s3Server{Endpoint: dead}, Issuer: dead + "/dex", ClientID: "verify",
		Members:  []string{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", tier.FreePort(t)), fmt.Sprintf("127.0.0.1:%d", tier.FreePort(t))},
		Htpasswd: "x:y\n",
		Rewrite: func(cfg map[string]any) {
			cache := getPath(cfg, "storage", "cacheDriver").(map[string]any)
			if e, _ := cache["endpoint"].(string); e == "" {
				// Not served: zot's blob cache would call the region's public
				// endpoint (beyond loopback), and its metadata store panics.
				t.Fatalf("cacheDriver.endpoint is %q: zot's metadata store panics (%q, pkg/meta/meta.go getDynamoParams)", e, dynamoParamsPanic)
			}
			cache["endpoint"] = "http://" + dynamo
			// The metadata DB starts before the OpenID client: drop the
			// provider so nothing but DynamoDB is missing.
			delete(obj(obj(cfg, "http"), "auth"), "openid")
		}}
	cfg := localize(t, r, l)
	file := filepath.Join(dir, "config.json")
	if err := os.WriteFile(file, mustJSON(t, cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	verify(t, b.Zot, file)

	p := start(t, "zot", dir, []string{"AWS_ACCESS_KEY_ID=" + s3Access, "AWS_SECRET_ACCESS_KEY=" + s3Secret}, b.Zot, "serve", file)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("zot neither exited nor served with an unreachable DynamoDB within 2 minutes")
	}
	log, _ := os.ReadFile(p.log)
	if strings.Contains(string(log), dynamoParamsPanic) {
		t.Fatalf("zot refused the DynamoDB parameters (%q): every key getDynamoParams reads must be a non-empty string", dynamoParamsPanic)
	}
	// The configuration dump names the endpoint too: look for the call.
	called := false
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, dynamo) && strings.Contains(line, "connection refused") {
			called = true
		}
	}
	if !called {
		t.Errorf("zot exited without calling DynamoDB at %s; its log:\n%.3000s", dynamo, log)
	}
}

// checkBasicUILogin: without an OpenID provider (identity mode none) zot
// tells the web UI to offer its username and password form only
// (/v2/_zot/ext/mgmt, pkg/extensions/extension_mgmt.go), and a UI login
// with an htpasswd user opens a session that then works without the
// password (pkg/api/authn.go basicAuthn, saveUserLoggedSession for the
// X-ZOT-API-CLIENT: zot-ui client), while a wrong password opens none.
func (c *cluster) checkBasicUILogin(t *testing.T) {
	z := c.Zots[0]
	res, err := http.DefaultClient.Do(request(t, http.MethodGet, z.URL()+"/v2/_zot/ext/mgmt", tier.User{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var mgmt struct {
		HTTP struct {
			Auth map[string]any `json:"auth"`
		} `json:"http"`
	}
	err = json.NewDecoder(res.Body).Decode(&mgmt)
	res.Body.Close()
	if err != nil {
		t.Fatalf("/v2/_zot/ext/mgmt: %v", err)
	}
	if _, ok := mgmt.HTTP.Auth["htpasswd"]; !ok {
		t.Errorf("zot offers the UI no username and password login: %v", mgmt.HTTP.Auth)
	}
	if _, ok := mgmt.HTTP.Auth["openid"]; ok {
		t.Errorf("zot offers the UI an OpenID login without a provider: %v", mgmt.HTTP.Auth)
	}
	login := func(u tier.User) []*http.Cookie {
		res, err := http.DefaultClient.Do(request(t, http.MethodGet, z.URL()+"/v2/", u, tier.UIHeader))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil
		}
		return res.Cookies()
	}
	cookies := login(c.People.Admin)
	if len(cookies) == 0 {
		t.Fatalf("the UI login of %s opened no session", c.People.Admin.Name)
	}
	req := request(t, http.MethodGet, z.URL()+"/v2/_catalog", tier.User{}, tier.UIHeader)
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the UI session of %s: GET /v2/_catalog answered %d", c.People.Admin.Name, res.StatusCode)
	}
	if len(login(tier.User{Name: c.People.Admin.Name, Password: "wrong"})) > 0 {
		t.Errorf("a wrong password opened a UI session")
	}
}

// checkKeyless: where the Helm values give zot no key (an IAM role), zot
// got its credentials from the pod's credentials endpoint, with the
// projected token, and from nowhere else.
func (c *cluster) checkKeyless(t *testing.T) {
	if c.PodIdentity == nil {
		return
	}
	for _, z := range c.Zots {
		for _, e := range z.env {
			if strings.HasPrefix(e, "AWS_ACCESS_KEY_ID=") || strings.HasPrefix(e, "AWS_SECRET_ACCESS_KEY=") {
				t.Errorf("zot was started with %s, but its Helm values give it no key", strings.SplitN(e, "=", 2)[0])
			}
		}
	}
	ok, wrong := c.PodIdentity.Calls()
	if ok == 0 {
		t.Errorf("zot pushed and pulled without asking the pod's credentials endpoint (%d refused calls)", wrong)
	}
	if wrong > 0 {
		t.Errorf("%d calls to the credentials endpoint without the projected token", wrong)
	}
	t.Logf("zot took its S3 credentials from the pod's credentials endpoint (%d calls), no key in its environment", ok)
}

// dynamoParamsPanic is zot v2.1.20's panic for a missing or empty
// cacheDriver key (pkg/meta/meta.go getDynamoParams).
const dynamoParamsPanic = "dynamo parameters are not specified correctly"

// checkImages: a Docker schema 2 and an OCI image pushed by an admin pull
// back through every member, and their blobs are in the bucket under the
// key prefix, not on the local disk.
func (c *cluster) checkImages(t *testing.T) {
	z := c.Zots[0]
	admin := c.People.Admin
	for _, tc := range []struct {
		repo string
		img  v1.Image
	}{
		{"team/docker-app:1", dockerImage(t, 4096)},
		{"team/oci-app:1", ociImage(t, 4096)},
	} {
		if err := z.Registry().Push(tc.repo, tc.img, admin); err != nil {
			t.Errorf("push %s as %s: %s", tc.repo, admin.Name, tier.Describe(err))
			continue
		}
		want, _ := tc.img.Digest()
		for _, m := range c.Zots {
			got, err := m.Registry().Pull(tc.repo, admin)
			if err != nil || got != want {
				t.Errorf("pull %s from member %s: %s, digest %s want %s", tc.repo, m.Host(), tier.Describe(err), got, want)
			}
		}
		layers, _ := tc.img.Layers()
		for _, l := range layers {
			d, _ := l.Digest()
			if !c.hasBlob(t, d.Hex) {
				t.Errorf("blob %s of %s is not in bucket %s under %q; keys: %v", d, tc.repo, c.Bucket, c.Prefix, c.S3.Keys(t, c.Bucket, ""))
			}
		}
	}
	root := z.Config["storage"].(map[string]any)["rootDirectory"].(string)
	if _, err := os.Stat(filepath.Join(root, "team")); err == nil {
		t.Errorf("repository data on the local disk (%s/team): blobs must only be in S3", root)
	}
}

// hasBlob: zot keeps the key prefix twice on S3 (pkg/storage/storage.go
// RootDir); either way the blob must be under the prefix.
func (c *cluster) hasBlob(t *testing.T, hex string) bool {
	for _, k := range c.S3.Keys(t, c.Bucket, c.Prefix) {
		if strings.HasSuffix(k, "/blobs/sha256/"+hex) {
			return true
		}
	}
	return false
}

// anonymousRead is whether the "**" policy lets anonymous users read.
func anonymousRead(cfg map[string]any) bool {
	return strings.Contains(fmt.Sprint(getPath(cfg, "http", "accessControl", "repositories", "**", "anonymousPolicy")), "read")
}

// checkAccess: anonymous users are refused unless anonymousRead, a wrong
// password is refused, a user with no rights gets 403, a pull robot pulls
// and gets 403 on a push and a delete, only admins delete.
func (c *cluster) checkAccess(t *testing.T) {
	z := c.Zots[0]
	const repo = "team/access:1"
	if err := z.Registry().Push(repo, dockerImage(t, 1024), c.People.Admin); err != nil {
		t.Fatalf("push as admin: %s", tier.Describe(err))
	}
	manifest := z.URL() + "/v2/team/access/manifests/1"
	anon, _ := status(t, http.MethodGet, manifest, tier.User{}, nil)
	if want := map[bool]int{true: 200, false: 401}[anonymousRead(c.r.Config)]; anon != want {
		t.Errorf("anonymous GET manifest: %d, want %d (anonymousRead %v)", anon, want, anonymousRead(c.r.Config))
	}
	wrong := tier.User{Name: c.People.Admin.Name, Password: "wrong-password"}
	if code, _ := status(t, http.MethodGet, manifest, wrong, nil); code != 401 {
		t.Errorf("wrong password: %d, want 401", code)
	}
	wantCode(t, "anonymous push", z.Registry().Push("team/anon:1", dockerImage(t, 512), tier.User{}), 401)
	if code, _ := status(t, http.MethodGet, manifest, c.People.Outsider, nil); code != 403 && !anonymousRead(c.r.Config) {
		t.Errorf("user with no rights GET manifest: %d, want 403", code)
	}
	wantCode(t, "push by a user with no rights", z.Registry().Push("team/outsider:1", dockerImage(t, 512), c.People.Outsider), 403)
	wantCode(t, "delete by a user with no rights", z.Registry().Delete(repo, c.People.Outsider), 403)
	if p := c.People.Puller; p.Name != "" {
		// A pull robot (secrets.users role pull) reads and does nothing else.
		if _, err := z.Registry().Pull(repo, p); err != nil {
			t.Errorf("pull as pull robot %s: %s", p.Name, tier.Describe(err))
		}
		wantCode(t, "push by a pull robot", z.Registry().Push("team/puller:1", dockerImage(t, 512), p), 403)
		wantCode(t, "delete by a pull robot", z.Registry().Delete(repo, p), 403)
	}
	if err := z.Registry().Delete(repo, c.People.Admin); err != nil {
		t.Errorf("delete as admin: %s", tier.Describe(err))
	}
	if _, err := z.Registry().Pull(repo, c.People.Admin); tier.Code(err) != 404 {
		t.Errorf("pull after delete: %s, want 404", tier.Describe(err))
	}
}

// checkMetrics: the scrape user gets Prometheus text; anyone else 403,
// anonymous 401.
func (c *cluster) checkMetrics(t *testing.T) {
	path, _ := getPath(c.r.Config, "extensions", "metrics", "prometheus", "path").(string)
	if path == "" || c.People.Scraper.Name == "" {
		t.Log("metrics off in this config")
		return
	}
	url := c.Zots[0].URL() + path
	code, body := status(t, http.MethodGet, url, c.People.Scraper, nil)
	if code != 200 || !strings.Contains(body, "# TYPE zot_") {
		t.Errorf("metrics as %s: %d, want 200 with Prometheus text; got %.200s", c.People.Scraper.Name, code, body)
	}
	for _, u := range []tier.User{c.People.Outsider, c.People.Admin} {
		if code, _ := status(t, http.MethodGet, url, u, nil); code != 403 {
			t.Errorf("metrics as %s (not a metrics user): %d, want 403", u.Name, code)
		}
	}
	if code, _ := status(t, http.MethodGet, url, tier.User{}, nil); code != 401 {
		t.Errorf("metrics anonymous: %d, want 401", code)
	}
}

// checkSSO: the OpenID login with exactly the registered redirect URI, the
// session cookie's Secure flag as configured, the groups claim reaching
// accessControl, and an API key as the SSO user's CLI password.
func (c *cluster) checkSSO(t *testing.T) {
	z := c.Zots[0]
	const repo = "team/sso:1"
	if err := z.Registry().Push(repo, dockerImage(t, 1024), c.People.Admin); err != nil {
		t.Fatalf("push as admin: %s", tier.Describe(err))
	}
	secure := getPath(c.r.Config, "http", "auth", "secureSession") == true
	login := func(u tier.SSOUser) *tier.SSOSession {
		s, err := tier.SSOLogin(z.URL(), u, nil)
		if err != nil {
			t.Fatalf("OpenID login of %s: %v", u.Email, err)
		}
		want := z.URL() + strings.TrimPrefix(c.r.OIDCRedirectURI, getPath(c.r.Config, "http", "externalUrl").(string))
		if s.RedirectURI != want {
			t.Errorf("zot sent redirect_uri %q, the program registers %q", s.RedirectURI, want)
		}
		if s.Secure != secure {
			t.Errorf("session cookie Secure=%v, secureSession %v", s.Secure, secure)
		}
		return s
	}
	key := func(s *tier.SSOSession, u tier.SSOUser) tier.User {
		k, err := s.APIKey(z.URL())
		if err != nil {
			t.Fatalf("%s: %v", u.Email, err)
		}
		return tier.User{Name: c.ssoName(u), Password: k}
	}

	reader := login(c.People.Reader)
	if code, body := uiGet(t, reader, z.URL()+"/v2/team/sso/manifests/1"); code != 200 {
		t.Errorf("reader (group %v) UI session GET manifest: %d %.200s", c.People.Reader.Groups, code, body)
	}
	rk := key(reader, c.People.Reader)
	if _, err := z.Registry().Pull(repo, rk); err != nil {
		t.Errorf("reader pull with API key: %s", tier.Describe(err))
	}
	wantCode(t, "reader push with API key", z.Registry().Push("team/sso-reader:1", dockerImage(t, 512), rk), 403)
	wantCode(t, "reader delete with API key", z.Registry().Delete(repo, rk), 403)
	if code, _ := status(t, http.MethodGet, z.URL()+"/v2/_catalog", tier.User{Name: c.People.Reader.Email, Password: "not-the-key"}, nil); code != 401 {
		t.Errorf("wrong API key: %d, want 401", code)
	}

	admin := login(c.People.SSOAdmin)
	ak := key(admin, c.People.SSOAdmin)
	if err := z.Registry().Push("team/sso-admin:1", dockerImage(t, 512), ak); err != nil {
		t.Errorf("admin-group SSO user push with API key: %s", tier.Describe(err))
	}

	nobody := login(c.People.Nobody)
	if code, _ := uiGet(t, nobody, z.URL()+"/v2/team/sso/manifests/1"); code != 403 {
		t.Errorf("SSO user in no configured group GET manifest: %d, want 403", code)
	}
}

// checkScaleOut: push through one member, pull through every other, a UI
// session made on one member is accepted by the others, one member
// restarted serves again.
func (c *cluster) checkScaleOut(t *testing.T) {
	first := c.Zots[0]
	img := dockerImage(t, 2048)
	want, _ := img.Digest()
	for i := 0; i < 4; i++ { // several repositories: they hash to different owners
		repo := fmt.Sprintf("scale/app-%d:1", i)
		if err := first.Registry().Push(repo, img, c.People.Admin); err != nil {
			t.Fatalf("push %s through %s: %s", repo, first.Host(), tier.Describe(err))
		}
		for _, m := range c.Zots[1:] {
			if got, err := m.Registry().Pull(repo, c.People.Admin); err != nil || got != want {
				t.Errorf("pull %s through %s: %s", repo, m.Host(), tier.Describe(err))
			}
		}
	}
	if c.OIDC {
		s, err := tier.SSOLogin(first.URL(), c.People.Reader, nil)
		if err != nil {
			t.Fatalf("login on %s: %v", first.Host(), err)
		}
		for _, m := range c.Zots[1:] {
			if code, body := uiGet(t, s, m.URL()+"/v2/_catalog"); code != 200 {
				t.Errorf("session from %s on %s: %d %.200s", first.Host(), m.Host(), code, body)
			}
		}
	}
	second := c.Zots[1]
	second.Stop()
	second.Start()
	for i := 0; i < 4; i++ {
		if _, err := second.Registry().Pull(fmt.Sprintf("scale/app-%d:1", i), c.People.Admin); err != nil {
			t.Errorf("after restart of %s: %s", second.Host(), tier.Describe(err))
		}
	}
}

// checkDataSurvives: every member restarted with an empty rootDirectory
// (and a flushed Redis) still lists and serves every image: zot rebuilds
// its metadata from the bucket.
func (c *cluster) checkDataSurvives(t *testing.T) {
	z := c.Zots[0]
	before := c.inventory(t, z)
	if len(before) == 0 {
		t.Fatal("nothing pushed before the restart")
	}
	var key tier.User // an SSO user's API key lives in the metadata DB only
	if c.OIDC {
		s, err := tier.SSOLogin(z.URL(), c.People.Reader, nil)
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		k, err := s.APIKey(z.URL())
		if err != nil {
			t.Fatal(err)
		}
		key = tier.User{Name: c.ssoName(c.People.Reader), Password: k}
	}
	for _, m := range c.Zots {
		m.Stop()
		m.emptyRoot(t)
	}
	if c.Redis != "" {
		c.flushRedis(t)
	}
	for _, m := range c.Zots {
		m.Start()
	}
	after := c.inventory(t, z)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after a restart with empty metadata zot lists %v, before it listed %v", after, before)
	}
	if key.Name != "" {
		// docs/operations.md: API keys are not rebuilt from the bucket.
		if code, _ := status(t, http.MethodGet, z.URL()+"/v2/_catalog", key, nil); code != 401 {
			t.Errorf("an API key made before the metadata was lost: %d after, docs say it is gone (401)", code)
		}
	}
	for repo, tl := range before {
		for _, tag := range tl {
			for _, m := range c.Zots {
				if _, err := m.Registry().Pull(repo+":"+tag, c.People.Admin); err != nil {
					t.Errorf("pull %s:%s through %s after restart: %s", repo, tag, m.Host(), tier.Describe(err))
				}
			}
		}
	}
}

// inventory is every repository zot lists with its tags.
func (c *cluster) inventory(t *testing.T, z *zotInstance) map[string][]string {
	t.Helper()
	repos, err := z.Registry().Catalog(c.People.Admin)
	if err != nil {
		t.Fatalf("catalog: %s", tier.Describe(err))
	}
	out := map[string][]string{}
	for _, repo := range repos {
		tl, err := z.Registry().Tags(repo, c.People.Admin)
		if err != nil {
			t.Fatalf("%s: tags: %s", repo, tier.Describe(err))
		}
		sort.Strings(tl)
		out[repo] = tl
	}
	return out
}
