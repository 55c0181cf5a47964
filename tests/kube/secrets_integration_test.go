//go:build integration

// Secrets that really arrive: the External Secrets Operator controller runs
// against the tier's API server with a store backed by ESO's own kubernetes
// provider, and every fixture stack and mode variant is deployed the way
// pulumi up deploys it (dependency order, waiting for Ready where the
// program asks Pulumi to). The Secrets zot mounts must then hold exactly
// what zot reads.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/components/identity/authentik"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// readyTimeout caps each wait for Ready in the tier: ESO syncs in about a
// second; the program's own bound (secrets.waitTimeout) is minutes.
const readyTimeout = 60 * time.Second

// tierStack is a stack variant prepared for the tier: its own namespace (so
// variants do not share objects), every secret config value replaced by a
// known stand-in (offline they would all be "[secret]"), evaluated under
// mocks as the render does.
type tierStack struct {
	name    string
	sc      *render.StackConfig
	res     *render.Result
	cfg     *config.Config
	backend string // the store's backend namespace
}

func prepare(t *testing.T, v stacks.Variant, edit func(sc *render.StackConfig)) *tierStack {
	t.Helper()
	root, err := stacks.Root()
	require.NoError(t, err)
	sc, err := v.Config(root)
	require.NoError(t, err)
	ns := "zot-" + v.Name
	setField(t, sc, spec.FullKey(spec.KeyRegistry), "namespace", ns)
	for k, secret := range sc.Secrets {
		if secret && strings.HasPrefix(k, spec.Project+":") {
			sc.Values[k] = "tier-" + strings.TrimPrefix(k, spec.Project+":")
		}
	}
	if edit != nil {
		edit(sc)
	}
	res, err := render.EvaluateConfig(sc)
	require.NoError(t, err)
	return &tierStack{name: v.Name, sc: sc, res: res, cfg: res.Config, backend: "store-" + v.Name}
}

// setField sets one field of a structured config key (nil removes it).
func setField(t *testing.T, sc *render.StackConfig, key, field string, value any) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(sc.Values[key]), &m))
	if value == nil {
		delete(m, field)
	} else {
		m[field] = value
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	sc.Values[key] = string(b)
}

// expected are the values zot must end up with, each taken from where it
// is made (the resource that made it, the config, or the test's seed),
// never from the secrets component under test.
type expected struct {
	clientID, clientSecret string
	passwords              map[string]string // htpasswd user -> password
	htpasswd               string            // the store's file in store mode
	hashKey, encryptKey    string
	s3ID, s3Secret         string
	// known are the remote-key fields whose value the program has: they
	// must be pushed; the store supplies (and the test seeds) the rest.
	known []string
}

