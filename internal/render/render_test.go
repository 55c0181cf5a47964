package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/render"
)

// project writes the repository's Pulumi.yaml and the stack file of stack
// "test" into a temp dir.
func project(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	py, err := os.ReadFile("../../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), py, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.test.yaml"), []byte(body), 0o644))
	return dir
}

const minimal = `config:
  zot-registry:registry:
    externalUrl: https://registry.test.example.com
    externalProxy: true
    accessControl:
      adminUsers: [ci]
  storage:
    mode: existing
    bucket: zot-test
  zot-registry:identity:
    mode: authentik
    clientId: zot-test
  authentik:url: https://auth.example.com
  zot-registry:secrets:
    store:
      name: vault
  kubernetes:context: test
`

func TestStackConfigAsTheCLIPassesIt(t *testing.T) {
	dir := project(t, minimal+`  zot-registry:apiToken:
    secure: v1:abcdef
`)
	_, err := render.LoadStackConfig(dir, "test")
	require.Error(t, err, "an undeclared project key is a typo")
	assert.Contains(t, err.Error(), "config zot-registry:apiToken: is not a known setting")

	dir = project(t, minimal+`  aws:secretKey:
    secure: v1:abcdef
`)
	sc, err := render.LoadStackConfig(dir, "test")
	require.NoError(t, err)
	assert.Equal(t, render.SecretMarker, sc.Values["aws:secretKey"], "secure values cannot be read offline")
	assert.Equal(t, []string{"aws:secretKey"}, sc.SecretKeys())
	assert.JSONEq(t, `{"mode":"existing","bucket":"zot-test"}`, sc.Values["zot-registry:storage"], "unprefixed keys get the project namespace, objects become JSON")
	assert.Equal(t, "test", sc.Values["kubernetes:context"])
}

func TestMissingStackFile(t *testing.T) {
	_, err := render.Evaluate(project(t, minimal), "prod")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Pulumi.prod.yaml")
}

func TestBadConfigFailsWithTheProgramsError(t *testing.T) {
	dir := project(t, strings.Replace(minimal, "https://registry.test", "http://registry.test", 1))
	_, err := render.Evaluate(dir, "test")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config zot-registry:registry.externalUrl:")
	assert.Contains(t, err.Error(), "must use https")
}

func TestWriteReplacesOnlyAnEarlierRender(t *testing.T) {
	res, err := render.Evaluate(project(t, minimal), "test")
	require.NoError(t, err)

	out := t.TempDir()
	files, err := res.Write(out)
	require.NoError(t, err)
	assert.Contains(t, files, render.ConfigFile)
	assert.Contains(t, files, render.ValuesFile)
	assert.Contains(t, files, "registry/release-zot.yaml")
	assert.Contains(t, files, "namespace/namespace-zot.yaml")

	stale := filepath.Join(out, "registry", "release-old.yaml")
	require.NoError(t, os.WriteFile(stale, []byte("x"), 0o644))
	_, err = res.Write(out)
	require.NoError(t, err)
	assert.NoFileExists(t, stale, "an earlier render is replaced whole")

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644))
	_, err = res.Write(other)
	require.Error(t, err, "a folder that is not a render is never emptied")
	assert.FileExists(t, filepath.Join(other, "notes.txt"))
}

func TestConfigSourceMatchesConfigPackage(t *testing.T) {
	sc, err := render.LoadStackConfig(project(t, minimal), "test")
	require.NoError(t, err)
	cfg, err := config.Parse("test", sc.Source())
	require.NoError(t, err)
	assert.Equal(t, "zot-test", cfg.Storage.Bucket)
}
