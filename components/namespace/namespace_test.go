package namespace_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/namespace"
	"github.com/zot-registry/zot-registry/internal/mocks"
)

func run(t *testing.T, args *namespace.Args) (*mocks.Recorder, string) {
	t.Helper()
	rec := mocks.New("zot-registry", "test")
	name := make(chan string, 1)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		ns, err := namespace.NewNamespace(ctx, "zot", args)
		if err != nil {
			return err
		}
		ns.Name.ApplyT(func(n string) string { name <- n; return n })
		return nil
	}, rec.Option())
	require.NoError(t, err)
	return rec, <-name
}

func TestCreates(t *testing.T) {
	rec, name := run(t, &namespace.Args{Name: "registry", Create: true})
	assert.Equal(t, "registry", name)
	nss := rec.ByType(mocks.NamespaceType)
	require.Len(t, nss, 1)
	meta := mocks.PlainMap(nss[0].Inputs)["metadata"].(map[string]any)
	assert.Equal(t, "registry", meta["name"], "no auto-naming suffix")
	assert.Equal(t, "baseline", meta["labels"].(map[string]any)["pod-security.kubernetes.io/enforce"])
	parent, ok := rec.ParentOf(nss[0])
	require.True(t, ok)
	assert.Equal(t, namespace.Type, parent.Type)
}

func TestAdoptsExisting(t *testing.T) {
	rec, name := run(t, &namespace.Args{Name: "platform", Create: false})
	assert.Equal(t, "platform", name)
	assert.Empty(t, rec.ByType(mocks.NamespaceType), "an existing namespace is not managed here")
}
