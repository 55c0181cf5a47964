package engine

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	pkgresource "github.com/pulumi/pulumi/pkg/v3/resource"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/layout"
)

func root(t testing.TB) string {
	t.Helper()
	r, err := stacks.Root()
	require.NoError(t, err)
	return r
}

func config(t testing.TB, v stacks.Variant) *render.StackConfig {
	t.Helper()
	sc, err := v.Config(root(t))
	require.NoError(t, err)
	return sc
}

// variants are every fixture stack and every mode variant.
func variants(t *testing.T) []stacks.Variant {
	t.Helper()
	all, err := stacks.All(root(t))
	require.NoError(t, err)
	require.NotEmpty(t, all)
	return all
}

func up(t testing.TB, s *Stack) Result {
	t.Helper()
	res := s.Up()
	require.NoError(t, res.Err, "pulumi up of %s:\n%s", s.Name, res.Diagnostics)
	return res
}

// TestLifecycle runs, per stack, what a platform team does with it:
// `pulumi up`, a preview and an up with nothing changed, then `pulumi
// destroy`; and checks what the engine and the providers did.
func TestLifecycle(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			s := NewStack(t, config(t, v))
			first := up(t, s)
			require.NotEmpty(t, first.Changes())
			for _, st := range first.Changes() {
				assert.Equal(t, deploy.OpCreate, st.Op, "a new stack only creates: %s", st.URN)
			}
			created := s.Cloud.Ops()

			t.Run("second preview and up change nothing", func(t *testing.T) {
				pre := s.Preview()
				require.NoError(t, pre.Err, pre.Diagnostics)
				assert.Empty(t, pre.Summary())
				again := up(t, s)
				assert.Empty(t, again.Summary())
				assert.Len(t, s.Cloud.Ops(), len(created), "the second up called a provider")
			})

			t.Run("checkpoint holds secrets only as ciphertext", func(t *testing.T) {
				checkSecretsEncrypted(t, s)
			})

			t.Run("engine orders secrets before zot", func(t *testing.T) {
				checkOrder(t, created)
			})

			t.Run("destroy keeps what is retained or protected", func(t *testing.T) {
				checkDestroy(t, s)
			})
		})
	}
}

