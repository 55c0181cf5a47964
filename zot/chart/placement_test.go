package chart

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// secretNames are the Secrets of a stack with every one of them.
var secretNames = layout.SecretNames{OIDC: "zot-oidc", Htpasswd: "zot-htpasswd", S3: "zot-s3", Session: "zot-session"}

// TestPlacementValuesUseTheChartsNames: each placement setting lands under
// the value chart 0.1.122's templates read, only when set, and the
// program's rollout annotation and spread stay.
func TestPlacementValuesUseTheChartsNames(t *testing.T) {
	r := spec.Defaults("dev").Registry
	plain := BuildValues(r, ZotConfig{JSON: "{}"}, secretNames, "")
	for _, k := range []string{"nodeSelector", "tolerations", "affinity", "priorityClassName", "imagePullSecrets", "podLabels", "serviceAccount", "podAnnotations"} {
		assert.NotContains(t, plain, k, "unset: the chart's default, and a stack's values unchanged")
	}
	assert.NotContains(t, plain["service"], "annotations")

	seconds := int64(30)
	r.Replicas = 3
	r.NodeSelector = map[string]string{"pool": "registry"}
	r.Tolerations = []spec.Toleration{{Key: "dedicated", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: &seconds}}
	r.Affinity = spec.Affinity{PodAntiAffinity: &spec.PodAffinity{Required: []spec.PodAffinityTerm{{TopologyKey: "topology.kubernetes.io/zone"}}}}
	r.PriorityClassName = "platform-critical"
	r.ImagePullSecrets = []string{"mirror-pull"}
	r.PodLabels = map[string]string{"team": "platform"}
	r.PodAnnotations = map[string]string{"example.com/note": "x"}
	r.ServiceAnnotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}
	r.ServiceAccount.Annotations = map[string]string{"example.com/owner": "platform"}
	v := BuildValues(r, ZotConfig{JSON: "{}"}, secretNames, "token-1")
	assert.Equal(t, map[string]any{"pool": "registry"}, v["nodeSelector"])
	assert.Equal(t, []any{map[string]any{"key": "dedicated", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": float64(30)}}, v["tolerations"])
	assert.Equal(t, map[string]any{"podAntiAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{"topologyKey": "topology.kubernetes.io/zone"}}}}, v["affinity"])
	assert.Len(t, v["topologySpreadConstraints"], 1, "the program's spread stays beside the affinity")
	assert.Equal(t, "platform-critical", v["priorityClassName"])
	assert.Equal(t, []any{map[string]any{"name": "mirror-pull"}}, v["imagePullSecrets"])
	assert.Equal(t, map[string]any{"team": "platform"}, v["podLabels"])
	assert.Equal(t, map[string]any{"example.com/note": "x", RolloutAnnotation: "token-1"}, v["podAnnotations"])
	assert.Equal(t, map[string]any{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}, v["service"].(map[string]any)["annotations"])
	assert.Equal(t, map[string]any{"create": true, "annotations": map[string]any{"example.com/owner": "platform"}}, v["serviceAccount"])
}

// TestServiceAccountValuesWithIRSA: the role's annotation joins the
// stack's own and wins.
func TestServiceAccountValuesWithIRSA(t *testing.T) {
	r := spec.Defaults("dev").Registry
	assert.Nil(t, ServiceAccountValues(r, ""))
	r.ServiceAccount.Annotations = map[string]string{"example.com/owner": "platform", spec.IRSAAnnotation: "arn:aws:iam::1:role/other"}
	assert.Equal(t, map[string]any{"create": true, "annotations": map[string]string{"example.com/owner": "platform", spec.IRSAAnnotation: "arn:aws:iam::1:role/zot"}},
		ServiceAccountValues(r, "arn:aws:iam::1:role/zot"))
	assert.Equal(t, "zot", ServiceAccountName("zot"), "the chart's fullname, which fullnameOverride makes the release's")
}

// TestExtraValuesGoUnder: extraValues fill what the program does not set,
// merged key by key, and never replace the program's.
func TestExtraValuesGoUnder(t *testing.T) {
	r := spec.Defaults("dev").Registry
	r.ExtraValues = map[string]any{"dnsConfig": map[string]any{"options": []any{}}, "service": map[string]any{"externalTrafficPolicy": "Local", "type": "NodePort"}}
	v := BuildValues(r, ZotConfig{JSON: "{}"}, secretNames, "")
	assert.Equal(t, map[string]any{"options": []any{}}, v["dnsConfig"])
	assert.Equal(t, map[string]any{"externalTrafficPolicy": "Local", "type": "ClusterIP", "port": float64(5000)}, v["service"], "merged; the program's type wins (validation refuses it anyway)")
}

// TestNoRoleNoOpenIDMounts: without the S3 Secret (an IAM role) zot's env
// is empty; without the OIDC Secret (identity mode none) it is not mounted.
func TestNoRoleNoOpenIDMounts(t *testing.T) {
	r := spec.Defaults("dev").Registry
	v := BuildValues(r, ZotConfig{JSON: "{}"}, layout.SecretNames{Htpasswd: "zot-htpasswd", Session: "zot-session"}, "")
	assert.Equal(t, []any{}, v["env"])
	assert.Equal(t, []any{
		map[string]any{"secretName": "zot-htpasswd", "mountPath": layout.HtpasswdMountDir},
		map[string]any{"secretName": "zot-session", "mountPath": layout.SessionMountDir},
	}, v["externalSecrets"])
}
