// Package workflowlint runs actionlint over the project's GitHub Actions
// workflows. It is a module of its own so that a test tool stays out of
// the product's go.mod (tests/workflows_test.go checks the rest).
package workflowlint

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/require"
)

// TestWorkflowsLint runs actionlint (the library, pinned in this go.mod)
// over every workflow: syntax, expressions, contexts, action inputs it
// knows.
func TestWorkflowsLint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	require.NoError(t, err)
	errs, err := linter.LintFiles(files, nil)
	require.NoError(t, err)
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}
