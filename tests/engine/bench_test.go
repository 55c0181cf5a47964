package engine

import (
	"testing"

	"github.com/zot-registry/zot-registry/tests/stacks"
)

// BenchmarkEngineUp is a first `pulumi up` of the dev stack under the real
// engine with the fake providers: program, engine and state, no provider
// latency. Compare BenchmarkDevStack in tests/ (the mock evaluation).
func BenchmarkEngineUp(b *testing.B) {
	sc := config(b, stacks.Named("dev"))
	for b.Loop() {
		if res := NewStack(b, sc).Up(); res.Err != nil {
			b.Fatal(res.Err, res.Diagnostics)
		}
	}
}

// BenchmarkEnginePreviewNoChanges is the PR check of an unchanged dev stack:
// a preview against the checkpoint of an up.
func BenchmarkEnginePreviewNoChanges(b *testing.B) {
	s := NewStack(b, config(b, stacks.Named("dev")))
	if res := s.Up(); res.Err != nil {
		b.Fatal(res.Err, res.Diagnostics)
	}
	for b.Loop() {
		res := s.Preview()
		if res.Err != nil {
			b.Fatal(res.Err, res.Diagnostics)
		}
		if n := len(res.Changes()); n != 0 {
			b.Fatalf("the unchanged stack's preview has %d changes", n)
		}
	}
}
