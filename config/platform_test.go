package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// setting is one setting of a case, applied in order (nil deletes).
type setting struct {
	path  string
	value any
}

// platformCase changes valid() by edits and expects one problem at
// wantKey (none when empty) whose text holds wantMsg.
type platformCase struct {
	name    string
	edits   []setting
	mutate  func(config.MapSource)
	wantKey string
	wantMsg string
}

func runPlatformCases(t *testing.T, cases []platformCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			for _, e := range tc.edits {
				if section, ok := e.value.(obj); ok && !strings.Contains(e.path, ".") {
					objs[e.path] = section // a whole section
					continue
				}
				set(objs, e.path, e.value)
			}
			if tc.mutate == nil {
				checkProblem(t, objs, tc.wantKey, tc.wantMsg)
				return
			}
			src := source(t, objs)
			tc.mutate(src)
			_, err := config.Parse("dev", src)
			if tc.wantKey == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantKey)
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

const (
	providerARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	storageKey  = "zot-registry:storage"
)

// awsStorage is mode aws in eu-central-1 with more settings.
func awsStorage(more obj) obj {
	s := obj{"mode": "aws", "region": "eu-central-1", "bucket": "zot-dev"}
	for k, v := range more {
		s[k] = v
	}
	return s
}

// TestWorkloadIdentitySettings: a role needs mode aws and its cluster
// reference, and each reference belongs to its own mode.
func TestWorkloadIdentitySettings(t *testing.T) {
	runPlatformCases(t, []platformCase{
		{name: "accessKey is the default", edits: []setting{{"storage", awsStorage(nil)}}},
		{name: "podIdentity", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "platform-prod"}})}}},
		{name: "irsa", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "irsa", "oidcProviderArn": providerARN}})}}},
		{name: "irsa in China", edits: []setting{{"storage", awsStorage(obj{"region": "cn-north-1", "aws": obj{"credentials": "irsa",
			"oidcProviderArn": "arn:aws-cn:iam::123456789012:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"}})}}},
		{name: "unknown credentials", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "instanceProfile"}})}},
			wantKey: storageKey + ".aws.credentials", wantMsg: "use one of: accessKey, podIdentity, irsa"},
		{name: "role without mode aws", edits: []setting{{"storage.aws", obj{"credentials": "podIdentity", "eksCluster": "c"}}},
			wantKey: storageKey + ".aws.credentials", wantMsg: "use storage mode aws"},
		{name: "podIdentity without cluster", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity"}})}},
			wantKey: storageKey + ".aws.eksCluster", wantMsg: "is missing; credentials podIdentity needs it"},
		{name: "irsa without provider", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "irsa"}})}},
			wantKey: storageKey + ".aws.oidcProviderArn", wantMsg: "is missing; credentials irsa needs it"},
		{name: "cluster with accessKey", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"eksCluster": "c"}})}},
			wantKey: storageKey + ".aws.eksCluster", wantMsg: "is set, but credentials is accessKey"},
		{name: "provider with podIdentity", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c", "oidcProviderArn": providerARN}})}},
			wantKey: storageKey + ".aws.oidcProviderArn", wantMsg: "set aws.credentials: irsa"},
		{name: "bad cluster name", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "my cluster"}})}},
			wantKey: storageKey + ".aws.eksCluster", wantMsg: "not an EKS cluster name"},
		{name: "cluster in another region", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c", "eksClusterRegion": "eu-west-1"}})}}},
		{name: "cluster region not a region", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c", "eksClusterRegion": "Frankfurt"}})}},
			wantKey: storageKey + ".aws.eksClusterRegion", wantMsg: "not an AWS region"},
		{name: "cluster region with irsa", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "irsa", "oidcProviderArn": providerARN, "eksClusterRegion": "eu-west-1"}})}},
			wantKey: storageKey + ".aws.eksClusterRegion", wantMsg: "set aws.credentials: podIdentity"},
		{name: "S3 remote keys with a role", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c"}})},
			{"secrets.remoteKeys", obj{"s3AccessKeyId": "zot-s3-id"}}},
			wantKey: "zot-registry:secrets.remoteKeys.s3AccessKeyId", wantMsg: "zot assumes an IAM role"},
		{name: "provider ARN of a role", edits: []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "irsa", "oidcProviderArn": "arn:aws:iam::123456789012:role/zot"}})}},
			wantKey: storageKey + ".aws.oidcProviderArn", wantMsg: "not an IAM OpenID provider ARN"},
	})
}

