// Package stacks lists the stacks the whole-program and integration tests
// render: the tests' own fixture stacks (testdata/Pulumi.<stack>.yaml, with
// golden files and checkpoints), the fixture dev stack with keys replaced so
// that every mode of every component is rendered at least once, and the
// project's example stacks, whatever they are. Tests hold the fixtures to
// their goldens and the examples only to properties (they render, pass the
// policy, run in zot), so a team edits, adds or deletes examples freely.
package stacks

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Variant is a stack to render: a fixture stack, optionally with keys
// replaced (as written in Pulumi.<stack>.yaml; nil removes a key), or an
// example stack of the project.
type Variant struct {
	Name    string
	Stack   string
	Replace map[string]any
	Edits   []render.Edit // then these settings
	// Dir holds the stack file, relative to the project root: the
	// project itself for its environments, ExampleDir; empty: FixtureDir.
	Dir string
}

// FixtureDir holds the fixture stack files, relative to the project root.
const FixtureDir = "tests/stacks/testdata"

// Config loads the variant's config: its stack file against the project's
// Pulumi.yaml in root.
func (v Variant) Config(root string) (*render.StackConfig, error) {
	dir := v.Dir
	if dir == "" {
		dir = FixtureDir
	}
	sc, err := render.LoadStackConfigFrom(root, filepath.Join(root, dir), v.Stack)
	if err != nil {
		return nil, err
	}
	if sc, err = sc.With(v.Replace); err != nil {
		return nil, err
	}
	return sc.Apply(v.Edits...)
}

// Evaluate runs the program for the variant under mocks, as cmd/render does.
func (v Variant) Evaluate(root string) (*render.Result, error) {
	sc, err := v.Config(root)
	if err != nil {
		return nil, err
	}
	return render.EvaluateConfig(sc)
}

// Named is the mode variant of that name, or else the fixture stack.
func Named(name string) Variant {
	if v, ok := Mode(name); ok {
		return v
	}
	return Variant{Name: name, Stack: name}
}

// Examples are the stacks with a Pulumi.<stack>.yaml in root.
func Examples(root string) ([]string, error) { return render.StackNames(root) }

// ExamplePrefix starts the variant names of the example stacks, apart from
// the fixtures of the same stack name.
const ExamplePrefix = "example-"

// ExampleDir holds example stacks that are no environment (the deploy
// workflow deploys every Pulumi.<stack>.yaml of the project): a team copies
// one into the project. Its header's `pulumi config set --secret <key>`
// lines are what the copy needs before up; the tests set those keys.
const ExampleDir = "examples/stacks"