// checkSecretsEncrypted looks for every generated secret (passwords, their
// bcrypt hashes, the client secret, the IAM secret key, session keys) and
// every secure config value in the state file: each may appear only as
// ciphertext. The revealed export shows the test looks where they are.
func checkSecretsEncrypted(t *testing.T, s *Stack) {
	state, err := s.Checkpoint()
	require.NoError(t, err)
	revealed, err := s.RevealedCheckpoint()
	require.NoError(t, err)
	checked := 0
	for _, secret := range s.Cloud.GeneratedSecrets() {
		assert.Contains(t, string(revealed), jsonText(secret), "a generated secret is not in the state at all")
		assert.NotContains(t, string(state), jsonText(secret), "a generated secret is in the state in clear")
		checked++
	}
	for _, secret := range s.ConfigSecrets {
		assert.NotContains(t, string(state), secret, "a secure config value is in the state in clear")
		if strings.Contains(string(revealed), secret) {
			checked++
		}
	}
	// Every stack with an OpenID client keeps at least its secret
	// (generated, or from config in external mode) in its state; one
	// without (identity mode none) whose values all come from the store
	// holds no secret at all.
	if checked == 0 && len(s.Cloud.GeneratedSecrets()) == 0 && strings.Contains(s.config["zot-registry:identity"], `"none"`) &&
		!strings.Contains(s.config["zot-registry:secrets"], `"push"`) && !strings.Contains(s.config["zot-registry:secrets"], `"kubernetes"`) {
		return
	}
	require.Positive(t, checked, "no secret was found in the revealed state: the test looks in the wrong place")
	assert.Contains(t, string(state), `"ciphertext"`)
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// checkOrder checks the order in which the providers created things: a
// create returns only once the object exists, and the engine starts a
// resource only after what it depends on, so this is the order a cluster
// sees. The PushSecret writes what ExternalSecrets read; zot's release
// starts after every Secret it mounts and the OpenID application exist.
func checkOrder(t *testing.T, ops []Op) {
	index := func(match func(Op) bool) []int {
		var out []int
		for i, op := range ops {
			if op.Kind == "create" && match(op) {
				out = append(out, i)
			}
		}
		return out
	}
	byType := func(typ string) []int { return index(func(op Op) bool { return op.Type == typ }) }
	push := byType(mocks.PushSecretType)
	external := byType(mocks.ExternalSecretType)
	release := byType(mocks.ReleaseType)
	apps := byType(mocks.ApplicationType)
	require.Len(t, release, 1)
	if len(push) == 0 && len(external) == 0 {
		// Secrets mode kubernetes: the program's own Secrets, before zot.
		secrets := byType(mocks.SecretType)
		require.NotEmpty(t, secrets)
		for _, sec := range secrets {
			if name := ops[sec].URN.Name(); name != "zot-metrics-auth" {
				assert.Less(t, sec, release[0], "the release was created before the Secret %s", name)
			}
		}
	} else {
		// No push when the program knows no value (identity mode none with
		// every value in the store).
		require.LessOrEqual(t, len(push), 1)
		require.NotEmpty(t, external)
	}
	for _, es := range external {
		if len(push) == 1 {
			assert.Less(t, push[0], es, "ExternalSecret %s was created before the PushSecret", ops[es].URN.Name())
		}
		assert.Less(t, es, release[0], "the release was created before ExternalSecret %s", ops[es].URN.Name())
	}
	for _, app := range apps {
		assert.Less(t, app, release[0], "the release was created before the Authentik application that serves its issuer")
	}
}

// checkDestroy runs `pulumi destroy`: a protected resource stops it with
// the engine's error and stays; a retained one is removed from the state
// but never deleted at its provider; everything else is deleted, each
// resource before whatever it depends on.
func checkDestroy(t *testing.T, s *Stack) {
	before := s.Snap
	require.NotNil(t, before)
	var protected, retained []resource.URN
	deps := map[resource.URN][]resource.URN{}
	for _, r := range before.Resources {
		if !r.Custom || strings.HasPrefix(string(r.Type), "pulumi:providers:") {
			continue
		}
		if r.Protect {
			protected = append(protected, r.URN)
		}
		if r.RetainOnDelete {
			retained = append(retained, r.URN)
		}
		deps[r.URN] = r.Dependencies
	}
	mark := len(s.Cloud.Ops())
	res := s.Destroy()
	deleted := map[resource.URN]int{}
	for i, op := range s.Cloud.Ops()[mark:] {
		require.Equal(t, "delete", op.Kind, "destroy may only delete: %s %s", op.Kind, op.URN)
		deleted[op.URN] = i
	}

	for _, urn := range protected {
		assert.True(t, s.Cloud.Exists(urn), "protected %s was deleted", urn.Name())
		require.Error(t, res.Err, "destroy of a stack with a protected resource must fail")
		assert.Contains(t, res.Diagnostics+res.Err.Error(), "protected", "the engine's error names the protection")
	}
	for _, urn := range retained {
		_, gone := deleted[urn]
		assert.False(t, gone, "retained %s was deleted at its provider", urn.Name())
		assert.True(t, s.Cloud.Exists(urn))
	}
	if len(protected) > 0 {
		return
	}
	require.NoError(t, res.Err, res.Diagnostics)
	for urn := range deps {
		if slices.Contains(retained, urn) {
			continue
		}
		_, gone := deleted[urn]
		assert.True(t, gone, "%s was not deleted", urn)
	}
	for urn, on := range deps {
		for _, dep := range on {
			i, a := deleted[urn]
			j, b := deleted[dep]
			if a && b {
				assert.Less(t, i, j, "%s was deleted after %s, which it depends on", urn.Name(), dep.Name())
			}
		}
	}
	assert.Empty(t, s.Snap.Resources, "the state still holds resources after destroy")
}

// TestFirstPreviewKnowsZotConfig: on a new stack the PR preview shows the
// whole config.json and the Helm values, not [unknown]; they are exactly
// what the offline render shows. One case cannot be known: in aws mode
// without storage.bucket the name ends in a random suffix that exists only
// once the first up made it (docs/storage.md); naming the bucket
// makes that stack's first preview complete too.
func TestFirstPreviewKnowsZotConfig(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			sc := config(t, v)
			if generatedBucket(t, sc) {
				values := firstPreviewValues(t, sc)
				assert.True(t, values.ContainsUnknowns(), "a random bucket suffix cannot be known before the first up")
				var err error
				sc, err = Apply(sc, Edit{Key: "zot-registry:storage", Path: "bucket", Value: "zot-named-bucket"})
				require.NoError(t, err)
			}
			pre := NewStack(t, sc).Preview()
			require.NoError(t, pre.Err, pre.Diagnostics)
			values := stepInputs(t, pre, releaseType, "")["values"]
			require.True(t, values.IsObject(), "the release's values are %v at the first preview", values)
			rendered, err := render.EvaluateConfig(sc)
			require.NoError(t, err)

			vm := values.ObjectValue()
			// Known once another resource exists, each an element of its own:
			// the digest of generated Secrets (secrets mode kubernetes) and
			// the IRSA role's ARN in the ServiceAccount's annotation.
			if a, ok := vm["podAnnotations"]; ok && a.IsObject() {
				if d, ok := a.ObjectValue()[chart.SecretsDigestAnnotation]; ok {
					assert.True(t, d.IsComputed() || d.IsOutput() && !d.OutputValue().Known)
					delete(a.ObjectValue(), chart.SecretsDigestAnnotation)
				}
			}
			if sa, ok := vm["serviceAccount"]; ok && sa.ContainsUnknowns() {
				assert.Contains(t, sc.Values["zot-registry:storage"], `"irsa"`, "only the IRSA role's ARN may be unknown in serviceAccount")
				delete(vm, "serviceAccount")
			}
			if files, ok := vm["configFiles"]; ok {
				assert.False(t, values.ContainsUnknowns(), "the Helm values hold unknowns at the first preview")
				js := files.ObjectValue()[resource.PropertyKey(layout.ConfigFile)]
				require.True(t, js.IsString(), "config.json is %v at the first preview", js)
				assert.JSONEq(t, rendered.ConfigJSON, js.StringValue(), "the preview's config.json differs from the render's")
				return
			}
			// config.json holds a credential (the generated hash key): the
			// only unknown in the values is the digest keyed with it, and
			// the config Secret shows the redacted document in full.
			annotations := vm["podAnnotations"].ObjectValue()
			assert.True(t, annotations[chart.ConfigDigestAnnotation].IsComputed())
			delete(annotations, chart.ConfigDigestAnnotation)
			assert.False(t, values.ContainsUnknowns(), "the Helm values hold other unknowns at the first preview")
			meta := stepInputs(t, pre, secretType, "zot-config")["metadata"].ObjectValue()
			shown := meta["annotations"].ObjectValue()[registry.ShownConfigAnnotation]
			require.True(t, shown.IsString(), "the shown config.json is %v at the first preview", shown)
			assert.JSONEq(t, rendered.ConfigJSON, shown.StringValue(), "the preview's config.json differs from the render's")
		})
	}
}

