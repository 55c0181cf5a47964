package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// A Setting declares a setting once, beside its field: its input path, its
// default and what it means. Defaults, docs/configuration.md's tables, the
// package schema's descriptions and Pulumi.yaml's config block are all made
// from the declarations (tests keep the generated files fresh), so a new
// setting is its field, its declaration, its check, its consumer and a test.
type Setting struct {
	// Keys are the input paths (registry.startupTimeout). Settings that
	// share one meaning (readerUsers and readerGroups) are declared together.
	Keys []string
	// Default is what Defaults fills in; PerKey gives one per key. nil
	// leaves the field's zero value.
	Default any
	// Shown is the reference's default column where Default alone would
	// mislead: "required", or a default another setting decides.
	Shown string
	// Doc is the meaning, in the reference's words (Markdown).
	Doc string
}

// PerKey is a Default with one value per key of its Setting, in order; nil
// for none.
type PerKey []any

// declared are the declarations of every file, in one list.
func declared() []Setting {
	return slices.Concat(registrySettings, operationsSettings, placementSettings,
		mirrorSettings, storageSettings, identitySettings, secretsSettings)
}

// Declared lists every setting's declaration in the order the sections'
// types hold their fields (the reference's order).
func Declared() []Setting {
	at := map[string]int{}
	for i, p := range Paths() {
		at[p] = i
	}
	out := declared()
	slices.SortStableFunc(out, func(a, b Setting) int { return at[a.Keys[0]] - at[b.Keys[0]] })
	return out
}

// defaultOf is the default of the setting's i-th key.
func (s Setting) defaultOf(i int) any {
	if p, ok := s.Default.(PerKey); ok {
		return p[i]
	}
	return s.Default
}

// DefaultText is the reference's default column: Shown, or each key's
// default in backticks ("none" for an unset string, the zero value of a
// flag, a number, a list or a map).
func (s Setting) DefaultText() string {
	if s.Shown != "" {
		return s.Shown
	}
	n := 1
	if _, ok := s.Default.(PerKey); ok {
		n = len(s.Keys)
	}
	texts := make([]string, n)
	for i := range texts {
		texts[i] = shownValue(s.Keys[i], s.defaultOf(i))
	}
	return strings.Join(texts, ", ")
}

// shownValue renders a default: the value, or the zero value of the field.
func shownValue(path string, v any) string {
	if v != nil {
		return fmt.Sprintf("`%v`", v)
	}
	switch f := fieldType(path); f.Kind() {
	case reflect.Slice:
		return "`[]`"
	case reflect.Map:
		return "`{}`"
	case reflect.Bool, reflect.Int, reflect.Int64:
		return fmt.Sprintf("`%v`", reflect.Zero(f))
	}
	return "none"
}

// Description is the setting's meaning with its default, as the package
// schema shows it.
func (s Setting) Description() string {
	d := s.DefaultText()
	if d == "required" || strings.HasPrefix(d, "none") {
		return s.Doc
	}
	return s.Doc + " Default: " + d + "."
}

// Descriptions are the settings' meanings by input path
// (registry.externalUrl), for the package schema.
func Descriptions() map[string]string {
	out := map[string]string{}
	for _, s := range declared() {
		for _, k := range s.Keys {
			out[k] = s.Description()
		}
	}
	return out
}

// sectionTypes are the sections' types by key.
var sectionTypes = map[string]reflect.Type{
	KeyRegistry: reflect.TypeFor[Registry](),
	KeyStorage:  reflect.TypeFor[Storage](),
	KeyIdentity: reflect.TypeFor[Identity](),
	KeySecrets:  reflect.TypeFor[Secrets](),
}

// Paths lists every setting's input path, as the decoder reads it, in the
// order of the sections and their fields: a struct is descended into,
// anything else (a list, a map, a value with its own JSON form) is one
// setting.
func Paths() []string {
	var out []string
	for _, k := range Keys {
		out = append(out, paths(k, sectionTypes[k])...)
	}
	return out
}

func paths(prefix string, t reflect.Type) []string {
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return []string{prefix}
	}
	var out []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, paths(prefix+"."+name, t.Field(i).Type)...)
		}
	}
	return out
}

// jsonName is a field's config key, or "" for a field that is none.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// field is the field at an input path in s, found by the config keys.
func field(s *Settings, path string) reflect.Value {
	section, rest, _ := strings.Cut(path, ".")
	v := reflect.ValueOf(s).Elem().FieldByName(map[string]string{
		KeyRegistry: "Registry", KeyStorage: "Storage", KeyIdentity: "Identity", KeySecrets: "Secrets",
	}[section])
	for name := range strings.SplitSeq(rest, ".") {
		v = fieldNamed(v, name, path)
	}
	return v
}

// fieldNamed is the field of struct v whose config key is name.
func fieldNamed(v reflect.Value, name, path string) reflect.Value {
	for i := range v.NumField() {
		if jsonName(v.Type().Field(i)) == name {
			return v.Field(i)
		}
	}
	panic("spec: no setting " + path)
}

// fieldType is the type of the field at an input path.
func fieldType(path string) reflect.Type {
	return field(&Settings{}, path).Type()
}

// Defaults are the settings before a stack sets any: every declared
// default.
func Defaults(environment string) Settings {
	s := Settings{Environment: environment}
	for _, d := range declared() {
		for i, k := range d.Keys {
			if v := d.defaultOf(i); v != nil {
				f := field(&s, k)
				f.Set(reflect.ValueOf(v).Convert(f.Type()))
			}
		}
	}
	return s
}