// ExampleVariants are the project's stacks and ExampleDir's as variants.
func ExampleVariants(root string) ([]Variant, error) {
	var out []Variant
	for _, dir := range []string{".", ExampleDir} {
		names, err := render.StackNames(filepath.Join(root, dir))
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			v := Variant{Name: ExamplePrefix + n, Stack: n, Dir: dir}
			if dir == ExampleDir {
				if v.Replace, err = headerSecrets(filepath.Join(root, dir, "Pulumi."+n+".yaml")); err != nil {
					return nil, err
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// setSecret is a `pulumi config set --secret <key>` line of a header.
var setSecret = regexp.MustCompile(`(?m)^#\s+pulumi config set --secret (\S+) `)

// headerSecrets are the secret keys the file's header tells a team to set,
// as a stack file holds them once set (a value the render cannot decrypt).
func headerSecrets(file string) (map[string]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, m := range setSecret.FindAllStringSubmatch(string(b), -1) {
		key := m[1]
		if !strings.Contains(key, ":") {
			key = spec.FullKey(key)
		}
		out[key] = map[string]any{"secure": "v1:c2V0IGJ5IHRoZSB0ZWFt"}
	}
	return out, nil
}

// Fixtures are the fixture stacks' names.
func Fixtures(root string) ([]string, error) {
	return render.StackNames(filepath.Join(root, FixtureDir))
}

// Modes are the fixture dev stack with one component switched to each of
// its other modes (dev itself is s3-compatible storage, authentik identity,
// store secrets from a ClusterSecretStore).
func Modes() []Variant {
	secure := func(s string) map[string]any { return map[string]any{"secure": s} }
	store := map[string]any{"name": "vault-backend"}
	return []Variant{
		{Name: "storage-aws", Stack: "dev", Replace: map[string]any{
			"zot-registry:storage": map[string]any{"mode": "aws", "region": "eu-central-1"},
		}},
		{Name: "storage-existing", Stack: "dev", Replace: map[string]any{
			"zot-registry:storage": map[string]any{"mode": "existing", "bucket": "shared-zot", "region": "eu-west-1"},
		}},
		{Name: "identity-external", Stack: "dev", Replace: map[string]any{
			"zot-registry:identity":         map[string]any{"mode": "external", "issuer": "https://kc.example.com/realms/platform", "clientId": "zot", "label": "Keycloak"},
			"zot-registry:oidcClientSecret": secure("v1:ZXh0ZXJuYWw="),
			"authentik:url":                 nil,
		}},
		// Users named by preferred_username (the zot tier's dex sends it,
		// user names apart from the emails).
		{Name: "identity-claims", Stack: "dev", Replace: map[string]any{
			"zot-registry:identity": map[string]any{"mode": "external", "issuer": "https://dex.example.com/dex", "clientId": "zot", "label": "dex",
				"usernameClaim": "preferred_username"},
			"zot-registry:oidcClientSecret": secure("v1:ZXh0ZXJuYWw="),
			"authentik:url":                 nil,
		}},
		// The store is Vault-like (fields under a key), as in the examples.
		{Name: "secrets-namespaced-store", Stack: "dev", Replace: map[string]any{
			"zot-registry:secrets": map[string]any{"store": map[string]any{"name": "zot-vault", "kind": "SecretStore"}, "refreshInterval": "15m", "remoteProperty": "value"},
		}},
		// Push mode with robots by role, rules per repository (each team's
		// robot pushes under its prefix, team-b's also deletes, public/** is
		// open to anonymous pulls) and two pull-through mirrors.
		{Name: "secrets-push-aws", Stack: "dev", Replace: map[string]any{
			"zot-registry:storage": map[string]any{"mode": "aws", "region": "eu-central-1"},
			"zot-registry:secrets": map[string]any{"mode": "push", "store": store, "users": []any{
				"ci-pusher", "renovate", "prometheus", "team-a-ci", "team-b-ci", map[string]any{"name": "cluster-pull", "role": "pull"},
			}, "remoteProperty": "value"},
		}, Edits: []render.Edit{
			{Key: registry, Path: "accessControl.repositories", Value: []any{
				map[string]any{"pattern": "team-a/**", "pushUsers": []any{"team-a-ci"}, "pullUsers": []any{"renovate"}},
				map[string]any{"pattern": "team-b/**", "pushUsers": []any{"team-b-ci"}, "deleteUsers": []any{"team-b-ci"}},
				map[string]any{"pattern": "public/**", "anonymousRead": true},
			}},
			// Two pull-through mirrors, one also syncing chosen repositories;
			// nodes pull from them without credentials.
			{Key: registry, Path: "mirrors", Value: []any{
				map[string]any{"name": "docker-hub", "url": "https://registry-1.docker.io", "prefix": "docker.io", "keepPulledWithin": "720h",
					"credentials": map[string]any{"username": "zot-dev-dockerhub", "password": map[string]any{"key": "zot-dev-dockerhub", "property": "token"}}},
				map[string]any{"name": "ghcr", "url": "https://ghcr.io", "prefix": "ghcr.io", "content": []any{"project-zot/*"}, "pollInterval": "24h"},
			}},
			{Key: registry, Path: "mirrorReaders", Value: map[string]any{"anonymous": true}},
		}},
		{Name: "secrets-push-s3-compatible", Stack: "dev", Replace: map[string]any{
			"zot-registry:secrets":           map[string]any{"mode": "push", "store": store, "users": []any{"ci-pusher", "prometheus"}, "remoteProperty": "value"},
			"zot-registry:s3AccessKeyId":     secure("v1:YWNjZXNz"),
			"zot-registry:s3SecretAccessKey": secure("v1:c2VjcmV0"),
		}},
		// Scale-out: three replicas sharing metadata in an existing Redis
		// (dev's storage and secrets), with a ServiceMonitor.
		{Name: "scale-out-redis", Stack: "dev", Replace: map[string]any{
			"zot-registry:redisPassword": secure("v1:cmVkaXM="),
		}, Edits: []render.Edit{
			{Key: registry, Path: "replicas", Value: 3},
			{Key: registry, Path: "cache", Value: map[string]any{"driver": "redis", "redis": map[string]any{
				"addresses": []any{"redis-master.redis.svc.cluster.local:6379"}, "keyPrefix": "zot-dev",
			}}},
			{Key: registry, Path: "metrics.serviceMonitor", Value: map[string]any{
				"enabled": true, "labels": map[string]any{"release": "kube-prometheus-stack"}, "basicAuthSecret": "zot-metrics-scrape",
			}},
		}},
		// Metadata in a Redis reached over TLS alone (a rediss:// URL), no
		// password: zot would log it with the URL.
		{Name: "cache-redis-tls", Stack: "dev", Edits: []render.Edit{
			{Key: registry, Path: "cache", Value: map[string]any{"driver": "redis", "redis": map[string]any{
				"addresses": []any{"redis.redis.svc.cluster.local:6380"}, "keyPrefix": "zot-dev", "tls": true,
			}}},
		}},
		// Scale-out on AWS: the seven DynamoDB tables, push mode.
		{Name: "scale-out-dynamodb", Stack: "dev", Replace: map[string]any{
			"zot-registry:storage": map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "example-zot-scale"},
			"zot-registry:secrets": map[string]any{"mode": "push", "store": store, "users": []any{"ci-pusher", "prometheus"}, "remoteProperty": "value"},
		}, Edits: []render.Edit{
			{Key: registry, Path: "replicas", Value: 3},
			{Key: registry, Path: "cache.driver", Value: "dynamodb"},
			{Key: registry, Path: "metrics.serviceMonitor.enabled", Value: true},
		}},
		// Workload identity through IRSA: zot's role trusts its ServiceAccount
		// (annotated, beside an annotation of the stack's own), holds the
		// DynamoDB tables too, and push mode pushes no S3 key.
		{Name: "storage-irsa", Stack: "dev", Replace: map[string]any{
			"zot-registry:storage": map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "example-zot-irsa", "aws": map[string]any{
				"credentials": "irsa", "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
			}},
			"zot-registry:secrets": map[string]any{"mode": "push", "store": store, "users": []any{"ci-pusher", "prometheus"}, "remoteProperty": "value"},
		}, Edits: []render.Edit{
			{Key: registry, Path: "cache.driver", Value: "dynamodb"},
			{Key: registry, Path: "serviceAccount.annotations", Value: map[string]any{"example.com/owner": "platform"}},
		}},
		// No OpenID provider: htpasswd users only, so access control names
		// users, not groups.
		{Name: "identity-none", Stack: "dev", Replace: map[string]any{
			"zot-registry:identity": map[string]any{"mode": "none"},
			"authentik:url":         nil,
		}, Edits: []render.Edit{
			{Key: registry, Path: "accessControl", Value: map[string]any{"adminUsers": []any{"ci-pusher"}, "readerUsers": []any{"developer"}}},
		}},
		// No ESO: the program writes zot's Secrets itself, from generated
		// values and the S3 key pair in the stack's secret config.
		{Name: "secrets-kubernetes", Stack: "dev", Replace: map[string]any{
			"zot-registry:secrets": map[string]any{"mode": "kubernetes", "users": []any{
				"ci-pusher", "prometheus", map[string]any{"name": "cluster-pull", "role": "pull"},
			}},
			"zot-registry:s3AccessKeyId":     secure("v1:YWNjZXNz"),
			"zot-registry:s3SecretAccessKey": secure("v1:c2VjcmV0"),
		}},
		// Every placement and metadata setting, an internal load balancer,
		// and chart values the program does not model.
		{Name: "placement", Stack: "dev", Edits: []render.Edit{
			{Key: registry, Path: "nodeSelector", Value: map[string]any{"kubernetes.io/arch": "arm64", "node.example.com/pool": "registry"}},
			{Key: registry, Path: "tolerations", Value: []any{
				map[string]any{"key": "dedicated", "operator": "Equal", "value": "registry", "effect": "NoSchedule"},
				map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
			}},
			{Key: registry, Path: "affinity", Value: map[string]any{
				"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{"nodeSelectorTerms": []any{
					map[string]any{"matchExpressions": []any{map[string]any{"key": "topology.kubernetes.io/zone", "operator": "In", "values": []any{"eu-central-1a", "eu-central-1b"}}}},
				}}},
				"podAntiAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
					"weight": 50, "podAffinityTerm": map[string]any{"topologyKey": "kubernetes.io/hostname", "labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "postgres"}}},
				}}},
			}},
			{Key: registry, Path: "priorityClassName", Value: "platform-critical"},
			{Key: registry, Path: "imagePullSecrets", Value: []any{"mirror-pull"}},
			{Key: registry, Path: "podLabels", Value: map[string]any{"example.com/team": "platform"}},
			{Key: registry, Path: "podAnnotations", Value: map[string]any{"example.com/scrape-logs": "true"}},
			{Key: registry, Path: "serviceType", Value: "LoadBalancer"},
			{Key: registry, Path: "serviceAnnotations", Value: map[string]any{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
			{Key: registry, Path: "serviceAccount.annotations", Value: map[string]any{"example.com/owner": "platform"}},
			{Key: registry, Path: "extraValues", Value: map[string]any{
				"dnsConfig": map[string]any{"options": []any{map[string]any{"name": "ndots", "value": "2"}}},
				"service":   map[string]any{"externalTrafficPolicy": "Local"},
			}},
		}},
	}
}

// registry is the registry section's full key, for Edits.
const registry = "zot-registry:registry"

// All is every fixture stack followed by every mode variant: what golden
// files and checkpoints are kept for.
func All(root string) ([]Variant, error) {
	names, err := Fixtures(root)
	if err != nil {
		return nil, err
	}
	var all []Variant
	for _, n := range names {
		all = append(all, Variant{Name: n, Stack: n})
	}
	return append(all, Modes()...), nil
}

// Root is the project folder, found from the working directory of a test
// (go test runs in the package's folder).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", os.ErrNotExist
		}
	}
}

// Mode finds a mode variant by name.
func Mode(name string) (Variant, bool) {
	for _, v := range Modes() {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}
