package zot

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// rule is one repository rule as config.json holds it.
type rule struct {
	pattern   string
	actions   map[string][]string // user -> actions
	anonymous bool
}

// rules are the config's repository rules: every pattern but "**" and the
// mirrors' prefixes (TestMirrorsPullThrough checks those; a push there
// first asks the upstream, here a closed port, for the tag).
func rules(cfg map[string]any) []rule {
	var out []rule
	for pattern, g := range getPath(cfg, "http", "accessControl", "repositories").(map[string]any) {
		if pattern == "**" || slices.ContainsFunc(onDemandPrefixes(cfg), func(p string) bool { return pattern == p+"/**" }) {
			continue
		}
		gm := g.(map[string]any)
		r := rule{pattern: pattern, actions: map[string][]string{}, anonymous: slices.Contains(strs(gm["anonymousPolicy"]), "read")}
		for _, p := range gm["policies"].([]any) {
			pm := p.(map[string]any)
			for _, u := range strs(pm["users"]) {
				r.actions[u] = append(r.actions[u], strs(pm["actions"])...)
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b rule) int { return strings.Compare(a.pattern, b.pattern) })
	return out
}

// repoUnder is a repository a simple "<prefix>/**" pattern matches.
func repoUnder(pattern string) (string, bool) {
	prefix, ok := strings.CutSuffix(pattern, "/**")
	if !ok || strings.ContainsAny(prefix, "*?[{") {
		return "", false
	}
	return prefix + "/app", true
}

// TestRepositoryRules: in zot itself, a rule's pullers pull under its
// pattern and cannot push; its pushers push under it and get 403 under
// another rule's and outside every rule; a pusher
// without delete cannot delete, a deleter can; a global reader (the pull
// robot) pulls inside every rule, as docs/identity.md says; a rule's
// anonymousRead opens only its own repositories.
func TestRepositoryRules(t *testing.T) {
	var r *rendered
	for _, x := range renders {
		if len(rules(x.Config)) > 1 && !dynamoDB(x.Config) {
			r = x
			break
		}
	}
	if r == nil {
		t.Fatal("no variant with two or more repository rules")
	}
	t.Logf("variant %s", r.Name)
	c := setUp(t, r, nil)
	z := c.Zots[0]
	admin := c.People.Admin
	all := rules(r.Config)
	checked := 0
	for _, ru := range all {
		repo, ok := repoUnder(ru.pattern)
		if !ok {
			t.Logf("%s: not a <prefix>/** pattern, not checked here", ru.pattern)
			continue
		}
		checked++
		if err := z.Registry().Push(repo+":1", dockerImage(t, 512), admin); err != nil {
			t.Fatalf("push %s as admin: %s", repo, tier.Describe(err))
		}
		if p := c.People.Puller; p.Name != "" {
			if _, err := z.Registry().Pull(repo+":1", p); err != nil {
				t.Errorf("%s: the pull robot (a global reader) cannot pull inside the rule: %s", ru.pattern, tier.Describe(err))
			}
		}
		manifest := z.URL() + "/v2/" + strings.TrimSuffix(repo, ":1") + "/manifests/1"
		if code, _ := status(t, http.MethodGet, manifest, tier.User{}, nil); (code == 200) != (ru.anonymous || anonymousRead(r.Config)) {
			t.Errorf("%s: anonymous GET manifest: %d (rule anonymousRead %v)", ru.pattern, code, ru.anonymous)
		}
		for name, actions := range ru.actions {
			u, ok := c.People.Rules[name]
			if !ok {
				continue // a global reader or an SSO user
			}
			if !slices.Contains(actions, "create") {
				// A rule's puller: pulls there, pushes nowhere.
				if _, err := z.Registry().Pull(repo+":1", u); err != nil {
					t.Errorf("%s: %s pulls under its pattern: %s", ru.pattern, name, tier.Describe(err))
				}
				wantCode(t, name+" (pull only) pushes", z.Registry().Push(repo+":"+name, dockerImage(t, 512), u), 403)
			}
			if slices.Contains(actions, "create") {
				if err := z.Registry().Push(repo+":"+name, dockerImage(t, 512), u); err != nil {
					t.Errorf("%s: %s pushes under its own pattern: %s", ru.pattern, name, tier.Describe(err))
				}
				wantCode(t, name+" pushes outside every rule", z.Registry().Push("outside/"+name+":1", dockerImage(t, 512), u), 403)
				for _, other := range all {
					if o, ok := repoUnder(other.pattern); ok && other.pattern != ru.pattern && !slices.Contains(other.actions[name], "create") {
						wantCode(t, name+" pushes under "+other.pattern, z.Registry().Push(o+":"+name, dockerImage(t, 512), u), 403)
					}
				}
			}
			err := z.Registry().Delete(repo+":1", u)
			if slices.Contains(actions, "delete") {
				if err != nil {
					t.Errorf("%s: %s deletes under its own pattern: %s", ru.pattern, name, tier.Describe(err))
				}
				if err := z.Registry().Push(repo+":1", dockerImage(t, 512), admin); err != nil {
					t.Fatalf("push %s again: %s", repo, tier.Describe(err))
				}
			} else {
				wantCode(t, name+" deletes without the delete right", err, 403)
			}
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d rules, want at least 2", checked)
	}
}
