package secrets_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/secrets"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/layout"
)

// runArgs declares the component with args built by args (Namespace set).
func runArgs(t *testing.T, args *secrets.Args) (*mocks.Recorder, *secrets.Delivery, map[string]any) {
	t.Helper()
	var c *secrets.Delivery
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		args.Namespace = pulumi.String("zot")
		var err error
		if c, err = secrets.NewDelivery(ctx, "zot-registry", args); err != nil {
			return nil, err
		}
		return map[string]pulumi.Output{"digest": c.Digest}, nil
	})
	return r.Rec, c, r.Outputs
}

// TestKubernetesModeWritesTheSecrets: without ESO the program writes the
// Secrets zot mounts, with the names, keys and files the ExternalSecrets'
// targets have (the same bytes their templates make), all marked secret,
// and declares no ESO object.
func TestKubernetesModeWritesTheSecrets(t *testing.T) {
	s := settings(t, map[string]any{"mode": "kubernetes", "users": []any{"ci", "prometheus"}})
	rec, c, out := runArgs(t, &secrets.Args{
		Settings:          s,
		OIDCClientID:      pulumi.String("zot-dev"),
		OIDCClientSecret:  pulumi.ToSecret(pulumi.String(`client "s3cr3t"`)).(pulumi.StringOutput),
		S3AccessKeyID:     pulumi.ToSecret(pulumi.String("AKIAEXAMPLE")).(pulumi.StringOutput),
		S3SecretAccessKey: pulumi.ToSecret(pulumi.String("s3-s3cr3t")).(pulumi.StringOutput),
		OpenID:            true, S3KeyPair: true,
	})
	assert.Empty(t, rec.ByType(tES), "no ExternalSecret")
	assert.Empty(t, rec.ByType(tPush), "no PushSecret")
	written := byName(rec, tSecret)
	require.Len(t, written, 4)
	assert.Len(t, c.Ready, 4, "the release waits for each Secret")
	data := map[string]map[string]any{}
	for name, r := range written {
		assert.True(t, r.Inputs["stringData"].ContainsSecrets(), "%s: stringData is secret", name)
		data[name] = mocks.RevealedMap(r.Inputs)["stringData"].(map[string]any)
		assert.Equal(t, name, mocks.PlainMap(r.Inputs)["metadata"].(map[string]any)["name"], "the resource is named after its Secret")
	}
	// The OIDC file is what ESO's template makes of the same values.
	assert.Equal(t, render(t, secrets.OIDCTemplate, map[string]string{"clientid": "zot-dev", "clientsecret": `client "s3cr3t"`}),
		data["zot-oidc"][layout.OIDCCredentialsKey])
	assert.Equal(t, map[string]any{layout.S3AccessKeyIDKey: "AKIAEXAMPLE", layout.S3SecretAccessKeyKey: "s3-s3cr3t"}, data["zot-s3"])
	var session map[string]string
	require.NoError(t, json.Unmarshal([]byte(data["zot-session"][layout.SessionKeysKey].(string)), &session))
	assert.Len(t, session["hashKey"], 64)
	assert.Len(t, session["encryptKey"], 32)
	assert.Equal(t, render(t, secrets.SessionTemplate, map[string]string{"hashKey": session["hashKey"], "encryptKey": session["encryptKey"]}),
		data["zot-session"][layout.SessionKeysKey], "the same bytes as ESO's template")
	assert.Regexp(t, `^ci:\$2a\$.*\nprometheus:\$2a\$.*\n$`, data["zot-htpasswd"][layout.HtpasswdKey])
	assert.Regexp(t, `^[0-9a-f]{64}$`, out["digest"])
}

