package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/components"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

func server(t *testing.T, rec *mocks.Recorder) integration.Server {
	t.Helper()
	prov, err := New()
	require.NoError(t, err)
	opts := []integration.ServerOption{integration.WithProvider(prov)}
	if rec != nil {
		opts = append(opts, integration.WithMocks(rec))
	}
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version), opts...)
	require.NoError(t, err)
	return s
}

// schema is the package schema as `pulumi package add` reads it.
func schema(t *testing.T) map[string]any {
	t.Helper()
	res, err := server(t, nil).GetSchema(p.GetSchemaRequest{})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Schema), &doc))
	return doc
}

func registryResource(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	resources, _ := doc["resources"].(map[string]any)
	reg, ok := resources[components.RegistryType].(map[string]any)
	require.True(t, ok, "the schema has no %s; it has %v", components.RegistryType, keys(resources))
	return reg
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSchema: what another language's SDK is generated from. The Registry
// is a component with the four sections and the secret values as inputs,
// every input described, the secrets marked, and a stack's outputs.
func TestSchema(t *testing.T) {
	doc := schema(t)
	assert.Equal(t, Name, doc["name"])
	reg := registryResource(t, doc)
	assert.Equal(t, true, reg["isComponent"])

	inputs, _ := reg["inputProperties"].(map[string]any)
	assert.ElementsMatch(t, []string{"registry", "storage", "identity", "secrets", "environment",
		"oidcClientSecret", "s3AccessKeyId", "s3SecretAccessKey", "redisPassword"}, keys(inputs))
	assert.ElementsMatch(t, []any{"registry", "storage", "identity", "secrets"}, reg["requiredInputs"])
	for name, v := range inputs {
		prop := v.(map[string]any)
		assert.NotEmpty(t, prop["description"], "input %s has no description", name)
		secret := slices.Contains([]string{"oidcClientSecret", "s3AccessKeyId", "s3SecretAccessKey", "redisPassword"}, name)
		assert.Equal(t, secret, prop["secret"] == true, "input %s: secret flag", name)
	}

	// Every setting docs/configuration.md lists is a described property.
	types, _ := doc["types"].(map[string]any)
	// Settings of one Go type share a schema type (requests and limits are
	// both ResourceAmounts): such a property carries one of their texts.
	var missing []string
	texts := map[string][]any{}
	for path, text := range spec.Descriptions() {
		prop := lookup(inputs, types, path)
		if prop == nil {
			missing = append(missing, path)
			continue
		}
		key := fmt.Sprintf("%p", prop)
		texts[key] = append(texts[key], text)
	}
	for path := range spec.Descriptions() {
		if prop := lookup(inputs, types, path); prop != nil {
			assert.Contains(t, texts[fmt.Sprintf("%p", prop)], prop["description"], path)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "settings documented in docs/configuration.md that the schema lacks")

	props, _ := reg["properties"].(map[string]any)
	assert.ElementsMatch(t, outputs.Names, keys(props), "the outputs are a stack's outputs")
	for name, v := range props {
		prop := v.(map[string]any)
		assert.NotEmpty(t, prop["description"], "output %s has no description", name)
		assert.Equal(t, outputs.Secret[name], prop["secret"] == true, "output %s: secret flag", name)
	}
}

// yamlProperties reads the Registry's properties from the YAML example.
func yamlProperties(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "yaml", "Pulumi.yaml"))
	require.NoError(t, err)
	var prog struct {
		Resources map[string]struct {
			Type       string         `yaml:"type"`
			Properties map[string]any `yaml:"properties"`
		} `yaml:"resources"`
	}
	require.NoError(t, yaml.Unmarshal(b, &prog))
	zot, ok := prog.Resources["zot"]
	require.True(t, ok, "examples/yaml has no resource zot")
	assert.Equal(t, components.RegistryType, zot.Type)
	return zot.Properties
}