// stepInputs are the inputs of the step for the resource of that type (and
// name, when given).
func stepInputs(t *testing.T, res Result, typ, name string) resource.PropertyMap {
	t.Helper()
	for _, st := range res.Steps {
		if st.Type == typ && (name == "" || st.URN.Name() == name) {
			return st.Inputs
		}
	}
	require.FailNow(t, "no step for "+typ+" "+name)
	return nil
}

// firstPreviewValues previews a new stack and returns the zot release's values.
func firstPreviewValues(t *testing.T, sc *render.StackConfig) resource.PropertyValue {
	t.Helper()
	pre := NewStack(t, sc).Preview()
	require.NoError(t, pre.Err, pre.Diagnostics)
	for _, st := range pre.Steps {
		if st.Type == mocks.ReleaseType {
			return st.Inputs["values"]
		}
	}
	require.FailNow(t, "the preview has no Helm release")
	return resource.PropertyValue{}
}

// generatedBucket says whether the stack lets the program name the bucket
// with a random suffix (aws mode, no storage.bucket).
func generatedBucket(t *testing.T, sc *render.StackConfig) bool {
	t.Helper()
	var st struct{ Mode, Bucket string }
	require.NoError(t, json.Unmarshal([]byte(sc.Values["zot-registry:storage"]), &st))
	return st.Mode == "aws" && st.Bucket == ""
}