// TestStartupDigest: the digest changes with each value it is given, and
// is an HMAC keyed with the session hash key over the values in key order.
func TestStartupDigest(t *testing.T) {
	base := map[string]string{
		secrets.SourceOIDCClientID: "zot", secrets.SourceOIDCClientSecret: "a",
		secrets.SourceS3AccessKeyID: "k", secrets.SourceS3SecretAccessKey: "s",
		secrets.SourceSessionHashKey: "h", secrets.SourceSessionEncryptKey: "e",
		secrets.PasswordDigestKey("ci"): "pw",
	}
	d := secrets.StartupDigest(base)
	for k := range base {
		changed := maps.Clone(base)
		changed[k] += "2"
		assert.NotEqual(t, d, secrets.StartupDigest(changed), k)
	}
	more := maps.Clone(base)
	more[secrets.PasswordDigestKey("new-robot")] = "pw2"
	assert.NotEqual(t, d, secrets.StartupDigest(more), "a new robot")
	// Keyed with the session hash key: an HMAC an outsider cannot compute
	// from the digest's input alone.
	var msg strings.Builder
	for _, k := range slices.Sorted(maps.Keys(base)) {
		fmt.Fprintf(&msg, "%s=%d:%s\n", k, len(base[k]), base[k])
	}
	mac := hmac.New(sha256.New, []byte("h"))
	mac.Write([]byte(msg.String()))
	assert.Equal(t, hex.EncodeToString(mac.Sum(nil)), d, "HMAC-SHA256 keyed with the session hash key")
	plain := sha256.Sum256([]byte(msg.String()))
	assert.NotEqual(t, hex.EncodeToString(plain[:]), d, "not a plain hash of the values")
}

// TestNewRobotRestartsZot: in secrets mode kubernetes a new robot changes
// the pods' digest, so zot restarts with the new htpasswd file, unless
// zot reloads the Secret's update by itself (layout.HtpasswdReloadRelease
// on). zot v2.1.20 does not: on the cluster tier a new robot was refused
// until the pod restarted.
func TestNewRobotRestartsZot(t *testing.T) {
	digest := func(users []any, reloads bool) string {
		_, _, out := runArgs(t, &secrets.Args{
			Settings:         settings(t, map[string]any{"mode": "kubernetes", "users": users}),
			OIDCClientID:     pulumi.String("zot-dev"),
			OIDCClientSecret: pulumi.String("s"),
			S3AccessKeyID:    pulumi.String("k"), S3SecretAccessKey: pulumi.String("s"),
			OpenID: true, S3KeyPair: true,
			ReloadsHtpasswd: reloads,
		})
		return fmt.Sprint(out["digest"])
	}
	one, two := []any{"ci"}, []any{"ci", "new-robot"}
	assert.NotEqual(t, digest(one, false), digest(two, false), "zot that keeps its users restarts for a new robot")
	assert.Equal(t, digest(one, true), digest(two, true), "zot that reloads htpasswd is not restarted")
	assert.Equal(t, digest(one, false), digest(one, false), "the same users, the same digest")
}

// TestNoKeyPairNoOpenID: with an IAM role and identity mode none there is
// no S3 and no OIDC Secret, in either delivery, and nothing pushed for them.
func TestNoKeyPairNoOpenID(t *testing.T) {
	for _, mode := range []string{"push", "kubernetes"} {
		t.Run(mode, func(t *testing.T) {
			obj := map[string]any{"mode": mode, "users": []any{"ci"}}
			if mode == "push" {
				obj["store"] = map[string]any{"name": "vault"}
			}
			rec, c, _ := runArgs(t, &secrets.Args{Settings: settings(t, obj)})
			assert.Equal(t, layout.SecretNames{Htpasswd: "zot-htpasswd", Session: "zot-session"}, c.Names)
			assert.Len(t, c.Ready, 2)
			for _, typ := range []string{tES, tSecret} {
				for name := range byName(rec, typ) {
					assert.NotContains(t, []string{"zot-s3", "zot-oidc"}, name)
				}
			}
			if mode == "push" {
				assert.Equal(t, []string{secrets.SourceHtpasswd, secrets.SourceSessionHashKey, secrets.SourceSessionEncryptKey}, c.Pushed)
			}
		})
	}
}
