package zot

import (
	"encoding/json"
	"testing"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

// rendered is one variant as the program generates it.
type rendered struct {
	Variant stacks.Variant
	Result  *render.Result
	Config  map[string]any // config.json, parsed
}

func renderVariant(t testing.TB, v stacks.Variant) *rendered {
	t.Helper()
	root, err := stacks.Root()
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Evaluate(root)
	if err != nil {
		t.Fatalf("render %s: %v", v.Name, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(res.ConfigJSON), &cfg); err != nil {
		t.Fatalf("%s: config.json: %v", v.Name, err)
	}
	return &rendered{Variant: v, Result: res, Config: cfg}
}

func allVariants(t testing.TB) []stacks.Variant {
	root, err := stacks.Root()
	if err != nil {
		t.Fatal(err)
	}
	all, err := stacks.All(root)
	if err != nil {
		t.Fatal(err)
	}
	return all
}
