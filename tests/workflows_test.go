package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

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
	Needs    any               `yaml:"needs"`
	Outputs  map[string]string `yaml:"outputs"`
	Strategy struct {
		Matrix      map[string]any `yaml:"matrix"`
		MaxParallel int            `yaml:"max-parallel"`
		FailFast    *bool          `yaml:"fail-fast"`
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

// TestWorkflowsLint (actionlint over every workflow) is in
// tests/workflowlint, a module of its own: a test tool stays out of the
// product's go.mod.

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
		"deploy.yml/up":              {"id-token": "write"},
		"drift.yml/drift":            {"id-token": "write"},
	}
	secretsAllowed := map[string]bool{"pr.yml/preview": true, "render-comment.yml/comment": true,
		"deploy.yml/up": true, "drift.yml/drift": true}
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

// TestDriftCheckRunsOutsideEnvironments: a scheduled preview with
// expect-no-changes and refresh for every stack, outside the environments
// (whose required reviewers would hold a scheduled run).
func TestDriftCheckRunsOutsideEnvironments(t *testing.T) {
	w := workflowFiles(t)["drift.yml"]
	require.Contains(t, w.On, "schedule")
	job, ok := w.Jobs["drift"]
	require.True(t, ok)
	assert.Nil(t, job.Environment, "a scheduled check must not wait for an approval")
	var preview bool
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "pulumi/actions@") {
			preview = true
			assert.Equal(t, "preview", s.With["command"])
			assert.Equal(t, "true", s.With["expect-no-changes"], "a drift fails the job")
			assert.Equal(t, "true", s.With["refresh"], "the live resources are read, so changes made by hand show")
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
	assert.GreaterOrEqual(t, steps, 3, "the deploys, the previews and the drift check")
}

// stackMatrix is how a job takes its stacks: one matrix entry per stack
// file, from the workflow's stacks job.
const stackMatrix = "${{ fromJSON(needs.stacks.outputs.matrix) }}"

func needs(job workflowJob) []string {
	switch n := job.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, x := range n {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// TestWorkflowsTakeEveryStackFromTheFiles: deploy, preview and drift run
// for whatever Pulumi.<stack>.yaml files exist, through the stacks job's
// list, so a new environment is one file: no workflow names a stack. Each
// stack deploys behind the GitHub environment of its name, one at a time,
// in a concurrency group of its own that queues rather than cancels, after
// the render's policy check.
func TestWorkflowsTakeEveryStackFromTheFiles(t *testing.T) {
	wfs := workflowFiles(t)
	for file, id := range map[string]string{"deploy.yml": "up", "pr.yml": "preview", "drift.yml": "drift"} {
		w := wfs[file]
		list, ok := w.Jobs["stacks"]
		if !assert.True(t, ok, "%s has no stacks job", file) {
			continue
		}
		var lists bool
		for _, s := range list.Steps {
			lists = lists || strings.Contains(s.Run, "bash .github/scripts/stacks.sh")
		}
		assert.True(t, lists, "%s: the stacks job runs .github/scripts/stacks.sh", file)
		assert.Equal(t, "${{ steps.list.outputs.matrix }}", list.Outputs["matrix"], file)

		job := w.Jobs[id]
		assert.Contains(t, needs(job), "stacks", "%s/%s", file, id)
		assert.Equal(t, stackMatrix, job.Strategy.Matrix["include"], "%s/%s: the matrix is the stack files", file, id)
		assert.Len(t, job.Strategy.Matrix, 1, "%s/%s: no stack listed by hand", file, id)
		var pulumiSteps int
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") {
				pulumiSteps++
				assert.Equal(t, "${{ matrix.stack }}", stackOf(s.With["stack-name"]), "%s/%s", file, id)
			}
		}
		assert.Equal(t, 1, pulumiSteps, "%s/%s", file, id)
	}

	up := wfs["deploy.yml"].Jobs["up"]
	assert.Equal(t, "${{ matrix.stack }}", up.Environment, "each stack deploys in the GitHub environment of its name (reviewers are set there)")
	assert.Equal(t, "pulumi-up-${{ matrix.stack }}", up.Concurrency.Group, "one concurrency group per stack")
	assert.False(t, up.Concurrency.CancelInProgress, "a running update must never be cancelled")
	assert.Equal(t, 1, up.Strategy.MaxParallel, "one stack at a time, in the list's order")
	require.NotNil(t, up.Strategy.FailFast)
	assert.True(t, *up.Strategy.FailFast, "a failed stack stops the ones after it")
	assert.Equal(t, "${{ matrix.stack }}", up.Env["STACK"])
	var checked, guarded bool
	for _, s := range up.Steps {
		if strings.HasPrefix(s.Uses, "pulumi/actions@") {
			break
		}
		checked = checked || strings.Contains(s.Run, `./cmd/render -stack "$STACK" -check`)
		guarded = guarded || s.Env["HAS_KUBECONFIG"] == "${{ secrets.KUBECONFIG != '' }}" && strings.Contains(s.Run, "exit 1")
	}
	assert.True(t, checked, "pulumi up runs only after the render's policy check")
	assert.True(t, guarded, "a stack whose GitHub environment has no KUBECONFIG fails before anything runs")
	for file := range map[string]bool{"deploy.yml": true, "pr.yml": true, "drift.yml": true} {
		for _, s := range wfs[file].Jobs["stacks"].Steps {
			assert.NotRegexp(t, `echo [^\n]*\$\(bash`, s.Run, "%s: a failing stacks.sh inside echo would not fail the step", file)
		}
	}

	// No stack name is written into a workflow.
	examples, err := stacks.Examples(root)
	require.NoError(t, err)
	for file := range wfs {
		b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", file))
		require.NoError(t, err)
		for _, name := range examples {
			for _, literal := range []string{"-stack " + name, "'" + name + "'", "[" + name, "environment: " + name} {
				assert.NotContains(t, string(b), literal, "%s names the stack %s", file, name)
			}
		}
	}
}

