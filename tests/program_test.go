// Package tests holds whole-program tests: the program evaluated under mocks
// from the repository's own Pulumi.yaml and stack files, as cmd/render does.
package tests

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components"
	"github.com/zot-registry/zot-registry/components/identity"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const root = ".."

func TestPulumiYAMLDeclaresExactlyTheProgramsKeys(t *testing.T) {
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err, "Pulumi.yaml must load with the Pulumi SDK's own loader")
	require.NoError(t, proj.Validate())
	assert.Equal(t, spec.Project, proj.Name.String())
	assert.Equal(t, "go", proj.Runtime.Name())
	var declared []string
	for k, v := range proj.Config {
		declared = append(declared, k)
		assert.Equal(t, "object", v.TypeName(), k)
		assert.NotEmpty(t, v.Description, k)
	}
	sort.Strings(declared)
	want := append([]string(nil), spec.Keys...)
	sort.Strings(want)
	assert.Equal(t, want, declared)
}

// TestEveryStackRenders: every fixture stack, the dev fixture in every
// mode of every component, and whatever example stacks exist render with
// the documented outputs and a config.json that docker can push to.
func TestEveryStackRenders(t *testing.T) {
	variants, err := stacks.All(root)
	require.NoError(t, err)
	require.Greater(t, len(variants), len(stacks.Modes()), "no fixture Pulumi.<stack>.yaml found")
	examples, err := stacks.ExampleVariants(root)
	require.NoError(t, err)
	for _, v := range append(variants, examples...) {
		t.Run(v.Name, func(t *testing.T) {
			res, err := v.Evaluate(root)
			require.NoError(t, err)

			// Stack outputs: exactly the documented names, none empty.
			var names []string
			for k, v := range res.Outputs {
				names = append(names, k)
				assert.NotNil(t, v, k)
				if outputs.Secret[k] {
					assert.Equal(t, render.SecretMarker, v, "%s is exported as a secret", k)
				}
			}
			sort.Strings(names)
			want := append([]string(nil), outputs.Names...)
			sort.Strings(want)
			assert.Equal(t, want, names)

			// config.json parses, and says what the walk-through needs.
			var zc map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			http := zc["http"].(map[string]any)
			assert.Contains(t, http["compat"], "docker2s2")
			assert.Equal(t, res.Outputs[outputs.RegistryURL], http["externalUrl"], "the URL docker uses is the URL zot knows")

			// Every resource but the stack hangs under one of our components.
			for _, r := range res.Recorder.Resources() {
				p, ok := res.Recorder.ParentOf(r)
				if r.Custom {
					require.True(t, ok, "%s has no parent", r.URN)
					assert.True(t, strings.HasPrefix(p.Type, "zot-registry:"), "%s is not inside a component", r.URN)
				}
			}

			out := t.TempDir()
			files, err := res.Write(out)
			require.NoError(t, err)
			assert.Contains(t, files, render.ValuesFile)
			assert.Contains(t, files, render.PolicyFile)
			b, err := os.ReadFile(filepath.Join(out, render.ConfigFile))
			require.NoError(t, err)
			assert.Equal(t, res.ConfigJSON, string(b))
		})
	}
}

