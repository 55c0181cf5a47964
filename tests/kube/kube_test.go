package kube

// Tests of the tier's own helpers that need no API server; they run with the
// unit tests.

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/spec"
)

func TestCredentialsServeLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	c, err := writeCredentials(dir, nil, nil)
	require.NoError(t, err)

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(c.caPEM))
	raw, err := os.ReadFile(c.servingCert)
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		assert.NoError(t, err, host)
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "example.com"})
	assert.Error(t, err, "the serving certificate is for loopback only")

	tokens, err := os.ReadFile(c.tokenFile)
	require.NoError(t, err)
	assert.Equal(t, c.token+`,zot-integration,zot-integration,"system:masters"`+"\n", string(tokens))
	assert.Len(t, c.token, 48)
	for _, f := range []string{c.servingKey, c.saKey, c.tokenFile} {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	again, err := writeCredentials(t.TempDir(), nil, nil)
	require.NoError(t, err)
	assert.NotEqual(t, c.token, again.token, "a new token on every start")
}

func TestStartWithoutBinariesSaysWhatToDo(t *testing.T) {
	_, err := Start(context.Background(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), BinEnv)
	_, err = Start(context.Background(), Options{BinDir: t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tests/kube/build.sh")
}

// TestRenderedObjects: the tier applies exactly the objects the program
// declares itself (not the Helm release, not cloud resources), namespace first.
func TestRenderedObjects(t *testing.T) {
	root, err := stacks.Root()
	require.NoError(t, err)
	// Every stack has the namespace, the four ExternalSecrets and what it
	// pushes (store mode still pushes the OIDC client the program made).
	common := []string{
		"namespace/namespace-zot.yaml",
		"secrets/externalsecret-zot-htpasswd.yaml",
		"secrets/externalsecret-zot-oidc.yaml",
		"secrets/externalsecret-zot-s3.yaml",
		"secrets/externalsecret-zot-session.yaml",
		"secrets/pushsecret-zot-registry-push.yaml",
		"secrets/secret-zot-registry-push-source.yaml",
	}
	cases := []struct {
		variant string
		files   []string
	}{
		{"dev", append(slices.Clone(common), "registry/persistentvolumeclaim-zot-data.yaml")}, // one replica: the program's claim
		// config.json with the hash key and the Redis password: a Secret.
		{"scale-out-redis", append(slices.Clone(common), "registry/secret-zot-config.yaml", "registry/servicemonitor-zot-metrics.yaml")},
		// A mirror with an upstream login: its credentials file's ExternalSecret.
		{"secrets-push-aws", append(slices.Clone(common), "registry/persistentvolumeclaim-zot-data.yaml", "secrets/externalsecret-zot-sync.yaml")},
		// Without ESO: the program's own Secrets, the same names.
		{"secrets-kubernetes", []string{
			"namespace/namespace-zot.yaml", "registry/persistentvolumeclaim-zot-data.yaml",
			"secrets/secret-zot-htpasswd.yaml", "secrets/secret-zot-oidc.yaml", "secrets/secret-zot-s3.yaml", "secrets/secret-zot-session.yaml",
		}},
		// Without OpenID, every value in the store: no OIDC Secret, nothing pushed.
		{"identity-none", []string{
			"namespace/namespace-zot.yaml", "registry/persistentvolumeclaim-zot-data.yaml",
			"secrets/externalsecret-zot-htpasswd.yaml", "secrets/externalsecret-zot-s3.yaml", "secrets/externalsecret-zot-session.yaml",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			res, err := stacks.Named(tc.variant).Evaluate(root)
			require.NoError(t, err)
			dir := t.TempDir()
			_, err = res.Write(dir)
			require.NoError(t, err)

			objs, err := RenderedObjects(dir)
			require.NoError(t, err)
			var files []string
			for _, o := range objs {
				files = append(files, o.File)
				assert.True(t, strings.HasPrefix(o.Type, "kubernetes:"), o.Type)
				assert.NotEmpty(t, o.Manifest["apiVersion"], o.File)
				assert.NotEmpty(t, o.Manifest["kind"], o.File)
			}
			require.NotEmpty(t, objs)
			assert.Equal(t, "Namespace", objs[0].Manifest["kind"], "namespaces are applied first")
			assert.ElementsMatch(t, tc.files, files)
		})
	}
}

func TestRenderedObjectsRefuseUnknownValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write(render.IndexFile, "resources:\n  - type: kubernetes:core/v1:Secret\n    file: secrets/secret-x.yaml\n")
	write("secrets/secret-x.yaml", "inputs:\n  apiVersion: v1\n  kind: Secret\n  metadata: {name: x, namespace: zot}\n  stringData:\n    key: '"+render.UnknownMarker+"'\n")
	_, err := RenderedObjects(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), ".stringData.key is unknown until deployed")
}

