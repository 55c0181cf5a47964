package testsupport

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Result is one run under the mocks: what was registered, and the outputs
// fn handed back, resolved (Secret says which were secret).
type Result struct {
	Rec     *mocks.Recorder
	Outputs map[string]any
	Secret  map[string]bool
}

// AuthentikURL is authentik:url in Parse's config and in Run's.
const AuthentikURL = "https://auth.example.com"

// Run runs fn as a Pulumi program of project zot-registry, stack dev,
// under a fresh recorder, and waits for the outputs it returns (nil: none).
func Run(t testing.TB, fn func(ctx *pulumi.Context) (map[string]pulumi.Output, error)) Result {
	t.Helper()
	rec := mocks.New("zot-registry", "dev")
	var collected *mocks.Collected
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := fn(ctx)
		if err != nil {
			return err
		}
		collected = mocks.Collect(outs)
		return nil
	}, rec.Option(), func(info *pulumi.RunInfo) {
		// The provider config a stack has: the components read authentik:url.
		info.Config = map[string]string{spec.AuthentikURLKey: AuthentikURL}
	})
	require.NoError(t, err)
	values, secret, err := collected.Wait()
	require.NoError(t, err)
	return Result{Rec: rec, Outputs: values, Secret: secret}
}

// One is the one resource of type typ; it fails the test unless there is
// exactly one.
func One(t testing.TB, rec *mocks.Recorder, typ string) mocks.Resource {
	t.Helper()
	rs := rec.ByType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}
