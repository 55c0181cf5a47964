package main

import (
	"context"
	"encoding/json"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Name is the package's name; Version its version.
const (
	Name    = spec.Project
	Version = "0.1.0"
)

// New is the provider: infer derives the schema from components'
// RegistryArgs and Registry; two wrappers add what Go types cannot say.
func New() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("Zot registry").
		WithDescription("A production zot container registry on Kubernetes: S3 storage, OpenID login, External Secrets Operator secrets and the project-zot Helm chart.").
		WithNamespace("zot-registry").
		WithComponents(infer.Component(Component{})).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	getSchema, construct := prov.GetSchema, prov.Construct
	prov.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		res, err := getSchema(ctx, req)
		if err != nil {
			return res, err
		}
		res.Schema, err = describe(res.Schema)
		return res, err
	}
	prov.Construct = func(ctx context.Context, req p.ConstructRequest) (p.ConstructResponse, error) {
		in, err := withDefaults(req.Inputs, req.Urn.Stack().String())
		if err != nil {
			return p.ConstructResponse{}, err
		}
		req.Inputs = in
		return construct(ctx, req)
	}
	return prov, nil
}

// Component anchors components.NewRegistry in the schema under the token
// components.RegistryType (zot-registry:index:Registry, pinned here: the
// Go name is free); the Go types themselves import no infer.
type Component struct{}

// Annotate names and describes the resource.
func (r *Component) Annotate(a infer.Annotator) {
	a.SetToken("index", "Registry")
	a.Describe(r, "A zot registry: its namespace, S3 bucket and access policy, OpenID client, "+
		"the Secrets zot mounts (External Secrets Operator) and the zot Helm release, "+
		"exactly as the zot-registry program deploys them for a stack.")
}

// Construct builds the component; validation errors name input paths.
func (Component) Construct(ctx *pulumi.Context, name, _ string, args components.RegistryArgs, opts pulumi.ResourceOption) (*outputs.Stack, error) {
	return components.NewRegistry(ctx, name, &args, opts)
}

// withDefaults lays the given inputs over the defaults, as a stack's
// config is laid over them: objects key by key, anything else replaced. A
// zero value is not a default (persistence, the namespace, the retained
// bucket are on by default), so the defaults cannot come from the Go
// struct's zero values.
func withDefaults(in property.Map, stack string) (property.Map, error) {
	env := stack
	if e, ok := in.GetOk("environment"); ok && e.IsString() && e.AsString() != "" {
		env = e.AsString()
	}
	d := components.DefaultRegistryArgs(env)
	out := in.AsMap()
	for key, section := range out {
		out[key] = shortForms(key, section)
	}
	for key, section := range map[string]any{"registry": d.Registry, "storage": d.Storage, "identity": d.Identity, "secrets": d.Secrets} {
		b, err := json.Marshal(section)
		if err != nil {
			return property.Map{}, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return property.Map{}, err
		}
		def := resource.FromResourcePropertyValue(resource.NewPropertyValue(m))
		given, ok := out[key]
		if !ok {
			out[key] = def
			continue
		}
		out[key] = overlay(def, given)
	}
	return property.NewMap(out), nil
}

// shortForms writes out what a stack's config may say in short (spec's
// UnmarshalJSON: a string for an object's first field) as the objects the
// schema types: each bare name in secrets.users as {name}, each string
// in secrets.remoteKeys and in a mirror's credentials as {key}.
func shortForms(key string, section property.Value) property.Value {
	switch key {
	case spec.KeySecrets:
		section = at(section, "users", func(users property.Value) property.Value {
			return each(users, func(u property.Value) property.Value { return long(u, "name") })
		})
		return at(section, "remoteKeys", func(keys property.Value) property.Value {
			return every(keys, func(k property.Value) property.Value { return long(k, "key") })
		})
	case spec.KeyRegistry:
		return at(section, "mirrors", func(mirrors property.Value) property.Value {
			return each(mirrors, func(m property.Value) property.Value {
				return at(m, "credentials", func(c property.Value) property.Value {
					return every(c, func(k property.Value) property.Value { return long(k, "key") })
				})
			})
		})
	}
	return section
}

// long is a string s as {field: s}; anything else as it is.
func long(v property.Value, field string) property.Value {
	if !v.IsString() {
		return v
	}
	return property.New(property.NewMap(map[string]property.Value{field: v})).WithDependencies(v.Dependencies())
}

// plain says whether v is a value the program can look into.
func plain(v property.Value) bool { return !v.Secret() && !v.IsComputed() }

// at is the object v with its field changed by f, where v is a plain
// object that has it.
func at(v property.Value, field string, f func(property.Value) property.Value) property.Value {
	if !v.IsMap() || !plain(v) {
		return v
	}
	m := v.AsMap().AsMap()
	inner, ok := m[field]
	if !ok {
		return v
	}
	m[field] = f(inner)
	return property.New(property.NewMap(m)).WithDependencies(v.Dependencies())
}

