package secrets_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/components/registry/layout"
	"github.com/zot-registry/zot-registry/components/secrets"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/configtest"
	"github.com/zot-registry/zot-registry/internal/mocks"
)

const (
	tES     = "kubernetes:external-secrets.io/v1:ExternalSecret"
	tPush   = "kubernetes:external-secrets.io/v1alpha1:PushSecret"
	tSecret = "kubernetes:core/v1:Secret"
	tPW     = "random:index/randomPassword:RandomPassword"
)

func settings(t *testing.T, secretsObj map[string]any) config.Secrets {
	t.Helper()
	return configtest.Parse(t, map[string]any{
		"storage": map[string]any{"mode": "aws", "region": "eu-west-1"},
		"secrets": secretsObj,
	}).Secrets
}

func run(t *testing.T, s config.Secrets) (*mocks.Recorder, map[string]any, map[string]bool) {
	t.Helper()
	rec := mocks.New("zot-registry", "dev")
	var collected *mocks.Collected
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		c, err := secrets.NewSecrets(ctx, "zot-registry", &secrets.Args{
			Namespace:         pulumi.String("zot"),
			Settings:          s,
			OIDCClientID:      pulumi.String("zot-dev"),
			OIDCClientSecret:  pulumi.ToSecret(pulumi.String("client-s3cr3t")).(pulumi.StringOutput),
			S3AccessKeyID:     pulumi.ToSecret(pulumi.String("AKIAEXAMPLE")).(pulumi.StringOutput),
			S3SecretAccessKey: pulumi.ToSecret(pulumi.String("s3-s3cr3t")).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		assert.Len(t, c.ExternalSecrets, 4)
		collected = mocks.Collect(map[string]pulumi.Output{"passwords": c.Passwords})
		return nil
	}, rec.Option())
	require.NoError(t, err)
	values, secret, err := collected.Wait()
	require.NoError(t, err)
	return rec, values, secret
}

func byName(rec *mocks.Recorder, typ string) map[string]mocks.Resource {
	out := map[string]mocks.Resource{}
	for _, r := range rec.ByType(typ) {
		out[r.Name] = r
	}
	return out
}

func TestStoreModeExternalSecrets(t *testing.T) {
	rec, values, secret := run(t, settings(t, map[string]any{"store": map[string]any{"name": "vault", "kind": "SecretStore"}, "refreshInterval": "15m"}))
	es := byName(rec, tES)
	require.Len(t, es, 4)
	want := map[string]struct {
		data     map[string]string // secretKey -> remote key
		template map[string]any
	}{
		"zot-oidc": {map[string]string{"clientid": "zot-oidc-client-id", "clientsecret": "zot-oidc-client-secret"},
			map[string]any{layout.OIDCCredentialsKey: secrets.OIDCTemplate}},
		"zot-htpasswd": {map[string]string{layout.HtpasswdKey: "zot-htpasswd"}, nil},
		"zot-s3":       {map[string]string{layout.S3AccessKeyIDKey: "zot-rustfs-access", layout.S3SecretAccessKeyKey: "zot-rustfs-secret"}, nil},
		"zot-session": {map[string]string{"hashKey": "zot-session-hash-key", "encryptKey": "zot-session-encrypt-key"},
			map[string]any{layout.SessionKeysKey: secrets.SessionTemplate}},
	}
	for name, w := range want {
		r, ok := es[name]
		require.True(t, ok, name)
		p, _ := rec.ParentOf(r)
		assert.Equal(t, secrets.Type, p.Type)
		in := mocks.PlainMap(r.Inputs)
		assert.Equal(t, "external-secrets.io/v1", in["apiVersion"])
		assert.Equal(t, "ExternalSecret", in["kind"])
		meta := in["metadata"].(map[string]any)
		assert.Equal(t, name, meta["name"])
		assert.Equal(t, "zot", meta["namespace"])
		assert.Equal(t, map[string]any{"pulumi.com/waitFor": "condition=Ready"}, meta["annotations"])
		spec := in["spec"].(map[string]any)
		assert.Equal(t, "15m", spec["refreshInterval"])
		assert.Equal(t, map[string]any{"name": "vault", "kind": "SecretStore"}, spec["secretStoreRef"])
		got := map[string]string{}
		for _, d := range spec["data"].([]any) {
			dm := d.(map[string]any)
			got[dm["secretKey"].(string)] = dm["remoteRef"].(map[string]any)["key"].(string)
		}
		assert.Equal(t, w.data, got, name)
		target := spec["target"].(map[string]any)
		assert.Equal(t, name, target["name"], "the target Secret is the one zot mounts")
		assert.Equal(t, "Owner", target["creationPolicy"])
		if w.template == nil {
			assert.NotContains(t, target, "template")
		} else {
			tmpl := target["template"].(map[string]any)
			assert.Equal(t, "v2", tmpl["engineVersion"])
			assert.Equal(t, w.template, tmpl["data"])
		}
		assert.Empty(t, r.DependsOn, "store mode reads what is already there")
	}
	assert.Empty(t, rec.ByType(tPush))
	assert.Empty(t, rec.ByType(tSecret))
	assert.Empty(t, rec.ByType(tPW))
	assert.Empty(t, values["passwords"])
	assert.True(t, secret["passwords"])
}

func TestWaitCanBeTurnedOff(t *testing.T) {
	rec, _, _ := run(t, settings(t, map[string]any{"store": map[string]any{"name": "vault"}, "waitForReady": false}))
	for _, r := range rec.ByType(tES) {
		meta := mocks.PlainMap(r.Inputs)["metadata"].(map[string]any)
		assert.Empty(t, meta["annotations"])
	}
}

