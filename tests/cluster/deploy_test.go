package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/kube"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// deployed is a variant's stack after its first `pulumi up`.
type deployed struct {
	v   variant
	sc  *render.StackConfig
	res *render.Result // the program under mocks: what a review sees
	d   *deployment
	dir string
	ns  string
	// outputs of the last up, secrets in clear.
	outputs   auto.OutputMap
	destroyed bool
	lastUp    time.Duration // how long the last up took
}

// upTimeout bounds one `pulumi up` of the tier.
const upTimeout = 15 * time.Minute

// deploy seeds the store with what an operator provides, creates the stack
// and runs `pulumi up`; it fails the test with the end of the log and the
// pods' states when up fails.
func deploy(t testing.TB, v variant) *deployed {
	t.Helper()
	x := prepare(t, v)
	x.asDeployer(t)
	var err error
	x.d, err = penv.newDeployment(context.Background(), projectRoot(), x.sc, x.dir)
	require.NoError(t, err)
	t.Cleanup(func() { x.cleanUp(t) })
	x.up(t, "up")
	return x
}

// prepare is a variant before its stack exists: its config, the program's
// render of it (what a review sees) and, with ESO, the store seeded with
// what an operator provides.
func prepare(t testing.TB, v variant) *deployed {
	t.Helper()
	sc, err := v.stackConfig(svc)
	require.NoError(t, err)
	res, err := render.EvaluateConfig(sc)
	require.NoError(t, err, "the variant's config")
	x := &deployed{v: v, sc: sc, res: res, dir: filepath.Join(work, "stacks", v.name), ns: res.Config.Registry.Namespace}
	if res.Config.Secrets.UsesESO() {
		values, err := storeValues()
		require.NoError(t, err)
		_, given := sc.Values[spec.FullKey(spec.KeyOIDCClientSecret)]
		seeds := kube.StoreSeeds(&res.Config.Settings, values, pushed(&res.Config.Settings, given), nil)
		require.NoError(t, theNode.API.Seed(context.Background(), StoreBackend, seeds))
	}
	return x
}

// pushed are the remote-key fields the program pushes (it knows the
// values); the store supplies the rest.
func pushed(s *spec.Settings, secretGiven bool) []string {
	var known []string
	switch {
	case s.Identity.Mode == spec.IdentityExternal && !secretGiven:
		known = append(known, "oidcClientId") // the secret: the store's
	case s.Identity.OpenID():
		known = append(known, "oidcClientId", "oidcClientSecret")
	}
	if s.Secrets.Generates() {
		known = append(known, "htpasswd", "sessionHashKey", "sessionEncryptKey", "s3AccessKeyId", "s3SecretAccessKey")
	}
	return known
}

// up runs `pulumi up`, its log in <dir>/<label>.log.
func (x *deployed) up(t testing.TB, label string) auto.UpResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	log := x.logFile(t, label)
	begin := time.Now()
	res, err := x.d.stack.Up(ctx, upOptions(log)...)
	x.lastUp = time.Since(begin)
	t.Logf("%s: pulumi %s took %s", x.v.name, label, x.lastUp.Round(time.Second))
	if err != nil {
		t.Fatalf("pulumi %s of %s: %v\nlog ends:\n%s\npods:\n%s", label, x.v.name, err, tier.Tail(log.Name(), 60), describePods(x.ns))
	}
	x.outputs = res.Outputs
	return res
}

func (x *deployed) logFile(t testing.TB, label string) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(x.dir, label+".log"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// previewChanges runs `pulumi preview` (with --refresh: what the drift
// workflow runs, reading every resource back from the cluster first) and
// returns its change summary without the unchanged resources.
func (x *deployed) previewChanges(t testing.TB, label string, refresh bool) map[apitype.OpType]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	log := x.logFile(t, label)
	opts := []optpreview.Option{optpreview.ProgressStreams(log), optpreview.Diff()}
	if refresh {
		opts = append(opts, optpreview.Refresh())
	}
	res, err := x.d.stack.Preview(ctx, opts...)
	require.NoError(t, err, "pulumi preview; log:\n%s", tier.Tail(log.Name(), 60))
	changes := map[apitype.OpType]int{}
	for op, n := range res.ChangeSummary {
		if op != apitype.OpSame && n > 0 {
			changes[op] = n
		}
	}
	return changes
}

