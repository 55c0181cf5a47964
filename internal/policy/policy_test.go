package policy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/policy"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

const root = "../.."

// input renders a stack variant (a fixture stack name or a mode variant).
func input(t *testing.T, name string) *policy.Input {
	t.Helper()
	return inputOf(t, stacks.Named(name))
}

func inputOf(t *testing.T, v stacks.Variant) *policy.Input {
	t.Helper()
	res, err := v.Evaluate(root)
	require.NoError(t, err)
	files, err := res.Files()
	require.NoError(t, err)
	return policy.FromRender(res, files)
}

// TestEveryStackPasses: the fixtures, every mode and whatever example
// stacks exist satisfy every rule.
func TestEveryStackPasses(t *testing.T) {
	variants, err := stacks.All(root)
	require.NoError(t, err)
	examples, err := stacks.ExampleVariants(root)
	require.NoError(t, err)
	for _, v := range append(variants, examples...) {
		t.Run(v.Name, func(t *testing.T) {
			in := inputOf(t, v)
			assert.Empty(t, policy.Check(in))
		})
	}
}

// resourceOf returns the first resource of a type, for mutation.
func resourceOf(t *testing.T, in *policy.Input, typ string) int {
	t.Helper()
	for i, r := range in.Resources {
		if r.Type == typ {
			in.Resources[i].Inputs = in.Resources[i].Inputs.Copy()
			return i
		}
	}
	t.Fatalf("no %s in the render", typ)
	return -1
}

func editConfigJSON(t *testing.T, in *policy.Input, edit func(http map[string]any)) {
	t.Helper()
	var zc map[string]any
	require.NoError(t, json.Unmarshal([]byte(in.ConfigJSON), &zc))
	edit(zc["http"].(map[string]any))
	b, err := json.Marshal(zc)
	require.NoError(t, err)
	in.ConfigJSON = string(b)
}

func values(in *policy.Input, key string) map[string]any {
	if key == "" {
		return in.Values
	}
	return in.Values[key].(map[string]any)
}

