package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Versions the SDKs ask the engine for (the Kubernetes SDK v4.32.0, the
// random SDK v4.18.4). The Kubernetes plugin here is v4.25.0, the newest
// provider source the Go module proxy serves, installed under the version
// the SDK asks for; the random plugin is the tier's stand-in.
const (
	KubernetesPluginVersion = "4.32.0"
	RandomPluginVersion     = "4.18.4"
	// KubernetesProviderBuilt is the provider source actually running.
	KubernetesProviderBuilt = "v4.25.0"
)

// pulumiEnv is the environment of every Pulumi CLI run: a file backend and
// passphrase secrets in the tier's folder, the node's kubeconfig, Helm's
// folders in the tier's, no update check, no plugin download (a missing
// plugin fails at once instead of reaching for the network).
type pulumiEnv struct {
	home, state, kubeconfig, xdg string
	caBundle                     string // SSL_CERT_FILE
	cli                          string // the CLI binary
	cmd                          auto.PulumiCommand
}

// passphrase protects the tier's throw-away stacks' secrets.
const passphrase = "zot-cluster-tier"

func newPulumiEnv(dir, pulumiBin, kubeconfig, caBundle string) (*pulumiEnv, error) {
	e := &pulumiEnv{
		home: filepath.Join(dir, "pulumi-home"), state: filepath.Join(dir, "state"),
		kubeconfig: kubeconfig, xdg: filepath.Join(dir, "xdg"), caBundle: caBundle,
	}
	// The Automation API finds the CLI as <root>/bin/pulumi.
	root := filepath.Join(dir, "pulumi-cli")
	for _, d := range []string{e.home, e.state, e.xdg, filepath.Join(root, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	e.cli = filepath.Join(root, "bin", "pulumi")
	if err := os.Symlink(pulumiBin, e.cli); err != nil && !os.IsExist(err) {
		return nil, err
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root})
	if err != nil {
		return nil, err
	}
	e.cmd = cmd
	return e, nil
}

func (e *pulumiEnv) vars() map[string]string {
	return map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + e.state,
		"PULUMI_CONFIG_PASSPHRASE":                    passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_HOME":                                 e.home,
		"KUBECONFIG":                                  e.kubeconfig,
		"XDG_CACHE_HOME":                              filepath.Join(e.xdg, "cache"),
		"XDG_CONFIG_HOME":                             filepath.Join(e.xdg, "config"),
		"XDG_DATA_HOME":                               filepath.Join(e.xdg, "data"),
		"HOME":                                        e.xdg,
		// The tier's CA: the chart repository is served over TLS with it.
		"SSL_CERT_FILE": e.caBundle,
	}
}

// installPlugin installs a provider plugin binary under a version, as
// `pulumi plugin install resource NAME VERSION --file BIN` does.
func (e *pulumiEnv) installPlugin(ctx context.Context, name, version, bin string) error {
	cmd := exec.CommandContext(ctx, e.cli, "plugin", "install", "resource", name, version, "--file", bin)
	cmd.Env = os.Environ()
	for k, v := range e.vars() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pulumi plugin install %s %s: %w: %s", name, version, err, out)
	}
	return nil
}

// deployment is one stack of the program on the node.
type deployment struct {
	name  string
	dir   string
	stack auto.Stack
}

// newDeployment creates (or selects) the stack name in its own folder and
// writes sc's config into its stack file, as a user writes
// Pulumi.<stack>.yaml: objects as YAML objects, secret values through
// `pulumi config set --secret` (encrypted with the stack's passphrase).
func (e *pulumiEnv) newDeployment(ctx context.Context, root string, sc *render.StackConfig, dir string) (*deployment, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	ws, err := auto.NewLocalWorkspace(ctx,
		auto.Program(program.Main), auto.Project(*proj), auto.WorkDir(dir),
		auto.PulumiHome(e.home), auto.EnvVars(e.vars()), auto.Pulumi(e.cmd))
	if err != nil {
		return nil, err
	}
	st, err := auto.UpsertStack(ctx, sc.Stack, ws)
	if err != nil {
		return nil, err
	}
	d := &deployment{name: sc.Stack, dir: dir, stack: st}
	if err := d.writeConfig(ctx, sc); err != nil {
		return nil, err
	}
	return d, nil
}

