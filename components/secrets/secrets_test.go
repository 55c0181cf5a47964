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

	"github.com/zot-registry/zot-registry/components/secrets"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

const (
	tES     = mocks.ExternalSecretType
	tPush   = mocks.PushSecretType
	tSecret = mocks.SecretType
	tPW     = mocks.RandomPasswordType
)

func settings(t *testing.T, secretsObj map[string]any) spec.Secrets {
	t.Helper()
	return testsupport.Parse(t, map[string]any{
		"storage": map[string]any{"mode": "aws", "region": "eu-west-1"},
		"secrets": secretsObj,
	}).Secrets
}

// run declares the component with the OIDC client the identity component
// would give it, and zot's S3 key pair when withS3 (the program has one in
// storage mode aws or from config in push mode).
func run(t *testing.T, s spec.Secrets, withS3 bool) (*mocks.Recorder, map[string]any, map[string]bool) {
	t.Helper()
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		args := &secrets.Args{
			Namespace:        pulumi.String("zot"),
			Settings:         s,
			OIDCClientID:     pulumi.String("zot-dev"),
			OIDCClientSecret: pulumi.ToSecret(pulumi.String("client-s3cr3t")).(pulumi.StringOutput),
			OpenID:           true, S3KeyPair: true,
		}
		if withS3 {
			args.S3AccessKeyID = pulumi.ToSecret(pulumi.String("AKIAEXAMPLE")).(pulumi.StringOutput)
			args.S3SecretAccessKey = pulumi.ToSecret(pulumi.String("s3-s3cr3t")).(pulumi.StringOutput)
		}
		c, err := secrets.NewDelivery(ctx, "zot-registry", args)
		if err != nil {
			return nil, err
		}
		assert.Len(t, c.Ready, 4)
		return map[string]pulumi.Output{"passwords": c.Passwords}, nil
	})
	return r.Rec, r.Outputs, r.Secret
}

func byName(rec *mocks.Recorder, typ string) map[string]mocks.Resource {
	out := map[string]mocks.Resource{}
	for _, r := range rec.ByType(typ) {
		out[r.Name] = r
	}
	return out
}

