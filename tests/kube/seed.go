package kube

import (
	"context"
	"fmt"
	"slices"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// StoreSeeds are the remote keys an operator puts in the store before a
// stack's first `pulumi up`, each with its data: every value zot reads
// that the program does not know (known lists the remote-key fields it
// pushes itself, skip those a test leaves out on purpose), under the
// configured property, or under "value" when none is configured
// (`vault kv put KEY value=…`). values maps a remote-key field
// (htpasswd, sessionHashKey, …) to its value.
func StoreSeeds(s *spec.Settings, values map[string]string, known, skip []string) map[string]map[string]any {
	seeds := map[string]map[string]any{} // remote key -> data
	for _, r := range s.Secrets.RemoteKeys.All() {
		if slices.Contains(known, r.Field) || slices.Contains(skip, r.Field) || s.UnreadRemoteKey(r.Field) != "" {
			continue
		}
		AddSeed(seeds, *r.RemoteKey, values[r.Field])
	}
	return seeds
}

// AddSeed puts one value at its remote key into seeds.
func AddSeed(seeds map[string]map[string]any, key spec.RemoteKey, value string) {
	prop := key.Property
	if prop == "" {
		prop = "value"
	}
	if seeds[key.Key] == nil {
		seeds[key.Key] = map[string]any{}
	}
	seeds[key.Key][prop] = value
}

// Seed writes seeds into a kubernetes-provider store's backend namespace:
// one Secret per remote key.
func (s *Server) Seed(ctx context.Context, backend string, seeds map[string]map[string]any) error {
	for key, data := range seeds {
		if _, err := s.Apply(ctx, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": map[string]any{"name": key, "namespace": backend}, "stringData": data}, ApplyOptions{}); err != nil {
			return fmt.Errorf("seeding remote key %s: %w", key, err)
		}
	}
	return nil
}
