package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "write testdata/schema-<Version>.json from the current schema (a release step)")

// sigOf is a property's type as a program using it sees it: its type,
// reference, items and map values, without descriptions.
func sigOf(prop any) string {
	m, _ := prop.(map[string]any)
	var parts []string
	for _, k := range []string{"type", "$ref"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if v, ok := m[k]; ok {
			parts = append(parts, k+"("+sigOf(v)+")")
		}
	}
	return strings.Join(parts, ",")
}

// propsChanges are the properties of an old object (a resource's inputs or
// outputs, an object type) that the new one removed or retyped, and the
// required ones it added.
func propsChanges(where string, oldProps, newProps map[string]any, oldReq, newReq []any) []string {
	var out []string
	for name, p := range oldProps {
		q, ok := newProps[name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s.%s: removed", where, name))
		case sigOf(p) != sigOf(q):
			out = append(out, fmt.Sprintf("%s.%s: retyped from %s to %s", where, name, sigOf(p), sigOf(q)))
		}
	}
	for _, r := range newReq {
		if !slices.Contains(oldReq, r) {
			out = append(out, fmt.Sprintf("%s.%v: newly required", where, r))
		}
	}
	return out
}

// breakingChanges lists what a program written against the old schema
// would break on: a resource, an input, an output or a property of a type
// removed or retyped, an input or a type's property made required.
func breakingChanges(oldDoc, newDoc map[string]any) []string {
	obj := func(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }
	list := func(m map[string]any, k string) []any { v, _ := m[k].([]any); return v }
	var out []string
	// each compares every object of a section the old schema has with the
	// new schema's, by token.
	each := func(kind, section string, compare func(token string, o, n map[string]any) []string) {
		for token, v := range obj(oldDoc, section) {
			o, _ := v.(map[string]any)
			n, ok := obj(newDoc, section)[token].(map[string]any)
			if !ok {
				out = append(out, kind+" "+token+": removed")
				continue
			}
			out = append(out, compare(token, o, n)...)
		}
	}
	each("resource", "resources", func(token string, o, n map[string]any) []string {
		return append(propsChanges(token+" input", obj(o, "inputProperties"), obj(n, "inputProperties"), list(o, "requiredInputs"), list(n, "requiredInputs")),
			propsChanges(token+" output", obj(o, "properties"), obj(n, "properties"), nil, nil)...)
	})
	each("type", "types", func(token string, o, n map[string]any) []string {
		return propsChanges(token, obj(o, "properties"), obj(n, "properties"), list(o, "required"), list(n, "required"))
	})
	sort.Strings(out)
	return out
}

// TestBreakingChanges: the comparison finds each kind of break, and not
// what a program does not notice (a description, a new optional input).
func TestBreakingChanges(t *testing.T) {
	base := `{"resources":{"p:index:R":{"inputProperties":{"a":{"type":"string"},"b":{"$ref":"#/types/p:index:T"},"c":{"type":"array","items":{"type":"string"}}},"requiredInputs":["a"],"properties":{"url":{"type":"string"}}}},
	"types":{"p:index:T":{"type":"object","properties":{"x":{"type":"integer"}}}}}`
	for _, c := range []struct {
		name, from, to string
		want           []string
	}{
		{"a description and a new optional input", `"a":{"type":"string"}`, `"a":{"type":"string","description":"new words"},"d":{"type":"boolean"}`, nil},
		{"an input removed", `"a":{"type":"string"},`, ``, []string{"p:index:R input.a: removed"}},
		{"an input retyped", `"a":{"type":"string"}`, `"a":{"type":"integer"}`, []string{"p:index:R input.a: retyped from type=string to type=integer"}},
		{"an array's items retyped", `"items":{"type":"string"}`, `"items":{"type":"number"}`, []string{"p:index:R input.c: retyped from type=array,items(type=string) to type=array,items(type=number)"}},
		{"an input made required", `"requiredInputs":["a"]`, `"requiredInputs":["a","c"]`, []string{"p:index:R input.c: newly required"}},
		{"an output removed", `"properties":{"url":{"type":"string"}}`, `"properties":{}`, []string{"p:index:R output.url: removed"}},
		{"a type's property removed", `"properties":{"x":{"type":"integer"}}`, `"properties":{}`, []string{"p:index:T.x: removed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var oldDoc, newDoc map[string]any
			require.NoError(t, json.Unmarshal([]byte(base), &oldDoc))
			changed := strings.Replace(base, c.from, c.to, 1)
			require.NotEqual(t, base, changed, "the edit applies")
			require.NoError(t, json.Unmarshal([]byte(changed), &newDoc))
			assert.Equal(t, c.want, breakingChanges(oldDoc, newDoc))
		})
	}
}