func (ts *tierStack) expect(t *testing.T) expected {
	t.Helper()
	rec := ts.res.Recorder
	state := func(typ, name, prop string) string {
		r, ok := rec.Find(typ, name)
		require.True(t, ok, "no %s %s", typ, name)
		return fmt.Sprint(mocks.Revealed(r.State[resource.PropertyKey(prop)]))
	}
	e := expected{clientID: ts.cfg.Identity.ClientID}
	if ts.cfg.Identity.OpenID() {
		e.known = []string{"oidcClientId", "oidcClientSecret"}
	}
	switch ts.cfg.Identity.Mode {
	case spec.IdentityAuthentik:
		// The secret Authentik was given for the provider: what it checks.
		providers := rec.ByType(authentik.OAuth2ProviderType)
		require.Len(t, providers, 1)
		e.clientSecret = fmt.Sprint(mocks.Revealed(providers[0].Inputs["clientSecret"]))
		require.NotEmpty(t, e.clientSecret, "the Authentik provider is given its client secret")
	case spec.IdentityExternal:
		e.clientSecret = ts.sc.Values[spec.FullKey(spec.KeyOIDCClientSecret)]
		if e.clientSecret == "" { // not given: the store holds it, the program only reads it
			e.clientSecret = "tier-seeded-client-secret"
			e.known = []string{"oidcClientId"}
		}
	}
	push := ts.cfg.Secrets.Generates()
	switch {
	case !ts.cfg.Storage.KeyPairFromStore():
		// An IAM role: no key anywhere.
	case ts.cfg.Storage.Mode == spec.StorageAWS:
		keys := rec.ByType(mocks.AccessKeyType)
		require.Len(t, keys, 1)
		e.s3ID, e.s3Secret = keys[0].ID, fmt.Sprint(mocks.Revealed(keys[0].State["secret"]))
		e.known = append(e.known, "s3AccessKeyId", "s3SecretAccessKey")
	case push:
		e.s3ID = ts.sc.Values[spec.FullKey(spec.KeyS3AccessKeyID)]
		e.s3Secret = ts.sc.Values[spec.FullKey(spec.KeyS3SecretAccessKey)]
		e.known = append(e.known, "s3AccessKeyId", "s3SecretAccessKey")
	default:
		e.s3ID, e.s3Secret = "tier-seeded-access-key", "tier-seeded-secret-key"
	}
	e.passwords = map[string]string{}
	if push {
		for _, u := range ts.cfg.Secrets.Users.Names() {
			e.passwords[u] = state(mocks.RandomPasswordType, spec.Project+"-"+u, "result")
		}
		e.hashKey = state(mocks.RandomPasswordType, spec.Project+"-session-hash-key", "result")
		e.encryptKey = state(mocks.RandomPasswordType, spec.Project+"-session-encrypt-key", "result")
		e.known = append(e.known, "htpasswd", "sessionHashKey", "sessionEncryptKey")
	} else {
		// What an operator puts in the store: a bcrypt htpasswd file and
		// session keys of the right lengths.
		var lines []string
		for _, u := range ts.cfg.Registry.AccessControl.AdminUsers {
			pw := "tier-password-of-" + u
			hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
			require.NoError(t, err)
			e.passwords[u] = pw
			lines = append(lines, u+":"+string(hash))
		}
		e.htpasswd = strings.Join(lines, "\n") + "\n"
		e.hashKey = strings.Repeat("h", 32) + strings.Repeat("H", 32)
		e.encryptKey = strings.Repeat("e", 16) + strings.Repeat("E", 16)
	}
	return e
}

// value is the expected value behind a remote-key field.
func (e expected) value(field string) string { return e.values()[field] }

// values are the expected values by remote-key field.
func (e expected) values() map[string]string {
	return map[string]string{
		"oidcClientId": e.clientID, "oidcClientSecret": e.clientSecret, "htpasswd": e.htpasswd,
		"s3AccessKeyId": e.s3ID, "s3SecretAccessKey": e.s3Secret,
		"sessionHashKey": e.hashKey, "sessionEncryptKey": e.encryptKey,
	}
}

// store creates the stack's secret store over a fresh backend namespace
// and seeds every value the program does not have, as an operator would:
// one key per value, the value under the configured property, or under
// "value" when none is configured (`vault kv put KEY value=…`).
func (ts *tierStack) store(t *testing.T, e expected, skip ...string) {
	t.Helper()
	ctx := context.Background()
	ns := ts.cfg.Registry.Namespace
	_, err := server.Apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}, ApplyOptions{})
	require.NoError(t, err)
	if !ts.cfg.Secrets.UsesESO() {
		return // secrets mode kubernetes: no store
	}
	for _, o := range KubernetesStore(ts.cfg.Secrets.Store, ns, ts.backend, server.URL, server.CAPEM, server.Token) {
		_, err := server.Apply(ctx, o, ApplyOptions{})
		require.NoError(t, err, "store object %v", o["kind"])
	}
	ref := ts.cfg.Secrets.Store
	storeNS := ""
	if ref.Kind == "SecretStore" {
		storeNS = ns
	}
	_, err = server.WaitReady(ctx, ESOAPIVersion, ref.Kind, storeNS, ref.Name, readyTimeout)
	require.NoError(t, err, "the store is not Ready; ESO log:\n%s", server.ESOLog())

	seeds := StoreSeeds(&ts.cfg.Settings, e.values(), e.known, skip)
	// The mirrors' upstream logins, which only the store holds.
	for i, m := range ts.cfg.Registry.Mirrors {
		if m.Credentials == nil {
			continue
		}
		user, pass := mirrorLogin(i)
		AddSeed(seeds, m.Credentials.Username, user)
		AddSeed(seeds, m.Credentials.Password, pass)
	}
	require.NoError(t, server.Seed(ctx, ts.backend, seeds))
}