// cleanUp destroys what a failed test left, so the next variant starts on
// an empty node.
func (x *deployed) cleanUp(t testing.TB) {
	if x.destroyed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	if _, err := x.d.stack.Destroy(ctx); err != nil {
		t.Logf("destroy after the failed test: %v", err)
	}
	_, _ = theNode.Recycle(ctx)
}

// destroy runs `pulumi destroy` and waits until the namespace is gone.
func (x *deployed) destroy(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	log := x.logFile(t, "destroy")
	_, err := x.d.stack.Destroy(ctx, optdestroy.ProgressStreams(log))
	require.NoError(t, err, "pulumi destroy; log:\n%s", tier.Tail(log.Name(), 60))
	x.destroyed = true
	_, err = theNode.Recycle(ctx)
	require.NoError(t, err)
}

// variants are the stacks the tier deploys, each with its modes' providers
// all running here (docs/development.md says which stay engine-tier only).
func variants() []variant {
	users := []any{"ci-pusher", map[string]any{"name": "reader", "role": "pull"}}
	return []variant{
		// storage existing, identity external (dex) with the client secret in
		// the store alone, secrets from the store through ESO, one replica
		// with its claim.
		{name: "cluster", oidcSecretInStore: true},
		// No OpenID provider: htpasswd users only.
		{name: "identity-none", replace: map[string]any{
			"zot-registry:identity": map[string]any{"mode": "none"},
		}, edits: []render.Edit{
			{Key: registryKey, Path: "accessControl", Value: map[string]any{"adminUsers": []any{"ci-pusher"}, "readerUsers": []any{"reader"}}},
		}},
		// The program generates the robots' passwords and the session keys
		// (the random stand-in) and pushes them to the store.
		{name: "secrets-push", replace: map[string]any{
			"zot-registry:secrets": map[string]any{"mode": "push", "store": map[string]any{"name": StoreName, "kind": "ClusterSecretStore"},
				"users": users, "remoteProperty": "value", "refreshInterval": "10s", "waitTimeout": "3m"},
		}, edits: []render.Edit{{Key: registryKey, Path: "accessControl.readerUsers", Value: nil}}},
		// Three replicas sharing metadata in Redis (on the node's address),
		// members named through the cluster DNS under a domain other than
		// cluster.local (registry.clusterDomain; TestDayTwo scales out under
		// cluster.local).
		{name: "scale-out-redis", edits: []render.Edit{
			{Key: registryKey, Path: "replicas", Value: 3},
			{Key: registryKey, Path: "clusterDomain", Value: ExtraDomain},
			{Key: registryKey, Path: "cache", Value: map[string]any{"driver": "redis", "redis": map[string]any{
				"addresses": []any{RedisAddr}, "keyPrefix": "zot-cluster",
			}}},
		}},
		// No ESO: the team's example as a team copies it (the node's
		// addresses in place of its hosts): an existing bucket, an OpenID
		// client made by hand, the program writing zot's Secrets; in a
		// namespace the platform team made, its deployer bound there alone.
		{name: stacks.ExamplePrefix + "no-eso", example: "no-eso", edits: []render.Edit{
			{Key: registryKey, Path: "createNamespace", Value: false},
		}},
	}
}

// TestDeploy: each variant on the node, checked as a user relies on it,
// then a second preview that changes nothing and destroy.
func TestDeploy(t *testing.T) {
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			x := deploy(t, v)
			t.Run("ready", func(t *testing.T) { x.checkReady(t) })
			t.Run("files zot reads", func(t *testing.T) { x.checkFiles(t) })
			t.Run("registry", func(t *testing.T) { x.checkRegistry(t) })
			t.Run("openid login", func(t *testing.T) { x.checkSSO(t) })
			t.Run("no change", func(t *testing.T) {
				assert.Empty(t, x.previewChanges(t, "preview-again", false), "a second preview of an unchanged stack changes nothing")
				assert.Empty(t, x.previewChanges(t, "preview-refresh", true),
					"pulumi preview --refresh (the drift check) finds no drift; its log: %s", filepath.Join(x.dir, "preview-refresh.log"))
			})
			t.Run("destroy", func(t *testing.T) { x.checkDestroy(t) })
		})
	}
}

