// Package deployer computes what the identity running `pulumi up` needs:
// the Kubernetes RBAC its kubeconfig must carry and the AWS IAM policy of
// its credentials, from the resources a stack's render registers, so the
// documents grant what this stack calls and nothing it does not.
package deployer

import (
	"maps"
	"slices"
	"strings"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/zot/chart"
)

// Verbs on a kind the stack creates, updates and deletes: the Kubernetes
// provider creates, reads, server-side applies, watches for readiness and
// deletes; Helm lists its own release Secrets and patches on upgrade.
var manageVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

// readVerbs are for what others create and the deploy waits on.
var readVerbs = []string{"get", "list", "watch"}

// Rule is one RBAC policy rule.
type Rule struct {
	APIGroups []string `json:"apiGroups" yaml:"apiGroups"`
	Resources []string `json:"resources" yaml:"resources"`
	Verbs     []string `json:"verbs" yaml:"verbs"`
}

// read is what the deploy reads but never writes: zot's pods and their
// logs (the rollout watch, docs/first-deploy.md), and the ReplicaSets
// Helm's wait follows for a Deployment.
var read = []Rule{
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: readVerbs},
	{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: readVerbs},
}

// KubernetesRules are the rules in the stack's namespace and the cluster
// scoped ones (the namespace itself with registry.createNamespace): every
// kind the program registers, every kind the chart installs for values,
// Helm's release Secrets, and the reads of the deploy's waits.
func KubernetesRules(resources []mocks.Resource, values map[string]any) (namespaced, cluster []Rule) {
	kinds := chart.Objects(values)
	kinds = append(kinds, chart.KindSecret) // Helm's release records
	for _, r := range resources {
		k, ok := kindOf(r.Type)
		if !ok {
			continue
		}
		if k == kindNamespace {
			cluster = []Rule{{APIGroups: []string{""}, Resources: []string{k.Resource}, Verbs: manageVerbs}}
			continue
		}
		kinds = append(kinds, k)
	}
	return append(byGroup(kinds, manageVerbs), read...), cluster
}

var kindNamespace = chart.Kind{Resource: "namespaces"}

// kindOf is the RBAC kind of a Kubernetes provider type token
// (kubernetes:core/v1:Secret → "", "secrets"); false for other
// providers' types and for Helm releases, which are not API objects.
func kindOf(token string) (chart.Kind, bool) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" || strings.HasPrefix(parts[1], "helm.sh/") {
		return chart.Kind{}, false
	}
	group, _, _ := strings.Cut(parts[1], "/")
	if group == "core" {
		group = ""
	}
	return chart.Kind{Group: group, Resource: plural(parts[2])}, true
}

// plural is the API's resource name of a kind: lower case, "es" after an
// s (Ingress → ingresses), else "s".
func plural(kind string) string {
	k := strings.ToLower(kind)
	if strings.HasSuffix(k, "s") {
		return k + "es"
	}
	return k + "s"
}

// byGroup is one rule per API group, the groups and resources sorted.
func byGroup(kinds []chart.Kind, verbs []string) []Rule {
	groups := map[string][]string{}
	for _, k := range kinds {
		if !slices.Contains(groups[k.Group], k.Resource) {
			groups[k.Group] = append(groups[k.Group], k.Resource)
		}
	}
	var rules []Rule
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		res := groups[g]
		slices.Sort(res)
		rules = append(rules, Rule{APIGroups: []string{g}, Resources: res, Verbs: verbs})
	}
	return rules
}

// ClusterRoles is the RBAC document: a ClusterRole of the namespaced
// rules, to bind in the stack's namespace with a RoleBinding (or with a
// ClusterRoleBinding where the program creates the namespace, which must
// exist before a RoleBinding in it can), and with
// registry.createNamespace one of the namespace's rules.
func ClusterRoles(name string, namespaced, cluster []Rule) []map[string]any {
	role := func(n string, rules []Rule) map[string]any {
		return map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
			"metadata": map[string]any{"name": n, "labels": map[string]any{"app.kubernetes.io/part-of": "zot-registry"}},
			"rules":    rules,
		}
	}
	docs := []map[string]any{role(name, namespaced)}
	if len(cluster) > 0 {
		docs = append(docs, role(name+"-namespace", cluster))
	}
	return docs
}