// ESOAPIVersion is the API version of the stores the tier creates.
const ESOAPIVersion = "external-secrets.io/v1"

// deploy applies the stack's objects as pulumi up does: in dependency
// order, waiting for Ready on every object the program marks with
// pulumi.com/waitFor, each wait capped at limit. It returns ESO's word for
// each object that did not become Ready. Unlike pulumi up it goes on after
// a failure (waiting at most 10 s more each), so a failing test also shows
// what zot would have read.
func (ts *tierStack) deploy(t *testing.T, limit time.Duration) ([]Deployed, []error) {
	t.Helper()
	objs, err := DeployedObjects(ts.res)
	require.NoError(t, err)
	ctx := context.Background()
	var errs []error
	for _, o := range objs {
		_, err := server.Apply(ctx, o.Manifest, ApplyOptions{})
		require.NoError(t, err, "%s (%s) was rejected", o.URN, o.Kind())
		if !o.WaitsForReady() {
			continue
		}
		assert.NotZero(t, o.Timeout, "%s: pulumi up waits for it without a bound", o.URN)
		wait := min(o.Timeout, limit)
		if len(errs) > 0 {
			wait = min(wait, 10*time.Second)
		}
		meta := o.Manifest["metadata"].(map[string]any)
		if _, err := server.WaitReady(ctx, fmt.Sprint(o.Manifest["apiVersion"]), fmt.Sprint(o.Manifest["kind"]),
			fmt.Sprint(meta["namespace"]), fmt.Sprint(meta["name"]), wait); err != nil {
			errs = append(errs, err)
		}
	}
	return objs, errs
}

// secretData reads a Secret zot mounts (or the store's backend holds); a
// missing one is reported and reads as empty.
func secretData(t *testing.T, ns, name string) map[string]string {
	t.Helper()
	obj, err := server.Get(context.Background(), "v1", "Secret", ns, name)
	if !assert.NoError(t, err, "Secret %s/%s", ns, name) {
		return map[string]string{}
	}
	data, err := SecretData(obj)
	require.NoError(t, err)
	return data
}

