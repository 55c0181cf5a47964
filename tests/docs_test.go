package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// settings lists every setting of a config section by its dotted key, as
// the decoder reads it: a struct is descended into, anything else (a list,
// a map, a value with its own JSON form) is one setting.
func settings(prefix string, t reflect.Type) []string {
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshaler) {
		return []string{prefix}
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		out = append(out, settings(key, f.Type)...)
	}
	return out
}

// docRow is one table row of a docs page: one key of its first column,
// and the row's other cells.
type docRow struct {
	key   string
	cells []string
}

// sectionRows reads every table row in one section of a page, a row per
// key ("| `a`, `b` | …" documents a and b; "`resources.requests.cpu`,
// `.memory`": the dot repeats the previous key's parent).
func sectionRows(t *testing.T, page, heading string) []docRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", page))
	require.NoError(t, err)
	text := string(b)
	start := strings.Index(text, heading)
	require.GreaterOrEqual(t, start, 0, "docs/%s has no section %q", page, heading)
	text = text[start+len(heading):]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	var out []docRow
	row := regexp.MustCompile("(?m)^\\| ((?:`[^`]+`(?:, )?)+) \\|(.*)$")
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(m[2], " "), " |"), " | ")
		prev := ""
		for _, k := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
			key := k[1]
			if strings.HasPrefix(key, ".") && strings.Contains(prev, ".") {
				key = prev[:strings.LastIndex(prev, ".")] + key
			}
			out = append(out, docRow{key, cells})
			prev = key
		}
	}
	return out
}

// documented reads the first column of every table row in one section.
func documented(t *testing.T, page, heading string) []string {
	t.Helper()
	var out []string
	for _, r := range sectionRows(t, page, heading) {
		out = append(out, r.key)
	}
	return out
}

// TestConfigReferenceMatchesTheCode: docs/configuration.md documents every
// setting the config package reads, and none it does not.
func TestConfigReferenceMatchesTheCode(t *testing.T) {
	sections := map[string]reflect.Type{
		spec.KeyRegistry: reflect.TypeFor[spec.Registry](),
		spec.KeyStorage:  reflect.TypeFor[spec.Storage](),
		spec.KeyIdentity: reflect.TypeFor[spec.Identity](),
		spec.KeySecrets:  reflect.TypeFor[spec.Secrets](),
	}
	for key, typ := range sections {
		t.Run(key, func(t *testing.T) {
			want := settings("", typ)
			got := documented(t, "configuration.md", "## `"+spec.FullKey(key)+"`")
			sort.Strings(want)
			sort.Strings(got)
			assert.Equal(t, want, got, "docs/configuration.md's table for %s", spec.FullKey(key))
		})
	}
}

// TestOutputsReferenceMatchesTheCode: docs/outputs.md lists every stack
// output the program exports, and nothing else.
func TestOutputsReferenceMatchesTheCode(t *testing.T) {
	got := documented(t, "outputs.md", "# Stack outputs")
	want := append([]string(nil), outputs.Names...)
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)
}

// TestREADMEIsAMap: the README stays short and links every docs page.
func TestREADMEIsAMap(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	assert.Less(t, len(readme), 10*1024, "README.md is over 10 KB: move detail into docs/")
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	for _, p := range pages {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		assert.Contains(t, string(readme), "](docs/"+name+")", "the README does not link docs/%s", name)
	}
}

// TestDocsLinksResolve: every relative link in the README and the docs
// points at a file that exists (one click from the README, never a 404).
func TestDocsLinksResolve(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+\.md|[^)#:]+/)(#[^)]*)?\)`)
	for _, p := range pages {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := filepath.Join(filepath.Dir(p), m[1])
			_, err := os.Stat(target)
			assert.NoError(t, err, "%s links to %s", filepath.Base(p), m[1])
		}
	}
}
