package policy

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// StacksApart is the cross-stack rule: two stacks of one project never
// share what each owns alone. A copied stack file that keeps prod's bucket,
// remote keys, Authentik client or release would overwrite prod (the
// PushSecret replaces the store's values, the release replaces zot).
const StacksApart = "stacks-apart"

// StacksApartDoc says what the rule checks.
const StacksApartDoc = "no two stacks share a bucket on one store, a remote key in one secret store, an Authentik slug or client id at one Authentik, or a release in one namespace of one Kubernetes context"

// Stack is one stack's validated config and its provider settings (the
// Pulumi.<stack>.yaml values, for kubernetes:context).
type Stack struct {
	Name   string
	Config *config.Config
	Values map[string]string
}

// owned lists what a stack owns alone: "what" names it for the message.
type owned struct{ what, value string }

func (s Stack) owns() []owned {
	c := s.Config
	var out []owned
	if b := c.Storage.Bucket; b != "" {
		store := "AWS S3" // bucket names are global there
		if c.Storage.RegionEndpoint != "" {
			store = c.Storage.RegionEndpoint
		}
		out = append(out, owned{"storage.bucket", fmt.Sprintf("bucket %q on %s", b, store)})
	}
	store := c.Secrets.Store.Kind + " " + c.Secrets.Store.Name
	if c.Secrets.Store.Kind != "ClusterSecretStore" {
		// A SecretStore lives in the release's namespace, so context too.
		store += " in " + s.Values["kubernetes:context"] + "/" + c.Registry.Namespace
	}
	for _, r := range c.Secrets.RemoteKeys.All() {
		out = append(out, owned{"secrets.remoteKeys." + r.Field, fmt.Sprintf("remote key %s in %s", r.String(), store)})
	}
	if c.Identity.Mode == spec.IdentityAuthentik && c.Identity.AuthentikURL != nil {
		at := c.Identity.AuthentikURL.String()
		out = append(out,
			owned{"identity.authentik.slug", fmt.Sprintf("Authentik slug %q at %s", c.Identity.Authentik.Slug, at)},
			owned{"identity.clientId", fmt.Sprintf("client id %q at %s", c.Identity.ClientID, at)})
	}
	ctx := s.Values["kubernetes:context"]
	if ctx == "" {
		ctx = "(the current context)"
	}
	out = append(out, owned{"kubernetes:context, registry.namespace, registry.releaseName", fmt.Sprintf("release %s/%s in Kubernetes context %s", c.Registry.Namespace, c.Registry.ReleaseName, ctx)})
	return out
}

// Collisions names every value two of the stacks share, once per pair.
func Collisions(stacks []Stack) []Violation {
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].Name < stacks[j].Name })
	first := map[string]string{} // value → the first stack that owns it
	var out []Violation
	for _, s := range stacks {
		for _, o := range s.owns() {
			other, taken := first[o.value]
			switch {
			case !taken:
				first[o.value] = s.Name
			case other != s.Name:
				out = append(out, Violation{
					Rule:     StacksApart,
					Resource: "stacks " + other + " and " + s.Name,
					Message:  fmt.Sprintf("both use the %s (%s): the second deploy would overwrite the first's; give %s its own", o.value, o.what, s.Name),
				})
			}
		}
	}
	return out
}

// Involving keeps the violations that name the stack.
func Involving(vs []Violation, stack string) []Violation {
	var out []Violation
	for _, v := range vs {
		names := strings.Fields(strings.TrimPrefix(v.Resource, "stacks "))
		if len(names) == 3 && (names[0] == stack || names[2] == stack) {
			out = append(out, v)
		}
	}
	return out
}

// LoadStacks reads and validates every Pulumi.<stack>.yaml in the project
// folder. A stack whose config is invalid is left out and named in skipped:
// its own render -check fails with the config's problems.
func LoadStacks(dir string) (stacks []Stack, skipped []string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		sc, err := render.LoadStackConfig(dir, name)
		if err != nil {
			return nil, nil, err
		}
		cfg, err := config.Parse(name, sc.Source())
		if err != nil {
			skipped = append(skipped, name)
			continue
		}
		stacks = append(stacks, Stack{Name: name, Config: cfg, Values: sc.Values})
	}
	return stacks, skipped, nil
}
