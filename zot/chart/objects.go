package chart

// Kind is a Kubernetes API resource as RBAC names it: its API group ("" is
// the core group) and its plural resource name.
type Kind struct{ Group, Resource string }

// Kinds the chart's templates can install.
var (
	KindService        = Kind{"", "services"}
	KindServiceAccount = Kind{"", "serviceaccounts"}
	KindConfigMap      = Kind{"", "configmaps"}
	KindSecret         = Kind{"", "secrets"}
	KindDeployment     = Kind{"apps", "deployments"}
	KindStatefulSet    = Kind{"apps", "statefulsets"}
	KindIngress        = Kind{"networking.k8s.io", "ingresses"}
	KindPDB            = Kind{"policy", "poddisruptionbudgets"}
	KindServiceMonitor = Kind{"monitoring.coreos.com", "servicemonitors"}
	KindHTTPRoute      = Kind{"gateway.networking.k8s.io", "httproutes"}
	KindListenerSet    = Kind{"gateway.networking.k8s.io", "listenersets"}
)

// Objects are the kinds chart 0.1.122 installs for values (the values
// Helm gets, extraValues merged), by its templates' conditions and its
// values.yaml defaults (serviceAccount.create: true, every other switch
// off). The helm test pods are not among them: they run only on
// `helm test`.
func Objects(values map[string]any) []Kind {
	on := func(path ...string) bool { return truthy(lookup(values, path...)) }
	kinds := []Kind{KindService} // service.yaml has no condition
	if on("mountConfig") && on("configFiles") {
		kinds = append(kinds, KindConfigMap)
	}
	if on("mountSecret") && on("secretFiles") {
		kinds = append(kinds, KindSecret)
	}
	if on("persistence") {
		kinds = append(kinds, KindStatefulSet) // and headless-service.yaml's Service
	} else {
		kinds = append(kinds, KindDeployment)
	}
	if v := lookup(values, "serviceAccount", "create"); v == nil || truthy(v) {
		kinds = append(kinds, KindServiceAccount)
	}
	for _, o := range []struct {
		path []string
		kind Kind
	}{
		{[]string{"ingress", "enabled"}, KindIngress},
		{[]string{"podDisruptionBudget", "enabled"}, KindPDB},
		{[]string{"httproute", "enabled"}, KindHTTPRoute},
		{[]string{"listenerset", "enabled"}, KindListenerSet},
	} {
		if on(o.path...) {
			kinds = append(kinds, o.kind)
		}
	}
	if on("metrics", "enabled") && on("metrics", "serviceMonitor", "enabled") {
		kinds = append(kinds, KindServiceMonitor)
	}
	return kinds
}

func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// truthy is Go template truth, as the templates' `if` reads a value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case map[string]any:
		return len(x) > 0
	case map[string]string:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case float64:
		return x != 0
	case int:
		return x != 0
	default:
		return true
	}
}