func TestStoreModeExternalSecrets(t *testing.T) {
	rec, values, secret := run(t, settings(t, map[string]any{"store": map[string]any{"name": "vault", "kind": "SecretStore"}, "refreshInterval": "15m"}), false)
	es := byName(rec, tES)
	require.Len(t, es, 4)
	want := map[string]struct {
		data     map[string]string // secretKey -> remote key
		template map[string]any
	}{
		"zot-oidc": {map[string]string{"clientid": "zot-dev-oidc-client-id", "clientsecret": "zot-dev-oidc-client-secret"},
			map[string]any{layout.OIDCCredentialsKey: secrets.OIDCTemplate}},
		"zot-htpasswd": {map[string]string{layout.HtpasswdKey: "zot-dev-htpasswd"}, nil},
		"zot-s3":       {map[string]string{layout.S3AccessKeyIDKey: "zot-dev-s3-access-key-id", layout.S3SecretAccessKeyKey: "zot-dev-s3-secret-access-key"}, nil},
		"zot-session": {map[string]string{"hashKey": "zot-dev-session-hash-key", "encryptKey": "zot-dev-session-encrypt-key"},
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
		body := in["spec"].(map[string]any)
		// In Go's form, as ESO stores a metav1.Duration: 15m would read back
		// as 15m0s, drift to pulumi preview --refresh (the cluster tier).
		assert.Equal(t, "15m0s", body["refreshInterval"])
		assert.Equal(t, map[string]any{"name": "vault", "kind": "SecretStore"}, body["secretStoreRef"])
		got := map[string]string{}
		for _, d := range body["data"].([]any) {
			dm := d.(map[string]any)
			got[dm["secretKey"].(string)] = dm["remoteRef"].(map[string]any)["key"].(string)
		}
		assert.Equal(t, w.data, got, name)
		target := body["target"].(map[string]any)
		assert.Equal(t, name, target["name"], "the target Secret is the one zot mounts")
		assert.Equal(t, "Owner", target["creationPolicy"])
		if w.template == nil {
			assert.NotContains(t, target, "template")
		} else {
			tmpl := target["template"].(map[string]any)
			assert.Equal(t, "v2", tmpl["engineVersion"])
			assert.Equal(t, w.template, tmpl["data"])
		}
		assert.Equal(t, map[string]string{"create": "5m0s", "update": "5m0s"}, r.CustomTimeouts, "pulumi up waits for Ready, but not for ever")
	}
	// Store mode still pushes what the program has: the OIDC client it
	// registered in Authentik (or was given), and nothing else.
	push := rec.ByType(tPush)
	require.Len(t, push, 1)
	assert.Equal(t, map[string]string{
		secrets.SourceOIDCClientID:     "zot-dev-oidc-client-id",
		secrets.SourceOIDCClientSecret: "zot-dev-oidc-client-secret",
	}, pushedKeys(t, push[0]))
	src := rec.ByType(tSecret)
	require.Len(t, src, 1)
	sd := src[0].Inputs["stringData"].SecretValue().Element.ObjectValue()
	assert.Len(t, sd, 2)
	assert.Equal(t, "client-s3cr3t", sd[secrets.SourceOIDCClientSecret].StringValue())
	for _, r := range rec.ByType(tES) {
		assert.Contains(t, r.DependsOn, push[0].URN, "%s reads after the push", r.Name)
	}
	assert.Empty(t, rec.ByType(tPW), "store mode generates no password")
	assert.Empty(t, values["passwords"])
	assert.True(t, secret["passwords"])
}

// pushedKeys maps each pushed source key to its remote key (key#property
// when a property is set).
func pushedKeys(t *testing.T, push mocks.Resource) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range mocks.PlainMap(push.Inputs)["spec"].(map[string]any)["data"].([]any) {
		m := d.(map[string]any)["match"].(map[string]any)
		ref := m["remoteRef"].(map[string]any)
		key := ref["remoteKey"].(string)
		if p, ok := ref["property"]; ok {
			key += "#" + p.(string)
		}
		out[m["secretKey"].(string)] = key
	}
	return out
}

// TestExternalClientSecretFromTheStore: an external OpenID client whose
// secret the program was not given (identity mode external without
// oidcClientSecret) is read from the store, not pushed: the PushSecret
// writes the client id alone, the OIDC ExternalSecret still reads both.
func TestExternalClientSecretFromTheStore(t *testing.T) {
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		_, err := secrets.NewDelivery(ctx, "zot-registry", &secrets.Args{
			Namespace: pulumi.String("zot"), Settings: settings(t, map[string]any{"store": map[string]any{"name": "vault"}}),
			OIDCClientID: pulumi.String("zot-dev"), OpenID: true, S3KeyPair: true,
		})
		return nil, err
	})
	push := r.Rec.ByType(tPush)
	require.Len(t, push, 1)
	assert.Equal(t, map[string]string{secrets.SourceOIDCClientID: "zot-dev-oidc-client-id"}, pushedKeys(t, push[0]))
	oidc := byName(r.Rec, tES)["zot-oidc"]
	var keys []string
	for _, d := range mocks.PlainMap(oidc.Inputs)["spec"].(map[string]any)["data"].([]any) {
		keys = append(keys, d.(map[string]any)["remoteRef"].(map[string]any)["key"].(string))
	}
	assert.ElementsMatch(t, []string{"zot-dev-oidc-client-id", "zot-dev-oidc-client-secret"}, keys, "zot's credentials file still has both")

	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := secrets.NewDelivery(ctx, "zot-registry", &secrets.Args{
			Namespace: pulumi.String("zot"), Settings: settings(t, map[string]any{"mode": "kubernetes", "users": []any{"ci"}}),
			OIDCClientID: pulumi.String("zot-dev"), OpenID: true,
		})
		return err
	}, mocks.New("zot-registry", "dev").Option())
	require.ErrorContains(t, err, "needs the OIDC client secret", "without ESO no store holds it")
}

