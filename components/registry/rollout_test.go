package registry

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func podJSON(t *testing.T, s string) pod {
	t.Helper()
	var p pod
	require.NoError(t, json.Unmarshal([]byte(s), &p))
	return p
}

// TestWatchCheck: the watch fails a rollout at the first pod that shows
// it will not start, and not for what waiting cures (a start that takes
// long, restarts from before this update, one crash).
func TestWatchCheck(t *testing.T) {
	began := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return began.Add(d).Format(time.RFC3339) }
	crashing := func(restarts int, created string) string {
		return `{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + created + `"},"status":{"containerStatuses":[{"name":"zot","restartCount":` +
			strconv.Itoa(restarts) + `,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 20s"}},"lastState":{"terminated":{"exitCode":2,"reason":"Error"}}}]}}`
	}
	for _, c := range []struct {
		name string
		pods []string
		now  time.Duration
		want string // the failing pod's problem, "" for none
		exit bool
	}{
		{name: "walking the bucket: running, not ready", pods: []string{
			`{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + at(time.Second) + `"},"status":{"containerStatuses":[{"name":"zot","restartCount":0,"state":{"running":{}}}]}}`,
		}},
		{name: "one crash of a new pod: it may start next time", pods: []string{crashing(1, at(time.Second))}},
		{name: "two crashes of a new pod", pods: []string{crashing(2, at(time.Second))},
			want: "zot exited with code 2 (Error), 2 times since this update began", exit: true},
		{name: "an old pod's restarts from before the update do not count", pods: []string{crashing(7, at(-time.Hour))}},
		{name: "image missing", pods: []string{
			`{"metadata":{"name":"zot-1","uid":"u1","creationTimestamp":"` + at(time.Second) + `"},"status":{"containerStatuses":[{"name":"zot","state":{"waiting":{"reason":"ImagePullBackOff","message":"ghcr.io/project-zot/zot:v9 not found"}}}]}}`,
		}, want: "ImagePullBackOff: ghcr.io/project-zot/zot:v9 not found"},
		{name: "a Secret key missing", pods: []string{
			`{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + at(time.Second) + `"},"status":{"containerStatuses":[{"name":"zot","state":{"waiting":{"reason":"CreateContainerConfigError","message":"secret \"zot-s3\" not found"}}}]}}`,
		}, want: `CreateContainerConfigError: secret "zot-s3" not found`},
		{name: "unschedulable for a while", now: 6 * time.Minute, pods: []string{
			`{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + at(0) + `"},"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims","lastTransitionTime":"` + at(time.Second) + `"}]}}`,
		}, want: "cannot be scheduled: 0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims"},
		{name: "unschedulable briefly: a volume being provisioned", now: time.Minute, pods: []string{
			`{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + at(0) + `"},"status":{"conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","lastTransitionTime":"` + at(time.Second) + `"}]}}`,
		}},
		{name: "a pod being deleted", pods: []string{
			`{"metadata":{"name":"zot-0","uid":"u0","creationTimestamp":"` + at(time.Second) + `","deletionTimestamp":"` + at(time.Minute) + `"},"status":{"containerStatuses":[{"name":"zot","restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var pods []pod
			for _, p := range c.pods {
				pods = append(pods, podJSON(t, p))
			}
			f := newWatch(began).check(pods, began.Add(c.now))
			if c.want == "" {
				assert.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, c.want, f.Problem)
			assert.Equal(t, c.exit, f.Exited)
		})
	}
}

// TestWatchCountsRestartsDuringTheRollout: a pod older than the rollout
// fails it once it restarts twice more while the watch looks.
func TestWatchCountsRestartsDuringTheRollout(t *testing.T) {
	began := time.Now()
	w := newWatch(began)
	old := began.Add(-time.Hour).Format(time.RFC3339)
	status := func(restarts int) []pod {
		return []pod{podJSON(t, `{"metadata":{"name":"zot-2","uid":"u2","creationTimestamp":"`+old+`"},"status":{"containerStatuses":[{"name":"zot","restartCount":`+strconv.Itoa(restarts)+`}]}}`)}
	}
	assert.Nil(t, w.check(status(3), began))
	assert.Nil(t, w.check(status(4), began))
	assert.NotNil(t, w.check(status(5), began))
}

func TestRolledOut(t *testing.T) {
	three := int32(3)
	sts := func(observed, updated, ready int32, cur, upd string) workload {
		var w workload
		w.Metadata.Generation = 2
		w.Spec.Replicas = &three
		w.Status.ObservedGeneration, w.Status.UpdatedReplicas, w.Status.ReadyReplicas = int64(observed), updated, ready
		w.Status.CurrentRevision, w.Status.UpdateRevision = cur, upd
		return w
	}
	assert.True(t, sts(2, 3, 3, "b", "b").rolledOut(true))
	assert.False(t, sts(1, 3, 3, "b", "b").rolledOut(true), "the controller has not seen the new spec")
	assert.False(t, sts(2, 2, 3, "a", "b").rolledOut(true), "one pod still on the old spec")
	assert.False(t, sts(2, 3, 2, "b", "b").rolledOut(true), "one pod not ready")
	assert.False(t, sts(2, 3, 3, "a", "b").rolledOut(true), "the revision has not moved")
	d := sts(2, 3, 3, "", "")
	d.Status.Replicas, d.Status.AvailableReplicas = 4, 3
	assert.False(t, d.rolledOut(false), "a Deployment with an old pod left")
	d.Status.Replicas = 3
	assert.True(t, d.rolledOut(false))
}

// TestWaitsOutMemberNames: a scale-out member that exits because the
// cluster's DNS has not published a member's name yet gets more starts;
// not forever (a wrong registry.clusterDomain), and not for other exits.
func TestWaitsOutMemberNames(t *testing.T) {
	const (
		notPublished = "failed to get member socket: lookup zot-2.zot-headless.zot.svc.cluster.local on 10.96.0.10:53: no such host"
		otherExit    = "failed to initialize new relying party oidc: OpenID Provider Configuration Discovery has failed"
	)
	for _, c := range []struct {
		name  string
		exits int32
		why   string
		want  bool
	}{
		{"name not published yet, second exit", 2, notPublished, true},
		{"name not published yet, fourth exit", 4, notPublished, true},
		{"still not resolved after five exits", memberExits, notPublished, false},
		{"another exit", 2, otherExit, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &failure{Pod: "zot-2", Problem: "zot exited", Exited: true, Exits: c.exits}
			assert.Equal(t, c.want, waitsOut(f, c.why))
		})
	}
	err := startError("zot", &failure{Pod: "zot-2", Problem: "zot exited", Exited: true, Exits: memberExits}, notPublished)
	assert.Contains(t, err.Error(), "registry.clusterDomain", "the give-up names the setting to check")
}

// TestWatchCountsExits: the failure says how often zot exited in this
// update, which waitsOut weighs.
func TestWatchCountsExits(t *testing.T) {
	began := time.Now()
	p := podJSON(t, `{"metadata":{"name":"zot-2","uid":"u2","creationTimestamp":"`+began.Add(time.Second).Format(time.RFC3339)+
		`"},"status":{"containerStatuses":[{"name":"zot","restartCount":3,"state":{"running":{}},"lastState":{"terminated":{"exitCode":2,"reason":"Error"}}}]}}`)
	f := newWatch(began).check([]pod{p}, began.Add(time.Minute))
	require.NotNil(t, f)
	assert.Equal(t, int32(3), f.Exits)
	assert.True(t, f.Running, "zot runs again: its previous run is the one that exited")
}