type matrixEntry struct{ Stack, Prefix string }

// runStacks runs .github/scripts/stacks.sh in dir.
func runStacks(t *testing.T, dir, order string) ([]matrixEntry, string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, ".github", "scripts", "stacks.sh"), dir)
	cmd.Env = append(os.Environ(), "DEPLOY_ORDER="+order)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, stderr.String(), err
	}
	var entries []matrixEntry
	require.NoError(t, json.Unmarshal(out, &entries), string(out))
	return entries, stderr.String(), nil
}

// TestStacksScript: the workflows' list is every stack file of the project,
// ordered by DEPLOY_ORDER, each with the prefix of its secrets' names.
func TestStacksScript(t *testing.T) {
	examples, err := stacks.Examples(root)
	require.NoError(t, err)
	got, stderr, err := runStacks(t, root, "")
	if len(examples) == 0 {
		require.Error(t, err, "a project without stacks has nothing to deploy")
		assert.Contains(t, stderr, "no Pulumi.<stack>.yaml")
	} else {
		require.NoError(t, err, stderr)
		var names []string
		for _, e := range got {
			names = append(names, e.Stack)
		}
		assert.Equal(t, examples, names, "the project's stack files, by name")
	}

	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "Pulumi.eu-west.1.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("config: {}\n"), 0o644))
	}
	for _, tc := range []struct {
		order   string
		want    []matrixEntry
		wantErr string
	}{
		{"", []matrixEntry{{"dev", "DEV"}, {"eu-west.1", "EU_WEST_1"}, {"prod", "PROD"}, {"staging", "STAGING"}}, ""},
		{"dev staging eu-west.1 prod", []matrixEntry{{"dev", "DEV"}, {"staging", "STAGING"}, {"eu-west.1", "EU_WEST_1"}, {"prod", "PROD"}}, ""},
		{"dev qa", nil, "DEPLOY_ORDER names qa, but there is no Pulumi.qa.yaml"},
		{"dev staging prod", nil, "DEPLOY_ORDER does not name eu-west.1"},
		{"*", nil, "DEPLOY_ORDER names *, but"}, // a word, not a glob
	} {
		got, stderr, err := runStacks(t, dir, tc.order)
		if tc.wantErr != "" {
			require.Error(t, err, tc.order)
			assert.Contains(t, stderr, tc.wantErr)
			continue
		}
		require.NoError(t, err, stderr)
		assert.Equal(t, tc.want, got, "DEPLOY_ORDER=%q", tc.order)
	}

	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.eu_west-1.yaml"), []byte("config: {}\n"), 0o644))
	_, stderr, err = runStacks(t, dir, "")
	require.Error(t, err)
	assert.Contains(t, stderr, "share the secret prefix EU_WEST_1")
	_, stderr, err = runStacks(t, t.TempDir(), "")
	require.Error(t, err)
	assert.Contains(t, stderr, "no Pulumi.<stack>.yaml")
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