// TestWorkloadIdentityDerivesTheIssuer: the trust's condition keys are the
// provider's issuer, read from its ARN.
func TestWorkloadIdentityDerivesTheIssuer(t *testing.T) {
	objs := valid()
	objs["storage"] = awsStorage(obj{"aws": obj{"credentials": "irsa", "oidcProviderArn": providerARN}})
	cfg, err := parse(t, objs)
	require.NoError(t, err)
	assert.Equal(t, "oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", cfg.Storage.AWS.OIDCIssuer)
	assert.True(t, cfg.Storage.AWS.UsesRole())
	assert.False(t, cfg.Storage.KeyPairFromStore(), "a role: no key pair in any Secret")
}

// TestVersioningSettings: versioning is for the bucket the program makes
// on AWS, and keeps versions at least a day.
func TestVersioningSettings(t *testing.T) {
	runPlatformCases(t, []platformCase{
		{name: "on in mode aws", edits: []setting{{"storage", awsStorage(obj{"versioning": obj{"enabled": true}})}}},
		{name: "keepDays", edits: []setting{{"storage", awsStorage(obj{"versioning": obj{"enabled": true, "keepDays": 90}})}}},
		{name: "not in mode existing", edits: []setting{{"storage.versioning", obj{"enabled": true}}},
			wantKey: storageKey + ".versioning.enabled", wantMsg: "use storage mode aws"},
		{name: "keepDays without versioning", edits: []setting{{"storage", awsStorage(obj{"versioning": obj{"keepDays": 90}})}},
			wantKey: storageKey + ".versioning.keepDays", wantMsg: "versioning.enabled is false"},
		{name: "keepDays negative", edits: []setting{{"storage", awsStorage(obj{"versioning": obj{"enabled": true, "keepDays": -1}})}},
			wantKey: storageKey + ".versioning.keepDays", wantMsg: "must be at least 1"},
	})
	objs := valid()
	objs["storage"] = awsStorage(obj{"versioning": obj{"enabled": true}})
	cfg, err := parse(t, objs)
	require.NoError(t, err)
	assert.Equal(t, spec.DefaultVersioningKeepDays, cfg.Storage.Versioning.KeepDays)
}

