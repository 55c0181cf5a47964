package cluster

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/tier"
)

// brokenIssuer is an OpenID issuer nothing serves: zot v2.1.20 fetches
// its discovery document at start and exits when it cannot (it panics with
// "failed to initialize new relying party oidc", pkg/api/authn.go).
const brokenIssuer = "https://198.18.0.1:5557/dex"

// TestBrokenStartFailsFast: a config with which zot exits at start (its
// OpenID issuer unreachable from the pod) makes pulumi up fail within
// minutes, naming the pod and zot's own error, although the start-up a
// big bucket needs (startupTimeout, 45 minutes by default) is left as it
// is.
func TestBrokenStartFailsFast(t *testing.T) {
	v := variant{name: "broken-start", edits: []render.Edit{
		{Key: "zot-registry:identity", Path: "issuer", Value: brokenIssuer},
	}}
	if d := os.Getenv("ZOT_CLUSTER_BROKEN_STARTUP_TIMEOUT"); d != "" {
		v.edits = append(v.edits, render.Edit{Key: registryKey, Path: "startupTimeout", Value: d})
	}
	ctx := context.Background()
	x := prepare(t, v)
	var err error
	x.d, err = penv.newDeployment(ctx, projectRoot(), x.sc, x.dir)
	require.NoError(t, err)
	t.Cleanup(func() { x.cleanUp(t) })

	log := x.logFile(t, "up")
	upCtx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	begin := time.Now()
	_, err = x.d.stack.Up(upCtx, upOptions(log)...)
	took := time.Since(begin)
	require.Error(t, err, "pulumi up of a zot that cannot start")
	out := tier.Tail(log.Name(), 40)
	t.Logf("pulumi up failed after %s; its log ends:\n%s", took.Round(time.Second), out)
	assert.Less(t, took, 5*time.Minute, "a broken start fails within minutes")
	assert.Contains(t, out, "zot-0", "the error names the pod")
	assert.Contains(t, out, "relying party", "the error carries zot's own message")
	assert.Contains(t, describePods(x.ns), "relying party", "the tier's failure report shows the exited run's log")
}