// TestDevConfigGolden pins config.json for the dev fixture. The pure builder
// and the full program must produce the same bytes. Run with -update after
// an intended change, and review the diff.
func TestDevConfigGolden(t *testing.T) {
	sc, err := stacks.Named("dev").Config(root)
	require.NoError(t, err)
	cfg, err := config.Parse("dev", sc.Source())
	require.NoError(t, err)
	st := cfg.Storage
	require.Equal(t, "authentik", cfg.Identity.Mode)
	issuer := identity.Issuer(cfg.Identity.AuthentikURL.String(), cfg.Identity.Authentik.Slug)
	p := chart.Params(cfg.Registry, cfg.Secrets.Users.Pull(), zotconfig.S3Driver{
		Bucket: st.Bucket, Region: st.Region, RegionEndpoint: st.RegionEndpoint, Secure: st.Secure,
		ForcePathStyle: *st.ForcePathStyle, SkipVerify: st.SkipVerify, KeyPrefix: st.KeyPrefix, RedirectBlobURL: st.Redirects(),
	}, zotconfig.OIDC{Issuer: issuer, Label: cfg.Identity.Label, Scopes: cfg.Identity.Scopes, UsernameClaim: cfg.Identity.UsernameClaim})
	chart.Operations(&p, cfg.Registry, cfg.Registry.Namespace, "", "") // one replica: no credential
	built, err := zotconfig.Marshal(zotconfig.Build(p))
	require.NoError(t, err)

	golden := filepath.Join("testdata", "dev-config.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(built), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), built)

	res, err := render.EvaluateConfig(sc)
	require.NoError(t, err)
	assert.Equal(t, built, res.ConfigJSON, "the render and the builder agree")
}

// TestBadConfigRegistersNothing: a config error stops the program before
// any resource exists, so `pulumi up` changes nothing.
func TestBadConfigRegistersNothing(t *testing.T) {
	sc, err := stacks.Named("dev").Config(root)
	require.NoError(t, err)
	sc.Values["zot-registry:registry"] = strings.Replace(sc.Values["zot-registry:registry"], `"version":"0.1.122"`, `"version":"latest"`, 1)
	rec := mocks.New(sc.Project, sc.Stack)
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := program.Apply(ctx)
		return err
	}, rec.Option(), func(info *pulumi.RunInfo) { info.Config = sc.Values })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config zot-registry:registry.chart.version:")
	assert.Empty(t, rec.Resources())
}

// TestRenderCommand runs the command as a user would.
func TestRenderCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "render")
	build := exec.Command("go", "build", "-o", bin, "./cmd/render")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	// A project of the fixture dev stack.
	proj := t.TempDir()
	py, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(proj, "Pulumi.yaml"), py, 0o644))
	dev, err := os.ReadFile(filepath.Join(root, stacks.FixtureDir, "Pulumi.dev.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(proj, "Pulumi.dev.yaml"), dev, 0o644))

	dir := t.TempDir()
	cmd := exec.Command(bin, "-stack", "dev", "-project", proj, "-out", dir)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "rendered stack dev")
	assert.FileExists(t, filepath.Join(dir, "zot", "config.json"))
	assert.FileExists(t, filepath.Join(dir, "zot", "values.yaml"))

	// A broken stack file: exit 1, the key named on stderr.
	broken := strings.Replace(string(dev), "port: 5000", "port: 0", 1)
	broken = strings.Replace(broken, "    namespace: zot\n", "    namespace: zot\n    port: 70000\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(proj, "Pulumi.broken.yaml"), []byte(broken), 0o644))
	cmd = exec.Command(bin, "-stack", "broken", "-project", proj, "-out", t.TempDir())
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, string(out))
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, string(out), "config zot-registry:registry.port: 70000 is out of range")
}

// BenchmarkDevStack times one whole-program evaluation of the dev stack
// under mocks: config parsing, validation, every component, the outputs.
func BenchmarkDevStack(b *testing.B) {
	sc, err := stacks.Named("dev").Config(root)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.EvaluateConfig(sc); err != nil {
			b.Fatal(err)
		}
	}
}

// evaluateWith evaluates the dev stack, named "test", with some config keys
// replaced as they would be written in a stack file (nil removes a key).
func evaluateWith(t *testing.T, replace map[string]any) *render.Result {
	t.Helper()
	sc, err := stacks.Variant{Name: "test", Stack: "dev", Replace: replace}.Config(root)
	require.NoError(t, err)
	sc.Stack = "test"
	res, err := render.EvaluateConfig(sc)
	require.NoError(t, err)
	return res
}