// writeConfig replaces the stack file's config with sc's.
func (d *deployment) writeConfig(ctx context.Context, sc *render.StackConfig) error {
	file := filepath.Join(d.dir, "Pulumi."+d.name+".yaml")
	var doc map[string]any
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	cfg := map[string]any{}
	secrets := auto.ConfigMap{}
	for k, v := range sc.Values {
		if sc.Secrets[k] {
			secrets[k] = auto.ConfigValue{Value: v, Secret: true}
			continue
		}
		var obj any
		if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
			if err := json.Unmarshal([]byte(v), &obj); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			cfg[k] = obj
		} else {
			cfg[k] = v
		}
	}
	doc["config"] = cfg
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return err
	}
	if len(secrets) > 0 {
		return d.stack.SetAllConfig(ctx, secrets)
	}
	return nil
}

// newYAMLDeployment creates the stack of the package's YAML example
// (examples/yaml/Pulumi.yaml), as a user of the package runs it: the real
// CLI and YAML language host, the provider binary named in the project's
// plugins.providers (docs/package.md: a CLI without Go's language host
// cannot build it from source). The example's resource takes sc's sections
// as its properties and sc's secret keys as secret config; the other
// providers' keys (kubernetes:context) are the stack's config.
func (e *pulumiEnv) newYAMLDeployment(ctx context.Context, example string, sc *render.StackConfig, yamlHost, providerDir, dir string) (*deployment, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	proj, secrets, err := yamlProject(example, sc, providerDir)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), proj, 0o644); err != nil {
		return nil, err
	}
	// The CLI finds language hosts on PATH: this one alone (its folder
	// holds other plugins, which must come from PULUMI_HOME).
	hosts := filepath.Join(dir, "language-hosts")
	if err := os.MkdirAll(hosts, 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(yamlHost, filepath.Join(hosts, "pulumi-language-yaml")); err != nil && !os.IsExist(err) {
		return nil, err
	}
	vars := e.vars()
	vars["PATH"] = hosts + string(os.PathListSeparator) + os.Getenv("PATH")
	ws, err := auto.NewLocalWorkspace(ctx, auto.WorkDir(dir), auto.PulumiHome(e.home), auto.EnvVars(vars), auto.Pulumi(e.cmd))
	if err != nil {
		return nil, err
	}
	st, err := auto.UpsertStack(ctx, sc.Stack, ws)
	if err != nil {
		return nil, err
	}
	cfg := auto.ConfigMap{}
	for k, v := range sc.Values {
		if !strings.HasPrefix(k, spec.Project+":") {
			cfg[k] = auto.ConfigValue{Value: v}
		}
	}
	for _, key := range secrets {
		cfg[key] = auto.ConfigValue{Value: sc.Values[spec.FullKey(key)], Secret: true}
	}
	if err := st.SetAllConfig(ctx, cfg); err != nil {
		return nil, err
	}
	return &deployment{name: sc.Stack, dir: dir, stack: st}, nil
}

// yamlProject is the example's Pulumi.yaml with sc's settings: the
// Registry's properties, a secret config key for each secret value, the
// provider from providerDir in place of the example's package source.
// secrets are the config keys it declares.
func yamlProject(example string, sc *render.StackConfig, providerDir string) (out []byte, secrets []string, err error) {
	raw, err := os.ReadFile(example)
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, nil, err
	}
	resources, _ := doc["resources"].(map[string]any)
	zot, ok := resources["zot"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s has no resource zot", example)
	}
	props := map[string]any{}
	for _, section := range spec.Keys {
		var v any
		if err := json.Unmarshal([]byte(sc.Values[spec.FullKey(section)]), &v); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", section, err)
		}
		props[section] = v
	}
	config := map[string]any{}
	for _, key := range spec.SecretKeys {
		if _, ok := sc.Values[spec.FullKey(key)]; ok {
			props[key] = "${" + key + "}"
			config[key] = map[string]any{"type": "string", "secret": true}
			secrets = append(secrets, key)
		}
	}
	zot["properties"] = props
	doc["config"] = config
	delete(doc, "packages")
	doc["plugins"] = map[string]any{"providers": []any{map[string]any{"name": spec.Project, "path": providerDir}}}
	out, err = yaml.Marshal(doc)
	return out, secrets, err
}
