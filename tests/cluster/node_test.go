package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/tests/cluster/node"
)

// smokeConfig is the smallest zot config: local storage, no auth.
const smokeConfig = `{"distSpecVersion":"1.1.1","storage":{"rootDirectory":"/tmp/zot"},"http":{"address":"0.0.0.0","port":"5000"},"log":{"level":"info"}}`

// TestNodeRunsPodsAndServices: the node itself, before any deploy: zot's
// image starts in a pod (sandbox image, CNI, cgroups, the security context
// the program sets), its Service routes from the node and its name
// resolves through the cluster DNS.
func TestNodeRunsPodsAndServices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := "smoke"
	objs := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "zot", "namespace": ns},
			"data": map[string]any{"config.json": smokeConfig}},
		{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "zot", "namespace": ns, "labels": map[string]any{"app": "zot"}},
			"spec": map[string]any{
				"securityContext": map[string]any{"runAsUser": 65532, "runAsGroup": 65532, "runAsNonRoot": true, "fsGroup": 65532, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
				"containers": []any{map[string]any{
					"name": "zot", "image": node.ZotRef, "imagePullPolicy": "IfNotPresent",
					"securityContext": map[string]any{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": map[string]any{"drop": []any{"ALL"}}},
					"ports":           []any{map[string]any{"containerPort": 5000}},
					"readinessProbe":  map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": 5000}, "periodSeconds": 2},
					"volumeMounts": []any{
						map[string]any{"name": "config", "mountPath": "/etc/zot"},
						map[string]any{"name": "tmp", "mountPath": "/tmp"},
					},
				}},
				"volumes": []any{
					map[string]any{"name": "config", "configMap": map[string]any{"name": "zot"}},
					map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
				},
			}},
		{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "zot", "namespace": ns},
			"spec": map[string]any{"selector": map[string]any{"app": "zot"}, "ports": []any{map[string]any{"port": 5000, "targetPort": 5000}}}},
	}
	require.NoError(t, apply(ctx, objs...))
	t.Cleanup(func() { _ = theNode.API.Delete(context.Background(), objs[0]) })
	require.NoError(t, waitPodsReady(ctx, ns, "app=zot", 1), "pods:\n%s", describePods(ns))

	client := &http.Client{Transport: clusterTransport(), Timeout: 10 * time.Second}
	url := fmt.Sprintf("http://zot.%s.svc.%s:5000/v2/", ns, node.ClusterDomain)
	var resp *http.Response
	var err error
	require.Eventually(t, func() bool {
		resp, err = client.Get(url)
		return err == nil
	}, time.Minute, time.Second, "GET %s through the Service: %v", url, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}