// TestStorageModesRender: in every mode zot's config takes bucket and
// endpoint from the storage component, and the render's policy.json holds
// exactly the eight actions on that bucket's ARNs.
func TestStorageModesRender(t *testing.T) {
	cases := []struct {
		mode        string
		storage     map[string]any
		bucket      string // regexp
		endpoint    string
		secure      bool
		pathStyle   bool
		objectARN   string
		wantCreated []string
	}{
		{"aws", map[string]any{"mode": "aws", "region": "eu-central-1"},
			`^zot-registry-test-[0-9a-f]{8}$`, "", true, false, "/*",
			[]string{"aws:s3/bucketV2:BucketV2", mocks.UserType, mocks.UserPolicyType, mocks.AccessKeyType}},
		{"s3-compatible", map[string]any{"mode": "s3-compatible", "endpoint": "http://rustfs.storage.svc:9000", "bucket": "zot-test", "keyPrefix": "/zot"},
			`^zot-test$`, "http://rustfs.storage.svc:9000", false, true, "/zot/*",
			[]string{"pulumi:providers:aws", "aws:s3/bucketV2:BucketV2"}},
		{"existing", map[string]any{"mode": "existing", "bucket": "shared-zot", "region": "eu-west-1"},
			`^shared-zot$`, "", true, false, "/*", nil},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			res := evaluateWith(t, map[string]any{"zot-registry:storage": tc.storage})
			bucket := res.Outputs[outputs.Bucket].(string)
			assert.Regexp(t, tc.bucket, bucket)

			var zc struct {
				Storage struct {
					StorageDriver map[string]any `json:"storageDriver"`
				} `json:"storage"`
			}
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			d := zc.Storage.StorageDriver
			assert.Equal(t, bucket, d["bucket"], "zot's bucket is the component's")
			if tc.endpoint == "" {
				assert.NotContains(t, d, "regionendpoint")
			} else {
				assert.Equal(t, tc.endpoint, d["regionendpoint"])
			}
			assert.Equal(t, tc.secure, d["secure"])
			assert.Equal(t, tc.pathStyle, d["forcepathstyle"])

			var created []string
			for _, r := range res.Recorder.Resources() {
				if p, ok := res.Recorder.ParentOf(r); ok && p.Type == "zot-registry:storage:Storage" && r.Custom {
					created = append(created, r.Type)
				}
			}
			for _, typ := range tc.wantCreated {
				assert.Contains(t, created, typ)
			}
			if tc.wantCreated == nil {
				assert.Empty(t, created)
			}

			out := t.TempDir()
			files, err := res.Write(out)
			require.NoError(t, err)
			policy, err := os.ReadFile(filepath.Join(out, render.PolicyFile))
			require.NoError(t, err)
			var doc struct {
				Statement []struct {
					Action   []string
					Resource []string
				}
			}
			require.NoError(t, json.Unmarshal(policy, &doc))
			got := map[string][]string{}
			for _, st := range doc.Statement {
				for _, r := range st.Resource {
					got[r] = append(got[r], st.Action...)
				}
			}
			for _, a := range got {
				sort.Strings(a)
			}
			assert.Equal(t, map[string][]string{
				"arn:aws:s3:::" + bucket:                {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
				"arn:aws:s3:::" + bucket + tc.objectARN: {"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"},
			}, got)

			// The generated secret key never reaches a file.
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(out, f))
				require.NoError(t, err)
				assert.NotContains(t, string(b), "mock-secret-", "%s holds a secret value", f)
			}
		})
	}
}

// TestIdentityModesRender: zot's openid section and the outputs take the
// issuer and client id from the identity component; the client secret, from
// Authentik or from config, is in no rendered file.
func TestIdentityModesRender(t *testing.T) {
	cases := []struct {
		name       string
		replace    map[string]any
		issuer     string
		clientID   string
		authentik  bool
		secretText string
	}{
		{"authentik", nil, "https://auth.example.com/application/o/zot/", "zot-dev", true, ""},
		{"external", map[string]any{
			"zot-registry:identity":         map[string]any{"mode": "external", "issuer": "https://kc.example.com/realms/platform", "clientId": "zot", "label": "Keycloak"},
			"zot-registry:oidcClientSecret": map[string]any{"secure": "v1:c2VjcmV0LWZyb20tY29uZmln"},
			"authentik:url":                 nil,
		}, "https://kc.example.com/realms/platform", "zot", false, "c2VjcmV0LWZyb20tY29uZmln"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := evaluateWith(t, tc.replace)
			assert.Equal(t, tc.issuer, res.Outputs[outputs.OIDCIssuer])
			assert.Equal(t, tc.clientID, res.Outputs[outputs.OIDCClientID])
			assert.Equal(t, "https://registry.dev.example.com/zot/auth/callback/oidc", res.Outputs[outputs.OIDCRedirectURI])

			var zc struct {
				HTTP struct {
					Auth struct {
						OpenID struct {
							Providers map[string]map[string]any `json:"providers"`
						} `json:"openid"`
					} `json:"auth"`
				} `json:"http"`
			}
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			assert.Equal(t, tc.issuer, zc.HTTP.Auth.OpenID.Providers["oidc"]["issuer"])

			var authentikResources int
			for _, r := range res.Recorder.Resources() {
				if strings.HasPrefix(r.Type, "authentik:") {
					authentikResources++
				}
			}
			assert.Equal(t, tc.authentik, authentikResources > 0)
			if tc.authentik {
				// The issuer is known from config, so the release waits for
				// the application (and its bindings) explicitly.
				release, ok := res.Recorder.Find(mocks.ReleaseType, "zot")
				require.True(t, ok)
				for _, typ := range []string{mocks.ApplicationType, "authentik:index/policyBinding:PolicyBinding"} {
					for _, r := range res.Recorder.ByType(typ) {
						assert.Contains(t, release.DependsOn, r.URN, "zot starts before %s exists", r.Name)
					}
				}
			}

			secretText := tc.secretText
			if tc.authentik {
				// The secret the program generated and gave Authentik.
				pw, ok := res.Recorder.Find(mocks.RandomPasswordType, "zot-registry-client-secret")
				require.True(t, ok, "authentik mode generates the client secret")
				secretText = pw.State["result"].SecretValue().Element.StringValue()
				require.Len(t, secretText, identity.ClientSecretLength)
			}
			out := t.TempDir()
			files, err := res.Write(out)
			require.NoError(t, err)
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(out, f))
				require.NoError(t, err)
				assert.NotContains(t, string(b), secretText, "%s holds the client secret", f)
			}
		})
	}
}

