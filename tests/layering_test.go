package tests

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/zot-registry/zot-registry"

// imports lists, for every package of the main module, the packages it
// imports (not its tests'), as `go list` reports them.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		m[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return m
}

// component is the component a package belongs to (/components/storage for
// /components/storage/…), or "" outside components.
func component(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, "/components/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return "/components/" + name
}

// TestLayering: the house rules docs/development.md draws. The ground floor
// (zot/) is about zot and imports nothing of Pulumi or above it; config is
// read only by the program; a component imports the ground floor, never
// config, the program or a sibling; only the whole-registry component
// (package components) puts the parts together.
func TestLayering(t *testing.T) {
	for pkg, deps := range imports(t) {
		for _, dep := range deps {
			inModule := strings.HasPrefix(dep, module+"/")
			d := strings.TrimPrefix(dep, module)
			switch {
			case strings.HasPrefix(pkg, "/zot/"):
				assert.False(t, strings.Contains(dep, "github.com/pulumi/"), "%s (ground floor) imports %s", pkg, dep)
				assert.True(t, !inModule || strings.HasPrefix(d, "/zot/"), "%s (ground floor) imports %s", pkg, d)
			case component(pkg) != "":
				if inModule {
					assert.True(t, strings.HasPrefix(d, "/zot/") || component(d) == component(pkg),
						"%s imports %s: a component imports only the ground floor and its own packages", pkg, d)
				}
			case pkg == "/components":
				if inModule {
					assert.True(t, strings.HasPrefix(d, "/zot/") || component(d) != "" || d == "/outputs",
						"%s imports %s", pkg, d)
				}
			case pkg == "/config":
				assert.True(t, !inModule || strings.HasPrefix(d, "/zot/"), "config imports %s", d)
			case pkg == "/outputs":
				assert.False(t, inModule, "outputs (read by other stacks) imports %s", d)
			}
			if d == "/config" {
				assert.Contains(t, []string{"/program", "/internal/render", "/internal/policy", "/internal/testsupport", "/cmd/render", "/tests/kube"}, pkg,
					"%s imports config: only the program (and the render that runs it) reads stack config", pkg)
			}
		}
	}
}