// TestPlacementSettings: each placement key is validated as the API
// server validates it, naming the key.
func TestPlacementSettings(t *testing.T) {
	const reg = "zot-registry:registry"
	runPlatformCases(t, []platformCase{
		{name: "every key", edits: []setting{
			{"registry.nodeSelector", obj{"kubernetes.io/arch": "arm64"}},
			{"registry.tolerations", []any{obj{"key": "dedicated", "value": "registry", "effect": "NoSchedule"}, obj{"operator": "Exists"}}},
			{"registry.affinity", obj{"podAntiAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{"topologyKey": "kubernetes.io/hostname"}}}}},
			{"registry.priorityClassName", "platform-critical"},
			{"registry.imagePullSecrets", []any{"mirror-pull"}},
			{"registry.podLabels", obj{"example.com/team": "platform"}},
			{"registry.podAnnotations", obj{"example.com/note": "any value: at all"}},
			{"registry.serviceAnnotations", obj{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
			{"registry.serviceAccount", obj{"annotations": obj{"example.com/owner": "platform"}}},
		}},
		{name: "namespace selector and label keys", edits: []setting{{"registry.affinity", obj{"podAntiAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{
			"topologyKey": "kubernetes.io/hostname", "labelSelector": obj{"matchLabels": obj{"app": "zot"}}, "namespaceSelector": obj{},
			"matchLabelKeys": []any{"pod-template-hash"}}}}}}}},
		{name: "empty preference matches every node", edits: []setting{{"registry.affinity", obj{"nodeAffinity": obj{"preferredDuringSchedulingIgnoredDuringExecution": []any{
			obj{"weight": 1, "preference": obj{}}}}}}}},
		{name: "empty required term", edits: []setting{{"registry.affinity", obj{"nodeAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": obj{"nodeSelectorTerms": []any{obj{}}}}}}},
			wantKey: reg + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]", wantMsg: "matches no node"},
		{name: "label keys without a selector", edits: []setting{{"registry.affinity", obj{"podAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{
			"topologyKey": "kubernetes.io/hostname", "matchLabelKeys": []any{"pod-template-hash"}}}}}}},
			wantKey: reg + ".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector", wantMsg: "add a labelSelector"},
		{name: "a key in both label key lists", edits: []setting{{"registry.affinity", obj{"podAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{
			"topologyKey": "kubernetes.io/hostname", "labelSelector": obj{"matchLabels": obj{"app": "zot"}}, "matchLabelKeys": []any{"tier"}, "mismatchLabelKeys": []any{"tier"}}}}}}},
			wantKey: reg + ".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]", wantMsg: "also in mismatchLabelKeys"},
		{name: "a label key the selector names", edits: []setting{{"registry.affinity", obj{"podAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{
			"topologyKey": "kubernetes.io/hostname", "labelSelector": obj{"matchLabels": obj{"app": "zot"}}, "matchLabelKeys": []any{"app"}}}}}}},
			wantKey: reg + ".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]", wantMsg: "also a key of the labelSelector"},
		{name: "chart's annotation", edits: []setting{{"registry.podAnnotations", obj{"checksum/config": "x"}}}, wantKey: reg + ".podAnnotations", wantMsg: "the chart writes itself"},
		{name: "EKS annotation", edits: []setting{{"registry.serviceAccount", obj{"annotations": obj{"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}}}},
			wantKey: reg + ".serviceAccount.annotations", wantMsg: "storage.aws.credentials"},
		{name: "label key", edits: []setting{{"registry.nodeSelector", obj{"-pool": "x"}}}, wantKey: reg + ".nodeSelector", wantMsg: "not a valid key"},
		{name: "label key prefix", edits: []setting{{"registry.podLabels", obj{"Example.com/team": "x"}}}, wantKey: reg + ".podLabels", wantMsg: "prefix that is not a DNS subdomain"},
		{name: "label value", edits: []setting{{"registry.podLabels", obj{"team": "platform team"}}}, wantKey: reg + ".podLabels.team", wantMsg: "not a label value"},
		{name: "selector label", edits: []setting{{"registry.podLabels", obj{"app.kubernetes.io/instance": "other"}}}, wantKey: reg + ".podLabels", wantMsg: "selector labels"},
		{name: "program's annotation", edits: []setting{{"registry.podAnnotations", obj{"zot-registry/rollout-token": "x"}}}, wantKey: reg + ".podAnnotations", wantMsg: "secrets.rolloutToken"},
		{name: "annotation key", edits: []setting{{"registry.serviceAnnotations", obj{"a b": "x"}}}, wantKey: reg + ".serviceAnnotations", wantMsg: "not a valid key"},
		{name: "service account annotation key", edits: []setting{{"registry.serviceAccount", obj{"annotations": obj{"/x": "y"}}}}, wantKey: reg + ".serviceAccount.annotations", wantMsg: "prefix"},
		{name: "toleration operator", edits: []setting{{"registry.tolerations", []any{obj{"key": "k", "operator": "In"}}}}, wantKey: reg + ".tolerations[0].operator", wantMsg: "Equal or Exists"},
		{name: "toleration effect", edits: []setting{{"registry.tolerations", []any{obj{"key": "k", "effect": "NoRun"}}}}, wantKey: reg + ".tolerations[0].effect", wantMsg: "not a taint effect"},
		{name: "toleration without key", edits: []setting{{"registry.tolerations", []any{obj{"value": "v"}}}}, wantKey: reg + ".tolerations[0].key", wantMsg: "only operator Exists"},
		{name: "toleration Exists with value", edits: []setting{{"registry.tolerations", []any{obj{"key": "k", "operator": "Exists", "value": "v"}}}}, wantKey: reg + ".tolerations[0].value", wantMsg: "matches any value"},
		{name: "tolerationSeconds without NoExecute", edits: []setting{{"registry.tolerations", []any{obj{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 30}}}}, wantKey: reg + ".tolerations[0].tolerationSeconds", wantMsg: "NoExecute"},
		{name: "template in a toleration", edits: []setting{{"registry.tolerations", []any{obj{"key": "k", "value": "{{.Release.Name}}"}}}}, wantKey: reg + ".tolerations[0]", wantMsg: "Helm template"},
		{name: "node affinity operator", edits: []setting{{"registry.affinity", obj{"nodeAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": obj{"nodeSelectorTerms": []any{
			obj{"matchExpressions": []any{obj{"key": "zone", "operator": "Near", "values": []any{"a"}}}}}}}}}},
			wantKey: reg + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator", wantMsg: "not allowed here"},
		{name: "In without values", edits: []setting{{"registry.affinity", obj{"nodeAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": obj{"nodeSelectorTerms": []any{
			obj{"matchExpressions": []any{obj{"key": "zone", "operator": "In"}}}}}}}}},
			wantKey: reg + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values", wantMsg: "list at least one value"},
		{name: "Gt needs an integer", edits: []setting{{"registry.affinity", obj{"nodeAffinity": obj{"preferredDuringSchedulingIgnoredDuringExecution": []any{
			obj{"weight": 10, "preference": obj{"matchExpressions": []any{obj{"key": "cores", "operator": "Gt", "values": []any{"many"}}}}}}}}}},
			wantKey: reg + ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values", wantMsg: "one integer"},
		{name: "weight", edits: []setting{{"registry.affinity", obj{"podAffinity": obj{"preferredDuringSchedulingIgnoredDuringExecution": []any{
			obj{"weight": 0, "podAffinityTerm": obj{"topologyKey": "kubernetes.io/hostname"}}}}}}},
			wantKey: reg + ".affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", wantMsg: "between 1 and 100"},
		{name: "topologyKey", edits: []setting{{"registry.affinity", obj{"podAntiAffinity": obj{"requiredDuringSchedulingIgnoredDuringExecution": []any{obj{}}}}}},
			wantKey: reg + ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", wantMsg: "is empty"},
		{name: "unknown affinity field", edits: []setting{{"registry.affinity", obj{"nodeAfinity": obj{}}}}, wantKey: reg + ".affinity.nodeAfinity", wantMsg: `did you mean "nodeAffinity"`},
		{name: "priority class", edits: []setting{{"registry.priorityClassName", "Critical"}}, wantKey: reg + ".priorityClassName", wantMsg: "not a PriorityClass name"},
		{name: "pull secret", edits: []setting{{"registry.imagePullSecrets", []any{"Mirror Pull"}}}, wantKey: reg + ".imagePullSecrets[0]", wantMsg: "not a Secret name"},
		{name: "pull secret twice", edits: []setting{{"registry.imagePullSecrets", []any{"a", "a"}}}, wantKey: reg + ".imagePullSecrets[1]", wantMsg: "listed twice"},
	})
}

// TestExtraValues: chart values the program does not own pass; one it
// owns is refused with the typed setting to use.
func TestExtraValues(t *testing.T) {
	const key = "zot-registry:registry.extraValues"
	runPlatformCases(t, []platformCase{
		{name: "not owned", edits: []setting{{"registry.extraValues", obj{"dnsConfig": obj{"options": []any{obj{"name": "ndots", "value": "2"}}}, "service": obj{"externalTrafficPolicy": "Local"}}}}},
		{name: "image", edits: []setting{{"registry.extraValues", obj{"image": obj{"tag": "v2.1.0"}}}}, wantKey: key + ".image.tag", wantMsg: "use registry.image"},
		{name: "config", edits: []setting{{"registry.extraValues", obj{"configFiles": obj{"config.json": "{}"}}}}, wantKey: key + ".configFiles.config.json", wantMsg: "config.json is generated"},
		{name: "env", edits: []setting{{"registry.extraValues", obj{"env": []any{obj{"name": "X", "value": "1"}}}}}, wantKey: key + ".env", wantMsg: "zot's environment"},
		{name: "claim", edits: []setting{{"registry.extraValues", obj{"pvc": obj{"storage": "1Ti"}}}}, wantKey: key + ".pvc.storage", wantMsg: "use registry.persistence"},
		{name: "probe", edits: []setting{{"registry.extraValues", obj{"startupProbe": obj{"failureThreshold": 100}}}}, wantKey: key + ".startupProbe.failureThreshold", wantMsg: "registry.startupTimeout"},
		{name: "service port", edits: []setting{{"registry.extraValues", obj{"service": obj{"port": 80}}}}, wantKey: key + ".service.port", wantMsg: "use registry.port"},
		{name: "service replaced whole", edits: []setting{{"registry.extraValues", obj{"service": "none"}}}, wantKey: key + ".service", wantMsg: "which the program owns"},
		{name: "headless service", edits: []setting{{"registry.extraValues", obj{"serviceHeadless": obj{"enabled": true}}}}, wantKey: key + ".serviceHeadless.enabled", wantMsg: "registry.replicas"},
		{name: "names", edits: []setting{{"registry.extraValues", obj{"fullnameOverride": "registry"}}}, wantKey: key + ".fullnameOverride", wantMsg: "registry.releaseName"},
		{name: "typed setting", edits: []setting{{"registry.extraValues", obj{"tolerations": []any{}}}}, wantKey: key + ".tolerations", wantMsg: "use registry.tolerations"},
		{name: "service account", edits: []setting{{"registry.extraValues", obj{"serviceAccount": obj{"name": "other"}}}}, wantKey: key + ".serviceAccount.name", wantMsg: "IAM roles trust it"},
	})
}

// TestIdentityNone: without an OpenID provider every identity setting and
// every group is an error, and generated users are the only users.
func TestIdentityNone(t *testing.T) {
	const id, reg = "zot-registry:identity", "zot-registry:registry"
	none := obj{"mode": "none"}
	noSecret := func(s config.MapSource) { delete(s.Values, "zot-registry:oidcClientSecret") }
	runPlatformCases(t, []platformCase{
		{name: "htpasswd only", edits: []setting{{"identity", none}}, mutate: noSecret},
		{name: "issuer", edits: []setting{{"identity", obj{"mode": "none", "issuer": "https://auth.example.com/"}}}, mutate: noSecret, wantKey: id + ".issuer", wantMsg: "has no OpenID provider"},
		{name: "groups claim", edits: []setting{{"identity", obj{"mode": "none", "groupsClaim": "roles"}}}, mutate: noSecret, wantKey: id + ".groupsClaim", wantMsg: "has no OpenID provider"},
		{name: "authentik groups", edits: []setting{{"identity", obj{"mode": "none", "authentik": obj{"groups": []any{"a"}}}}}, mutate: noSecret, wantKey: id + ".authentik", wantMsg: "has no OpenID provider"},
		{name: "client secret", edits: []setting{{"identity", none}}, wantKey: "zot-registry:oidcClientSecret", wantMsg: "pulumi config rm oidcClientSecret"},
		{name: "OIDC remote key", edits: []setting{{"identity", none}, {"secrets.remoteKeys", obj{"oidcClientSecret": "zot-oidc-secret"}}}, mutate: noSecret,
			wantKey: "zot-registry:secrets.remoteKeys.oidcClientSecret", wantMsg: "identity mode none has no OpenID client"},
		{name: "admin group", edits: []setting{{"identity", none}, {"registry.accessControl.adminGroups", []any{"admins"}}}, mutate: noSecret,
			wantKey: reg + ".accessControl.adminGroups", wantMsg: "groups come only from its groups claim"},
		{name: "rule group", edits: []setting{{"identity", none}, {"registry.accessControl.repositories", []any{obj{"pattern": "team/**", "pushGroups": []any{"team"}}}}}, mutate: noSecret,
			wantKey: reg + ".accessControl.repositories[0].pushGroups", wantMsg: "has no OpenID provider"},
		{name: "mirror readers group", edits: []setting{{"identity", none}, {"registry.mirrorReaders", obj{"groups": []any{"nodes"}}}}, mutate: noSecret,
			wantKey: reg + ".mirrorReaders.groups", wantMsg: "has no OpenID provider"},
		{name: "a user who is not generated", edits: []setting{{"identity", none}, {"storage", awsStorage(nil)},
			{"secrets", obj{"mode": "push", "store": obj{"name": "vault"}, "users": []any{"ci"}}},
			{"registry.accessControl.readerUsers", []any{"jane@example.com"}}}, mutate: noSecret,
			wantKey: reg + ".accessControl.readerUsers[0]", wantMsg: "identity mode none has no other users"},
	})
}

// TestSecretsKubernetes: without ESO the store's settings are errors, the
// generated users are required, and mirror logins cannot be read.
func TestSecretsKubernetes(t *testing.T) {
	const key = "zot-registry:secrets"
	k8s := func(more obj) obj {
		s := obj{"mode": "kubernetes", "users": []any{"ci"}}
		for k, v := range more {
			s[k] = v
		}
		return s
	}
	keys := func(s config.MapSource) {
		s.Values["zot-registry:s3AccessKeyId"], s.Values["zot-registry:s3SecretAccessKey"] = "a", "b"
		s.Secrets["zot-registry:s3AccessKeyId"], s.Secrets["zot-registry:s3SecretAccessKey"] = true, true
	}
	runPlatformCases(t, []platformCase{
		{name: "aws storage makes the key", edits: []setting{{"secrets", k8s(nil)}, {"storage", awsStorage(nil)}}},
		{name: "aws storage with a role", edits: []setting{{"secrets", k8s(nil)}, {"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c"}})}}},
		{name: "another store takes the secret keys", edits: []setting{{"secrets", k8s(nil)}}, mutate: keys},
		{name: "another store without keys", edits: []setting{{"secrets", k8s(nil)}}, mutate: func(config.MapSource) {},
			wantKey: "zot-registry:s3AccessKeyId", wantMsg: "secrets mode kubernetes delivers zot's S3 key"},
		{name: "no users", edits: []setting{{"secrets", obj{"mode": "kubernetes"}}, {"storage", awsStorage(nil)}},
			wantKey: key + ".users", wantMsg: "nobody could docker login"},
		{name: "store", edits: []setting{{"secrets", k8s(obj{"store": obj{"name": "vault"}})}, {"storage", awsStorage(nil)}},
			wantKey: key + ".store", wantMsg: "uses no secret store"},
		{name: "remote keys", edits: []setting{{"secrets", k8s(obj{"remoteKeys": obj{"htpasswd": "h"}})}, {"storage", awsStorage(nil)}},
			wantKey: key + ".remoteKeys", wantMsg: "reads no remote keys"},
		{name: "mirror login", edits: []setting{{"secrets", k8s(nil)}, {"storage", awsStorage(nil)},
			{"registry.mirrors", []any{obj{"name": "hub", "url": "https://registry-1.docker.io", "prefix": "docker.io", "credentials": obj{"username": "u", "password": "p"}}}}},
			wantKey: "zot-registry:registry.mirrors[0].credentials", wantMsg: "secrets mode kubernetes reads none"},
	})
}