// each is the plain array v with f applied to every element.
func each(v property.Value, f func(property.Value) property.Value) property.Value {
	if !v.IsArray() || !plain(v) {
		return v
	}
	var list []property.Value
	for _, e := range v.AsArray().All {
		list = append(list, f(e))
	}
	return property.New(property.NewArray(list)).WithDependencies(v.Dependencies())
}

// every is the plain object v with f applied to every field's value.
func every(v property.Value, f func(property.Value) property.Value) property.Value {
	if !v.IsMap() || !plain(v) {
		return v
	}
	m := v.AsMap().AsMap()
	for k, e := range m {
		m[k] = f(e)
	}
	return property.New(property.NewMap(m)).WithDependencies(v.Dependencies())
}

// overlay is given laid over def. Secrets and unknowns keep their marks:
// only plain objects are merged.
func overlay(def, given property.Value) property.Value {
	if !def.IsMap() || !given.IsMap() || given.Secret() || given.IsComputed() {
		return given
	}
	m := def.AsMap().AsMap()
	for k, v := range given.AsMap().All {
		if d, ok := m[k]; ok {
			m[k] = overlay(d, v)
		} else {
			m[k] = v
		}
	}
	return property.New(property.NewMap(m)).WithDependencies(given.Dependencies())
}

// describe adds the settings' descriptions (spec.Descriptions, declared beside
// each field) to the schema's types, which infer cannot read
// from the Go types' comments.
func describe(schema string) (string, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(schema), &doc); err != nil {
		return "", err
	}
	types, _ := doc["types"].(map[string]any)
	// Every setting is optional, as in a stack's config: a nested section
	// is a Go value (not a pointer), which infer calls required, and the
	// provider fills what is not given from the defaults (withDefaults).
	for _, t := range types {
		delete(t.(map[string]any), "required")
	}
	resources, _ := doc["resources"].(map[string]any)
	reg, ok := resources[components.RegistryType].(map[string]any)
	if !ok {
		return "", fmt.Errorf("schema has no %s", components.RegistryType)
	}
	inputs, _ := reg["inputProperties"].(map[string]any)
	for name, text := range topLevel {
		if prop, ok := inputs[name].(map[string]any); ok {
			prop["description"] = text
		}
	}
	props, _ := reg["properties"].(map[string]any)
	for name, text := range spec.OutputDescriptions {
		if prop, ok := props[name].(map[string]any); ok {
			prop["description"] = text
		}
	}
	for path, text := range spec.Descriptions() {
		if prop := lookup(inputs, types, path); prop != nil && prop["description"] == nil {
			prop["description"] = text
		}
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// topLevel describes the inputs that are not settings of a section.
var topLevel = map[string]string{
	"registry":          "zot itself: the release, exposure, access control and day-2 settings (docs/configuration.md, zot-registry:registry).",
	"storage":           "The S3 bucket zot keeps blobs in (docs/storage.md).",
	"identity":          "The OpenID provider of the web UI (docs/identity.md).",
	"secrets":           "The Kubernetes Secrets zot mounts, delivered by the External Secrets Operator or, in mode kubernetes, written by the program (docs/secrets.md).",
	"environment":       "Names the environment where a default needs one (the OAuth2 client id zot-<environment>, the bucket prefix). Default: the stack's name.",
	"oidcClientSecret":  "The OAuth2 client secret, with identity mode external.",
	"s3AccessKeyId":     "zot's S3 access key id, with secrets mode push or kubernetes when storage mode is not aws.",
	"s3SecretAccessKey": "zot's S3 secret key, with secrets mode push or kubernetes when storage mode is not aws.",
	"redisPassword":     "The password of registry.cache.redis, when it has one.",
}

// lookup finds the schema property at a dotted input path, following
// object types by reference and array items.
func lookup(props, types map[string]any, path string) map[string]any {
	var prop map[string]any
	for i, part := range splitPath(path) {
		if i > 0 {
			props = propertiesOf(prop, types)
		}
		next, ok := props[part].(map[string]any)
		if !ok {
			return nil
		}
		prop = next
	}
	return prop
}

func propertiesOf(prop, types map[string]any) map[string]any {
	if items, ok := prop["items"].(map[string]any); ok {
		prop = items
	}
	if ap, ok := prop["additionalProperties"].(map[string]any); ok {
		prop = ap
	}
	ref, _ := prop["$ref"].(string)
	const local = "#/types/"
	if len(ref) <= len(local) {
		return nil
	}
	t, _ := types[ref[len(local):]].(map[string]any)
	props, _ := t["properties"].(map[string]any)
	return props
}

func splitPath(path string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '.' {
			out = append(out, path[start:i])
			start = i + 1
		}
	}
	return out
}