// selector matches the release's pods (the chart's selector labels).
func (x *deployed) selector() string {
	return "app.kubernetes.io/name=zot,app.kubernetes.io/instance=" + x.res.Config.Registry.ReleaseName
}

// checkReady: every replica Ready (the chart's probes), every
// ExternalSecret Ready (what the provider waited for).
func (x *deployed) checkReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, waitPodsReady(ctx, x.ns, x.selector(), x.res.Config.Registry.Replicas), describePods(x.ns))
	if ps, err := pods(ctx, x.ns, x.selector()); err == nil {
		for _, p := range ps {
			// A scale-out member may exit until the DNS publishes its name
			// (docs/operations.md); the figure for the docs.
			sts, _ := field(p, "status", "containerStatuses").([]any)
			for _, s := range sts {
				m, _ := s.(map[string]any)
				t.Logf("%s: pod %s: %v restarts", x.v.name, name(p), m["restartCount"])
			}
		}
	}
	if !x.res.Config.Secrets.UsesESO() {
		return
	}
	ess, err := theNode.API.List(ctx, "external-secrets.io/v1", "ExternalSecret", x.ns, "")
	require.NoError(t, err)
	assert.NotEmpty(t, ess)
	for _, es := range ess {
		assert.Equal(t, "True", kube.ReadyCondition(es).Status, "ExternalSecret %s: %s", name(es), kube.ReadyCondition(es))
	}
}