// TestEachRuleFires: every rule reports the mistake it exists for, naming
// the resource and saying what is wrong.
func TestEachRuleFires(t *testing.T) {
	const provider = "authentik:index/providerOauth2:ProviderOauth2"
	cases := []struct {
		rule, stack string
		breakIt     func(t *testing.T, in *policy.Input)
		resource    string // part of the violation's resource
		message     string // part of its message
	}{
		{"no-clear-secrets", "secrets-push-aws", func(t *testing.T, in *policy.Input) {
			require.NotEmpty(t, in.Secrets, "the push render handles generated secrets")
			in.Files["secrets/leak.yaml"] = []byte("password: " + in.Secrets[0])
		}, "secrets/leak.yaml", "holds a secret value in clear text"},
		{"no-clear-secrets", "secrets-push-aws", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, mocks.SecretType)
			in.Resources[i].Inputs["stringData"] = resource.NewObjectProperty(resource.PropertyMap{"htpasswd": resource.NewStringProperty("ci:$2a$10$x")})
		}, "zot-registry-push-source", "stringData is not marked secret"},
		{"strict-redirect-uri", "dev", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, provider)
			in.Resources[i].Inputs["allowedRedirectUris"] = resource.NewArrayProperty([]resource.PropertyValue{
				resource.NewObjectProperty(resource.PropertyMap{"matching_mode": resource.NewStringProperty("regex"), "url": resource.NewStringProperty("https://registry.dev.example.com/.*")}),
			})
		}, "ProviderOauth2", "matching mode is regex, want strict"},
		{"strict-redirect-uri", "dev", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, provider)
			in.Resources[i].Inputs["allowedRedirectUris"] = resource.NewArrayProperty([]resource.PropertyValue{
				resource.NewObjectProperty(resource.PropertyMap{"matching_mode": resource.NewStringProperty("strict"), "url": resource.NewStringProperty("https://registry.dev.example.com/auth/callback/oidc")}),
			})
		}, "ProviderOauth2", "want https://registry.dev.example.com/zot/auth/callback/oidc"},
		{"strict-redirect-uri", "dev", func(t *testing.T, in *policy.Input) {
			in.Outputs["oidcRedirectUri"] = "https://other.example.com/zot/auth/callback/oidc"
		}, "output oidcRedirectUri", "want https://registry.dev.example.com/zot/auth/callback/oidc"},
		{"strict-redirect-uri", "identity-none", func(t *testing.T, in *policy.Input) {
			in.Outputs["oidcRedirectUri"] = "https://registry.dev.example.com/zot/auth/callback/oidc"
		}, "output oidcRedirectUri", "want "},
		{"strict-redirect-uri", "dev", func(t *testing.T, in *policy.Input) {
			editConfigJSON(t, in, func(h map[string]any) { delete(h["auth"].(map[string]any), "openid") })
		}, render.ConfigFile, "has no http.auth.openid section"},
		{"workload-identity", "prod", func(t *testing.T, in *policy.Input) {
			values(in, "")["env"] = []any{map[string]any{"name": "AWS_ACCESS_KEY_ID", "value": "AKIA"}}
		}, render.ValuesFile, "env AWS_ACCESS_KEY_ID gives zot a key"},
		{"workload-identity", "prod", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, mocks.PodIdentityType)
			in.Resources[i].Inputs["serviceAccount"] = resource.NewStringProperty("default")
		}, "PodIdentityAssociation", "want platform-prod zot/zot"},
		{"workload-identity", "prod", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, mocks.RoleType)
			in.Resources[i].Inputs["assumeRolePolicy"] = resource.NewStringProperty(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)
		}, "Role", "want exactly pods.eks.amazonaws.com"},
		{"workload-identity", "storage-irsa", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, mocks.RoleType)
			doc := mocks.Plain(in.Resources[i].Inputs["assumeRolePolicy"]).(string)
			in.Resources[i].Inputs["assumeRolePolicy"] = resource.NewStringProperty(strings.Replace(doc, "system:serviceaccount:zot:zot", "system:serviceaccount:zot:*", 1))
		}, "Role", "want exactly arn:aws:iam::123456789012:oidc-provider/"},
		{"workload-identity", "storage-irsa", func(t *testing.T, in *policy.Input) {
			delete(values(in, "serviceAccount")["annotations"].(map[string]any), "eks.amazonaws.com/role-arn")
		}, render.ValuesFile, "does not name the role"},
		{"mounted-secrets-exist", "secrets-kubernetes", func(t *testing.T, in *policy.Input) {
			values(in, "")["externalSecrets"] = append(values(in, "")["externalSecrets"].([]any), map[string]any{"secretName": "zot-missing", "mountPath": "/secrets/x"})
		}, render.ValuesFile, "reads the Secret zot-missing, which nothing in the render writes"},
		{"mounted-secrets-exist", "secrets-kubernetes", func(t *testing.T, in *policy.Input) {
			env := values(in, "")["env"].([]any)
			env[0].(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)["key"] = "accessKey"
		}, render.ValuesFile, "reads key accessKey of the Secret zot-s3"},
		{"mounted-secrets-exist", "secrets-kubernetes", func(t *testing.T, in *policy.Input) {
			in.Resources = append(in.Resources, mocks.Resource{Type: mocks.PushSecretType, URN: "push", Inputs: resource.PropertyMap{}})
		}, "secrets", "runs without ESO"},
		{"extra-values-not-owned", "placement", func(t *testing.T, in *policy.Input) {
			in.Config.Registry.ExtraValues = map[string]any{"image": map[string]any{"tag": "latest"}}
		}, "registry.extraValues.image.tag", "use registry.image"},
		{"extra-values-not-owned", "placement", func(t *testing.T, in *policy.Input) {
			delete(values(in, ""), "dnsConfig")
		}, render.ValuesFile, "dnsConfig.options is <nil>"},
		{"external-url", "dev", func(t *testing.T, in *policy.Input) {
			editConfigJSON(t, in, func(h map[string]any) { h["externalUrl"] = "http://registry.dev.example.com" })
		}, render.ConfigFile, "is not an https URL"},
		{"external-url", "dev", func(t *testing.T, in *policy.Input) {
			values(in, "ingress")["hosts"] = []any{map[string]any{"host": "zot.dev.example.com"}}
		}, render.ValuesFile, `ingress host "zot.dev.example.com" differs`},
		{"external-url", "dev", func(t *testing.T, in *policy.Input) {
			in.Outputs["registryUrl"] = "https://zot.dev.example.com"
		}, "output registryUrl", "consumers would push to another URL"},
		{"external-url", "prod", func(t *testing.T, in *policy.Input) {
			routeSpec(t, in)["hostnames"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("zot.example.com")})
		}, "HTTPRoute zot", `want exactly externalUrl's host "registry.example.com"`},
		{"external-url", "prod", func(t *testing.T, in *policy.Input) {
			delete(routeSpec(t, in), "parentRefs")
		}, "HTTPRoute zot", "attached to no Gateway"},
		{"external-url", "prod", func(t *testing.T, in *policy.Input) {
			values(in, "ingress")["enabled"] = true
		}, render.ValuesFile, "both an ingress and an HTTPRoute"},
		{"pinned-versions", "dev", func(t *testing.T, in *policy.Input) {
			values(in, "image")["tag"] = "latest"
		}, render.ValuesFile, `image.tag is "latest"`},
		{"pinned-versions", "dev", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, render.ReleaseType)
			in.Resources[i].Inputs["version"] = resource.NewStringProperty("~0.1")
		}, "Release::zot", `chart version "~0.1" is not an exact version`},
		{"docker2s2", "dev", func(t *testing.T, in *policy.Input) {
			editConfigJSON(t, in, func(h map[string]any) { delete(h, "compat") })
		}, render.ConfigFile, "fails with 415"},
		{"bucket-retained", "storage-aws", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, "aws:s3/bucketV2:BucketV2")
			in.Resources[i].RetainOnDelete = false
		}, "BucketV2", "not retained on delete"},
		{"exact-s3-policy", "dev", func(t *testing.T, in *policy.Input) {
			in.Outputs["storagePolicy"] = strings.Replace(in.Outputs["storagePolicy"].(string), `"s3:ListBucketMultipartUploads"`, `"s3:ListAllMyBuckets"`, 1)
		}, "output storagePolicy", "want exactly [s3:GetBucketLocation s3:ListBucket s3:ListBucketMultipartUploads]"},
		{"exact-s3-policy", "dev", func(t *testing.T, in *policy.Input) {
			in.Outputs["storagePolicy"] = strings.Replace(in.Outputs["storagePolicy"].(string), `"s3:AbortMultipartUpload"`, `"s3:*"`, 1)
		}, "output storagePolicy", "on the objects, want exactly"},
		{"exact-s3-policy", "storage-aws", func(t *testing.T, in *policy.Input) {
			i := resourceOf(t, in, mocks.UserPolicyType)
			in.Resources[i].Inputs["policy"] = resource.NewStringProperty(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
		}, "UserPolicy", "differs from the storagePolicy output"},
		{"service-exposure", "dev", func(t *testing.T, in *policy.Input) {
			values(in, "service")["type"] = "LoadBalancer"
		}, render.ValuesFile, `service.type is LoadBalancer but registry.serviceType is "ClusterIP"`},
		{"service-exposure", "prod", func(t *testing.T, in *policy.Input) {
			rule := routeSpec(t, in)["rules"].ArrayValue()[0].ObjectValue()
			rule["backendRefs"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"kind": resource.NewStringProperty("Service"), "name": resource.NewStringProperty("zot"), "port": resource.NewNumberProperty(8080),
			})})
		}, "HTTPRoute zot", "want zot's Service zot port 5000"},
		{"service-exposure", "dev", func(t *testing.T, in *policy.Input) {
			delete(values(in, "service"), "type")
		}, render.ValuesFile, "the chart's default is NodePort"},
		{"pod-hardening", "dev", func(t *testing.T, in *policy.Input) {
			values(in, "securityContext")["readOnlyRootFilesystem"] = false
		}, render.ValuesFile, "readOnlyRootFilesystem is not true"},
		{"pod-hardening", "dev", func(t *testing.T, in *policy.Input) {
			delete(values(in, "podSecurityContext"), "runAsNonRoot")
		}, render.ValuesFile, "podSecurityContext.runAsNonRoot is not true"},
		{"pod-hardening", "prod", func(t *testing.T, in *policy.Input) {
			values(in, "securityContext")["capabilities"] = map[string]any{"drop": []any{"NET_RAW"}}
		}, render.ValuesFile, "does not drop ALL"},
		{"pod-hardening", "dev", func(t *testing.T, in *policy.Input) {
			delete(values(in, "resources")["limits"].(map[string]any), "memory")
		}, render.ValuesFile, "resources.limits.memory is not set"},
		{"pod-hardening", "dev", func(t *testing.T, in *policy.Input) {
			values(in, "securityContext")["seccompProfile"] = map[string]any{"type": "Unconfined"}
		}, render.ValuesFile, "seccompProfile.type is Unconfined, want RuntimeDefault"},
		{"secure-session", "dev", func(t *testing.T, in *policy.Input) {
			in.ConfigJSON = strings.Replace(in.ConfigJSON, `"secureSession": true`, `"secureSession": false`, 1)
		}, render.ConfigFile, "without the Secure flag"},
		{"username-claim", "dev", func(t *testing.T, in *policy.Input) {
			in.ConfigJSON = strings.Replace(in.ConfigJSON, `"username": "email"`, `"username": ""`, 1)
		}, render.ConfigFile, `want "email"`},
		{"converges-on-store", "dev", func(t *testing.T, in *policy.Input) {
			store := in.Resources[resourceOf(t, in, "pulumi:providers:aws")]
			in.Resources = append(in.Resources, mocks.Resource{
				URN:  "urn:pulumi:dev::zot-registry::aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2::zot-registry",
				Type: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", Custom: true,
				Provider: store.URN + "::" + store.ID,
			})
		}, "BucketLifecycleConfigurationV2", "waits for an AWS-only header"},
	}
	fired := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.message, func(t *testing.T) {
			in := input(t, tc.stack)
			require.Empty(t, policy.Check(in), "the unbroken render passes")
			tc.breakIt(t, in)
			violations := policy.Check(in)
			found := false
			for _, v := range violations {
				found = found || (v.Rule == tc.rule && strings.Contains(v.Resource, tc.resource) && strings.Contains(v.Message, tc.message))
			}
			assert.True(t, found, "want %s on %s: %q; got %v", tc.rule, tc.resource, tc.message, violations)
			fired[tc.rule] = fired[tc.rule] || found
		})
	}
	for _, r := range policy.Rules {
		assert.True(t, fired[r.Name], "rule %s has no test that makes it fire", r.Name)
	}
}

