package tests

import (
	"io"
	"os"
	"os/exec"
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
	Name        string                 `yaml:"name"`
	On          map[string]any         `yaml:"on"`
	Permissions map[string]string      `yaml:"permissions"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Environment any               `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
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
		Env  map[string]string `yaml:"env"`
	} `yaml:"steps"`
	Env map[string]string `yaml:"env"`
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

// pinnedLine is a `uses:` pinned to a full commit SHA, with the release it
// is in a comment (for people and for Dependabot).
var pinnedLine = regexp.MustCompile(`^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$`)

// TestWorkflowsPinActions: every action is pinned by a 40-hex commit SHA, so
// a moved tag cannot change what runs with our secrets; one action is
// pinned to one commit everywhere.
func TestWorkflowsPinActions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	pins := map[string]string{}
	uses := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, "uses:") || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			uses++
			m := pinnedLine.FindStringSubmatch(line)
			if !assert.NotNil(t, m, "%s:%d: %q is not pinned as `uses: owner/repo@<40-hex sha> # vX.Y.Z`", filepath.Base(f), i+1, strings.TrimSpace(line)) {
				continue
			}
			pin := m[2] + " " + m[3]
			if prev, ok := pins[m[1]]; ok {
				assert.Equal(t, prev, pin, "%s:%d: %s is pinned to two commits", filepath.Base(f), i+1, m[1])
			}
			pins[m[1]] = pin
		}
	}
	assert.Greater(t, uses, 10)
}

// TestWorkflowsLeastPrivilege: no workflow grants anything by default; each
// job names its permissions, and only these jobs may write.
func TestWorkflowsLeastPrivilege(t *testing.T) {
	writes := map[string]map[string]string{ // file/job -> the write scopes it may have
		"pr.yml/preview":             {"pull-requests": "write", "id-token": "write"},
		"render-comment.yml/comment": {"pull-requests": "write"},
		"deploy.yml/up-dev":          {"id-token": "write"},
		"deploy.yml/up-prod":         {"id-token": "write"},
		"drift.yml/drift":            {"id-token": "write"},
	}
	secretsAllowed := map[string]bool{"pr.yml/preview": true, "render-comment.yml/comment": true,
		"deploy.yml/up-dev": true, "deploy.yml/up-prod": true, "drift.yml/drift": true}
	for file, w := range workflowFiles(t) {
		assert.NotNil(t, w.Permissions, "%s: set top-level permissions: {}", file)
		assert.Empty(t, w.Permissions, "%s: nothing is granted to every job", file)
		for id, job := range w.Jobs {
			name := file + "/" + id
			require.NotNil(t, job.Permissions, "%s names no permissions", name)
			got := map[string]string{}
			for scope, level := range job.Permissions {
				if level == "write" {
					got[scope] = level
				}
			}
			want := writes[name]
			if want == nil {
				want = map[string]string{}
			}
			assert.Equal(t, want, got, "%s: write scopes", name)
			raw, err := yaml.Marshal(job)
			require.NoError(t, err)
			if !secretsAllowed[name] {
				assert.NotContains(t, string(raw), "secrets.", "%s reads secrets it does not need", name)
			}
		}
	}
}

// TestDriftCheckCoversEveryStack: a scheduled preview with
// expect-no-changes runs for every example stack, outside the environments
// (whose required reviewers would hold a scheduled run).
func TestDriftCheckCoversEveryStack(t *testing.T) {
	examples, err := stacks.Examples(root)
	require.NoError(t, err)
	w := workflowFiles(t)["drift.yml"]
	require.Contains(t, w.On, "schedule")
	job, ok := w.Jobs["drift"]
	require.True(t, ok)
	assert.ElementsMatch(t, examples, job.Strategy.Matrix["stack"])
	assert.Nil(t, job.Environment, "a scheduled check must not wait for an approval")
	var preview bool
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "pulumi/actions@") {
			preview = true
			assert.Equal(t, "preview", s.With["command"])
			assert.Equal(t, "true", s.With["expect-no-changes"], "a drift fails the job")
			assert.Equal(t, "true", s.With["refresh"], "the live resources are read, so changes made by hand show")
			assert.Equal(t, "${{ matrix.stack }}", stackOf(s.With["stack-name"]))
		}
	}
	assert.True(t, preview)
}