// edit is one change a user makes to a running stack, and the resources
// (by type) it must update in place; everything else stays the same and
// nothing is replaced.
type edit struct {
	name    string
	edits   func(sc *render.StackConfig) []Edit
	updates []string // resources updated: every one of a type, or "type name"
	creates []string // resource names created
	// config: the edit changes config.json, so where it is a Secret (it
	// holds a credential) that Secret is updated too.
	config bool
	// replaces: types replaced, deleted first; swaps: types whose resource
	// is deleted and another created under a new name.
	replaces, swaps []string
}

const (
	releaseType        = mocks.ReleaseType
	externalSecretType = mocks.ExternalSecretType
	pushSecretType     = mocks.PushSecretType
	secretType         = mocks.SecretType
	passwordType       = mocks.RandomPasswordType
	oauth2Type         = "authentik:index/providerOauth2:ProviderOauth2"
	applicationType    = mocks.ApplicationType
	routeType          = mocks.HTTPRouteType
	pvcType            = mocks.PVCType
	monitorType        = mocks.ServiceMonitorType
	tableType          = mocks.TableType
)

func set(key, path string, value any) func(*render.StackConfig) []Edit {
	return func(*render.StackConfig) []Edit { return []Edit{{Key: key, Path: path, Value: value}} }
}

// withOwnClaim edits a registry setting only in stacks where the program
// owns zot's claim (one replica with persistence).
func withOwnClaim(path string, value any) func(*render.StackConfig) []Edit {
	return func(sc *render.StackConfig) []Edit {
		var r struct {
			Replicas    int
			Persistence struct{ Enabled *bool }
		}
		if json.Unmarshal([]byte(sc.Values[registryKey]), &r) != nil || r.Replicas > 1 || r.Persistence.Enabled != nil && !*r.Persistence.Enabled {
			return nil
		}
		return []Edit{{Key: registryKey, Path: path, Value: value}}
	}
}

