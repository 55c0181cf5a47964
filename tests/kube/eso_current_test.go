//go:build integration

package kube

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/tests/stacks"
)

// CurrentESO is the newest ESO release (2026-08-07): ESO supports only its
// current minor, so users run it. Its controller does not build here (the
// v1 and v2 lines split ESO into modules the Go module proxy does not
// serve); its CRD bundle (deploy/crds/bundle.yaml at the tag) does.
const CurrentESO = "v2.9.0"

// currentESOCRDs reads ESO CurrentESO's CRD bundle: ESO_CRDS, or the copy
// in ../shared/crds beside the repository.
func currentESOCRDs(t *testing.T) []map[string]any {
	t.Helper()
	path := os.Getenv("ESO_CRDS")
	if path == "" {
		root, err := stacks.Root()
		require.NoError(t, err)
		path = filepath.Join(root, "..", "shared", "crds", "external-secrets-"+CurrentESO+"-crds.yaml.xz")
	}
	raw, err := exec.Command("xz", "-dc", path).Output()
	require.NoError(t, err, "ESO %s's CRD bundle at %s (set ESO_CRDS to deploy/crds/bundle.yaml.xz of the release)", CurrentESO, path)
	var crds []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		if doc != nil && doc["kind"] == "CustomResourceDefinition" {
			crds = append(crds, doc)
		}
	}
	require.NotEmpty(t, crds)
	return crds
}

// TestESOObjectsAcceptedByCurrentESO: every ExternalSecret and PushSecret
// of every stack and mode passes a server-side dry run against the CRDs of
// the ESO release users install today (a second API server: one server
// holds one version of a CRD), so a field the program sets that ESO has
// since dropped or renamed fails here, not in a user's cluster.
func TestESOObjectsAcceptedByCurrentESO(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, Options{BinDir: os.Getenv(BinEnv), Log: t.Logf})
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	crds := currentESOCRDs(t)
	require.NoError(t, installCRDs(ctx, s, func() ([]map[string]any, string, error) { return crds, CurrentESO, nil }))

	root, err := stacks.Root()
	require.NoError(t, err)
	variants, err := stacks.All(root)
	require.NoError(t, err)
	checked := map[string]int{}
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			dir, _ := renderVariant(t, v)
			objs, err := RenderedObjects(dir)
			require.NoError(t, err)
			for _, o := range objs {
				if o.Manifest["kind"] == "Namespace" {
					_, err := s.Apply(ctx, o.Manifest, ApplyOptions{})
					require.NoError(t, err)
				}
			}
			for _, o := range objs {
				k := o.Manifest["kind"]
				if k != "ExternalSecret" && k != "PushSecret" {
					continue
				}
				_, err := s.Apply(ctx, o.Manifest, ApplyOptions{DryRun: true})
				assert.NoError(t, err, "%s (%s %s) refused by ESO %s's CRDs", o.File, o.Kind(), o.Name(), CurrentESO)
				checked[o.Kind()]++
			}
		})
	}
	t.Logf("dry-run against ESO %s: %v", CurrentESO, checked)
	assert.Positive(t, checked["external-secrets.io/v1 ExternalSecret"])
	assert.Positive(t, checked["external-secrets.io/v1alpha1 PushSecret"])
}