func TestZotFileChecks(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw-ci"), bcrypt.MinCost)
	require.NoError(t, err)
	line := "ci:" + string(hash)
	wrapped, _ := json.Marshal(map[string]string{"value": line + "\n"})
	cases := []struct {
		name    string
		err     error
		wantErr string // empty: must pass
	}{
		{"oidc ok", CheckOIDCCredentials(`{"clientid":"zot","clientsecret":"s"}`, "zot", "s"), ""},
		{"oidc wrapped", CheckOIDCCredentials(`{"clientid":"{\"value\":\"zot\"}","clientsecret":"s"}`, "zot", "s"), `clientid is "{\"value\":\"zot\"}"`},
		{"oidc extra key", CheckOIDCCredentials(`{"clientid":"zot","clientsecret":"s","x":1}`, "zot", "s"), "exactly clientid and clientsecret"},
		{"oidc wrong secret", CheckOIDCCredentials(`{"clientid":"zot","clientsecret":"old"}`, "zot", "s"), "not the secret the provider holds"},
		{"oidc not json", CheckOIDCCredentials(`clientid=zot`, "zot", "s"), "not a JSON object"},
		{"htpasswd ok", CheckHtpasswd(line+"\n", map[string]string{"ci": "pw-ci"}), ""},
		{"htpasswd wrapped in the store's JSON", CheckHtpasswd(string(wrapped), map[string]string{"ci": "pw-ci"}), `{\"value\":`},
		{"htpasswd wrong password", CheckHtpasswd(line, map[string]string{"ci": "other"}), "does not verify"},
		{"htpasswd missing user", CheckHtpasswd(line, map[string]string{"ci": "pw-ci", "robot": "x"}), "no line for robot"},
		{"htpasswd unknown user", CheckHtpasswd(line, map[string]string{"robot": "x"}), `user "ci" nobody expects`},
		{"htpasswd plain text", CheckHtpasswd("ci:pw-ci", map[string]string{"ci": "pw-ci"}), "not user:bcrypt-hash"},
		{"session ok", CheckSessionKeys(`{"hashKey":"`+strings.Repeat("h", 64)+`","encryptKey":"`+strings.Repeat("e", 32)+`"}`, strings.Repeat("h", 64), strings.Repeat("e", 32)), ""},
		{"session short encrypt key", CheckSessionKeys(`{"hashKey":"`+strings.Repeat("h", 64)+`","encryptKey":"eee"}`, strings.Repeat("h", 64), "eee"), "encryptKey has 3 characters"},
		{"session extra key", CheckSessionKeys(`{"hashKey":"h","encryptKey":"e","x":"y"}`, "h", "e"), "not {hashKey, encryptKey}"},
		{"bare ok", CheckBare("S3 key", "AKIA", "AKIA"), ""},
		{"bare wrapped", CheckBare("S3 key", `{"value":"AKIA"}`, "AKIA"), "want the bare value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr == "" {
				assert.NoError(t, tc.err)
				return
			}
			require.Error(t, tc.err)
			assert.Contains(t, tc.err.Error(), tc.wantErr)
		})
	}
}

func TestKubernetesStore(t *testing.T) {
	cluster := KubernetesStore(spec.StoreRef{Name: "vault-backend", Kind: "ClusterSecretStore"}, "zot", "store-dev", "https://127.0.0.1:1", []byte("CA"), "tok")
	require.Len(t, cluster, 3)
	assert.Equal(t, "store-dev", at(cluster[1], "metadata")["namespace"], "the token lives with the backend")
	store := cluster[2]
	assert.Equal(t, "ClusterSecretStore", store["kind"])
	assert.NotContains(t, at(store, "metadata"), "namespace")
	k := at(store, "spec", "provider", "kubernetes")
	assert.Equal(t, "store-dev", k["remoteNamespace"])
	assert.Equal(t, map[string]any{"name": StoreTokenSecret, "key": "token", "namespace": "store-dev"}, at(k, "auth", "token", "bearerToken"))

	ns := KubernetesStore(spec.StoreRef{Name: "zot-vault", Kind: "SecretStore"}, "zot", "store-dev", "https://127.0.0.1:1", []byte("CA"), "tok")
	assert.Equal(t, "zot", at(ns[1], "metadata")["namespace"], "a SecretStore reads its token from its own namespace")
	assert.Equal(t, "zot", at(ns[2], "metadata")["namespace"])
	assert.Equal(t, map[string]any{"name": StoreTokenSecret, "key": "token"}, at(ns[2], "spec", "provider", "kubernetes", "auth", "token", "bearerToken"))
}

// TestDeployedObjectsOrder: the tier applies objects as the engine would:
// namespace, then the push source, the PushSecret, and only then the
// ExternalSecrets that read what it pushed; secret values in clear, every
// wait bounded.
func TestDeployedObjectsOrder(t *testing.T) {
	root, err := stacks.Root()
	require.NoError(t, err)
	res, err := stacks.Named("dev").Evaluate(root)
	require.NoError(t, err)
	objs, err := DeployedObjects(res)
	require.NoError(t, err)
	pos := map[string]int{}
	var kinds []string
	for i, o := range objs {
		kinds = append(kinds, fmt.Sprint(o.Manifest["kind"]))
		pos[fmt.Sprint(o.Manifest["kind"])] = i
		if k := o.Manifest["kind"]; k == "ExternalSecret" || k == "PushSecret" {
			assert.True(t, o.WaitsForReady(), o.URN)
			assert.Equal(t, 5*time.Minute, o.Timeout, o.URN)
		}
	}
	assert.Equal(t, "Namespace", kinds[0])
	assert.Less(t, pos["Secret"], pos["PushSecret"])
	for i, k := range kinds {
		if k == "ExternalSecret" {
			assert.Greater(t, i, pos["PushSecret"], "an ExternalSecret reads only after the push")
		}
	}
	// The source Secret carries the generated client secret in clear, the
	// one the Authentik provider was given.
	provider := res.Recorder.ByType("authentik:index/providerOauth2:ProviderOauth2")
	require.Len(t, provider, 1)
	want := mocks.Revealed(provider[0].Inputs["clientSecret"])
	for _, o := range objs {
		if o.Manifest["kind"] == "Secret" {
			assert.Equal(t, want, at(o.Manifest, "stringData")["oidc-client-secret"])
		}
	}
}

// at walks nested objects of a manifest.
func at(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}