// TestValidationChangesNothing: spec.Validate and spec.Resolve leave the
// settings they are given as they are (what the settings imply is a copy's),
// resolved settings (the default remote keys of values nothing reads, among
// others) are valid, and resolving them again changes nothing.
func TestValidationChangesNothing(t *testing.T) {
	noSecret := func(s config.MapSource) { delete(s.Values, "zot-registry:oidcClientSecret") }
	for _, tc := range []struct {
		name   string
		edits  []setting
		mutate func(config.MapSource)
	}{
		{"a role", []setting{{"storage", awsStorage(obj{"aws": obj{"credentials": "podIdentity", "eksCluster": "c"}})}}, nil},
		{"identity none", []setting{{"identity", obj{"mode": "none"}}}, noSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := valid()
			for _, e := range tc.edits {
				objs[e.path] = e.value.(obj)
			}
			src := source(t, objs)
			if tc.mutate != nil {
				tc.mutate(src)
			}
			cfg, err := config.Parse("dev", src)
			require.NoError(t, err)
			before, err := json.Marshal(cfg.Settings)
			require.NoError(t, err)
			env := config.StackEnv{Source: src}
			assert.Empty(t, spec.Validate(cfg.Settings, env, spec.StackConfig), "resolved settings are valid settings")
			again := spec.Resolve(cfg.Settings, env)
			for what, s := range map[string]spec.Settings{"validation or resolution": cfg.Settings, "a second resolution": again.Settings} {
				after, err := json.Marshal(s)
				require.NoError(t, err)
				assert.JSONEq(t, string(before), string(after), "%s changed the settings", what)
			}
		})
	}
}