// render runs a template as ESO's v2 engine does: Go text/template with
// sprig's functions, the ExternalSecret's data as the context.
func render(t *testing.T, tmpl string, data map[string]string) string {
	t.Helper()
	tp, err := template.New("t").Funcs(sprig.TxtFuncMap()).Parse(tmpl)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, tp.Execute(&buf, data))
	return buf.String()
}

func TestTemplatesStayValidJSONForAnyValue(t *testing.T) {
	adversarial := []string{
		"plain",
		`with "quotes"`,
		`back\slash\`,
		"new\nline\r\n",
		"tab\tand unicode é ✓ and <html> & more",
		`{"looks":"like json"}`,
		"",
	}
	for _, a := range adversarial {
		for _, b := range adversarial[:3] {
			out := render(t, secrets.OIDCTemplate, map[string]string{"clientid": b, "clientsecret": a})
			var got map[string]string
			require.NoError(t, json.Unmarshal([]byte(out), &got), "oidc-credentials.json for %q is not JSON: %s", a, out)
			assert.Equal(t, map[string]string{"clientid": b, "clientsecret": a}, got, "exactly clientid and clientsecret, same values")

			out = render(t, secrets.SessionTemplate, map[string]string{"hashKey": a, "encryptKey": b})
			var keys map[string]string
			require.NoError(t, json.Unmarshal([]byte(out), &keys), out)
			assert.Equal(t, map[string]string{"hashKey": a, "encryptKey": b}, keys)
		}
	}
}

// secretString unwraps a secret string property.
func secretString(t *testing.T, v resource.PropertyValue) string {
	t.Helper()
	require.True(t, v.IsSecret(), "the value is marked secret")
	return v.SecretValue().Element.StringValue()
}

func TestPushMode(t *testing.T) {
	s := settings(t, map[string]any{"mode": "push", "store": map[string]any{"name": "vault"}, "users": []any{"ci-pusher", "robot"}, "passwordLength": 24})
	rec, values, secret := run(t, s)

	pws := byName(rec, tPW)
	require.Contains(t, pws, "zot-registry-ci-pusher")
	require.Contains(t, pws, "zot-registry-robot")
	assert.Equal(t, float64(24), mocks.PlainMap(pws["zot-registry-robot"].Inputs)["length"])
	assert.Equal(t, float64(64), mocks.PlainMap(pws["zot-registry-session-hash-key"].Inputs)["length"])
	assert.Equal(t, float64(32), mocks.PlainMap(pws["zot-registry-session-encrypt-key"].Inputs)["length"])

	// The source Secret: every value secret, htpasswd lines bcrypt-verify
	// against the generated passwords.
	src := rec.ByType(tSecret)
	require.Len(t, src, 1)
	data := src[0].Inputs["stringData"]
	require.True(t, mocks.HasSecret(data))
	sd := data.SecretValue().Element.ObjectValue()
	passwords := values["passwords"].(map[string]string)
	require.Len(t, passwords, 2)
	lines := strings.Split(strings.TrimSuffix(sd[secrets.SourceHtpasswd].StringValue(), "\n"), "\n")
	require.Len(t, lines, 2)
	for _, line := range lines {
		user, hash, ok := strings.Cut(line, ":")
		require.True(t, ok, line)
		pw := passwords[user]
		assert.Equal(t, secretString(t, pws["zot-registry-"+user].State["result"]), pw)
		assert.Len(t, pw, 24)
		assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)), "htpasswd line for %s", user)
		assert.Error(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw+"x")))
	}
	assert.Equal(t, "zot-dev", sd[secrets.SourceOIDCClientID].StringValue())
	assert.Equal(t, "client-s3cr3t", sd[secrets.SourceOIDCClientSecret].StringValue())
	assert.Equal(t, "AKIAEXAMPLE", sd[secrets.SourceS3AccessKeyID].StringValue())
	assert.True(t, secret["passwords"], "the passwords are a secret output")

	// The PushSecret pushes each source key to its remote key.
	push := rec.ByType(tPush)
	require.Len(t, push, 1)
	in := mocks.PlainMap(push[0].Inputs)
	assert.Equal(t, "external-secrets.io/v1alpha1", in["apiVersion"])
	spec := in["spec"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"name": "vault", "kind": "ClusterSecretStore"}}, spec["secretStoreRefs"])
	assert.Equal(t, map[string]any{"secret": map[string]any{"name": secrets.SourceSecretName}}, spec["selector"])
	assert.Equal(t, secrets.SourceSecretName, mocks.PlainMap(src[0].Inputs)["metadata"].(map[string]any)["name"])
	pushed := map[string]string{}
	for _, d := range spec["data"].([]any) {
		m := d.(map[string]any)["match"].(map[string]any)
		pushed[m["secretKey"].(string)] = m["remoteRef"].(map[string]any)["remoteKey"].(string)
	}
	k := s.RemoteKeys
	assert.Equal(t, map[string]string{
		secrets.SourceOIDCClientID: k.OIDCClientID, secrets.SourceOIDCClientSecret: k.OIDCClientSecret,
		secrets.SourceHtpasswd: k.Htpasswd, secrets.SourceS3AccessKeyID: k.S3AccessKeyID,
		secrets.SourceS3SecretAccessKey: k.S3SecretAccessKey, secrets.SourceSessionHashKey: k.SessionHashKey,
		secrets.SourceSessionEncryptKey: k.SessionEncryptKey,
	}, pushed, "every value the ExternalSecrets read is pushed")
	for source := range pushed {
		assert.Contains(t, sd, resource.PropertyKey(source))
	}
	assert.Contains(t, push[0].DependsOn, src[0].URN)

	// The ExternalSecrets read back only after the push.
	for _, r := range rec.ByType(tES) {
		assert.Contains(t, r.DependsOn, push[0].URN, r.Name)
	}
}
