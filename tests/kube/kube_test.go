package kube

// Tests of the tier's own helpers that need no API server; they run with the
// unit tests.

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

func TestCredentialsServeLoopbackOnly(t *testing.T) {
	dir := t.TempDir()
	c, err := writeCredentials(dir)
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
	again, err := writeCredentials(t.TempDir())
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
	cases := []struct {
		variant string
		files   []string
	}{
		{"dev", []string{
			"namespace/namespace-zot.yaml",
			"secrets/externalsecret-zot-htpasswd.yaml",
			"secrets/externalsecret-zot-oidc.yaml",
			"secrets/externalsecret-zot-s3.yaml",
			"secrets/externalsecret-zot-session.yaml",
		}},
		{"secrets-push-aws", []string{
			"namespace/namespace-zot.yaml",
			"secrets/externalsecret-zot-htpasswd.yaml",
			"secrets/externalsecret-zot-oidc.yaml",
			"secrets/externalsecret-zot-s3.yaml",
			"secrets/externalsecret-zot-session.yaml",
			"secrets/pushsecret-zot-registry-push.yaml",
			"secrets/secret-zot-registry-push-source.yaml",
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