// checkDelivered checks every Secret zot reads against what zot needs.
func (ts *tierStack) checkDelivered(t *testing.T, e expected) {
	t.Helper()
	s := ts.cfg.Secrets
	ns := ts.cfg.Registry.Namespace
	files := map[string][]string{
		s.HtpasswdSecretName: {layout.HtpasswdKey},
		s.SessionSecretName:  {layout.SessionKeysKey},
	}
	openID, keyPair := ts.cfg.Identity.OpenID(), ts.cfg.Storage.KeyPairFromStore()
	if openID {
		files[s.OIDCSecretName] = []string{layout.OIDCCredentialsKey}
	}
	if keyPair {
		files[s.S3SecretName] = []string{layout.S3AccessKeyIDKey, layout.S3SecretAccessKeyKey}
	}
	got := map[string]map[string]string{}
	for name, keys := range files {
		got[name] = secretData(t, ns, name)
		assert.ElementsMatch(t, keys, slices.Collect(maps.Keys(got[name])), "Secret %s holds exactly the files zot reads", name)
	}
	// A Secret zot has no use for does not exist at all.
	for name, needed := range map[string]bool{s.OIDCSecretName: openID, s.S3SecretName: keyPair} {
		if !needed {
			_, err := server.Get(context.Background(), "v1", "Secret", ns, name)
			assert.Error(t, err, "Secret %s exists, but nothing reads it", name)
		}
	}
	if openID {
		assert.NoError(t, CheckOIDCCredentials(got[s.OIDCSecretName][layout.OIDCCredentialsKey], e.clientID, e.clientSecret))
	}
	assert.NoError(t, CheckHtpasswd(got[s.HtpasswdSecretName][layout.HtpasswdKey], e.passwords))
	if keyPair {
		assert.NoError(t, CheckBare("S3 access key id", got[s.S3SecretName][layout.S3AccessKeyIDKey], e.s3ID))
		assert.NoError(t, CheckBare("S3 secret access key", got[s.S3SecretName][layout.S3SecretAccessKeyKey], e.s3Secret))
	}
	assert.NoError(t, CheckSessionKeys(got[s.SessionSecretName][layout.SessionKeysKey], e.hashKey, e.encryptKey))
	// The mirrors' logins: zot's credentials file, keyed by upstream host.
	want := map[string]map[string]string{}
	for i, m := range ts.cfg.Registry.Mirrors {
		if m.Credentials != nil {
			user, pass := mirrorLogin(i)
			want[m.Host] = map[string]string{"username": user, "password": pass}
		}
	}
	if len(want) == 0 {
		return
	}
	data := secretData(t, ns, s.SyncSecretName)
	assert.Equal(t, []string{layout.SyncCredentialsKey}, slices.Collect(maps.Keys(data)), "Secret %s holds exactly zot's credentials file", s.SyncSecretName)
	var file map[string]map[string]string
	if assert.NoError(t, json.Unmarshal([]byte(data[layout.SyncCredentialsKey]), &file), "%s is JSON", layout.SyncCredentialsKey) {
		assert.Equal(t, want, file, "zot's sync credentials file: {host: {username, password}}")
	}
}

// mirrorLogin is the tier's login for mirror i; the password has a quote
// and a backslash, which the template must keep valid JSON.
func mirrorLogin(i int) (string, string) {
	return fmt.Sprintf("tier-mirror-%d", i), fmt.Sprintf(`pa"ss\%d`, i)
}

// checkPushed checks the store holds every value the program has, each
// under its remote key and property.
func (ts *tierStack) checkPushed(t *testing.T, e expected, objs []Deployed) {
	t.Helper()
	var pushed []string
	for _, o := range objs {
		if o.Manifest["kind"] != "PushSecret" {
			continue
		}
		for _, d := range o.Manifest["spec"].(map[string]any)["data"].([]any) {
			ref := d.(map[string]any)["match"].(map[string]any)["remoteRef"].(map[string]any)
			prop, _ := ref["property"].(string)
			pushed = append(pushed, fmt.Sprint(ref["remoteKey"], "#", prop))
		}
	}
	var want []string
	if !ts.cfg.Secrets.UsesESO() {
		assert.Empty(t, pushed, "secrets mode kubernetes pushes nothing")
		return
	}
	for _, r := range ts.cfg.Secrets.RemoteKeys.All() {
		if !slices.Contains(e.known, r.Field) {
			continue
		}
		want = append(want, r.Key+"#"+r.Property)
		got := secretData(t, ts.backend, r.Key)[r.Property]
		if r.Field == "htpasswd" {
			assert.NoError(t, CheckHtpasswd(got, e.passwords), "the store's %s", r.Key)
			continue
		}
		assert.Equal(t, e.value(r.Field), got, "the store's %s#%s holds the program's %s", r.Key, r.Property, r.Field)
	}
	assert.ElementsMatch(t, want, pushed, "the PushSecret pushes exactly the values the program has")
}

