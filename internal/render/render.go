// Package render evaluates the program for one stack under Pulumi mocks (no
// cluster, no cloud credentials) and writes what it would deploy: one YAML
// file per resource, zot's config.json and the Helm values, the stack outputs.
package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/deployer"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// SecretMarker replaces every secret value in the render.
const SecretMarker = mocks.SecretMarker

// UnknownMarker stands for a value only known after deployment.
const UnknownMarker = mocks.UnknownMarker

// ReleaseType is the Helm release resource's type token.
const ReleaseType = mocks.ReleaseType

// SecretType is a Kubernetes Secret's type token.
const SecretType = mocks.SecretType

// HTTPRouteType is the Gateway API route's type token (registry.route).
const HTTPRouteType = mocks.HTTPRouteType

// Result is one evaluated stack.
type Result struct {
	Stack      string
	Recorder   *mocks.Recorder
	Outputs    map[string]any // secrets as SecretMarker
	ConfigJSON string         // exactly what zot reads
	Values     map[string]any // the Helm values
	Config     *config.Config // the validated config the program ran with
}

// Evaluate runs the program for stack, with the config files in dir.
func Evaluate(dir, stack string) (*Result, error) { return EvaluateFrom(dir, dir, stack) }

// EvaluateFrom is Evaluate with the stack file in stackDir and Pulumi.yaml
// in dir (an example stack kept out of the project's environments).
func EvaluateFrom(dir, stackDir, stack string) (*Result, error) {
	sc, err := LoadStackConfigFrom(dir, stackDir, stack)
	if err != nil {
		return nil, err
	}
	return EvaluateConfig(sc)
}

// EvaluateConfig runs the program with an already loaded stack config.
func EvaluateConfig(sc *StackConfig) (*Result, error) {
	rec := mocks.New(sc.Project, sc.Stack)
	res := &Result{Stack: sc.Stack, Recorder: rec}

	var collected *mocks.Collected
	run := func(ctx *pulumi.Context) error {
		// program.Apply's two steps, keeping the config the program ran with
		// for the policy rules.
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		res.Config = cfg
		out, err := program.Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		collected = mocks.Collect(out.Map())
		return nil
	}
	err := pulumi.RunErr(run, rec.Option(), func(info *pulumi.RunInfo) {
		info.Config = sc.Values
		info.ConfigSecretKeys = sc.SecretKeys()
	})
	if err != nil {
		// The config problems as they are, not inside the SDK's wrapper.
		var errs spec.Errors
		if errors.As(err, &errs) {
			return nil, errs
		}
		return nil, err
	}
	values, secret, err := collected.Wait()
	if err != nil {
		return nil, err
	}
	res.Outputs = map[string]any{}
	for name, v := range values {
		if secret[name] {
			v = SecretMarker
		}
		res.Outputs[name] = v
	}

	if err := res.extractRelease(); err != nil {
		return nil, err
	}
	return res, nil
}

// extractRelease finds the zot Helm release and takes config.json and the
// values from its inputs: the bytes Helm will get.
func (r *Result) extractRelease() error {
	var found []mocks.Resource
	for _, rel := range r.Recorder.ByType(ReleaseType) {
		if p, ok := r.Recorder.ParentOf(rel); ok && p.Type == registry.Type {
			found = append(found, rel)
		}
	}
	if len(found) != 1 {
		return fmt.Errorf("render: want one zot Helm release, found %d", len(found))
	}
	values := found[0].Inputs["values"]
	if mocks.HasSecret(values) {
		return errors.New("render: the Helm values hold a secret; secrets must reach zot through mounted Secrets, never through values")
	}
	plain, ok := mocks.Plain(values).(map[string]any)
	if !ok {
		return errors.New("render: the Helm release has no values")
	}
	files, _ := plain["configFiles"].(map[string]any)
	js, ok := files[layout.ConfigFile].(string)
	if !ok {
		// config.json holds a credential: it is in the program's Secret,
		// which carries the redacted document as an annotation.
		if js, ok = r.shownConfig(found[0]); !ok {
			return fmt.Errorf("render: neither configFiles.%s in the Helm values nor the config Secret's %s annotation", layout.ConfigFile, registry.ShownConfigAnnotation)
		}
	}
	r.Values, r.ConfigJSON = plain, js
	return nil
}

