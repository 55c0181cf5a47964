package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// decodeStrict decodes one structured config object into out (which holds the
// defaults already) and reports unknown fields and wrong types by their full
// key, so a typo such as externalURL never passes silently. It reports every
// problem it finds and decodes everything else, so validation can go on and
// the user sees all problems in one run. It returns false when the value is
// not an object at all, and the full keys the unknown fields were probably
// meant to be ("did you mean").
func decodeStrict(c spec.Collector, raw string, out any) (bool, []string) {
	var generic any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		c.Add("", "is not a structured object ("+err.Error()+")", "write it as a YAML mapping under config: in Pulumi.<stack>.yaml")
		return false, nil
	}
	m, ok := generic.(map[string]any)
	if !ok {
		c.Add("", fmt.Sprintf("must be an object, got %s", jsonKind(generic)), "write it as a YAML mapping under config: in Pulumi.<stack>.yaml")
		return false, nil
	}
	t := reflect.TypeOf(out).Elem()
	var meant []string
	// Reported and removed, so that the rest decodes.
	for _, u := range unknownFields("", generic, t) {
		c.Add(u.path, "is not a known setting", "%s", u.hint)
		if u.meant != "" {
			meant = append(meant, c.Key+"."+u.meant)
		}
	}
	// Field by field: a wrong type in one setting leaves that one at its
	// default and is reported; the others still decode.
	fields := jsonFields(t)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b, err := json.Marshal(m[k])
		if err != nil {
			c.Add(k, err.Error(), "fix the value in Pulumi.<stack>.yaml")
			continue
		}
		field := reflect.ValueOf(out).Elem().FieldByIndex(fields[k].Index).Addr().Interface()
		if err := json.Unmarshal(b, field); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				key := k
				if te.Field != "" {
					key = join(k, te.Field)
				}
				c.Add(key, fmt.Sprintf("must be %s, got %s", goKind(te.Type), te.Value), "fix its type in Pulumi.<stack>.yaml")
				continue
			}
			c.Add(k, err.Error(), "fix the value in Pulumi.<stack>.yaml")
		}
	}
	return true, meant
}

// unknownField is a key no setting has; meant is the setting it probably
// is a typo of (relative to the object), if any.
type unknownField struct{ path, hint, meant string }

// unknownFields reports the keys no setting has, anywhere in v, and removes
// them from v.
func unknownFields(prefix string, v any, t reflect.Type) []unknownField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []unknownField
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, reported by the decoder
		}
		fields := jsonFields(t)
		// Sorted, and a copy: unknown keys are deleted from m on the way.
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, known := fields[k]
			p := join(prefix, k)
			if !known {
				hint, meant := suggest(k, fields)
				if meant != "" {
					meant = join(prefix, meant)
				}
				out = append(out, unknownField{p, hint, meant})
				delete(m, k)
				continue
			}
			out = append(out, unknownFields(p, m[k], f.Type)...)
		}
	case reflect.Slice:
		if s, ok := v.([]any); ok {
			for i, e := range s {
				out = append(out, unknownFields(fmt.Sprintf("%s[%d]", prefix, i), e, t.Elem())...)
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k, e := range m {
				out = append(out, unknownFields(join(prefix, k), e, t.Elem())...)
			}
		}
	}
	return out
}

// jsonFields maps a struct's JSON names to its fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f
	}
	return fields
}

// suggest names the known key closest to a typo (case or two edits away),
// and returns it.
func suggest(k string, fields map[string]reflect.StructField) (string, string) {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.EqualFold(n, k) || editDistance(strings.ToLower(n), strings.ToLower(k)) <= 2 {
			return fmt.Sprintf("did you mean %q? (known: %s)", n, strings.Join(names, ", ")), n
		}
	}
	return "remove it; known settings here: " + strings.Join(names, ", "), ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func goKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