// TestSecretsArrive: for every fixture stack and mode variant, each
// ExternalSecret and PushSecret becomes Ready under the real controller,
// zot's Secrets hold exactly what zot reads (the OIDC client Authentik
// checks, htpasswd lines that verify, session keys of the right sizes, bare
// S3 keys), and the store holds every value the program made.
func TestSecretsArrive(t *testing.T) {
	root, err := stacks.Root()
	require.NoError(t, err)
	variants, err := stacks.All(root)
	require.NoError(t, err)
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			begin := time.Now()
			ts := prepare(t, v, nil)
			e := ts.expect(t)
			ts.store(t, e)
			objs, errs := ts.deploy(t, readyTimeout)
			for _, err := range errs {
				t.Errorf("pulumi up would fail: %v", err)
			}
			if len(errs) > 0 {
				t.Logf("ESO log ends:\n%s", server.ESOLog())
			}
			ts.checkDelivered(t, e)
			ts.checkPushed(t, e, objs)
			t.Logf("%s: delivered and checked in %s", v.Name, time.Since(begin).Round(time.Millisecond))
		})
	}
}

// TestSecretsFailWithESOMessage: what goes wrong in a real store is
// reported the way a user meets it.
func TestSecretsFailWithESOMessage(t *testing.T) {
	ctx := context.Background()

	t.Run("remote key missing", func(t *testing.T) {
		ts := prepare(t, stacks.Variant{Name: "broken-missing", Stack: "dev"}, nil)
		e := ts.expect(t)
		ts.store(t, e, "htpasswd")              // nobody put the htpasswd file in the store
		_, errs := ts.deploy(t, 10*time.Second) // pulumi up would wait secrets.waitTimeout
		require.NotEmpty(t, errs, "pulumi up must not pass with a missing remote key")
		cond, events, err := server.WaitNotReady(ctx, ESOAPIVersion, "ExternalSecret", ts.cfg.Registry.Namespace, ts.cfg.Secrets.HtpasswdSecretName, readyTimeout)
		require.NoError(t, err)
		assert.Equal(t, "could not get secret data from provider", cond.Message, "ESO's condition, what pulumi up reports")
		assert.Contains(t, strings.Join(events, "\n"), ts.cfg.Secrets.RemoteKeys.Htpasswd.Key, "the event names the missing key")
		assert.Contains(t, strings.Join(events, "\n"), "not found")
		t.Logf("condition: %s; events: %v", cond, events)
	})

	t.Run("no property: the store's JSON reaches zot", func(t *testing.T) {
		// The store keeps each value under "value" (vault kv put KEY
		// value=…); the stack names no property, as before this fix.
		ts := prepare(t, stacks.Variant{Name: "broken-noproperty", Stack: "dev"}, func(sc *render.StackConfig) {
			setField(t, sc, spec.FullKey(spec.KeySecrets), "remoteProperty", nil)
		})
		for _, r := range ts.cfg.Secrets.RemoteKeys.All() {
			require.Empty(t, r.Property)
		}
		e := ts.expect(t)
		ts.store(t, e)
		objs, err := DeployedObjects(ts.res)
		require.NoError(t, err)
		for _, o := range objs {
			_, err := server.Apply(ctx, o.Manifest, ApplyOptions{})
			require.NoError(t, err)
		}
		ns := ts.cfg.Registry.Namespace
		// Pushing a key without a property is refused by the provider (Vault too).
		cond, events, err := server.WaitNotReady(ctx, "external-secrets.io/v1alpha1", "PushSecret", ns, spec.Project, readyTimeout)
		require.NoError(t, err)
		assert.Contains(t, cond.Message+strings.Join(events, "\n"), "requires property in RemoteRef")
		t.Logf("PushSecret: %s; events: %v", cond, events)
		// Reading without a property gives zot the whole key as JSON.
		_, err = server.WaitReady(ctx, ESOAPIVersion, "ExternalSecret", ns, ts.cfg.Secrets.HtpasswdSecretName, readyTimeout)
		require.NoError(t, err)
		content := secretData(t, ns, ts.cfg.Secrets.HtpasswdSecretName)[layout.HtpasswdKey]
		err = CheckHtpasswd(content, e.passwords)
		require.Error(t, err)
		assert.Contains(t, err.Error(), `{\"value\":`, "the message shows zot's htpasswd content")
		t.Logf("what zot would read: %v", err)
	})
}
