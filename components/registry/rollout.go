package registry

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/zotlog"
)

// The release's rollout, watched in place of Helm's wait. Helm waits until
// every pod is ready or its timeout passes, and zot may take as long as
// registry.startupTimeout to start (it walks the bucket before it
// listens): a zot that exits at start would hold `pulumi up` for that long
// and fail with "context deadline exceeded". The watch waits as long, but
// fails as soon as a pod of this rollout shows it will not start (zot
// exited twice, its image or a Secret it mounts is missing, it cannot be
// scheduled), naming the pod and what zot logged last. A scale-out member
// that exits because the cluster's DNS has not published a member's name
// yet gets more starts (waitsOut).

// workload is what the watch reads of the chart's StatefulSet (with
// persistence) or Deployment.
type workload struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Replicas *int32 `json:"replicas"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration int64  `json:"observedGeneration"`
		Replicas           int32  `json:"replicas"`
		ReadyReplicas      int32  `json:"readyReplicas"`
		UpdatedReplicas    int32  `json:"updatedReplicas"`
		AvailableReplicas  int32  `json:"availableReplicas"`
		CurrentRevision    string `json:"currentRevision"`
		UpdateRevision     string `json:"updateRevision"`
	} `json:"status"`
}

// rolledOut says whether every replica runs the new spec and is ready.
func (w workload) rolledOut(statefulSet bool) bool {
	want := int32(1)
	if w.Spec.Replicas != nil {
		want = *w.Spec.Replicas
	}
	s := w.Status
	if s.ObservedGeneration < w.Metadata.Generation || s.UpdatedReplicas != want || s.ReadyReplicas != want {
		return false
	}
	if statefulSet {
		return s.UpdateRevision == "" || s.CurrentRevision == s.UpdateRevision
	}
	return s.Replicas == want && s.AvailableReplicas == want // no old pods left
}

type pod struct {
	Metadata struct {
		Name              string  `json:"name"`
		UID               string  `json:"uid"`
		CreationTimestamp string  `json:"creationTimestamp"`
		DeletionTimestamp *string `json:"deletionTimestamp"`
	} `json:"metadata"`
	Status struct {
		Conditions []struct {
			Type               string `json:"type"`
			Status             string `json:"status"`
			Reason             string `json:"reason"`
			Message            string `json:"message"`
			LastTransitionTime string `json:"lastTransitionTime"`
		} `json:"conditions"`
		ContainerStatuses []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

type containerStatus struct {
	Name         string `json:"name"`
	RestartCount int32  `json:"restartCount"`
	State        struct {
		Waiting *struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"waiting"`
		Running *struct{} `json:"running"`
	} `json:"state"`
	LastState struct {
		Terminated *struct {
			ExitCode int32  `json:"exitCode"`
			Reason   string `json:"reason"`
		} `json:"terminated"`
	} `json:"lastState"`
}

// zotContainer is the chart's container name (its .Chart.Name).
const zotContainer = "zot"

// startFailures are the waiting reasons that do not go away by waiting:
// the image cannot be had, or the container cannot be made (a Secret or a
// key it names is missing).
var startFailures = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"}

// Restarts of one pod's zot during the watch that say it will not start.
const failedStarts = 2

// unschedulableFor is how long a pod may stay unschedulable (a volume
// being provisioned, nodes scaling up) before the watch gives up on it.
const unschedulableFor = 5 * time.Minute

// watch is one rollout's bookkeeping: each pod's restarts when the watch
// first saw it, so restarts before this rollout do not count.
type watch struct {
	began    time.Time
	restarts map[string]int32
}

func newWatch(began time.Time) *watch { return &watch{began: began, restarts: map[string]int32{}} }

// failure is the first pod of the rollout that will not start, said as a
// user reads it ("" while none): its name, what is wrong, and whether its
// previous zot's log says why.
type failure struct {
	Pod, Problem string
	Exited       bool  // zot ran and exited: its previous log says why
	Running      bool  // and the kubelet has started it again since
	Exits        int32 // how often it exited since this update began
}

// memberExits is how often a scale-out member may exit because a
// member's name does not resolve yet (zotlog.MemberNotResolved) before
// the watch gives up: the kubelet restarts it after 10, 20, 40 and 80 s,
// about 2.5 minutes for the cluster's DNS to publish a new pod's name.
const memberExits = 5

// waitsOut says whether the watch waits on after failure f, zot's exit
// being why (zotlog.LastError): a member that exited because the DNS has
// not published a name yet starts once it has.
func waitsOut(f *failure, why string) bool {
	return f.Exited && f.Exits < memberExits && zotlog.MemberNotResolved(why)
}

// check looks at the pods at time now.
func (w *watch) check(pods []pod, now time.Time) *failure {
	slices.SortFunc(pods, func(a, b pod) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	for _, p := range pods {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		if f := w.unschedulable(p, now); f != nil {
			return f
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name != zotContainer {
				continue
			}
			base, seen := w.restarts[p.Metadata.UID]
			if !seen {
				if created, err := time.Parse(time.RFC3339, p.Metadata.CreationTimestamp); err == nil && !created.Before(w.began.Add(-time.Second)) {
					base = 0 // a pod of this rollout: every restart counts
				} else {
					base = cs.RestartCount
				}
				w.restarts[p.Metadata.UID] = base
			}
			if wt := cs.State.Waiting; wt != nil && slices.Contains(startFailures, wt.Reason) {
				return &failure{Pod: p.Metadata.Name, Problem: fmt.Sprintf("%s: %s", wt.Reason, wt.Message)}
			}
			if cs.RestartCount-base >= failedStarts {
				problem := fmt.Sprintf("zot exited %d times since this update began", cs.RestartCount-base)
				if t := cs.LastState.Terminated; t != nil {
					problem = fmt.Sprintf("zot exited with code %d (%s), %d times since this update began", t.ExitCode, t.Reason, cs.RestartCount-base)
				}
				return &failure{Pod: p.Metadata.Name, Problem: problem, Exited: true, Running: cs.State.Running != nil, Exits: cs.RestartCount - base}
			}
		}
	}
	return nil
}

// unschedulable fails a pod the scheduler has refused for unschedulableFor.
func (w *watch) unschedulable(p pod, now time.Time) *failure {
	for _, c := range p.Status.Conditions {
		if c.Type != "PodScheduled" || c.Status != "False" || c.Reason != "Unschedulable" {
			continue
		}
		since, err := time.Parse(time.RFC3339, c.LastTransitionTime)
		if err != nil || since.Before(w.began) {
			since = w.began
		}
		if now.Sub(since) >= unschedulableFor {
			return &failure{Pod: p.Metadata.Name, Problem: "cannot be scheduled: " + c.Message}
		}
	}
	return nil
}