// when applies edits only to stacks where the boolean at key.path is true.
func when(key, path string, edits func(*render.StackConfig) []Edit) func(*render.StackConfig) []Edit {
	return func(sc *render.StackConfig) []Edit {
		var v any
		if json.Unmarshal([]byte(sc.Values[key]), &v) != nil {
			return nil
		}
		for _, k := range strings.Split(path, ".") {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		if v != true {
			return nil
		}
		return edits(sc)
	}
}

// inKubernetesMode applies edits only to stacks in secrets mode kubernetes.
func inKubernetesMode(edits func(*render.StackConfig) []Edit) func(*render.StackConfig) []Edit {
	return func(sc *render.StackConfig) []Edit {
		var s struct{ Mode string }
		if json.Unmarshal([]byte(sc.Values[secretsKey]), &s) != nil || s.Mode != "kubernetes" {
			return nil
		}
		return edits(sc)
	}
}

// withOpenID applies edits only where zot logs in with an OpenID
// provider: groups come from it (identity mode none refuses them).
func withOpenID(edits func(*render.StackConfig) []Edit) func(*render.StackConfig) []Edit {
	return func(sc *render.StackConfig) []Edit {
		var id struct{ Mode string }
		if json.Unmarshal([]byte(sc.Values["zot-registry:identity"]), &id) != nil || id.Mode == "none" {
			return nil
		}
		return edits(sc)
	}
}

const (
	registryKey = "zot-registry:registry"
	secretsKey  = "zot-registry:secrets"
)

// configSecret is the registry's config Secret resource (config.json with a
// credential: more than one replica, or a Redis password).
const configSecret = "zot-config"

var edits = []edit{
	{name: "chunk size", edits: set(registryKey, "upload.chunkSize", 33554432), updates: []string{releaseType}, config: true},
	{name: "read and write timeouts", edits: func(*render.StackConfig) []Edit {
		return []Edit{{Key: registryKey, Path: "readTimeout", Value: "2h"}, {Key: registryKey, Path: "writeTimeout", Value: "2h"}}
	}, updates: []string{releaseType, routeType}, config: true}, // a route's default timeout is zot's longest
	{name: "log level", edits: set(registryKey, "logLevel", "debug"), updates: []string{releaseType}, config: true},
	{name: "reader groups", edits: withOpenID(set(registryKey, "accessControl.readerGroups", []any{"developers", "qa"})), updates: []string{releaseType}, config: true},
	{name: "ingress annotations", edits: when(registryKey, "ingress.enabled", set(registryKey, "ingress.annotations", map[string]any{
		"cert-manager.io/cluster-issuer":                     "letsencrypt",
		"nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8",
	})), updates: []string{releaseType}},
	// The route is the program's own object: its timeout is not zot's.
	{name: "route timeout", edits: when(registryKey, "route.enabled", set(registryKey, "route.timeout", "2h")),
		updates: []string{routeType}},
	{name: "route gateway", edits: when(registryKey, "route.enabled", set(registryKey, "route.parentRefs", []any{
		map[string]any{"name": "internal", "namespace": "gateway-system", "sectionName": "https"},
	})), updates: []string{routeType}},
	// The redirect URI and launch URL follow the URL: Authentik's provider
	// and application update in place, keeping the client and its secret.
	{name: "external URL", edits: set(registryKey, "externalUrl", "https://zot.example.org"),
		updates: []string{releaseType, oauth2Type, applicationType, routeType}, config: true},
	{name: "refresh interval", edits: set(secretsKey, "refreshInterval", "45m"),
		updates: []string{externalSecretType, pushSecretType}},
	// Custom timeouts are options of the next operation, not properties:
	// the engine shows no change and uses them from the next create or update.
	{name: "wait timeout", edits: set(secretsKey, "waitTimeout", "10m")},
	// A new push user gets a password of their own, and the source Secret
	// (which the PushSecret reads, with the htpasswd file) changes; no other
	// password, hash or session key is made again, and zot is not restarted
	// (it reloads htpasswd by itself).
	{name: "push user added", edits: func(sc *render.StackConfig) []Edit {
		var s struct {
			Mode  string
			Users []any
		}
		if json.Unmarshal([]byte(sc.Values[secretsKey]), &s) != nil || s.Mode != "push" {
			return nil
		}
		return []Edit{{Key: secretsKey, Path: "users", Value: append(s.Users, "release-bot")}}
	}, updates: []string{secretType + " zot-registry-push-source"}, creates: []string{"zot-registry-release-bot"}},
	// Placement is the pods' business: the release, nothing else.
	{name: "pod placement", edits: func(*render.StackConfig) []Edit {
		return []Edit{
			{Key: registryKey, Path: "nodeSelector", Value: map[string]any{"node.example.com/pool": "registry"}},
			{Key: registryKey, Path: "tolerations", Value: []any{map[string]any{"key": "dedicated", "value": "registry", "effect": "NoSchedule"}}},
			{Key: registryKey, Path: "podAnnotations", Value: map[string]any{"example.com/owner": "platform"}},
		}
	}, updates: []string{releaseType}},
	// Without ESO a new user is a new password and the htpasswd Secret,
	// and zot v2.1.20 restarts to read it (it does not follow a Secret
	// volume's update: layout.HtpasswdReloadRelease): the secrets digest
	// on the pods changes.
	{name: "kubernetes mode user added", edits: inKubernetesMode(func(sc *render.StackConfig) []Edit {
		var s struct{ Users []any }
		_ = json.Unmarshal([]byte(sc.Values[secretsKey]), &s)
		return []Edit{{Key: secretsKey, Path: "users", Value: append(s.Users, "release-bot")}}
	}), updates: []string{secretType + " zot-htpasswd", releaseType}, creates: []string{"zot-registry-release-bot"}},
	// A claim this program owns grows in place (where the class allows
	// expansion): an update of the claim, not of the release.
	{name: "volume size", edits: withOwnClaim("persistence.size", "50Gi"), updates: []string{pvcType}},
	// A new storage class is a new claim (the class of a claim never
	// changes): the claim is created, the release replaced (deleted first,
	// so no pod holds the old claim), then the old claim deleted.
	{name: "storage class", edits: withOwnClaim("persistence.storageClass", "fast-ssd"),
		replaces: []string{releaseType}, swaps: []string{pvcType}},
	// The scrape interval is the ServiceMonitor's alone.
	{name: "scrape interval", edits: when(registryKey, "metrics.serviceMonitor.enabled", set(registryKey, "metrics.serviceMonitor.interval", "1m")),
		updates: []string{monitorType}},
	// Retention is config.json: zot is restarted with it, nothing else.
	{name: "retention", edits: set(registryKey, "retention", map[string]any{"policies": []any{map[string]any{
		"repositories": []any{"**"}, "deleteUntagged": true, "keepTags": []any{map[string]any{"mostRecentlyPushedCount": 5}},
	}}}), updates: []string{releaseType}, config: true},
}

// TestConfigEditsUpdateInPlace changes one setting at a time on a running
// stack of every kind and checks the exact steps the engine takes.
func TestConfigEditsUpdateInPlace(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			base := config(t, v)
			for _, e := range edits {
				changes := e.edits(base)
				if changes == nil {
					continue
				}
				t.Run(e.name, func(t *testing.T) {
					s := NewStack(t, base)
					up(t, s)
					before := stateByURN(s.Snap)
					var want []string
					for _, r := range s.Snap.Resources {
						typ, name := string(r.Type), r.URN.Name()
						if slices.Contains(e.updates, typ) || slices.Contains(e.updates, typ+" "+name) ||
							e.config && typ == secretType && name == configSecret {
							want = append(want, "update "+typ+" "+name)
						}
					}
					for _, name := range e.creates {
						want = append(want, "create "+passwordType+" "+name)
					}
					for _, r := range s.Snap.Resources {
						typ, name := string(r.Type), r.URN.Name()
						if slices.Contains(e.replaces, typ) {
							want = append(want, "create-replacement "+typ+" "+name, "delete-replaced "+typ+" "+name, "replace "+typ+" "+name)
						}
						if slices.Contains(e.swaps, typ) {
							want = append(want, "replace "+typ+" "+name, "create-replacement "+typ+" "+name, "delete-replaced "+typ+" "+name)
						}
					}
					slices.Sort(want)

					edited, err := Apply(base, changes...)
					require.NoError(t, err)
					s.SetConfig(edited)
					pre := s.Preview()
					require.NoError(t, pre.Err, pre.Diagnostics)
					assert.Equal(t, want, pre.Summary(), "preview")
					res := up(t, s)
					assert.Equal(t, want, res.Summary(), "up")

					// What was generated before is still what it was.
					for urn, old := range before {
						if old.Type == passwordType {
							now, ok := stateByURN(s.Snap)[urn]
							require.True(t, ok, "%s is gone", urn.Name())
							assert.True(t, old.Outputs.DeepEquals(now.Outputs), "%s was generated again", urn.Name())
						}
					}
				})
			}
		})
	}
}

