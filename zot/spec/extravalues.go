package spec

import (
	"fmt"
	"sort"
	"strings"
)

// zot-registry:registry.extraValues: chart values the program does not
// model, merged under the values it builds. The values it builds are its
// own: a key here that would set one of them is refused, with the typed
// setting to use instead.

// OwnedValue is a chart value path (chart 0.1.122's values.yaml and the
// keys its templates read) that the program sets, and what to use instead.
type OwnedValue struct {
	Path    string // dotted, e.g. service.type
	Instead string
}

// OwnedValues are the chart values the program owns. A path names the
// value and everything under it.
var OwnedValues = []OwnedValue{
	{"fullnameOverride", "registry.releaseName (every object is named after it)"},
	{"nameOverride", "registry.releaseName (the selector labels and names derive from it)"},
	{"namespace", "registry.namespace"},
	{"image", "registry.image"},
	{"imagePullSecrets", "registry.imagePullSecrets"},
	{"mountConfig", "nothing: config.json is generated (the registry.* settings)"},
	{"configFiles", "nothing: config.json is generated (the registry.* settings)"},
	{"mountSecret", "secrets.* (the program mounts the Secrets zot's config names)"},
	{"secretFiles", "secrets.* (the chart's sample htpasswd is never mounted)"},
	{"externalSecrets", "secrets.* (each Secret is mounted where config.json reads it)"},
	{"env", "registry.caBundle for a private CA (SSL_CERT_DIR); otherwise nothing: zot's environment carries the S3 key pair, or nothing with an IAM role"},
	{"extraArgs", "nothing: zot runs serve with the generated config.json"},
	{"extraVolumes", "registry.caBundle for a private CA; otherwise nothing: the program's volumes (/tmp, the mirrors' staging folder, the CA bundle) are there"},
	{"extraVolumeMounts", "registry.caBundle for a private CA; otherwise nothing: the program's volumes (/tmp, the mirrors' staging folder, the CA bundle) are there"},
	{"persistence", "registry.persistence or registry.replicas"},
	{"pvc", "registry.persistence (the claim)"},
	{"strategy", "registry.replicas and registry.persistence (they pick the workload)"},
	{"replicaCount", "registry.replicas"},
	{"serviceHeadless", "registry.replicas (the cluster members' Service)"},
	{"podDisruptionBudget", "registry.availability"},
	{"topologySpreadConstraints", "registry.availability (the spread) or registry.affinity"},
	{"startupProbe", "registry.startupTimeout"},
	{"httpGet", "registry.port (the probes and the container port follow zot's listener)"},
	{"authHeader", "nothing: the probes' paths need no login"},
	{"service.type", "registry.serviceType"},
	{"service.port", "registry.port"},
	{"service.nodePort", "registry.serviceType (a NodePort the API server picks)"},
	{"service.annotations", "registry.serviceAnnotations"},
	{"ingress", "registry.ingress"},
	{"httproute", "registry.route"},
	{"metrics", "registry.metrics"},
	{"resources", "registry.resources"},
	{"podSecurityContext", "registry.security"},
	{"securityContext", "registry.security"},
	{"podAnnotations", "registry.podAnnotations"},
	{"podLabels", "registry.podLabels"},
	{"nodeSelector", "registry.nodeSelector"},
	{"tolerations", "registry.tolerations"},
	{"affinity", "registry.affinity"},
	{"priorityClassName", "registry.priorityClassName"},
	{"serviceAccount", "registry.serviceAccount.annotations (the name is the release's: IAM roles trust it)"},
	{"forceRoll", "secrets.rolloutToken (forceRoll changes the pod on every run)"},
}

// OwnedValueAt is the owned value that path sets, or touches by setting a
// value above it (service: "x" replaces service.type), and whether there
// is one.
func OwnedValueAt(path string) (OwnedValue, bool) {
	for _, o := range OwnedValues {
		if path == o.Path || strings.HasPrefix(path, o.Path+".") {
			return o, true
		}
	}
	return OwnedValue{}, false
}

// ExtraValuePaths are the dotted paths of v's leaves and of its maps that
// are empty, in order: what a merge of v sets.
func ExtraValuePaths(v map[string]any) []string {
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
				walk(p, sub)
				continue
			}
			out = append(out, p)
		}
	}
	walk("", v)
	return out
}

// ownedBelow reports an owned value under path (setting a map or scalar
// at service replaces service.type).
func ownedBelow(path string) (OwnedValue, bool) {
	for _, o := range OwnedValues {
		if strings.HasPrefix(o.Path, path+".") {
			return o, true
		}
	}
	return OwnedValue{}, false
}

func validateExtraValues(r *Registry, c Collector) {
	for _, p := range ExtraValuePaths(r.ExtraValues) {
		o, owned := OwnedValueAt(p)
		if !owned {
			// A scalar or empty map where owned values live below would
			// replace them in the merge.
			var below bool
			if o, below = ownedBelow(p); !below {
				continue
			}
		}
		c.Add("extraValues."+p, fmt.Sprintf("sets the chart value %s, which the program owns", o.Path), "use %s", o.Instead)
	}
}

// MergeValues lays over (the program's values) on base (extraValues):
// maps key by key, anything else replaced. Neither is changed.
func MergeValues(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = MergeValues(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}