// typescriptSettings reads the `settings` literal of the TypeScript example
// (plain data, so a YAML flow mapping).
func typescriptSettings(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "typescript", "index.ts"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)const settings = (\{.*?\n\});`).FindSubmatch(b)
	require.NotNil(t, m, "examples/typescript/index.ts has no `const settings = {…};`")
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(m[1], &out))
	return out
}

// checkAgainstSchema fails for every key of in that the schema lacks.
func checkAgainstSchema(t *testing.T, in map[string]any, props, types map[string]any, path string) {
	for k, v := range in {
		at := strings.TrimPrefix(path+"."+k, ".")
		prop, ok := props[k].(map[string]any)
		if !assert.True(t, ok, "%s is not an input of %s", at, components.RegistryType) {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if inner := propertiesOf(prop, types); inner != nil {
				checkAgainstSchema(t, sub, inner, types, at)
			}
		}
	}
}

// TestExamplesUseTheSchema: the YAML and TypeScript examples set only
// inputs the schema has.
func TestExamplesUseTheSchema(t *testing.T) {
	doc := schema(t)
	reg := registryResource(t, doc)
	inputs, _ := reg["inputProperties"].(map[string]any)
	types, _ := doc["types"].(map[string]any)
	for name, in := range map[string]map[string]any{"yaml": yamlProperties(t), "typescript": typescriptSettings(t)} {
		t.Run(name, func(t *testing.T) {
			require.NotEmpty(t, in)
			checkAgainstSchema(t, in, inputs, types, "")
		})
	}
}

func propertyMap(t *testing.T, in map[string]any) property.Map {
	t.Helper()
	return resource.FromResourcePropertyValue(resource.NewPropertyValue(in)).AsMap()
}

const stack = "dev"

func construct(t *testing.T, rec *mocks.Recorder, in property.Map) (p.ConstructResponse, error) {
	t.Helper()
	return server(t, rec).Construct(p.ConstructRequest{
		Urn:    resource.NewURN(stack, "consumer", "", components.RegistryType, "zot"),
		Config: map[pconfig.Key]string{pconfig.MustParseKey("authentik:url"): "https://auth.example.com"},
		Inputs: in,
	})
}

// TestConstructFromYAML builds the YAML example's Registry through the
// provider under mocks: the defaults a stack gets apply, every part is the
// component's child, and zot's config.json says what the inputs say.
func TestConstructFromYAML(t *testing.T) {
	rec := mocks.New("consumer", stack)
	res, err := construct(t, rec, propertyMap(t, yamlProperties(t)))
	require.NoError(t, err)

	comp := string(res.Urn)
	assert.Contains(t, comp, components.RegistryType+"::zot")
	state := res.State
	assert.Equal(t, "https://registry.example.com", state.Get("registryUrl").AsString())
	assert.Equal(t, "zot", state.Get("namespace").AsString(), "the default namespace")
	for name := range outputs.Secret {
		assert.True(t, state.Get(name).Secret(), "output %s is secret", name)
	}

	var parts []string
	for _, r := range rec.Resources() {
		if r.Parent == comp {
			parts = append(parts, r.Type)
		}
	}
	assert.ElementsMatch(t, []string{"zot-registry:namespace:Namespace", "zot-registry:storage:Storage",
		"zot-registry:identity:Identity", "zot-registry:secrets:Secrets", "zot-registry:registry:Registry"}, parts)

	var zc map[string]any
	var release []mocks.Resource
	for _, r := range rec.ByType(mocks.ReleaseType) {
		release = append(release, r)
	}
	require.Len(t, release, 1)
	values := mocks.PlainMap(release[0].Inputs)["values"].(map[string]any)
	files := values["configFiles"].(map[string]any)
	require.NoError(t, json.Unmarshal([]byte(files[layout.ConfigFile].(string)), &zc))
	assert.Equal(t, "https://registry.example.com", zc["http"].(map[string]any)["externalUrl"])
	st := zc["storage"].(map[string]any)["storageDriver"].(map[string]any)
	assert.Equal(t, "zot-example", st["bucket"])
	assert.Equal(t, true, values["persistence"], "persistence is on by default")
}

// TestConstructRobotRoles: secrets.users takes bare names (push robots)
// beside {name, role}; a pull robot reads every repository in zot's
// config.json and gets a password like any user.
func TestConstructRobotRoles(t *testing.T) {
	in := yamlProperties(t)
	in["registry"].(map[string]any)["accessControl"] = map[string]any{"adminUsers": []any{"ci-pusher"}}
	in["storage"] = map[string]any{"mode": "aws", "region": "eu-west-1", "bucket": "zot-example"}
	in["secrets"] = map[string]any{"mode": "push", "store": map[string]any{"name": "vault"},
		"users": []any{"ci-pusher", map[string]any{"name": "cluster-pull", "role": "pull"}}}
	rec := mocks.New("consumer", stack)
	_, err := construct(t, rec, propertyMap(t, in))
	require.NoError(t, err)
	release := rec.ByType(mocks.ReleaseType)
	require.Len(t, release, 1)
	var zc struct {
		HTTP struct {
			AccessControl struct {
				Repositories map[string]struct {
					Policies []struct {
						Users   []string `json:"users"`
						Actions []string `json:"actions"`
					} `json:"policies"`
				} `json:"repositories"`
				AdminPolicy struct {
					Users []string `json:"users"`
				} `json:"adminPolicy"`
			} `json:"accessControl"`
		} `json:"http"`
	}
	for _, r := range release {
		files := mocks.PlainMap(r.Inputs)["values"].(map[string]any)["configFiles"].(map[string]any)
		require.NoError(t, json.Unmarshal([]byte(files[layout.ConfigFile].(string)), &zc))
	}
	ac := zc.HTTP.AccessControl
	require.Len(t, ac.Repositories["**"].Policies, 1)
	assert.Equal(t, []string{"cluster-pull"}, ac.Repositories["**"].Policies[0].Users)
	assert.Equal(t, []string{"read"}, ac.Repositories["**"].Policies[0].Actions)
	assert.Equal(t, []string{"ci-pusher"}, ac.AdminPolicy.Users)
}

// TestConstructRejectsBadInputs: the checks a stack's config gets, keyed
// by input path, all at once and before any part is registered.
func TestConstructRejectsBadInputs(t *testing.T) {
	in := yamlProperties(t)
	reg := in["registry"].(map[string]any)
	reg["externalUrl"] = "http://registry.example.com/path"
	in["identity"] = map[string]any{"mode": "external", "issuer": "https://idp.example.com"}
	in["secrets"] = map[string]any{"mode": "kubernetes", "users": []any{"ci-pusher"}} // no store: the client secret is required
	rec := mocks.New("consumer", stack)
	_, err := construct(t, rec, propertyMap(t, in))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "registry.externalUrl")
	assert.Contains(t, msg, "config oidcClientSecret: is missing; external mode with secrets mode kubernetes needs the client secret (with ESO, the store may hold it instead); set the oidcClientSecret input (a secret)")
	assert.NotContains(t, msg, spec.Project+":registry", "keys are input paths, not stack config keys")
	assert.Empty(t, rec.Resources(), "nothing is registered for bad inputs")
}

// TestConstructFromTypeScript builds the TypeScript example's Registry
// from its own settings, with the secret it reads from config: a change to
// validation that rejects the example fails here, not for its user.
func TestConstructFromTypeScript(t *testing.T) {
	in := propertyMap(t, typescriptSettings(t)).AsMap()
	in["oidcClientSecret"] = property.New("a client secret").WithSecret(true)
	rec := mocks.New("consumer", stack)
	res, err := construct(t, rec, property.NewMap(in))
	require.NoError(t, err, "examples/typescript/index.ts's settings are valid inputs")
	assert.Equal(t, "https://registry.example.com", res.State.Get("registryUrl").AsString())
	assert.NotEmpty(t, rec.ByType(mocks.ReleaseType), "the example deploys zot")
}