// checkFiles: in every pod, zot runs with exactly the config.json the
// render shows, and every file it names is there with what the store and
// the program hold (the walk-through's step 6, made automatic).
func (x *deployed) checkFiles(t *testing.T) {
	ctx := context.Background()
	ps, err := pods(ctx, x.ns, x.selector())
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	values, err := storeValues()
	require.NoError(t, err)
	passwords := x.passwords(t)
	for _, p := range ps {
		pid, err := zotProcess(fmt.Sprint(field(p, "metadata", "uid")))
		require.NoError(t, err)
		got, err := readInPod(pid, configPath(t, pid))
		require.NoError(t, err)
		assert.JSONEq(t, x.res.ConfigJSON, revealed(t, x.res.ConfigJSON, got), "pod %s runs the config.json the render shows", name(p))
		var cfg struct {
			HTTP struct {
				Auth struct {
					Htpasswd struct{ Path string }
					OpenID   struct {
						Providers map[string]struct{ CredentialsFile string }
					}
					SessionKeysFile string
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(got), &cfg))
		a := cfg.HTTP.Auth
		htpasswd, err := readInPod(pid, a.Htpasswd.Path)
		require.NoError(t, err, "htpasswd at the path config.json names")
		assert.NoError(t, kube.CheckHtpasswd(htpasswd, passwords))
		if x.res.Config.Identity.OpenID() {
			require.NotNil(t, a.OpenID.Providers, "config.json has the OpenID provider")
			creds, err := readInPod(pid, a.OpenID.Providers[layout.OIDCProviderKey].CredentialsFile)
			require.NoError(t, err, "OpenID credentials at the path config.json names")
			assert.NoError(t, kube.CheckOIDCCredentials(creds, ClientID, svc.clientSecret))
		}
		keys, err := readInPod(pid, a.SessionKeysFile)
		require.NoError(t, err, "session keys at the path config.json names")
		if x.res.Config.Secrets.Generates() {
			var k struct{ HashKey, EncryptKey string }
			require.NoError(t, json.Unmarshal([]byte(keys), &k))
			assert.Len(t, k.HashKey, 64)
			assert.Len(t, k.EncryptKey, 32)
		} else {
			assert.NoError(t, kube.CheckSessionKeys(keys, values["sessionHashKey"], values["sessionEncryptKey"]))
		}
		env, err := envOf(pid)
		require.NoError(t, err)
		assert.Equal(t, S3Access, env["AWS_ACCESS_KEY_ID"], "zot's S3 key from its Secret")
		assert.Equal(t, S3Secret, env["AWS_SECRET_ACCESS_KEY"])
	}
}

// checkRegistry: through the Service, at externalUrl, as docker does.
func (x *deployed) checkRegistry(t *testing.T) {
	reg := svc.registry()
	passwords := x.passwords(t)
	pusher := tier.User{Name: "ci-pusher", Password: passwords["ci-pusher"]}
	reader := tier.User{Name: x.pullRobot(), Password: passwords[x.pullRobot()]}
	dockerImg, err := tier.DockerImage(256 << 10)
	require.NoError(t, err)
	ociImg, err := tier.OCIImage(256 << 10)
	require.NoError(t, err)
	require.NoError(t, reg.Push("team/docker:1", dockerImg, pusher), "Docker schema 2 push (compat docker2s2)")
	require.NoError(t, reg.Push("team/oci:1", ociImg, pusher), "OCI push")
	for repo, img := range map[string]v1.Image{"team/docker:1": dockerImg, "team/oci:1": ociImg} {
		got, err := reg.Pull(repo, reader)
		require.NoError(t, err, "pull %s as a reader", repo)
		want, err := img.Digest()
		require.NoError(t, err)
		assert.Equal(t, want, got, repo)
	}
	if n := x.res.Config.Registry.Replicas; n > 1 {
		// Each pull through the Service lands on any member; one that does
		// not own the repository proxies to the owner by its cluster DNS
		// name (registry.clusterDomain).
		for i := range 3 * n {
			_, err := reg.Pull("team/oci:1", reader)
			require.NoError(t, err, "pull %d through the Service, %d members", i, n)
		}
	}
	err = reg.Push("team/denied:1", ociImg, reader)
	assert.Equal(t, 403, tier.Code(err), "a reader pushes: %s", tier.Describe(err))
	_, err = reg.Catalog(tier.User{})
	assert.Equal(t, 401, tier.Code(err), "anonymous: %s", tier.Describe(err))
	_, err = reg.Catalog(tier.User{Name: "ci-pusher", Password: "wrong"})
	assert.Equal(t, 401, tier.Code(err), "a wrong password: %s", tier.Describe(err))

	// The blobs are in the bucket, under the key prefix (zot writes it
	// twice: docs/storage.md), not on the pod's disk.
	layers, err := ociImg.Layers()
	require.NoError(t, err)
	d, err := layers[0].Digest()
	require.NoError(t, err)
	prefix := strings.Trim(x.res.Config.Storage.KeyPrefix, "/")
	blob := filepath.Join(svc.s3Root, x.res.Config.Storage.Bucket, prefix, prefix, "team/oci/blobs/sha256", d.Hex)
	_, err = os.Stat(blob)
	assert.NoError(t, err, "the layer is an object in the bucket")
}

// checkSSO: the web UI's OpenID login through dex, with exactly the
// redirect URI the program registers, a Secure session cookie behind TLS,
// and an API key that works as docker's password.
func (x *deployed) checkSSO(t *testing.T) {
	if !x.res.Config.Identity.OpenID() {
		t.Skip("identity mode none")
	}
	zotURL := x.res.Config.Registry.ExternalURL
	s, err := tier.SSOLogin(zotURL, ssoAdmin, svc.external())
	require.NoError(t, err)
	assert.Equal(t, x.res.Outputs["oidcRedirectUri"], s.RedirectURI, "zot sends the redirect URI the program registered")
	assert.True(t, s.Secure, "the session cookie is Secure behind TLS")
	key, err := s.APIKey(zotURL)
	require.NoError(t, err)
	img, err := tier.OCIImage(64 << 10)
	require.NoError(t, err)
	assert.NoError(t, svc.registry().Push("sso/admin:1", img, tier.User{Name: ssoAdmin.Email, Password: key}),
		"an SSO admin (by group) pushes with an API key")
}

// checkDestroy: destroy removes everything the stack made; the bucket,
// which it does not own, keeps the images.
func (x *deployed) checkDestroy(t *testing.T) {
	x.destroy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if !x.res.Config.Registry.CreateNamespace {
		// The platform team's namespace stays, empty of zot: removed here
		// so the next variant starts on an empty node.
		for _, kind := range []string{"StatefulSet", "Deployment"} {
			_, err := theNode.API.Get(ctx, "apps/v1", kind, x.ns, x.res.Config.Registry.ReleaseName)
			se, ok := err.(*kube.StatusError)
			require.True(t, ok && se.Code == 404, "%s %s/%s after destroy: %v", kind, x.ns, x.res.Config.Registry.ReleaseName, err)
		}
		require.NoError(t, theNode.API.Delete(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": x.ns}}))
	}
	for {
		_, err := theNode.API.Get(ctx, "v1", "Namespace", "", x.ns)
		if se, ok := err.(*kube.StatusError); ok && se.Code == 404 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("namespace %s still exists after destroy: %v", x.ns, err)
		}
		time.Sleep(time.Second)
	}
	var blobs int
	_ = filepath.WalkDir(filepath.Join(svc.s3Root, x.res.Config.Storage.Bucket), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	assert.Positive(t, blobs, "the bucket keeps the images after destroy")
}

// pullRobot is the read-only robot: the first user of role pull the
// program generates, else the store's "reader".
func (x *deployed) pullRobot() string {
	for _, u := range x.res.Config.Secrets.Users {
		if u.Role == spec.RolePull {
			return u.Name
		}
	}
	return "reader"
}

// passwords are the robots' passwords: the store's (secrets mode store),
// else the ones the program generated (the secret output registryPasswords).
func (x *deployed) passwords(t testing.TB) map[string]string {
	t.Helper()
	if !x.res.Config.Secrets.Generates() {
		return robots
	}
	out, ok := x.outputs["registryPasswords"]
	require.True(t, ok, "no registryPasswords output")
	assert.True(t, out.Secret, "registryPasswords is a secret output")
	m, _ := out.Value.(map[string]any)
	pw := map[string]string{}
	for k, v := range m {
		pw[k] = fmt.Sprint(v)
	}
	require.Contains(t, pw, "ci-pusher")
	return pw
}

// configPath is the config file zot was started with (zot serve PATH).
func configPath(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	require.NoError(t, err)
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	require.GreaterOrEqual(t, len(args), 3, "zot's command line: %q", args)
	require.Equal(t, "serve", args[1])
	return args[2]
}

// revealed is got with each value the render shows as a secret (a
// credential generated or given at deploy time) replaced by the render's
// marker, after checking it is set.
func revealed(t *testing.T, rendered, got string) string {
	t.Helper()
	var want, have any
	require.NoError(t, json.Unmarshal([]byte(rendered), &want))
	require.NoError(t, json.Unmarshal([]byte(got), &have))
	var walk func(w, h any, path string) any
	walk = func(w, h any, path string) any {
		switch wv := w.(type) {
		case string:
			if wv == render.SecretMarker {
				hs, _ := h.(string)
				assert.NotEmpty(t, hs, "%s is set in the pod", path)
				assert.NotEqual(t, render.SecretMarker, hs, path)
				return render.SecretMarker
			}
		case map[string]any:
			hm, ok := h.(map[string]any)
			if !ok {
				return h
			}
			for k := range hm {
				hm[k] = walk(wv[k], hm[k], path+"."+k)
			}
			return hm
		case []any:
			ha, ok := h.([]any)
			if !ok || len(ha) != len(wv) {
				return h
			}
			for i := range ha {
				ha[i] = walk(wv[i], ha[i], fmt.Sprintf("%s[%d]", path, i))
			}
			return ha
		}
		return h
	}
	b, err := json.Marshal(walk(want, have, "config.json"))
	require.NoError(t, err)
	return string(b)
}

// upOptions stream pulumi up's progress and errors into log.
func upOptions(log *os.File) []optup.Option {
	return []optup.Option{optup.ProgressStreams(log), optup.ErrorProgressStreams(log)}
}