// lastRelease is the newest schema-<version>.json in testdata: the
// schema of the last release, committed when it was cut.
func lastRelease(t *testing.T) (semver.Version, string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "schema-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "provider/testdata has no released schema")
	var best semver.Version
	var path string
	for _, f := range files {
		v, err := semver.Parse(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "schema-"), ".json"))
		require.NoError(t, err, f)
		if path == "" || v.GT(best) {
			best, path = v, f
		}
	}
	return best, path
}

// majorBump says whether going from last to cur may break users: a new
// major, or below 1.0 a new minor (semver's rule for 0.x).
func majorBump(last, cur semver.Version) bool {
	if cur.Major != last.Major {
		return cur.Major > last.Major
	}
	return cur.Major == 0 && cur.Minor > last.Minor
}

// changelogSection is CHANGELOG.md's section for a version ("Unreleased"
// or "0.2.0"), "" when there is none.
func changelogSection(t *testing.T, version string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "CHANGELOG.md"))
	require.NoError(t, err)
	text := string(b)
	start := strings.Index(text, "## ["+version+"]")
	if start < 0 {
		return ""
	}
	rest := text[start+3:]
	if end := strings.Index(rest, "\n## ["); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// TestSchemaCompatibleWithLastRelease: against the schema of the last
// release, the current one breaks nothing, unless Version is a major bump
// and CHANGELOG.md's section for it says each break under "Breaking".
func TestSchemaCompatibleWithLastRelease(t *testing.T) {
	cur := semver.MustParse(Version)
	if *update {
		b, err := json.MarshalIndent(schema(t), "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "schema-"+Version+".json"), append(b, '\n'), 0o644))
		return
	}
	last, path := lastRelease(t)
	require.False(t, cur.LT(last), "Version %s is older than the last release %s", cur, last)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var oldDoc map[string]any
	require.NoError(t, json.Unmarshal(b, &oldDoc))
	breaks := breakingChanges(oldDoc, schema(t))
	if len(breaks) == 0 {
		return
	}
	section := changelogSection(t, cur.String())
	if !majorBump(last, cur) || !strings.Contains(section, "### Breaking") {
		t.Fatalf("the schema breaks programs written for %s:\n  %s\nkeep the old inputs and outputs, or release a new major: Version %s and, in CHANGELOG.md's [%s] section, a \"### Breaking\" list naming each (docs/package.md, Releases)",
			last, strings.Join(breaks, "\n  "), nextMajor(last), nextMajor(last))
	}
	for _, br := range breaks {
		subject, _, _ := strings.Cut(br, ": ")
		assert.Contains(t, section, subject, "CHANGELOG.md's [%s] section names the break %s", cur, br)
	}
}

// nextMajor is the release after v that may break users.
func nextMajor(v semver.Version) string {
	if v.Major == 0 {
		return fmt.Sprintf("0.%d.0", v.Minor+1)
	}
	return fmt.Sprintf("%d.0.0", v.Major+1)
}

// TestChangelogHasTheVersion: CHANGELOG.md keeps Keep a Changelog's form,
// newest first, with a section for Version, and the last release has its
// committed schema.
func TestChangelogHasTheVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "CHANGELOG.md"))
	require.NoError(t, err)
	heads := regexp.MustCompile(`(?m)^## \[([^\]]+)\]`).FindAllStringSubmatch(string(b), -1)
	require.NotEmpty(t, heads)
	assert.Equal(t, "Unreleased", heads[0][1], "the first section collects what the next release brings")
	var versions []semver.Version
	for _, h := range heads[1:] {
		v, err := semver.Parse(h[1])
		require.NoError(t, err, "section %q", h[1])
		versions = append(versions, v)
	}
	require.NotEmpty(t, versions)
	assert.True(t, slices.IsSortedFunc(versions, func(a, b semver.Version) int { return b.Compare(a) }), "newest first: %v", versions)
	assert.Equal(t, Version, versions[0].String(), "the newest release section is Version")
	last, _ := lastRelease(t)
	assert.Equal(t, versions[0], last, "testdata holds the schema of the newest release")
}
