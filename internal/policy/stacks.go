package policy

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// StacksApart is the cross-stack rule: two stacks of one project never
// share what each owns alone. A copied stack file that keeps prod's bucket,
// remote keys, Authentik client or release would overwrite prod (the
// PushSecret replaces the store's values, the release replaces zot).
const StacksApart = "stacks-apart"

// StacksApartDoc says what the rule checks.
const StacksApartDoc = "no two stacks share a bucket on one store, a remote key in one secret store, an Authentik slug or client id at one Authentik, a Pod Identity association of one ServiceAccount in one EKS cluster, or a release in one namespace of one Kubernetes context"

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
	// Without kubernetes:context the cluster is whatever kubeconfig the run
	// has (a per-stack KUBECONFIG in CI): what lives in a cluster cannot be
	// compared then.
	ctx := s.Values["kubernetes:context"]
	var out []owned
	if b := c.Storage.Bucket; b != "" {
		store, cluster := "AWS S3", inCluster(c.Storage.RegionEndpoint) // bucket names are global on AWS
		if c.Storage.RegionEndpoint != "" {
			store = c.Storage.RegionEndpoint
		}
		if cluster {
			store += " in Kubernetes context " + ctx
		}
		// A bucket made elsewhere may be shared under distinct key prefixes;
		// one this program creates belongs to one stack.
		prefix := ""
		if !c.Storage.Creates() {
			prefix = c.Storage.KeyPrefix
		}
		if !cluster || ctx != "" {
			out = append(out, owned{"storage.bucket", fmt.Sprintf("bucket %q%s on %s", b, prefix, store)})
		}
	}
	store := c.Secrets.Store.Kind + " " + c.Secrets.Store.Name
	if c.Secrets.Store.Kind != spec.ClusterSecretStore {
		// A SecretStore lives in the release's namespace.
		store += " in " + ctx + "/" + c.Registry.Namespace
	}
	if c.Secrets.Store.Kind == spec.ClusterSecretStore || ctx != "" {
		for _, r := range c.Secrets.RemoteKeys.All() {
			out = append(out, owned{"secrets.remoteKeys." + r.Field, fmt.Sprintf("remote key %s in %s", r.String(), store)})
		}
	}
	if c.Identity.Mode == spec.IdentityAuthentik && c.Identity.AuthentikURL != nil {
		at := strings.TrimSuffix(c.Identity.AuthentikURL.String(), "/")
		out = append(out,
			owned{"identity.authentik.slug", fmt.Sprintf("Authentik slug %q at %s", c.Identity.Authentik.Slug, at)},
			owned{"identity.clientId", fmt.Sprintf("client id %q at %s", c.Identity.ClientID, at)})
	}
	if a := c.Storage.AWS; c.Storage.Mode == spec.StorageAWS && a.Credentials == spec.CredentialsPodIdentity {
		// EKS keeps one association per ServiceAccount: a copy that keeps
		// the cluster, namespace and release cannot make its own.
		region := a.EKSClusterRegion
		if region == "" {
			region = c.Storage.Region
		}
		out = append(out, owned{"storage.aws.eksCluster, registry.namespace, registry.releaseName", fmt.Sprintf("Pod Identity association of ServiceAccount %s/%s in EKS cluster %s (%s)",
			c.Registry.Namespace, chart.ServiceAccountName(c.Registry.ReleaseName), a.EKSCluster, region)})
	}
	if ctx != "" {
		out = append(out, owned{"kubernetes:context, registry.namespace, registry.releaseName", fmt.Sprintf("release %s/%s in Kubernetes context %s", c.Registry.Namespace, c.Registry.ReleaseName, ctx)})
	}
	return out
}

// inCluster reports whether an endpoint is a cluster DNS name, which names
// a different store in each cluster.
func inCluster(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return strings.HasSuffix(h, ".svc") || strings.Contains(h, ".svc.")
}

// Collisions names every value two of the stacks share, once per pair.
func Collisions(stacks []Stack) []Violation {
	stacks = slices.Clone(stacks)
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].Name < stacks[j].Name })
	owners := map[string][]string{} // value → the stacks that own it, so far
	var out []Violation
	for _, s := range stacks {
		for _, o := range s.owns() {
			for _, other := range owners[o.value] {
				if other == s.Name {
					continue
				}
				out = append(out, Violation{
					Rule:     StacksApart,
					Resource: "stacks " + other + " and " + s.Name,
					Message:  fmt.Sprintf("both use the %s (%s): %s; give %s its own", o.value, o.what, consequence(o.what), s.Name),
				})
			}
			if !slices.Contains(owners[o.value], s.Name) {
				owners[o.value] = append(owners[o.value], s.Name)
			}
		}
	}
	return out
}

// consequence says what sharing the value does.
func consequence(what string) string {
	if strings.HasPrefix(what, "secrets.remoteKeys.") {
		return "one stack's PushSecret overwrites the other's value, or both run with the same credential"
	}
	return "the second deploy would overwrite the first's"
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
	names, err := render.StackNames(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range names {
		sc, err := render.LoadStackConfig(dir, name)
		if err != nil {
			skipped = append(skipped, name)
			continue
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
