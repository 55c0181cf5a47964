package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/layout"
)

// reconfigure edits the stack's config, as a user edits the stack file,
// and renders it again.
func (x *deployed) reconfigure(t testing.TB, edits ...render.Edit) {
	t.Helper()
	x.v.edits = append(append([]render.Edit{}, x.v.edits...), edits...)
	sc, err := x.v.stackConfig(svc)
	require.NoError(t, err)
	res, err := render.EvaluateConfig(sc)
	require.NoError(t, err, "the edited config")
	require.NoError(t, x.d.writeConfig(context.Background(), sc))
	x.sc, x.res = sc, res
}

// step is one day-2 change made while a client pulls: what it took and
// how many pulls failed meanwhile.
type step struct {
	name   string
	took   time.Duration
	pulled counts
}

func (s step) String() string {
	return fmt.Sprintf("%s: %s, %d pulls, %d failed (%s)", s.name, s.took.Round(time.Second), s.pulled.OK+s.pulled.Failed, s.pulled.Failed, s.pulled.LastError)
}

// TestDayTwo: a registry in use changes: a new robot, a config edit, a
// deleted pod, one replica to three, a rollout of three; a client pulls
// throughout and the failures of each step are counted.
func TestDayTwo(t *testing.T) {
	users := []any{"ci-pusher", map[string]any{"name": "reader", "role": "pull"}}
	x := deploy(t, variant{name: "day2", replace: map[string]any{
		"zot-registry:secrets": map[string]any{"mode": "kubernetes", "users": users},
	}, edits: []render.Edit{{Key: registryKey, Path: "accessControl.readerUsers", Value: nil}}})
	reg := svc.registry()
	pw := x.passwords(t)
	img, err := tier.OCIImage(128 << 10)
	require.NoError(t, err)
	require.NoError(t, reg.Push("day2/app:1", img, tier.User{Name: "ci-pusher", Password: pw["ci-pusher"]}))
	pull := startPuller(reg, "day2/app:1", tier.User{Name: "reader", Password: pw["reader"]})
	defer pull.Stop()
	var steps []step
	measure := func(name string, change func()) {
		pull.Reset()
		begin := time.Now()
		change()
		s := step{name: name, took: time.Since(begin), pulled: pull.Counts()}
		steps = append(steps, s)
		t.Log(s)
		for i, e := range s.pulled.Errors {
			if i == 5 {
				t.Logf("  …")
				break
			}
			t.Logf("  failed pull at %s", e)
		}
	}
	defer func() {
		for _, s := range steps {
			t.Logf("day 2: %s", s)
		}
	}()

	t.Run("new robot", func(t *testing.T) {
		measure("new robot", func() {
			x.reconfigure(t, render.Edit{Key: "zot-registry:secrets", Path: "users", Value: append(users, map[string]any{"name": "new-robot", "role": "pull"})})
			x.up(t, "up-new-robot")
			robot := tier.User{Name: "new-robot", Password: x.passwords(t)["new-robot"]}
			require.NotEmpty(t, robot.Password)
			// The kubelet updates a mounted Secret within its sync period
			// (about a minute here, syncFrequency 10s plus the cache TTL).
			var last error
			ok := assert.Eventually(t, func() bool {
				_, last = reg.Pull("day2/app:1", robot)
				return last == nil
			}, 3*time.Minute, 2*time.Second)
			if !ok {
				t.Errorf("the new robot cannot pull: %s; the htpasswd file zot reads: %s", tier.Describe(last), x.htpasswdUsers(t))
			}
		})
	})

	t.Run("config edit", func(t *testing.T) {
		measure("config edit, one replica", func() {
			x.reconfigure(t, render.Edit{Key: registryKey, Path: "logLevel", Value: "debug"})
			x.up(t, "up-log-level")
		})
	})

	t.Run("deleted pod keeps its data", func(t *testing.T) {
		// An API key lives in zot's metadata DB, on the pod's claim.
		s, err := tier.SSOLogin(x.res.Config.Registry.ExternalURL, ssoAdmin, svc.external())
		require.NoError(t, err)
		key, err := s.APIKey(x.res.Config.Registry.ExternalURL)
		require.NoError(t, err)
		admin := tier.User{Name: ssoAdmin.Email, Password: key}
		_, err = reg.Catalog(admin)
		require.NoError(t, err, "the API key works")
		measure("pod deleted", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			before, err := pods(ctx, x.ns, x.selector())
			require.NoError(t, err)
			require.Len(t, before, 1)
			obj := before[0]
			obj["apiVersion"], obj["kind"] = "v1", "Pod"
			require.NoError(t, theNode.API.Delete(ctx, obj))
			require.NoError(t, waitReplaced(ctx, x.ns, x.selector(), field(obj, "metadata", "uid"), 1), describePods(x.ns))
		})
		repos, err := reg.Catalog(admin)
		require.NoError(t, err, "the API key made before the pod was deleted still works")
		assert.Contains(t, repos, "day2/app")
	})

	t.Run("one replica to three", func(t *testing.T) {
		measure("replicas 1 to 3", func() {
			x.reconfigure(t,
				render.Edit{Key: registryKey, Path: "replicas", Value: 3},
				render.Edit{Key: registryKey, Path: "cache", Value: map[string]any{"driver": "redis", "redis": map[string]any{
					"addresses": []any{RedisAddr}, "keyPrefix": "zot-day2",
				}}})
			x.up(t, "up-three-replicas")
		})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		require.NoError(t, waitPodsReady(ctx, x.ns, x.selector(), 3), describePods(x.ns))
	})

	t.Run("rollout of three", func(t *testing.T) {
		measure("config edit, three replicas", func() {
			x.reconfigure(t, render.Edit{Key: registryKey, Path: "logLevel", Value: "info"})
			x.up(t, "up-rollout")
		})
		// The registry stays up: the Service always has Ready pods (no 502
		// from the proxy in front). What fails is zot's scale-out design:
		// while the member that owns a repository restarts, the others
		// answer its requests 500 (they proxy to it by its headless name,
		// which does not resolve until the new pod exists), and a request
		// proxied to it as it stops may hang (zot's proxy client waits up
		// to 5 minutes; the puller gives up after its 30 s).
		// docs/operations.md states this and the figures.
		pulled := steps[len(steps)-1].pulled
		assert.Less(t, pulled.Failed, pulled.OK, "most pulls succeed during a rollout")
		hung := 0
		for _, e := range pulled.Errors {
			if isTimeout(e) {
				hung++
				continue
			}
			assert.Contains(t, e, "500 Internal Server Error", "a rollout of three replicas fails only the restarting owner's requests")
			assert.Contains(t, e, layout.HeadlessService(x.res.Config.Registry.ReleaseName), "proxied to the member being restarted")
		}
		assert.LessOrEqual(t, hung, maxHungPulls, "pulls that hung past the puller's timeout: %v", pulled.Errors)
	})
}