// routeSpec is the spec of the one HTTPRoute in the render, to break.
func routeSpec(t *testing.T, in *policy.Input) resource.PropertyMap {
	t.Helper()
	i := resourceOf(t, in, render.HTTPRouteType)
	return in.Resources[i].Inputs["spec"].ObjectValue()
}

// TestServiceExposureWhenConfigured: NodePort or LoadBalancer is fine when
// registry.serviceType asks for it.
func TestServiceExposureWhenConfigured(t *testing.T) {
	in := input(t, "dev")
	in.Config.Registry.ServiceType = "LoadBalancer"
	values(in, "service")["type"] = "LoadBalancer"
	assert.Empty(t, policy.Check(in))
}

// TestREADMEListsEveryRule: the rule table in docs/ci.md names every rule,
// and names no rule that does not exist.
func TestREADMEListsEveryRule(t *testing.T) {
	page, err := os.ReadFile(root + "/docs/ci.md")
	require.NoError(t, err)
	names := map[string]bool{}
	names[policy.StacksApart] = true
	assert.Contains(t, string(page), "| `"+policy.StacksApart+"` |", "docs/ci.md's policy table lacks %s", policy.StacksApart)
	for _, r := range policy.Rules {
		names[r.Name] = true
		assert.True(t, strings.Contains(string(page), "| `"+r.Name+"` |"), "docs/ci.md's policy table lacks %s", r.Name)
	}
	start := strings.Index(string(page), "## Policy checks over the render")
	require.GreaterOrEqual(t, start, 0)
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(string(page)[start:], -1) {
		assert.True(t, names[m[1]], "docs/ci.md documents a rule %s the code does not have", m[1])
	}
}
