package kube

import (
	"fmt"
	"sort"
	"time"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
)

// Deployed is one Kubernetes object as pulumi up would send it: secret
// values in clear (the engine decrypts them for the provider), with the
// options that decide when it is applied and how long Pulumi waits.
type Deployed struct {
	Object
	URN       string
	DependsOn []string      // URNs of other objects in the list
	Timeout   time.Duration // customTimeouts.create; 0 for the provider's default
}

// WaitsForReady reports whether Pulumi waits for condition Ready on it.
func (d Deployed) WaitsForReady() bool {
	meta, _ := d.Manifest["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	return ann["pulumi.com/waitFor"] == "condition=Ready"
}

// DeployedObjects lists the Kubernetes objects the program declares
// directly (not the Helm release's), each after everything it depends on,
// as the Pulumi engine orders its steps; namespaces first.
func DeployedObjects(res *render.Result) ([]Deployed, error) {
	var objs []Deployed
	inSet := map[string]bool{}
	for _, r := range res.Recorder.Resources() {
		if !r.Custom || !declared(r.Type) {
			continue
		}
		m := mocks.RevealedMap(r.Inputs)
		if err := known(m, ""); err != nil {
			return nil, fmt.Errorf("%s: %w", r.URN, err)
		}
		d := Deployed{Object: Object{File: r.Name, Type: r.Type, Manifest: m}, URN: r.URN, DependsOn: r.DependsOn}
		if t := r.CustomTimeouts["create"]; t != "" {
			var err error
			if d.Timeout, err = time.ParseDuration(t); err != nil {
				return nil, fmt.Errorf("%s: customTimeouts.create %q: %w", r.URN, t, err)
			}
		}
		objs = append(objs, d)
		inSet[r.URN] = true
	}
	// Namespaces first, then a stable topological order over dependsOn.
	sort.SliceStable(objs, func(i, j int) bool {
		return objs[i].Manifest["kind"] == "Namespace" && objs[j].Manifest["kind"] != "Namespace"
	})
	var ordered []Deployed
	done := map[string]bool{}
	for len(ordered) < len(objs) {
		progress := false
		for _, o := range objs {
			if done[o.URN] {
				continue
			}
			ready := true
			for _, dep := range o.DependsOn {
				if inSet[dep] && !done[dep] {
					ready = false
				}
			}
			if ready {
				ordered = append(ordered, o)
				done[o.URN] = true
				progress = true
			}
		}
		if !progress {
			return nil, fmt.Errorf("kube: a dependency cycle among the rendered objects")
		}
	}
	return ordered, nil
}
