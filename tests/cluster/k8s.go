package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/tests/kube"
	"github.com/zot-registry/zot-registry/tests/tier"
)

// apply applies objects as the cluster's admin.
func apply(ctx context.Context, objs ...map[string]any) error {
	for _, o := range objs {
		if _, err := theNode.API.Apply(ctx, o, kube.ApplyOptions{}); err != nil {
			return fmt.Errorf("%v %v: %w", o["kind"], name(o), err)
		}
	}
	return nil
}

// name is an object's metadata.name.
func name(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	n, _ := meta["name"].(string)
	return n
}

// field reads a nested field of an object ("status", "phase").
func field(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// pods lists the pods of a namespace matching a label selector.
func pods(ctx context.Context, ns, selector string) ([]map[string]any, error) {
	return theNode.API.List(ctx, "v1", "Pod", ns, selector)
}

// podReady says whether a pod is Ready and not being deleted.
func podReady(p map[string]any) bool {
	if field(p, "metadata", "deletionTimestamp") != nil {
		return false
	}
	conds, _ := field(p, "status", "conditions").([]any)
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// waitPodsReady waits until exactly n pods match and all are Ready.
func waitPodsReady(ctx context.Context, ns, selector string, n int) error {
	for {
		ps, err := pods(ctx, ns, selector)
		ready := 0
		for _, p := range ps {
			if podReady(p) {
				ready++
			}
		}
		if err == nil && ready == n && len(ps) == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d pods %s in %s Ready (%v)", ready, n, selector, ns, err)
		case <-time.After(time.Second):
		}
	}
}

// describePods says, for a failure message, each pod's phase, container
// states and the namespace's warning events.
func describePods(ns string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ps, err := pods(ctx, ns, "")
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "pod %s: %v\n", name(p), field(p, "status", "phase"))
		sts, _ := field(p, "status", "containerStatuses").([]any)
		for _, s := range sts {
			m, _ := s.(map[string]any)
			fmt.Fprintf(&b, "  %v ready=%v restarts=%v state=%v last=%v\n", m["name"], m["ready"], m["restartCount"], m["state"], m["lastState"])
			if n, _ := m["restartCount"].(float64); n > 0 {
				_, running := field(m, "state", "running").(map[string]any)
				b.WriteString(exitedLog(p, fmt.Sprint(m["name"]), int(n), running))
			}
		}
	}
	events, _ := theNode.API.List(ctx, "v1", "Event", ns, "")
	for _, e := range events {
		if e["type"] == "Warning" {
			fmt.Fprintf(&b, "event %v %v: %v\n", field(e, "involvedObject", "name"), e["reason"], e["message"])
		}
	}
	return b.String()
}

// exitedLog is the end of the log of the container's last run that
// exited (the kubelet's file under /var/log/pods, the node's own, mounted
// here): a failed up says why zot exited. The kubelet numbers a
// container's runs by its restarts; while it waits to restart (or has
// just exited) the exited run is the current one, once it runs again the
// one before.
func exitedLog(p map[string]any, container string, restarts int, running bool) string {
	dir := filepath.Join(fmt.Sprintf("/var/log/pods/%v_%v_%v", field(p, "metadata", "namespace"), name(p), field(p, "metadata", "uid")), container)
	run := restarts
	if running {
		run--
	}
	return fmt.Sprintf("  --- %s, its run %d ends:\n%s\n", container, run, tier.Tail(filepath.Join(dir, strconv.Itoa(run)+".log"), 40))
}