func TestStoreModeWithProgramS3Key(t *testing.T) {
	// Storage mode aws: the IAM key the program made is pushed too.
	rec, _, _ := run(t, settings(t, map[string]any{"store": map[string]any{"name": "vault"}}), true)
	push := rec.ByType(tPush)
	require.Len(t, push, 1)
	assert.Equal(t, map[string]string{
		secrets.SourceOIDCClientID:      "zot-dev-oidc-client-id",
		secrets.SourceOIDCClientSecret:  "zot-dev-oidc-client-secret",
		secrets.SourceS3AccessKeyID:     "zot-dev-s3-access-key-id",
		secrets.SourceS3SecretAccessKey: "zot-dev-s3-secret-access-key",
	}, pushedKeys(t, push[0]))
}

func TestRemotePropertiesReachESO(t *testing.T) {
	s := settings(t, map[string]any{
		"store":          map[string]any{"name": "vault"},
		"remoteProperty": "value",
		"waitTimeout":    "90s",
		"remoteKeys": map[string]any{
			"htpasswd":         map[string]any{"key": "zot/auth", "property": "htpasswd"},
			"oidcClientSecret": map[string]any{"key": "zot/oidc"},
		},
	})
	rec, _, _ := run(t, s, false)
	refs := map[string]map[string]any{} // secretKey -> remoteRef
	for _, r := range rec.ByType(tES) {
		assert.Equal(t, map[string]string{"create": "1m30s", "update": "1m30s"}, r.CustomTimeouts)
		for _, d := range mocks.PlainMap(r.Inputs)["spec"].(map[string]any)["data"].([]any) {
			dm := d.(map[string]any)
			refs[dm["secretKey"].(string)] = dm["remoteRef"].(map[string]any)
		}
	}
	assert.Equal(t, map[string]any{"key": "zot/auth", "property": "htpasswd"}, refs[layout.HtpasswdKey], "a key's own property wins")
	assert.Equal(t, map[string]any{"key": "zot/oidc", "property": "value"}, refs["clientsecret"], "the store-wide default fills in")
	assert.Equal(t, map[string]any{"key": "zot-dev-session-hash-key", "property": "value"}, refs["hashKey"])
	push := rec.ByType(tPush)
	require.Len(t, push, 1)
	assert.Equal(t, map[string]string{
		secrets.SourceOIDCClientID:     "zot-dev-oidc-client-id#value",
		secrets.SourceOIDCClientSecret: "zot/oidc#value",
	}, pushedKeys(t, push[0]), "pushed to the same key and field it is read from")
	assert.Equal(t, map[string]string{"create": "1m30s", "update": "1m30s"}, push[0].CustomTimeouts)
}

func TestWaitCanBeTurnedOff(t *testing.T) {
	rec, _, _ := run(t, settings(t, map[string]any{"store": map[string]any{"name": "vault"}, "waitForReady": false}), false)
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
	s := settings(t, map[string]any{"mode": "push", "store": map[string]any{"name": "vault"}, "users": []any{"ci", "robot"}, "passwordLength": 24})
	rec, values, secret := run(t, s, true)

	pws := byName(rec, tPW)
	require.Contains(t, pws, "zot-registry-ci")
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
	body := in["spec"].(map[string]any)
	assert.Equal(t, []any{map[string]any{"name": "vault", "kind": "ClusterSecretStore"}}, body["secretStoreRefs"])
	assert.Equal(t, map[string]any{"secret": map[string]any{"name": secrets.SourceSecretName}}, body["selector"])
	assert.Equal(t, secrets.SourceSecretName, mocks.PlainMap(src[0].Inputs)["metadata"].(map[string]any)["name"])
	pushed := pushedKeys(t, push[0])
	k := s.RemoteKeys
	assert.Equal(t, map[string]string{
		secrets.SourceOIDCClientID: k.OIDCClientID.Key, secrets.SourceOIDCClientSecret: k.OIDCClientSecret.Key,
		secrets.SourceHtpasswd: k.Htpasswd.Key, secrets.SourceS3AccessKeyID: k.S3AccessKeyID.Key,
		secrets.SourceS3SecretAccessKey: k.S3SecretAccessKey.Key, secrets.SourceSessionHashKey: k.SessionHashKey.Key,
		secrets.SourceSessionEncryptKey: k.SessionEncryptKey.Key,
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
