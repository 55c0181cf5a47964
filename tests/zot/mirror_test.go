package zot

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// upstream is a plain local zot (local storage, no auth) standing in for
// Docker Hub or ghcr.io.
type upstream struct {
	z   *zotInstance
	URL string
}

func startUpstream(t testing.TB, b binaries) *upstream { return runUpstream(t, b, nil) }

// runUpstream starts the upstream zot with http settings added (auth and
// accessControl), or none.
func runUpstream(t testing.TB, b binaries, http map[string]any) *upstream {
	t.Helper()
	dir := t.TempDir()
	port := tier.FreePort(t)
	h := map[string]any{"address": "127.0.0.1", "port": fmt.Sprint(port), "compat": []any{"docker2s2"}}
	for k, v := range http {
		h[k] = v
	}
	cfg := map[string]any{
		"distSpecVersion": "1.1.1",
		"storage":         map[string]any{"rootDirectory": filepath.Join(dir, "root"), "gc": false},
		"http":            h,
		"log":             map[string]any{"level": "info"},
	}
	l := local{Dir: dir, Port: port}
	return &upstream{z: startZot(t, b, l, cfg), URL: l.URL()}
}

// upstreamAdmin pushes to an upstream with logins; upstreamLogin is the
// mirror's login there.
var (
	upstreamAdmin = tier.User{Name: "upstream-admin", Password: "upstream-admin-pw"}
	upstreamLogin = tier.User{Name: "tier-mirror-0", Password: `pa"ss\0`}
)

// startUpstreamWithLogin is an upstream where library/** needs the
// mirror's login and project-zot/** is public, like Docker Hub with an
// account and ghcr.io's public images.
func startUpstreamWithLogin(t testing.TB, b binaries) *upstream {
	t.Helper()
	var lines []string
	for _, u := range []tier.User{upstreamAdmin, upstreamLogin} {
		h, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, u.Name+":"+string(h))
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return runUpstream(t, b, map[string]any{
		"auth": map[string]any{"htpasswd": map[string]any{"path": htpasswd}},
		"accessControl": map[string]any{
			"repositories": map[string]any{
				"library/**":     map[string]any{"policies": []any{map[string]any{"users": []any{upstreamLogin.Name}, "actions": []any{"read"}}}},
				"project-zot/**": map[string]any{"anonymousPolicy": []any{"read"}},
			},
			"adminPolicy": map[string]any{"users": []any{upstreamAdmin.Name}, "actions": []any{"read", "create", "update", "delete"}},
		},
	})
}

// pointMirrors is the rewrite that sends every mirror to up, with the
// mirror's login in a credentials file of the format the program's
// template writes (the kube tier checks ESO writes exactly that).
func pointMirrors(t testing.TB, up *upstream) func(map[string]any) {
	return func(cfg map[string]any) {
		sync := getPath(cfg, "extensions", "sync").(map[string]any)
		for _, reg := range sync["registries"].([]any) {
			reg.(map[string]any)["urls"] = []any{up.URL}
			reg.(map[string]any)["maxRetries"] = zotconfig.SyncMaxRetries
		}
		if sync["credentialsFile"] != nil {
			host := strings.TrimPrefix(up.URL, "http://")
			body := mustJSON(t, map[string]any{host: map[string]string{"username": upstreamLogin.Name, "password": upstreamLogin.Password}})
			p := filepath.Join(t.TempDir(), "sync-credentials.json")
			if err := os.WriteFile(p, body, 0o600); err != nil {
				t.Fatal(err)
			}
			sync["credentialsFile"] = p
		}
	}
}

// syncPrefixes are the local prefixes (content destinations) of the
// config's sync registries that pull on demand (onDemand true) or sync
// their content every pollInterval (false).
func syncPrefixes(cfg map[string]any, onDemand bool) []string {
	var out []string
	sync, _ := getPath(cfg, "extensions", "sync").(map[string]any)
	if sync == nil {
		return nil
	}
	for _, reg := range sync["registries"].([]any) {
		rm := reg.(map[string]any)
		if (rm["onDemand"] == true) != onDemand {
			continue
		}
		for _, c := range rm["content"].([]any) {
			out = append(out, strings.TrimPrefix(c.(map[string]any)["destination"].(string), "/"))
		}
	}
	return slices.Compact(out)
}

// onDemandPrefixes are the prefixes the mirrors pull through on demand.
func onDemandPrefixes(cfg map[string]any) []string { return syncPrefixes(cfg, true) }

// periodicPrefixes are the prefixes of the mirrors that sync content.
func periodicPrefixes(cfg map[string]any) []string { return syncPrefixes(cfg, false) }

// hostEntry is containerd's host URL in a hosts.toml.
var hostEntry = regexp.MustCompile(`\[host\."([^"]+)"\]`)

