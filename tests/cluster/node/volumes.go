package node

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/tests/kube"
)

// StorageClass is the node's default class: local volumes, bound when the
// first pod using the claim is scheduled (as every local-volume class).
const StorageClass = "local"

// volumeCount local volumes exist at any time; a released one is made
// new by Recycle.
const volumeCount = 12

// volumes makes the default StorageClass and the local volumes.
func (c *Cluster) volumes(ctx context.Context) error {
	if err := c.apply(ctx, map[string]any{
		"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
		"metadata": map[string]any{"name": StorageClass, "annotations": map[string]any{
			"storageclass.kubernetes.io/is-default-class": "true",
		}},
		"provisioner":       "kubernetes.io/no-provisioner",
		"volumeBindingMode": "WaitForFirstConsumer",
		"reclaimPolicy":     "Retain",
	}); err != nil {
		return err
	}
	for i := range volumeCount {
		if err := c.volume(ctx, fmt.Sprintf("local-%02d", i)); err != nil {
			return err
		}
	}
	return nil
}

// volume makes one local volume over an empty folder.
func (c *Cluster) volume(ctx context.Context, name string) error {
	dir := c.path("volumes", name)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.apply(ctx, map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"capacity":                      map[string]any{"storage": "100Gi"},
			"accessModes":                   []any{"ReadWriteOnce"},
			"persistentVolumeReclaimPolicy": "Retain",
			"storageClassName":              StorageClass,
			"local":                         map[string]any{"path": dir},
			"nodeAffinity": map[string]any{"required": map[string]any{"nodeSelectorTerms": []any{
				map[string]any{"matchExpressions": []any{map[string]any{
					"key": "kubernetes.io/hostname", "operator": "In", "values": []any{NodeName},
				}}},
			}}},
		},
	})
}

// Recycle replaces every released volume (its claim deleted) with a new
// empty one, as a provisioner would, and returns how many it replaced.
func (c *Cluster) Recycle(ctx context.Context) (int, error) {
	pvs, err := c.API.List(ctx, "v1", "PersistentVolume", "", "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pv := range pvs {
		meta, _ := pv["metadata"].(map[string]any)
		status, _ := pv["status"].(map[string]any)
		name, _ := meta["name"].(string)
		if !strings.HasPrefix(name, "local-") || (status["phase"] != "Released" && status["phase"] != "Failed") {
			continue
		}
		// A list's items carry no apiVersion and kind.
		pv["apiVersion"], pv["kind"] = "v1", "PersistentVolume"
		if err := c.API.Delete(ctx, pv); err != nil {
			return n, err
		}
		if err := c.waitGone(ctx, "PersistentVolume", name); err != nil {
			return n, err
		}
		if err := c.volume(ctx, name); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// waitGone waits until a cluster-scoped object no longer exists.
func (c *Cluster) waitGone(ctx context.Context, kind, name string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.API.Get(ctx, "v1", kind, "", name)
		if se, ok := err.(*kube.StatusError); ok && se.Code == 404 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s still exists: %v", kind, name, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