// maxHungPulls bounds the pulls of a rollout of three that may hang: one
// in flight to each member as it stops.
const maxHungPulls = 3

// isTimeout says whether a pull's error is the puller's own timeout.
func isTimeout(e string) bool {
	return strings.Contains(e, "context deadline exceeded") || strings.Contains(e, "Client.Timeout exceeded")
}

// htpasswdUsers are the users in the htpasswd file of each zot pod, as
// zot reads it, for a failure message.
func (x *deployed) htpasswdUsers(t *testing.T) string {
	ps, err := pods(context.Background(), x.ns, x.selector())
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, p := range ps {
		pid, err := zotProcess(fmt.Sprint(field(p, "metadata", "uid")))
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		content, err := readInPod(pid, layout.HtpasswdPath())
		var users []string
		for _, line := range strings.Split(strings.TrimSpace(content), "\n") {
			u, _, _ := strings.Cut(line, ":")
			users = append(users, u)
		}
		out = append(out, fmt.Sprintf("%s: %v %v", name(p), users, err))
	}
	return strings.Join(out, "; ")
}

// waitReplaced waits until the pod with uid is gone and n pods are Ready.
func waitReplaced(ctx context.Context, ns, selector string, uid any, n int) error {
	for {
		ps, err := pods(ctx, ns, selector)
		ready, old := 0, false
		for _, p := range ps {
			if field(p, "metadata", "uid") == uid {
				old = true
			} else if podReady(p) {
				ready++
			}
		}
		if err == nil && !old && ready == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the deleted pod was not replaced by a Ready one: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
