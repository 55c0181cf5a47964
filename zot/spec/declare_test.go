package spec

import (
	"reflect"
	"slices"
	"testing"
)

// TestEverySettingIsDeclaredOnce: each input path the decoder reads has
// exactly one declaration (so a default, a description and a reference row),
// and no declaration names a path that is not read.
func TestEverySettingIsDeclaredOnce(t *testing.T) {
	count := map[string]int{}
	for _, s := range declared() {
		if len(s.Keys) == 0 || s.Doc == "" {
			t.Errorf("declaration %v: want keys and a meaning", s.Keys)
		}
		if p, ok := s.Default.(PerKey); ok && len(p) != len(s.Keys) {
			t.Errorf("%v: %d defaults for %d keys", s.Keys, len(p), len(s.Keys))
		}
		for _, k := range s.Keys {
			count[k]++
		}
	}
	paths := Paths()
	for _, p := range paths {
		if count[p] != 1 {
			t.Errorf("%s is declared %d times; want once", p, count[p])
		}
	}
	for k := range count {
		if !slices.Contains(paths, k) {
			t.Errorf("%s is declared but is no setting", k)
		}
	}
}

// TestDefaultsFillWhatIsDeclared: Defaults sets exactly the declared
// defaults, each into its own field, and the reference shows each default
// as declared.
func TestDefaultsFillWhatIsDeclared(t *testing.T) {
	d := Defaults("dev")
	for _, tc := range []struct {
		path string
		want any
		text string
	}{
		{"registry.startupTimeout", DefaultStartupTimeout, "`45m`"},
		{"registry.resources.requests.memory", DefaultMemoryRequest, "`250m`, `512Mi`"},
		{"registry.resources.limits.cpu", "", "none, `2Gi`"},
		{"registry.createNamespace", true, "`true`"},
		{"registry.accessControl.anonymousRead", false, "`false`"},
		{"registry.accessControl.adminUsers", []string(nil), "`[]`"},
		{"registry.upload.chunkSize", int64(DefaultChunkSize), "`67108864` (64 MiB)"},
		{"secrets.sessionSecretName", "zot-session", "`zot-oidc`, `zot-htpasswd`, `zot-s3`, `zot-session`, `zot-sync` (only with `registry.mirrors[].credentials`)"},
		{"registry.externalUrl", "", "required"},
	} {
		got := field(&d, tc.path).Interface()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Defaults %s = %#v, want %#v", tc.path, got, tc.want)
		}
		i := slices.IndexFunc(declared(), func(s Setting) bool { return slices.Contains(s.Keys, tc.path) })
		if text := declared()[i].DefaultText(); text != tc.text {
			t.Errorf("%s shows default %q, want %q", tc.path, text, tc.text)
		}
	}
}