// TestSecretsPushRender: push mode generates passwords and session keys,
// pushes them, and none of them reaches a rendered file; the release waits
// for every ExternalSecret.
func TestSecretsPushRender(t *testing.T) {
	res := evaluateWith(t, map[string]any{
		"zot-registry:storage": map[string]any{"mode": "aws", "region": "eu-central-1"},
		"zot-registry:secrets": map[string]any{"mode": "push", "store": map[string]any{"name": "vault-backend"}, "users": []any{"ci-pusher", "prometheus"}},
	})
	assert.Equal(t, render.SecretMarker, res.Outputs[outputs.RegistryPasswords])

	var release mocks.Resource
	var externalSecrets []string
	generated := []string{}
	for _, r := range res.Recorder.Resources() {
		switch r.Type {
		case render.ReleaseType:
			release = r
		case mocks.ExternalSecretType:
			externalSecrets = append(externalSecrets, r.URN)
		case mocks.RandomPasswordType:
			generated = append(generated, r.State["result"].SecretValue().Element.StringValue())
		}
	}
	require.Len(t, externalSecrets, 4)
	for _, urn := range externalSecrets {
		assert.Contains(t, release.DependsOn, urn, "zot starts after its Secrets exist")
	}
	require.Len(t, generated, 5, "two passwords, two session keys and the OIDC client secret")
	require.Len(t, res.Recorder.ByType(mocks.PushSecretType), 1)

	out := t.TempDir()
	files, err := res.Write(out)
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		for _, g := range generated {
			assert.NotContains(t, string(b), g, "%s holds a generated secret", f)
		}
		assert.NotContains(t, string(b), "$2a$", "%s holds a bcrypt hash", f)
	}
}

