package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/tests/stacks"
)

// The program watches zot's rollout after it installs or upgrades the
// release (components/registry, the rollout hook), reading the cluster
// the Kubernetes provider's settings name. Under the engine no cluster
// exists: this API server stands in for one whose workload is always
// rolled out, under every context the stacks name (kubernetes:context).
// It counts the watches.
var rolloutWatches atomic.Int64

func TestMain(m *testing.M) {
	os.Exit(withCluster(m))
}

func withCluster(m *testing.M) int {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/statefulsets/"):
			rolloutWatches.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"metadata": map[string]any{"generation": 1},
				"status":   map[string]any{"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1, "availableReplicas": 1},
			})
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	dir, err := os.MkdirTemp("", "engine-kubeconfig-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var contexts []any
	for _, name := range []string{"dev", "prod"} { // the stacks' kubernetes:context
		contexts = append(contexts, map[string]any{"name": name, "context": map[string]any{"cluster": "engine", "user": "engine"}})
	}
	kubeconfig, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "dev",
		"clusters": []any{map[string]any{"name": "engine", "cluster": map[string]any{"server": api.URL}}},
		"users":    []any{map[string]any{"name": "engine", "user": map[string]any{"token": "engine"}}},
		"contexts": contexts,
	})
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("KUBECONFIG", path)
	return m.Run()
}

// TestRolloutIsWatched: the program watches zot's rollout after it
// installs the release and after it upgrades it, not when nothing changed.
func TestRolloutIsWatched(t *testing.T) {
	s := NewStack(t, config(t, stacks.Named("dev")))
	before := rolloutWatches.Load()
	up(t, s)
	installed := rolloutWatches.Load()
	assert.Greater(t, installed, before, "watched after the install")
	up(t, s)
	assert.Equal(t, installed, rolloutWatches.Load(), "no watch when the release did not change")
	edited, err := Apply(config(t, stacks.Named("dev")), Edit{Key: registryKey, Path: "logLevel", Value: "debug"})
	require.NoError(t, err)
	s.SetConfig(edited)
	up(t, s)
	assert.Greater(t, rolloutWatches.Load(), installed, "watched after the upgrade")
}