// TestMirrorsPullThrough: in zot itself, with the program's sync config
// pointed at a local upstream (a second zot, where library/** needs the
// mirror's login): a pull of <prefix>/<repo>:<tag> logs in with the
// credentials file and returns the upstream's digest (preserveDigest), succeeds again with the
// upstream stopped, a push under the mirror's prefix is refused to everyone
// but the admins, a periodic mirror copies its content without a pull, and
// the generated hosts.toml names the path zot answers.
func TestMirrorsPullThrough(t *testing.T) {
	var r *rendered
	for _, x := range renders {
		if len(onDemandPrefixes(x.Config)) >= 2 && !dynamoDB(x.Config) {
			r = x
			break
		}
	}
	if r == nil {
		t.Fatal("no variant with two mirrors")
	}
	b := needBins(t)
	if getPath(r.Config, "extensions", "sync", "credentialsFile") == nil {
		t.Fatal("no mirror logs in to its upstream")
	}
	up := startUpstreamWithLogin(t, b)
	img := dockerImage(t, 2048)
	want, _ := img.Digest()
	// What the periodic mirror syncs: a repository its content names.
	synced := ociImage(t, 1024)
	for _, repo := range []string{"library/app:1", "project-zot/app:1"} {
		var im = img
		if strings.HasPrefix(repo, "project-zot/") {
			im = synced
		}
		if err := up.z.Registry().Push(repo, im, upstreamAdmin); err != nil {
			t.Fatalf("push %s to the upstream: %s", repo, tier.Describe(err))
		}
	}
	if _, err := up.z.Registry().Pull("library/app:1", tier.User{}); tier.Code(err) != 401 {
		t.Fatalf("the upstream's library/app answers an anonymous pull with %s, want 401: the test needs a login there", tier.Describe(err))
	}

	c := setUp(t, r, pointMirrors(t, up))
	z := c.Zots[0]
	prefixes := onDemandPrefixes(r.Config)
	first := prefixes[0]
	// A mirror with content syncs it every pollInterval, the first time
	// at start: it shows in the catalog before anyone pulls it.
	periodic := periodicPrefixes(r.Config)
	if len(periodic) == 0 {
		t.Fatal("no mirror with content")
	}
	for _, p := range periodic {
		waitFor(t, 90*time.Second, p+"/project-zot/app in the catalog", func() bool {
			repos, err := z.Registry().Catalog(c.People.Admin)
			return err == nil && slices.Contains(repos, p+"/project-zot/app")
		})
	}
	anon := tier.User{}
	// Nodes pull anonymously when mirrorReaders.anonymous is set; else the
	// pull robot does.
	reader := anon
	if !slices.Contains(strs(getPath(r.Config, "http", "accessControl", "repositories", first+"/**", "anonymousPolicy")), "read") {
		reader = c.People.Puller
	}

	got, err := z.Registry().Pull(first+"/library/app:1", reader)
	if err != nil {
		t.Fatalf("pull %s/library/app:1 through the mirror: %s", first, tier.Describe(err))
	}
	if got != want {
		t.Errorf("pulled digest %s, the upstream's is %s (preserveDigest)", got, want)
	}

	hosts := r.MirrorHostsToml
	for name, text := range hosts {
		m := hostEntry.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("hosts.toml of %s names no host: %s", name, text)
			continue
		}
		ext := getPath(r.Config, "http", "externalUrl").(string)
		local := z.URL() + strings.TrimPrefix(m[1], ext)
		if !strings.HasPrefix(m[1], ext+"/v2/") {
			t.Errorf("hosts.toml of %s: host %s is not under %s/v2/", name, m[1], ext)
		}
		if !strings.HasSuffix(m[1], "/"+first) {
			continue
		}
		// containerd with override_path: <host URL>/<repository>/manifests/<tag>.
		code, _ := status(t, http.MethodGet, local+"/library/app/manifests/1", reader,
			map[string]string{"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
		if code != http.StatusOK {
			t.Errorf("GET through hosts.toml's host %s: %d, want 200", m[1], code)
		}
	}
	if len(hosts) < 2 {
		t.Errorf("mirrorHostsToml has %d entries, want one per mirror", len(hosts))
	}

	for _, tc := range []struct {
		who  string
		u    tier.User
		want int
	}{{"anonymous", anon, 401}, {"the pull robot", c.People.Puller, 403}, {"a user with no rights", c.People.Outsider, 403}} {
		if tc.u.Name == "" && reader.Name != "" {
			continue
		}
		wantCode(t, "push under the mirror's prefix by "+tc.who, z.Registry().Push(first+"/library/evil:1", dockerImage(t, 512), tc.u), tc.want)
	}

	up.z.Stop()
	if got, err := z.Registry().Pull(first+"/library/app:1", reader); err != nil || got != want {
		t.Errorf("second pull with the upstream stopped: %s, digest %s want %s", tier.Describe(err), got, want)
	}

	// The periodic mirror's content arrived without a pull (it was in
	// the catalog before the upstream stopped), and is served from zot.
	syncedWant, _ := synced.Digest()
	for _, p := range periodic {
		if got, err := z.Registry().Pull(p+"/project-zot/app:1", c.People.Admin); err != nil || got != syncedWant {
			t.Errorf("%s/project-zot/app:1 with the upstream stopped: %s, digest %s want %s", p, tier.Describe(err), got, syncedWant)
		}
	}
}

// BenchmarkMirror: an image with one 64 MiB layer pulled through a mirror
// for the first time (zot fetches it from the upstream, stages it and
// moves it to S3) and a second time (from zot's bucket), each as a ratio
// to a pull from the upstream itself in the same run.
//
//	cd tests/zot && go test -run '^$' -bench Mirror -benchtime 3x
func BenchmarkMirror(b *testing.B) {
	var r *rendered
	for _, x := range renders {
		if len(onDemandPrefixes(x.Config)) > 0 && !dynamoDB(x.Config) {
			r = x
			break
		}
	}
	if r == nil {
		b.Fatal("no variant with a mirror")
	}
	bins := needBins(b)
	up := startUpstream(b, bins)
	c := setUp(b, r, pointMirrors(b, up))
	z := c.Zots[0]
	prefix := onDemandPrefixes(r.Config)[0]
	reader := c.People.Admin
	var direct, miss, hit time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		repo := fmt.Sprintf("bench/app-%d:1", i) // new each time: a miss
		img := dockerImage(b, 64<<20)
		if err := up.z.Registry().Push(repo, img, tier.User{}); err != nil {
			b.Fatalf("push to the upstream: %s", tier.Describe(err))
		}
		b.StartTimer()
		t0 := time.Now()
		if _, err := up.z.Registry().Pull(repo, tier.User{}); err != nil {
			b.Fatalf("pull from the upstream: %s", tier.Describe(err))
		}
		t1 := time.Now()
		if _, err := z.Registry().Pull(prefix+"/"+repo, reader); err != nil {
			b.Fatalf("first pull through the mirror: %s", tier.Describe(err))
		}
		t2 := time.Now()
		if _, err := z.Registry().Pull(prefix+"/"+repo, reader); err != nil {
			b.Fatalf("second pull through the mirror: %s", tier.Describe(err))
		}
		t3 := time.Now()
		direct, miss, hit = direct+t1.Sub(t0), miss+t2.Sub(t1), hit+t3.Sub(t2)
	}
	b.ReportMetric(float64(miss)/float64(direct), "miss/upstream")
	b.ReportMetric(float64(hit)/float64(direct), "hit/upstream")
}

