package render

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// project is the part of Pulumi.yaml the render reads.
type project struct {
	Name    string         `yaml:"name"`
	Runtime any            `yaml:"runtime"`
	Config  map[string]any `yaml:"config"`
}

// StackConfig is a stack's config as the Pulumi CLI hands it to a program:
// full keys, structured values as JSON, secure values marked secret.
type StackConfig struct {
	Project string
	Stack   string
	Values  map[string]string
	Secrets map[string]bool
}

// Source returns the config as the config package reads it.
func (s *StackConfig) Source() config.MapSource {
	return config.MapSource{Values: s.Values, Secrets: s.Secrets}
}

// SecretKeys lists the keys whose values are secrets.
func (s *StackConfig) SecretKeys() []string {
	var keys []string
	for k, secret := range s.Secrets {
		if secret {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// StackNames are the stacks with a Pulumi.<stack>.yaml in the project
// folder, sorted.
func StackNames(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(names)
	return names, nil
}

// LoadStackConfig reads Pulumi.yaml and Pulumi.<stack>.yaml from dir. A key
// in the project's namespace that Pulumi.yaml does not declare is an error,
// so a typo in a top-level key fails like a typo inside an object does.
// Secure values cannot be decrypted offline: they become SecretMarker.
func LoadStackConfig(dir, stack string) (*StackConfig, error) {
	return LoadStackConfigFrom(dir, dir, stack)
}

// LoadStackConfigFrom is LoadStackConfig with the stack file in stackDir
// and Pulumi.yaml in dir: the tests' fixture stacks are read against the
// project's own Pulumi.yaml.
func LoadStackConfigFrom(dir, stackDir, stack string) (*StackConfig, error) {
	var proj project
	if err := ReadYAML(filepath.Join(dir, "Pulumi.yaml"), &proj); err != nil {
		return nil, err
	}
	if proj.Name != spec.Project {
		return nil, fmt.Errorf("%s: project name is %q, want %q", filepath.Join(dir, "Pulumi.yaml"), proj.Name, spec.Project)
	}
	stackFile := filepath.Join(stackDir, "Pulumi."+stack+".yaml")
	var st struct {
		Config map[string]any `yaml:"config"`
	}
	if err := ReadYAML(stackFile, &st); err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("stack %q has no config file %s; create it (see docs/configuration.md)", stack, stackFile)
		}
		return nil, err
	}
	sc := &StackConfig{Project: proj.Name, Stack: stack, Values: map[string]string{}, Secrets: map[string]bool{}}
	for key, raw := range st.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = proj.Name + ":" + key
		}
		if ns, short, _ := strings.Cut(full, ":"); ns == proj.Name {
			if _, declared := proj.Config[short]; !declared && proj.Config[full] == nil && !slices.Contains(spec.SecretKeys, short) {
				return nil, &spec.FieldError{
					Key:     full,
					Problem: "is not a known setting (" + filepath.Base(stackFile) + ")",
					Fix:     "remove it; known: " + strings.Join(append(sortedKeys(proj.Config), spec.SecretKeys...), ", "),
				}
			}
		}
		value, secret, err := configValue(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", stackFile, full, err)
		}
		sc.Values[full] = value
		sc.Secrets[full] = secret
	}
	return sc, nil
}

// configValue encodes one value as Pulumi passes it to a program: strings
// as they are, scalars in their text form, objects and lists as JSON.
func configValue(raw any) (string, bool, error) {
	plain, secret := unsecure(raw)
	switch v := plain.(type) {
	case string:
		return v, secret, nil
	case bool:
		return strconv.FormatBool(v), secret, nil
	case int:
		return strconv.Itoa(v), secret, nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), secret, nil
	case nil:
		return "", secret, nil
	}
	b, err := json.Marshal(plain)
	return string(b), secret, err
}

// unsecure replaces every {secure: …} with SecretMarker and says whether it
// found one (Pulumi then treats the whole key as secret).
func unsecure(v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["secure"]; ok && len(t) == 1 {
			return SecretMarker, true
		}
		out := make(map[string]any, len(t))
		secret := false
		for k, e := range t {
			var s bool
			out[k], s = unsecure(e)
			secret = secret || s
		}
		return out, secret
	case []any:
		out := make([]any, len(t))
		secret := false
		for i, e := range t {
			var s bool
			out[i], s = unsecure(e)
			secret = secret || s
		}
		return out, secret
	}
	return v, false
}

// ReadYAML decodes a YAML file; errors name the file.
func ReadYAML(path string, out any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// With returns a copy of the config with some keys replaced: values as they
// would be written in Pulumi.<stack>.yaml ({secure: …} for a secret), nil to
// remove a key. Tests use it to render every mode from one example stack.
func (s *StackConfig) With(replace map[string]any) (*StackConfig, error) {
	out := &StackConfig{Project: s.Project, Stack: s.Stack, Values: maps.Clone(s.Values), Secrets: maps.Clone(s.Secrets)}
	for key, raw := range replace {
		if raw == nil {
			delete(out.Values, key)
			delete(out.Secrets, key)
			continue
		}
		value, secret, err := configValue(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out.Values[key], out.Secrets[key] = value, secret
	}
	return out, nil
}