// TestScaleOutRender: the three-replica variants and prod render what a
// zot cluster needs: the member list, shared metadata, metrics; credentials
// only in the config Secret; retention in prod.
func TestScaleOutRender(t *testing.T) {
	cases := []struct {
		variant  string
		replicas int
		driver   string
		monitor  bool
	}{
		{"scale-out-redis", 3, "redis", true},
		{"scale-out-dynamodb", 3, "dynamodb", true},
		{"prod", 1, "", true},
		{"dev", 1, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			res, err := stacks.Named(tc.variant).Evaluate(root)
			require.NoError(t, err)
			var zc map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			storage := zc["storage"].(map[string]any)
			assert.EqualValues(t, tc.replicas, res.Outputs[outputs.Replicas])
			assert.Equal(t, "/metrics", res.Outputs[outputs.MetricsPath])
			ext := zc["extensions"].(map[string]any)
			assert.Equal(t, map[string]any{"enable": true, "prometheus": map[string]any{"path": "/metrics"}}, ext["metrics"])
			access := zc["http"].(map[string]any)["accessControl"].(map[string]any)
			assert.Equal(t, []any{"prometheus"}, access["metrics"].(map[string]any)["users"], "the scrape user, and only it")
			assert.Len(t, res.Recorder.ByType(mocks.ServiceMonitorType), map[bool]int{true: 1}[tc.monitor])

			if tc.replicas == 1 {
				assert.NotContains(t, zc, "cluster")
				assert.NotContains(t, storage, "remoteCache")
				assert.Equal(t, "", res.Outputs[outputs.HeadlessService])
				return
			}
			cluster := zc["cluster"].(map[string]any)
			assert.Equal(t, []any{
				"zot-0.zot-headless.zot.svc.cluster.local:5000",
				"zot-1.zot-headless.zot.svc.cluster.local:5000",
				"zot-2.zot-headless.zot.svc.cluster.local:5000",
			}, cluster["members"])
			assert.Equal(t, render.SecretMarker, cluster["hashKey"], "shown redacted; the Secret holds it")
			assert.Equal(t, true, storage["remoteCache"])
			assert.Equal(t, tc.driver, storage["cacheDriver"].(map[string]any)["name"])
			assert.Equal(t, "zot-headless", res.Outputs[outputs.HeadlessService])
			assert.Equal(t, float64(3), res.Values["replicaCount"])
			assert.NotContains(t, res.Values, "configFiles", "no ConfigMap holds the hash key")
		})
	}

	res, err := stacks.Named("prod").Evaluate(root)
	require.NoError(t, err)
	var zc map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
	storage := zc["storage"].(map[string]any)
	assert.Equal(t, "01:00-05:00", storage["gcTimeWindow"])
	policy := storage["retention"].(map[string]any)["policies"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"**"}, policy["repositories"])
	assert.Equal(t, true, policy["deleteUntagged"])
	assert.Equal(t, []any{map[string]any{"mostRecentlyPushedCount": float64(10), "pulledWithin": "720h"}}, policy["keepTags"],
		"prod keeps the last 10 tags and those pulled in 30 days: one entry, since zot judges a tag by the first entry that matches it")
	assert.Equal(t, map[string]any{"pushedWithin": "168h"}, policy["keepUntagged"], "untagged manifests go after a week")
}

// TestClusterDomainNamesMembersAndServiceDNS: the cluster members and the
// serviceDns output are names under registry.clusterDomain (default
// cluster.local), as the cluster's DNS serves them.
func TestClusterDomainNamesMembersAndServiceDNS(t *testing.T) {
	cases := []struct {
		name        string
		edits       []render.Edit
		wantMembers []any
		wantDNS     string
	}{
		{"default", nil, []any{
			"zot-0.zot-headless.zot.svc.cluster.local:5000",
			"zot-1.zot-headless.zot.svc.cluster.local:5000",
			"zot-2.zot-headless.zot.svc.cluster.local:5000",
		}, "zot.zot.svc.cluster.local:5000"},
		{"another domain", []render.Edit{{Key: registryKey, Path: "clusterDomain", Value: "k8s.example.internal"}}, []any{
			"zot-0.zot-headless.zot.svc.k8s.example.internal:5000",
			"zot-1.zot-headless.zot.svc.k8s.example.internal:5000",
			"zot-2.zot-headless.zot.svc.k8s.example.internal:5000",
		}, "zot.zot.svc.k8s.example.internal:5000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := stacks.Named("scale-out-redis")
			v.Edits = append(append([]render.Edit(nil), v.Edits...), tc.edits...)
			res, err := v.Evaluate(root)
			require.NoError(t, err)
			var zc map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			assert.Equal(t, tc.wantMembers, zc["cluster"].(map[string]any)["members"])
			assert.Equal(t, tc.wantDNS, res.Outputs[outputs.ServiceDNS])
		})
	}
}