// TestMirrorRetention: a mirror with keepPulledWithin is a cache. With the
// window shortened to seconds, a mirrored tag nobody pulls again is gone
// after the next GC passes, while a local repository beside it (no policy
// of its own here) keeps its tag.
func TestMirrorRetention(t *testing.T) {
	var r *rendered
	var prefix string
	for _, x := range renders {
		if dynamoDB(x.Config) {
			continue
		}
		for _, p := range retentionPolicies(x.Config) {
			repos := strs(p["repositories"])
			if len(repos) == 1 && slices.Contains(onDemandPrefixes(x.Config), strings.TrimSuffix(repos[0], "/**")) {
				r, prefix = x, strings.TrimSuffix(repos[0], "/**")
			}
		}
		if r != nil {
			break
		}
	}
	if r == nil {
		t.Fatal("no variant with a mirror that keeps what was pulled recently")
	}
	b := needBins(t)
	up := startUpstream(t, b)
	if err := up.z.Registry().Push("library/cached:1", dockerImage(t, 512), tier.User{}); err != nil {
		t.Fatalf("push to the upstream: %s", tier.Describe(err))
	}
	c := setUp(t, r, func(cfg map[string]any) {
		shortTimers(cfg)
		pointMirrors(t, up)(cfg)
		for _, p := range retentionPolicies(cfg) {
			if slices.Contains(strs(p["repositories"]), prefix+"/**") {
				for _, k := range p["keepTags"].([]any) {
					km := k.(map[string]any)
					km["pulledWithin"], km["pushedWithin"] = "3s", "3s"
				}
			}
		}
	})
	z := c.Zots[0]
	if _, err := z.Registry().Pull(prefix+"/library/cached:1", c.People.Admin); err != nil {
		t.Fatalf("pull through the mirror: %s", tier.Describe(err))
	}
	if err := z.Registry().Push("team/local:1", dockerImage(t, 512), c.People.Admin); err != nil {
		t.Fatalf("push a local repository: %s", tier.Describe(err))
	}
	up.z.Stop() // the tag cannot come back from the upstream
	passes := gcPasses(z.Log())
	time.Sleep(4 * time.Second)
	waitFor(t, 90*time.Second, "two GC passes after the window", func() bool { return gcPasses(z.Log()) >= passes+2 })
	if got, _ := z.Registry().Tags(prefix+"/library/cached", c.People.Admin); slices.Contains(got, "1") {
		t.Errorf("the mirrored tag nobody pulled within the window is still there: %v", got)
	}
	if got, err := z.Registry().Tags("team/local", c.People.Admin); err != nil || !slices.Contains(got, "1") {
		t.Errorf("the local repository lost its tag: %v %s", got, tier.Describe(err))
	}
}

// retentionPolicies are storage.retention.policies.
func retentionPolicies(cfg map[string]any) []map[string]any {
	var out []map[string]any
	ps, _ := getPath(cfg, "storage", "retention", "policies").([]any)
	for _, p := range ps {
		out = append(out, p.(map[string]any))
	}
	return out
}