func stateByURN(snap *deploy.Snapshot) map[resource.URN]*pkgresource.State {
	out := map[resource.URN]*pkgresource.State{}
	for _, r := range snap.Resources {
		out[r.URN] = r
	}
	return out
}

// TestConfigProblemsAllAtOnce: `pulumi up` with a misspelled key, a bad
// bucket name and a bad chunk size logs all three in one plain list, the
// same text the render prints, and registers nothing but the stack. Under
// the CLI, main.go then exits 32, which the Go language host answers with
// Bail (pulumi/pulumi sdk/go/pulumi-language-go/main.go): no second message.
// The deploytest runtime here has no exit status, so the engine adds its
// own line for the returned program.ErrReported; that line is not checked.
func TestConfigProblemsAllAtOnce(t *testing.T) {
	sc, err := Apply(config(t, stacks.Named("dev")),
		Edit{Key: registryKey, Path: "externalUrl"},
		Edit{Key: registryKey, Path: "externalURL", Value: "https://registry.dev.example.com"},
		Edit{Key: "zot-registry:storage", Path: "bucket", Value: "Zot_Dev"},
		Edit{Key: registryKey, Path: "upload.chunkSize", Value: 1024},
	)
	require.NoError(t, err)
	s := NewStack(t, sc)
	res := s.Up()
	require.Error(t, res.Err)
	for _, key := range []string{"registry.externalURL", "storage.bucket", "registry.upload.chunkSize"} {
		assert.Contains(t, res.Diagnostics, "  config zot-registry:"+key+": ", "one line per problem")
	}
	assert.Contains(t, res.Diagnostics, "error: 3 config problems:\n", "the list is logged as it is")
	assert.NotContains(t, res.Diagnostics, "error occurred:\n\t* 3 config problems", "not inside the SDK's error wrapper")
	for _, st := range res.Steps {
		assert.Equal(t, "pulumi:pulumi:Stack", st.Type, "%s was registered despite bad config", st.URN)
	}

	_, renderErr := render.EvaluateConfig(sc)
	require.Error(t, renderErr)
	assert.Contains(t, res.Diagnostics, program.Message(renderErr), "the render prints the same list")
}

