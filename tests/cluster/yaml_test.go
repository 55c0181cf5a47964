package cluster

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYAMLExample: the component package used from Pulumi YAML, as a user
// of another language runs it (examples/yaml with the tier's settings):
// the real CLI and YAML language host, the provider binary built from
// provider/, the Kubernetes provider. zot runs exactly the config.json the
// stack program renders for the same settings, serves pushes and pulls
// and the OpenID login; a second up changes nothing; destroy removes it.
func TestYAMLExample(t *testing.T) {
	v := variant{name: "yaml-example"}
	x := prepare(t, v)
	var err error
	x.d, err = penv.newYAMLDeployment(context.Background(), filepath.Join(projectRoot(), "examples", "yaml", "Pulumi.yaml"), x.sc,
		bins.yamlHost, filepath.Dir(bins.provider), x.dir)
	require.NoError(t, err)
	t.Cleanup(func() { x.cleanUp(t) })
	x.up(t, "up")
	assert.Equal(t, x.res.Config.Registry.ExternalURL, x.outputs["registryUrl"].Value, "the example's output")

	t.Run("ready", func(t *testing.T) { x.checkReady(t) })
	t.Run("files zot reads", func(t *testing.T) { x.checkFiles(t) })
	t.Run("registry", func(t *testing.T) { x.checkRegistry(t) })
	t.Run("openid login", func(t *testing.T) { x.checkSSO(t) })
	t.Run("no change", func(t *testing.T) {
		again := x.up(t, "up-again")
		changed := map[apitype.OpType]int{}
		require.NotNil(t, again.Summary.ResourceChanges)
		for op, n := range *again.Summary.ResourceChanges {
			if apitype.OpType(op) != apitype.OpSame {
				changed[apitype.OpType(op)] = n
			}
		}
		assert.Empty(t, changed, "a second up of the unchanged example changes nothing")
		assert.Empty(t, x.previewChanges(t, "preview-refresh", true), "pulumi preview --refresh finds no drift")
	})
	t.Run("destroy", func(t *testing.T) { x.checkDestroy(t) })
}
