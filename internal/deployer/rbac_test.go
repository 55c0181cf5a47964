package deployer_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/deployer"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

// granted says whether a rule in rules allows verb on group/resource.
func granted(rules []deployer.Rule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

// TestRBACFollowsTheStack: for every stack the tests render, the deployer
// may create and delete every Kubernetes object the program registers and
// the workload the chart installs, read zot's pods and logs for the
// rollout watch, and nothing else: no wildcard, no ESO kinds without ESO,
// the namespace (cluster-wide) only where the program creates it, the
// StatefulSet or the Deployment as persistence decides. The cluster tier
// runs its stacks as a user holding only these rules.
func TestRBACFollowsTheStack(t *testing.T) {
	eachStack(t, func(t *testing.T, res *render.Result) {
		ns, cluster := deployer.KubernetesRules(res.Recorder.Resources(), res.Values)
		for _, r := range append(slices.Clone(ns), cluster...) {
			for _, s := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
				assert.NotContains(t, s, "*", "no wildcard")
			}
		}
		reg := res.Config.Registry
		assert.Equal(t, reg.CreateNamespace, granted(cluster, "", "namespaces", "create"), "the namespace, only where the program creates it")
		assert.False(t, granted(ns, "", "namespaces", "get"), "no cluster-scoped kind among the namespaced rules")
		for _, c := range []struct {
			group, resource string
			want            bool
		}{
			{"", "secrets", true}, // Helm's release records at least
			{"", "services", true},
			{"apps", "statefulsets", reg.Persistence.Enabled},
			{"apps", "deployments", !reg.Persistence.Enabled},
			{"external-secrets.io", "externalsecrets", res.Config.Secrets.UsesESO()},
			{"networking.k8s.io", "ingresses", reg.Ingress.Enabled},
			{"gateway.networking.k8s.io", "httproutes", reg.Route.Enabled},
		} {
			assert.Equal(t, c.want, granted(ns, c.group, c.resource, "delete"), "delete %s.%s", c.resource, c.group)
		}
		for _, verb := range []string{"list", "watch"} {
			assert.True(t, granted(ns, "", "pods", verb), "the rollout watch reads zot's pods")
		}
		assert.True(t, granted(ns, "", "pods/log", "get"), "the rollout watch reads zot's log")
		assert.False(t, granted(ns, "", "pods", "create"), "pods are the workload's, never the deployer's")
		for _, r := range res.Recorder.Resources() {
			if kind, ok := kubernetesKind(r); ok && kind[1] != "namespaces" {
				assert.True(t, granted(ns, kind[0], kind[1], "create"), "%s %s is registered by the program", r.Type, r.Name)
			}
		}
	})
}

// eachStack runs check on the render of every stack the tests render.
func eachStack(t *testing.T, check func(t *testing.T, res *render.Result)) {
	root, err := stacks.Root()
	require.NoError(t, err)
	all, err := stacks.All(root)
	require.NoError(t, err)
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			res, err := v.Evaluate(root)
			require.NoError(t, err)
			check(t, res)
		})
	}
}

// kubernetesKind is the group and resource of the Kubernetes objects the
// tests know the program registers, spelled out here, not derived.
func kubernetesKind(r mocks.Resource) ([2]string, bool) {
	k, ok := map[string][2]string{
		mocks.SecretType:         {"", "secrets"},
		mocks.NamespaceType:      {"", "namespaces"},
		mocks.PVCType:            {"", "persistentvolumeclaims"},
		mocks.ConfigMapType:      {"", "configmaps"},
		mocks.ExternalSecretType: {"external-secrets.io", "externalsecrets"},
		mocks.PushSecretType:     {"external-secrets.io", "pushsecrets"},
		mocks.ServiceMonitorType: {"monitoring.coreos.com", "servicemonitors"},
		mocks.HTTPRouteType:      {"gateway.networking.k8s.io", "httproutes"},
	}[r.Type]
	return k, ok
}