// TestDependabot: actions and Go modules are kept fresh, Pulumi's SDKs in
// one group.
func TestDependabot(t *testing.T) {
	var d struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
			Groups    map[string]struct {
				Patterns []string `yaml:"patterns"`
			} `yaml:"groups"`
		} `yaml:"updates"`
	}
	b, err := os.ReadFile(filepath.Join(root, ".github", "dependabot.yml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &d))
	assert.Equal(t, 2, d.Version)
	eco := map[string][]string{}
	for _, u := range d.Updates {
		assert.Equal(t, "/", u.Directory)
		for _, g := range u.Groups {
			eco[u.Ecosystem] = append(eco[u.Ecosystem], g.Patterns...)
		}
	}
	require.Contains(t, eco, "github-actions")
	require.Contains(t, eco, "gomod")
	for _, mod := range []string{"github.com/pulumi/pulumi/sdk/v3", "github.com/pulumi/pulumi-kubernetes/sdk/v4", "github.com/pulumi/pulumi-aws/sdk/v6", "github.com/pulumi/pulumi-random/sdk/v4", "github.com/OSMIT-GmbH/pulumi-authentik/sdk/v2024"} {
		matched := false
		for _, p := range eco["gomod"] { // Dependabot's * matches across slashes
			matched = matched || p == mod || strings.HasSuffix(p, "*") && strings.HasPrefix(mod, strings.TrimSuffix(p, "*"))
		}
		assert.True(t, matched, "%s is in a Dependabot group", mod)
	}
}

// TestRenderCommentScript runs the comment workflow's script tests under
// Node (.github/scripts/render-comment.test.js): a forged pull-request
// number in the artifact is ignored, untrusted text pings nobody.
func TestRenderCommentScript(t *testing.T) {
	node, err := exec.LookPath("node")
	require.NoError(t, err, "Node.js runs the comment script's tests; .ci/run installs it (apt-get install nodejs)")
	cmd := exec.Command(node, "--test", filepath.Join(root, ".github", "scripts"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "node --test .github/scripts/:\n%s", out)
	assert.Contains(t, string(out), "# fail 0")
	assert.Regexp(t, `# pass [1-9]`, string(out))
}

// stackNames are the two forms a workflow names a stack in: <org>/<stack>
// on Pulumi Cloud, <stack> on a self-managed backend (PULUMI_BACKEND_URL).
var stackNames = []*regexp.Regexp{
	regexp.MustCompile(`^\$\{\{ vars\.PULUMI_BACKEND_URL == '' && format\('\{0\}/([a-z0-9-]+)', vars\.PULUMI_ORG\) \|\| '([a-z0-9-]+)' \}\}$`),
	regexp.MustCompile(`^\$\{\{ vars\.PULUMI_BACKEND_URL == '' && format\('\{0\}/\{1\}', vars\.PULUMI_ORG, (matrix\.stack)\) \|\| (matrix\.stack) \}\}$`),
}

// stackOf is the stack a pulumi/actions stack-name names under either
// backend ("${{ matrix.stack }}" for a matrix), or "" for any other form.
func stackOf(name string) string {
	for _, re := range stackNames {
		if m := re.FindStringSubmatch(name); m != nil && m[1] == m[2] {
			if m[1] == "matrix.stack" {
				return "${{ matrix.stack }}"
			}
			return m[1]
		}
	}
	return ""
}

// TestWorkflowsWorkWithAnyBackend: every Pulumi step runs against Pulumi
// Cloud (PULUMI_ACCESS_TOKEN, stacks <org>/<stack>) or, when the repository
// variable PULUMI_BACKEND_URL is set, a self-managed backend (stacks
// <stack>, a passphrase or KMS secrets provider), chosen by variables alone.
func TestWorkflowsWorkWithAnyBackend(t *testing.T) {
	want := map[string]string{
		"PULUMI_ACCESS_TOKEN":      "${{ secrets.PULUMI_ACCESS_TOKEN }}",
		"PULUMI_BACKEND_URL":       "${{ vars.PULUMI_BACKEND_URL }}",
		"PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
	}
	steps := 0
	for file, w := range workflowFiles(t) {
		for name, job := range w.Jobs {
			for _, s := range job.Steps {
				if !strings.HasPrefix(s.Uses, "pulumi/actions@") {
					continue
				}
				steps++
				assert.NotEmpty(t, stackOf(s.With["stack-name"]), "%s %s: stack-name %q names the stack for one backend only", file, name, s.With["stack-name"])
				for k, v := range want {
					got, ok := s.Env[k]
					if !ok {
						got = job.Env[k]
					}
					assert.Equal(t, v, got, "%s %s: %s", file, name, k)
				}
			}
		}
	}
	assert.GreaterOrEqual(t, steps, 4, "up-dev, up-prod, the previews and the drift check")
}

// upJobs are the jobs that run pulumi up, by stack.
func upJobs(w workflow) map[string]workflowJob {
	out := map[string]workflowJob{}
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] == "up" {
				out[stackOf(s.With["stack-name"])] = job
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

// TestWorkflowsRunTheREADMECommands: CI and PRs run what the README and
// the docs say: the test command in the README's quick start, the tiers
// and the render diff where docs/development.md and docs/ci.md describe them.
func TestWorkflowsRunTheREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "bash scripts/test.sh", "the README's quick start runs the tests")
	for _, page := range []string{"development.md", "ci.md"} {
		b, err := os.ReadFile(filepath.Join(root, "docs", page))
		require.NoError(t, err)
		readme = append(readme, b...)
	}
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
		assert.True(t, strings.Contains(string(readme), cmd), "the README or docs document %s", cmd)
		assert.True(t, runs(wfs["pr.yml"], cmd), "pr.yml runs %s", cmd)
	}
	for _, cmd := range []string{"bash scripts/test.sh", "bash tests/kube/run.sh"} {
		assert.True(t, strings.Contains(string(ci), cmd), ".ci/run runs %s", cmd)
	}
}

// TestREADMEDescribesTheWorkflows: docs/ci.md's workflow table names every
// workflow file and job, and nothing that does not exist.
func TestREADMEDescribesTheWorkflows(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(root, "docs", "ci.md"))
	require.NoError(t, err)
	section := string(page)
	var want []string
	for file, w := range workflowFiles(t) {
		for id := range w.Jobs {
			want = append(want, "`"+file+"` | `"+id+"`")
		}
	}
	documented := regexp.MustCompile("`([a-z-]+\\.yml)` \\| `([a-z-]+)`").FindAllString(section, -1)
	sort.Strings(want)
	sort.Strings(documented)
	assert.Equal(t, want, slices.Compact(documented), "docs/ci.md table rows `file` | `job` must match the workflows")
}
