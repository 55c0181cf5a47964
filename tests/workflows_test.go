package tests

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/tests/stacks"
)

// workflow is the part of a GitHub Actions workflow the tests read.
type workflow struct {
	Name string                 `yaml:"name"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Environment any `yaml:"environment"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Strategy struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []struct {
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

func workflowFiles(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]workflow{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var w workflow
		require.NoError(t, yaml.Unmarshal(b, &w), f)
		out[filepath.Base(f)] = w
	}
	return out
}

// TestWorkflowsLint runs actionlint (the library, pinned in go.mod) over
// every workflow: syntax, expressions, contexts, action inputs it knows.
func TestWorkflowsLint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	require.NoError(t, err)
	errs, err := linter.LintFiles(files, nil)
	require.NoError(t, err)
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

var pinned = regexp.MustCompile(`@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)

// TestWorkflowsPinActions: every action is pinned to an exact release or a
// commit, so a moved tag cannot change what runs with our secrets.
func TestWorkflowsPinActions(t *testing.T) {
	for file, w := range workflowFiles(t) {
		for id, job := range w.Jobs {
			for _, s := range job.Steps {
				if s.Uses != "" {
					assert.Regexp(t, pinned, s.Uses, "%s job %s", file, id)
				}
			}
		}
	}
}

// upJobs are the jobs that run pulumi up, by stack.
func upJobs(w workflow) map[string]workflowJob {
	out := map[string]workflowJob{}
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "up" {
				stack := s.With["stack-name"]
				out[stack[strings.LastIndex(stack, "/")+1:]] = job
			}
		}
	}
	return out
}

// TestDeployWorkflowCoversEveryStack: every example stack is deployed by
// exactly one job, behind a GitHub environment of its name, in a concurrency
// group of its own that queues rather than cancels; every PR previews it.
func TestDeployWorkflowCoversEveryStack(t *testing.T) {
	examples, err := stacks.Examples(root)
	require.NoError(t, err)
	wfs := workflowFiles(t)

	ups := upJobs(wfs["deploy.yml"])
	var deployed []string
	groups := map[string]bool{}
	for stack, job := range ups {
		deployed = append(deployed, stack)
		assert.Equal(t, stack, job.Environment, "the %s job runs in the %s environment (reviewers are set there)", stack, stack)
		assert.NotEmpty(t, job.Concurrency.Group, "%s: no concurrency group", stack)
		assert.Contains(t, job.Concurrency.Group, stack)
		assert.False(t, job.Concurrency.CancelInProgress, "%s: a running update must never be cancelled", stack)
		assert.False(t, groups[job.Concurrency.Group], "two stacks share a concurrency group")
		groups[job.Concurrency.Group] = true
		var checked bool
		for _, s := range job.Steps {
			checked = checked || strings.Contains(s.Run, "./cmd/render -stack "+stack+" -check")
		}
		assert.True(t, checked, "%s: pulumi up runs only after the render's policy check", stack)
	}
	sort.Strings(deployed)
	assert.Equal(t, examples, deployed)

	preview := wfs["pr.yml"].Jobs["preview"]
	assert.ElementsMatch(t, examples, preview.Strategy.Matrix["stack"], "every stack is previewed on a PR")
}

// TestWorkflowsRunTheREADMECommands: CI and PRs run what the README says.
func TestWorkflowsRunTheREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	require.NoError(t, err)
	runs := func(w workflow, cmd string) bool {
		for _, job := range w.Jobs {
			for _, s := range job.Steps {
				if strings.Contains(s.Run, cmd) {
					return true
				}
			}
		}
		return false
	}
	wfs := workflowFiles(t)
	for _, cmd := range []string{"bash scripts/test.sh", "bash tests/kube/run.sh", "bash scripts/render-diff.sh"} {
		assert.True(t, strings.Contains(string(readme), cmd), "the README documents %s", cmd)
		assert.True(t, runs(wfs["pr.yml"], cmd), "pr.yml runs %s", cmd)
	}
	for _, cmd := range []string{"bash scripts/test.sh", "bash tests/kube/run.sh"} {
		assert.True(t, strings.Contains(string(ci), cmd), ".ci/run runs %s", cmd)
	}
}

// TestREADMEDescribesTheWorkflows: the README's pull-request section names
// every workflow file and job, and nothing that does not exist.
func TestREADMEDescribesTheWorkflows(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "## Pull requests and deployment")
	require.GreaterOrEqual(t, start, 0, "README has no 'Pull requests and deployment' section")
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var want []string
	for file, w := range workflowFiles(t) {
		for id := range w.Jobs {
			want = append(want, "`"+file+"` | `"+id+"`")
		}
	}
	documented := regexp.MustCompile("`([a-z-]+\\.yml)` \\| `([a-z-]+)`").FindAllString(section, -1)
	sort.Strings(want)
	sort.Strings(documented)
	assert.Equal(t, want, slices.Compact(documented), "README table rows `file` | `job` must match the workflows")
}
