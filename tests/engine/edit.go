package engine

import "github.com/zot-registry/zot-registry/internal/render"

// Edit changes one setting of a stack config (render.Edit).
type Edit = render.Edit

// Apply returns a copy of sc with the edits made.
func Apply(sc *render.StackConfig, edits ...Edit) (*render.StackConfig, error) {
	return sc.Apply(edits...)
}