// shownConfig is the redacted config.json on the registry's config Secret.
func (r *Result) shownConfig(release mocks.Resource) (string, bool) {
	parent, _ := r.Recorder.ParentOf(release)
	for _, sec := range r.Recorder.ByType(SecretType) {
		if p, ok := r.Recorder.ParentOf(sec); !ok || p.URN != parent.URN {
			continue
		}
		meta, _ := mocks.Plain(sec.Inputs["metadata"]).(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		if js, ok := annotations[registry.ShownConfigAnnotation].(string); ok {
			return js, true
		}
	}
	return "", false
}

// Well-known files in a render folder.
const (
	IndexFile   = "index.yaml"
	ConfigFile  = "zot/config.json"
	PolicyFile  = "storage/policy.json"
	ValuesFile  = "zot/values.yaml"
	OutputsFile = "outputs.yaml"
	LookupsFile = "lookups.yaml"
	// RBACFile is the Kubernetes RBAC the identity running pulumi up needs
	// (internal/deployer).
	RBACFile = "deployer-rbac.yaml"
	// DeployerPolicyFile is the IAM policy of the credentials pulumi up
	// runs with, for stacks with AWS resources (internal/deployer).
	DeployerPolicyFile = "deployer-policy.json"
)

// Write writes the render into dir and returns the files, relative to dir.
// dir must be empty, missing, or an earlier render (it is replaced).
func (r *Result) Write(dir string) ([]string, error) {
	files, err := r.Files()
	if err != nil {
		return nil, err
	}
	return WriteFiles(dir, files)
}

// WriteFiles writes a render's Files into dir (empty, missing, or an
// earlier render, which is replaced) and returns their names, sorted.
func WriteFiles(dir string, files map[string][]byte) ([]string, error) {
	if err := prepare(dir); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Files is the render's content: file name (relative, with /) to bytes.
func (r *Result) Files() (map[string][]byte, error) {
	files := map[string][]byte{
		ConfigFile: []byte(r.ConfigJSON),
	}
	policy, ok := r.Outputs[outputs.StoragePolicy].(string)
	if !ok || policy == "" {
		return nil, errors.New("render: the stack has no storagePolicy output")
	}
	files[PolicyFile] = []byte(policy)
	var err error
	if files[ValuesFile], err = marshalYAML(r.Values); err != nil {
		return nil, err
	}
	if files[OutputsFile], err = marshalYAML(r.Outputs); err != nil {
		return nil, err
	}
	if files[RBACFile], err = r.rbac(); err != nil {
		return nil, err
	}
	iam, ok, err := deployer.AWSPolicy(r.Recorder.Resources(), r.Config.Storage.Region)
	if err != nil {
		return nil, err
	}
	if ok {
		if files[DeployerPolicyFile], err = json.MarshalIndent(iam, "", "  "); err != nil {
			return nil, err
		}
		files[DeployerPolicyFile] = append(files[DeployerPolicyFile], '\n')
	}
	type entry struct {
		URN    string `yaml:"urn"`
		Type   string `yaml:"type"`
		Name   string `yaml:"name"`
		Parent string `yaml:"parent,omitempty"`
		File   string `yaml:"file,omitempty"`
	}
	var index []entry
	for _, res := range r.Recorder.Resources() {
		e := entry{URN: res.URN, Type: res.Type, Name: res.Name, Parent: res.Parent}
		if res.Custom {
			e.File = r.resourceFile(res)
			if _, dup := files[e.File]; dup {
				return nil, fmt.Errorf("render: two resources would be written to %s", e.File)
			}
			if files[e.File], err = marshalYAML(resourceDoc(res)); err != nil {
				return nil, err
			}
		}
		index = append(index, e)
	}
	var lookups []map[string]any
	for _, c := range r.Recorder.Invokes() {
		lookups = append(lookups, map[string]any{"function": c.Token, "args": mocks.PlainMap(c.Args), "result": mocks.PlainMap(c.Result)})
	}
	if len(lookups) > 0 {
		if files[LookupsFile], err = marshalYAML(lookups); err != nil {
			return nil, err
		}
	}
	if files[IndexFile], err = marshalYAML(map[string]any{"stack": r.Stack, "resources": index}); err != nil {
		return nil, err
	}
	return files, nil
}

// rbac is the deployer's ClusterRoles as one YAML stream.
func (r *Result) rbac() ([]byte, error) {
	namespaced, cluster := deployer.KubernetesRules(r.Recorder.Resources(), r.Values)
	var out []byte
	for i, doc := range deployer.ClusterRoles(spec.Project+"-deployer-"+r.Stack, namespaced, cluster) {
		b, err := marshalYAML(doc)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, b...)
	}
	return out, nil
}

// resourceFile is <component module>/<kind>-<name>.yaml: the resources a
// component owns sit together (registry/, later storage/, identity/, secrets/).
func (r *Result) resourceFile(res mocks.Resource) string {
	group := "stack"
	for p, ok := r.Recorder.ParentOf(res); ok; p, ok = r.Recorder.ParentOf(p) {
		if parts := strings.Split(p.Type, ":"); len(parts) == 3 && parts[0] == "zot-registry" {
			group = parts[1]
			break
		}
	}
	parts := strings.Split(res.Type, ":")
	kind := strings.ToLower(parts[len(parts)-1])
	if strings.HasPrefix(res.Type, "pulumi:providers:") {
		kind = "provider-" + kind
	}
	return group + "/" + kind + "-" + sanitize(res.Name) + ".yaml"
}

func resourceDoc(res mocks.Resource) map[string]any {
	doc := map[string]any{
		"type":   res.Type,
		"name":   res.Name,
		"inputs": mocks.PlainMap(res.Inputs),
	}
	opts := map[string]any{}
	if res.Protect {
		opts["protect"] = true
	}
	if res.RetainOnDelete {
		opts["retainOnDelete"] = true
	}
	if len(res.CustomTimeouts) > 0 {
		opts["customTimeouts"] = res.CustomTimeouts
	}
	if res.Provider != "" {
		// A provider reference is <urn>::<id>; the URN names the instance.
		ref := res.Provider
		if i := strings.LastIndex(ref, "::"); i > 0 {
			ref = ref[:i]
		}
		if !strings.Contains(ref, "::default") { // default providers are implied
			opts["provider"] = ref
		}
	}
	if len(res.DependsOn) > 0 {
		deps := append([]string(nil), res.DependsOn...)
		sort.Strings(deps)
		opts["dependsOn"] = deps
	}
	if len(opts) > 0 {
		doc["options"] = opts
	}
	return doc
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// prepare empties dir if it holds an earlier render, and refuses a folder
// with other content: the render never deletes what it did not write.
func prepare(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); err != nil {
		return fmt.Errorf("render: %s is not empty and holds no earlier render (%s); choose another -out folder", dir, IndexFile)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Summary is the one-line report the command prints.
func (r *Result) Summary(dir string, files []string) string {
	return fmt.Sprintf("rendered stack %s: %d resources, %d files in %s (%s, %s, %s, %s)",
		r.Stack, len(r.Recorder.Resources()), len(files), dir, ConfigFile, ValuesFile, PolicyFile, OutputsFile)
}

// marshalYAML writes YAML with two-space indents, as people write it.
func marshalYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