// TestStartupProbeAndFastRestart: the chart's startupProbe gives zot
// registry.startupTimeout to walk the bucket (initialDelaySeconds +
// periodSeconds*failureThreshold covers it), and storage.fastRestart is on
// wherever the metadata DB and its stamp survive a restart.
func TestStartupProbeAndFastRestart(t *testing.T) {
	redis := map[string]any{"driver": "redis", "redis": map[string]any{"addresses": []any{"redis:6379"}}}
	edit := func(path string, v any) render.Edit { return render.Edit{Key: registryKey, Path: path, Value: v} }
	cases := []struct {
		name, variant string
		edits         []render.Edit
		wantProbe     map[string]any
		wantFast      any // storage.fastRestart; nil: absent (zot's default, off)
	}{
		{"dev: a volume, the default timeout", "dev", nil, probe(270), true},
		{"dev, 2h", "dev", []render.Edit{edit("startupTimeout", "2h")}, probe(720), true},
		{"dev, 30s: the chart's own probe", "dev", []render.Edit{edit("startupTimeout", "30s")}, probe(3), true},
		{"dev, 61s", "dev", []render.Edit{edit("startupTimeout", "61s")}, probe(6), true},
		{"dev on an emptyDir", "dev", []render.Edit{edit("persistence.enabled", false)}, probe(270), nil},
		{"dev on an emptyDir, metadata in redis", "dev", []render.Edit{edit("persistence.enabled", false), edit("cache", redis)}, probe(270), true},
		{"dev, turned off", "dev", []render.Edit{edit("fastRestart", false)}, probe(270), nil},
		{"three replicas on DynamoDB", "scale-out-dynamodb", nil, probe(270), true},
		{"prod", "prod", nil, probe(270), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := stacks.Named(tc.variant)
			v.Edits = append(append([]render.Edit(nil), v.Edits...), tc.edits...)
			res, err := v.Evaluate(root)
			require.NoError(t, err)
			assert.Equal(t, tc.wantProbe, res.Values["startupProbe"])
			var zc map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			assert.Equal(t, tc.wantFast, zc["storage"].(map[string]any)["fastRestart"])
		})
	}
}

func probe(failures int) map[string]any {
	return map[string]any{"initialDelaySeconds": float64(5), "periodSeconds": float64(10), "failureThreshold": float64(failures)}
}

// TestDynamoDBCacheDriverStarts: every DynamoDB key zot's metadata store
// reads is a non-empty string (v2.1.20 pkg/meta/meta.go getDynamoParams
// panics otherwise), with the regional endpoint or the configured one.
func TestDynamoDBCacheDriverStarts(t *testing.T) {
	cases := []struct {
		name, endpoint, want string
	}{
		{"regional", "", "https://dynamodb.eu-central-1.amazonaws.com"},
		{"a VPC endpoint", "https://vpce-0abc-xyz.dynamodb.eu-central-1.vpce.amazonaws.com", "https://vpce-0abc-xyz.dynamodb.eu-central-1.vpce.amazonaws.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := stacks.Named("scale-out-dynamodb")
			if tc.endpoint != "" {
				v.Edits = append(append([]render.Edit(nil), v.Edits...), render.Edit{Key: registryKey, Path: "cache.dynamodb.endpoint", Value: tc.endpoint})
			}
			res, err := v.Evaluate(root)
			require.NoError(t, err)
			var zc map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.ConfigJSON), &zc))
			cd := zc["storage"].(map[string]any)["cacheDriver"].(map[string]any)
			assert.Equal(t, tc.want, cd["endpoint"])
			for _, k := range zotconfig.DynamoDBParamKeys {
				s, ok := cd[k].(string)
				assert.True(t, ok && s != "", "cacheDriver.%s is %#v: zot panics at start", k, cd[k])
			}
		})
	}
}

const registryKey = "zot-registry:registry"

// TestValidationRunsOncePerUp: the settings are validated once per entry
// point, a stack's config (config.Load) or the component package's inputs
// (components.NewRegistry), and never again by the parts: they take the
// resolved settings and check nothing the entry point checked.
func TestValidationRunsOncePerUp(t *testing.T) {
	variants, err := stacks.All(root)
	require.NoError(t, err)
	for _, v := range variants {
		before := spec.Validations.Load()
		_, err := v.Evaluate(root)
		require.NoError(t, err, v.Name)
		assert.Equal(t, int64(1), spec.Validations.Load()-before, "%s: validations in one run of the program", v.Name)
	}

	args := components.DefaultRegistryArgs("dev")
	args.Registry.ExternalURL = "https://registry.example.com"
	args.Registry.AccessControl.AdminUsers = []string{"ci"}
	args.Storage.Mode, args.Storage.Bucket = spec.StorageExisting, "zot"
	args.Registry.ExternalProxy = true
	args.Identity.Mode = spec.IdentityNone
	args.Secrets.Store.Name = "vault"
	before := spec.Validations.Load()
	rec := mocks.New(spec.Project, "dev")
	require.NoError(t, pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := components.NewRegistry(ctx, "zot", &args)
		return err
	}, rec.Option()))
	assert.NotEmpty(t, rec.ByType(mocks.ReleaseType), "the component deployed")
	assert.Equal(t, int64(1), spec.Validations.Load()-before, "validations in one component")
}