// TestMemberListChangeReplacesTheRelease: a change of registry.replicas is
// a new zot member list. Two member lists must never serve at once (zot
// answers proxied requests 500 and a repository gets two writers), so the
// release is deleted, then installed with the new list: never a rolling
// update, never the new release next to the old one (Helm refuses the
// name anyway, and the fake cloud here refuses it as Helm does). The
// hash key, every password and the tables stay.
func TestMemberListChangeReplacesTheRelease(t *testing.T) {
	for _, name := range []string{"scale-out-redis", "scale-out-dynamodb"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := config(t, stacks.Named(name))
			s := NewStack(t, base)
			up(t, s)
			before := stateByURN(s.Snap)
			opsBefore := len(s.Cloud.Ops())

			edited, err := Apply(base, Edit{Key: registryKey, Path: "replicas", Value: 4})
			require.NoError(t, err)
			s.SetConfig(edited)
			pre := s.Preview()
			require.NoError(t, pre.Err, pre.Diagnostics)
			want := []string{
				"create-replacement " + releaseType + " zot",
				"delete-replaced " + releaseType + " zot",
				"replace " + releaseType + " zot",
				"update " + secretType + " " + configSecret, // the new member list
			}
			assert.Equal(t, want, pre.Summary(), "preview")
			res := up(t, s)
			assert.Equal(t, want, res.Summary(), "up")

			var order []string
			for _, op := range s.Cloud.Ops()[opsBefore:] {
				order = append(order, op.Kind+" "+op.URN.Name())
			}
			assert.Equal(t, []string{"update " + configSecret, "delete zot", "create zot"}, order,
				"the old release is gone before the new one starts, and its config is written first")

			for urn, old := range before {
				if old.Type == passwordType || old.Type == tableType {
					now := stateByURN(s.Snap)[urn]
					require.NotNil(t, now, "%s is gone", urn.Name())
					assert.True(t, old.Outputs.DeepEquals(now.Outputs), "%s changed", urn.Name())
				}
			}
			// And back: a preview with nothing changed after that.
			again := s.Preview()
			require.NoError(t, again.Err)
			assert.Empty(t, again.Summary(), "a second run changes nothing")
		})
	}
}
