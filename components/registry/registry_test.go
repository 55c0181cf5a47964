package registry_test

import (
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

const releaseType = mocks.ReleaseType

func settings(t *testing.T, mutate func(*spec.Registry)) spec.Registry {
	t.Helper()
	return settingsWith(t, func(s *spec.Settings) {
		if mutate != nil {
			mutate(&s.Registry)
		}
	})
}

// settingsWith is settings for a test that sets other sections too.
func settingsWith(t *testing.T, mutate func(*spec.Settings)) spec.Registry {
	t.Helper()
	// A stack's settings, resolved as every entry point resolves them.
	return testsupport.Prepare(t, func(s *spec.Settings) {
		r := &s.Registry
		r.ExternalURL = "https://registry.dev.example.com"
		r.ExternalProxy = false
		r.Image.Tag = "v2.1.18"
		r.Persistence = spec.Persistence{Enabled: true, Size: "20Gi", StorageClass: "fast"}
		r.Ingress = spec.Ingress{Enabled: true, ClassName: "nginx", TLSSecretName: "registry-tls"}
		r.AccessControl = spec.AccessControl{AdminUsers: []string{"ci"}}
		r.StartupTimeout = "30m"
		mutate(s)
	}).Registry
}

var secretNames = layout.SecretNames{OIDC: "oidc-sec", Htpasswd: "htpasswd-sec", S3: "s3-sec", Session: "session-sec"}

// deploy runs NewRegistry under mocks and returns the recorded release
// inputs as plain values, plus the recorder.
func deploy(t *testing.T, s spec.Registry, st registry.Bucket) (map[string]any, *mocks.Recorder) {
	t.Helper()
	rec := mocks.New("zot-registry", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := registry.NewZot(ctx, "zot", &registry.Args{
			Namespace: pulumi.String("zot"),
			Settings:  s,
			Bucket:    st,
			OpenID: registry.OpenID{
				Issuer: pulumi.String("https://auth.example.com/application/o/zot/"),
				Label:  "Authentik",
				Scopes: []string{"openid", "profile", "email", "groups"},
			},
			Secrets: secretNames,
		})
		return err
	}, rec.Option())
	require.NoError(t, err)
	rels := rec.ByType(releaseType)
	require.Len(t, rels, 1)
	return mocks.PlainMap(rels[0].Inputs), rec
}

func awsStorage() registry.Bucket {
	return registry.Bucket{
		Bucket: pulumi.String("bucket-from-storage"), Region: pulumi.String("eu-west-1"),
		Secure: pulumi.Bool(true), ForcePathStyle: pulumi.Bool(false),
	}
}

func values(in map[string]any) map[string]any { return in["values"].(map[string]any) }

func zotConfig(t *testing.T, in map[string]any) map[string]any {
	t.Helper()
	js := values(in)["configFiles"].(map[string]any)[layout.ConfigFile].(string)
	var c map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &c))
	return c
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		v = v.(map[string]any)[k]
	}
	return v
}

func TestReleasePinsChartAndImage(t *testing.T) {
	in, rec := deploy(t, settings(t, nil), awsStorage())
	assert.Equal(t, "zot", in["chart"])
	assert.Equal(t, "0.1.122", in["version"])
	assert.Equal(t, "https://zotregistry.dev/helm-charts", dig(in, "repositoryOpts", "repo"))
	assert.Equal(t, "zot", in["name"], "the release name is fixed, not auto-named")
	assert.Equal(t, "zot", in["namespace"])
	assert.Equal(t, false, in["createNamespace"])
	// Helm waits, atomic (a component package's registry), unless the
	// program watches the rollout (TestWatchedRollout).
	assert.Equal(t, true, in["atomic"])
	assert.Nil(t, in["skipAwait"])
	v := values(in)
	assert.Equal(t, map[string]any{"repository": "ghcr.io/project-zot/zot", "tag": "v2.1.18", "pullPolicy": "IfNotPresent"}, v["image"])
	assert.Equal(t, "zot", v["fullnameOverride"])
	assert.Equal(t, map[string]any{"type": "ClusterIP", "port": float64(5000)}, v["service"])
	assert.Equal(t, true, v["mountConfig"])
	assert.Equal(t, false, v["mountSecret"], "the chart's sample admin:admin htpasswd is never mounted")

	rel := rec.ByType(releaseType)[0]
	parent, ok := rec.ParentOf(rel)
	require.True(t, ok)
	assert.Equal(t, registry.Type, parent.Type, "the release is the component's child")
}

func TestOCIChartRepository(t *testing.T) {
	in, _ := deploy(t, settings(t, func(r *spec.Registry) {
		r.Chart.Repository = "oci://ghcr.io/project-zot/helm-charts/"
	}), awsStorage())
	assert.Equal(t, "oci://ghcr.io/project-zot/helm-charts/zot", in["chart"])
	assert.Nil(t, in["repositoryOpts"])
}

// TestMountPathsMatchConfigPaths: every file zot's config names lies in a
// folder the chart mounts a Secret on, under the key the Secret holds.
func TestMountPathsMatchConfigPaths(t *testing.T) {
	in, _ := deploy(t, settings(t, nil), awsStorage())
	c := zotConfig(t, in)
	mounts := map[string]string{} // mountPath -> secretName
	for _, m := range values(in)["externalSecrets"].([]any) {
		mm := m.(map[string]any)
		mounts[mm["mountPath"].(string)] = mm["secretName"].(string)
	}
	cases := []struct {
		configPath string
		secret     string
		key        string
	}{
		{dig(c, "http", "auth", "htpasswd", "path").(string), secretNames.Htpasswd, layout.HtpasswdKey},
		{dig(c, "http", "auth", "openid", "providers", "oidc", "credentialsFile").(string), secretNames.OIDC, layout.OIDCCredentialsKey},
		{dig(c, "http", "auth", "sessionKeysFile").(string), secretNames.Session, layout.SessionKeysKey},
	}
	for _, tc := range cases {
		dir, file := path.Split(tc.configPath)
		assert.Equal(t, tc.secret, mounts[path.Clean(dir)], "config path %s is not in the folder %s is mounted on", tc.configPath, tc.secret)
		assert.Equal(t, tc.key, file, "the file name is the Secret's key")
	}
	assert.Len(t, mounts, 3)
	assert.True(t, strings.HasSuffix(cases[1].configPath, ".json"), "zot picks the credentials format by extension")
}

func TestS3CredentialsComeFromSecretKeyRefs(t *testing.T) {
	in, _ := deploy(t, settings(t, nil), awsStorage())
	want := []any{
		map[string]any{"name": "AWS_ACCESS_KEY_ID", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s3-sec", "key": layout.S3AccessKeyIDKey}}},
		map[string]any{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s3-sec", "key": layout.S3SecretAccessKeyKey}}},
	}
	assert.Equal(t, want, values(in)["env"])
}

func TestConfigTakesStorageFromInputs(t *testing.T) {
	st := registry.Bucket{
		Bucket: pulumi.String("zot-abc123"), Region: pulumi.String("us-east-1"),
		RegionEndpoint: pulumi.String("http://rustfs:9000"),
		Secure:         pulumi.Bool(false), ForcePathStyle: pulumi.Bool(true),
		SkipVerify: pulumi.Bool(false), KeyPrefix: pulumi.String("/zot"),
	}
	in, _ := deploy(t, settings(t, nil), st)
	d := dig(zotConfig(t, in), "storage", "storageDriver").(map[string]any)
	assert.Equal(t, "zot-abc123", d["bucket"])
	assert.Equal(t, "http://rustfs:9000", d["regionendpoint"])
	assert.Equal(t, false, d["secure"])
	assert.Equal(t, true, d["forcepathstyle"])
	assert.Equal(t, "/zot", d["rootdirectory"])
	assert.Equal(t, "67108864", d["chunksize"], "tuning options must be JSON strings")

	in, _ = deploy(t, settings(t, nil), awsStorage())
	d = dig(zotConfig(t, in), "storage", "storageDriver").(map[string]any)
	assert.NotContains(t, d, "regionendpoint", "AWS S3 needs no endpoint")
	assert.Equal(t, "eu-west-1", d["region"])
}

// TestWorkloadFollowsReplicas: what the chart deploys for each shape, and
// strategy only where the chart reads it (a Deployment).
func TestWorkloadFollowsReplicas(t *testing.T) {
	redis := func(r *spec.Registry) {
		r.Replicas = 3
		r.Cache = spec.Cache{Driver: spec.CacheRedis, Redis: spec.RedisCache{Addresses: []string{"redis:6379"}, KeyPrefix: "zot"}}
		r.Availability = spec.Availability{PodDisruptionBudget: true, MaxUnavailable: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: "DoNotSchedule"}
	}
	cases := []struct {
		name   string
		mutate func(*spec.Registry)
		want   map[string]any // values keys; nil: must be absent
		claims int            // PersistentVolumeClaims the program makes
	}{
		{"one replica with persistence: a StatefulSet on the program's claim", nil, map[string]any{
			"persistence": true, "pvc": map[string]any{"create": false, "name": chart.PVCName("zot", "fast")},
			"strategy": nil, "replicaCount": nil, "serviceHeadless": nil, "podDisruptionBudget": nil, "topologySpreadConstraints": nil,
		}, 1},
		{"one replica without: a rolling Deployment", func(r *spec.Registry) { r.Persistence.Enabled = false }, map[string]any{
			"persistence": false, "pvc": nil, "strategy": map[string]any{"type": "RollingUpdate"}, "replicaCount": nil,
		}, 0},
		{"three replicas: members behind the headless Service, scratch claims, a budget and a spread", redis, map[string]any{
			"persistence": true, "replicaCount": float64(3), "strategy": nil,
			"serviceHeadless":     map[string]any{"enabled": true},
			"pvc":                 map[string]any{"create": true, "accessModes": []any{"ReadWriteOnce"}, "storage": "1Gi", "storageClassName": "fast"},
			"podDisruptionBudget": map[string]any{"enabled": true, "maxUnavailable": float64(1)},
			"topologySpreadConstraints": []any{map[string]any{
				"maxSkew": float64(1), "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
				"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "zot", "app.kubernetes.io/instance": "zot"}},
			}},
		}, 0},
		{"three replicas without a budget", func(r *spec.Registry) { redis(r); r.Availability.PodDisruptionBudget = false }, map[string]any{
			"podDisruptionBudget": nil, "replicaCount": float64(3),
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, rec := deploy(t, settings(t, tc.mutate), awsStorage())
			v := values(in)
			for k, want := range tc.want {
				if want == nil {
					assert.NotContains(t, v, k)
				} else {
					assert.Equal(t, want, v[k], k)
				}
			}
			claims := rec.ByType(mocks.PVCType)
			require.Len(t, claims, tc.claims)
			if tc.claims == 1 {
				c := mocks.PlainMap(claims[0].Inputs)
				assert.Equal(t, chart.PVCName("zot", "fast"), dig(c, "metadata", "name"), "the claim the chart mounts (pvc.name)")
				assert.Equal(t, "20Gi", dig(c, "spec", "resources", "requests", "storage"))
				assert.Equal(t, "fast", dig(c, "spec", "storageClassName"))
				assert.Equal(t, "true", dig(c, "metadata", "annotations", registry.SkipAwaitAnnotation), "a WaitForFirstConsumer class binds only with the pod")
				rel := rec.ByType(releaseType)[0]
				assert.Contains(t, rel.DependsOn, claims[0].URN, "the claim exists before the pod")
			}
		})
	}
}

// TestClaimNamePerClass: the default class keeps the chart's pvc.name; any
// other class gets a claim (and a volume name) of its own, a DNS label.
func TestClaimNamePerClass(t *testing.T) {
	assert.Equal(t, "zot-pvc", chart.PVCName("zot", ""))
	gp3, fast := chart.PVCName("zot", "gp3"), chart.PVCName("zot", "fast")
	assert.Regexp(t, `^zot-pvc-[0-9a-f]{4}$`, gp3)
	assert.NotEqual(t, gp3, fast)
	assert.Equal(t, gp3, chart.PVCName("zot", "gp3"), "stable across runs")
	assert.LessOrEqual(t, len(chart.PVCName(strings.Repeat("z", 53), "x")), 63, "a pod volume name")
}

// TestMembers: one entry per pod, the pod's own name under the headless
// Service and zot's pod port (not the Service port), in ordinal order.
func TestMembers(t *testing.T) {
	cases := []struct {
		release, namespace, domain string
		replicas                   int
		want                       []string
	}{
		{"zot", "zot", "cluster.local", 2, []string{
			"zot-0.zot-headless.zot.svc.cluster.local:5000",
			"zot-1.zot-headless.zot.svc.cluster.local:5000",
		}},
		{"registry-prod", "platform", "cluster.local", 3, []string{
			"registry-prod-0.registry-prod-headless.platform.svc.cluster.local:5000",
			"registry-prod-1.registry-prod-headless.platform.svc.cluster.local:5000",
			"registry-prod-2.registry-prod-headless.platform.svc.cluster.local:5000",
		}},
		{"zot", "zot", "k8s.example.internal", 2, []string{
			"zot-0.zot-headless.zot.svc.k8s.example.internal:5000",
			"zot-1.zot-headless.zot.svc.k8s.example.internal:5000",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.release+"."+tc.domain, func(t *testing.T) {
			in, rec := deployCluster(t, settingsWith(t, func(s *spec.Settings) {
				r := &s.Registry
				r.ReleaseName, r.Namespace, r.Port, r.ClusterDomain = tc.release, tc.namespace, 8080, tc.domain
				r.Replicas = tc.replicas
				r.Cache = spec.Cache{Driver: spec.CacheDynamoDB, DynamoDB: spec.DynamoDBCache{TablePrefix: "zot-test"}}
				s.Storage = spec.Storage{Mode: spec.StorageAWS, Region: "eu-west-1", AbortIncompleteUploadsDays: 7, RetainOnDelete: true}
			}), tc.namespace)
			v := values(in)
			// The chart names pods and the headless Service after its
			// fullname; fullnameOverride makes that the release name.
			assert.Equal(t, tc.release, v["fullnameOverride"])
			_, cfg := configSecret(t, rec, in, tc.release)
			assert.Equal(t, toAny(tc.want), dig(cfg, "cluster", "members"))
			assert.Equal(t, layout.RedactedMarker, dig(cfg, "cluster", "hashKey"), "the shown config never holds the key")
			assert.Equal(t, true, dig(cfg, "storage", "remoteCache"), "without it zot ignores cacheDriver")
		})
	}
}

// deployCluster is deploy in another namespace.
func deployCluster(t *testing.T, s spec.Registry, namespace string) (map[string]any, *mocks.Recorder) {
	return deployWith(t, s, func(a *registry.Args) { a.Namespace = pulumi.String(namespace) })
}

// deployWith is deploy with the arguments edited.
func deployWith(t *testing.T, s spec.Registry, edit func(*registry.Args)) (map[string]any, *mocks.Recorder) {
	t.Helper()
	rec := mocks.New("zot-registry", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		args := &registry.Args{
			Namespace: pulumi.String("zot"), Settings: s, Bucket: awsStorage(),
			OpenID:  registry.OpenID{Issuer: pulumi.String("https://auth.example.com/application/o/zot/"), Label: "SSO", Scopes: []string{"openid"}},
			Secrets: secretNames,
		}
		edit(args)
		_, err := registry.NewZot(ctx, s.ReleaseName, args)
		return err
	}, rec.Option())
	require.NoError(t, err)
	return mocks.PlainMap(rec.ByType(releaseType)[0].Inputs), rec
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// configSecret is the Secret that holds config.json, and the redacted
// config.json it carries for reviews.
func configSecret(t *testing.T, rec *mocks.Recorder, in map[string]any, release string) (mocks.Resource, map[string]any) {
	t.Helper()
	v := values(in)
	assert.NotContains(t, v, "configFiles", "a config with a credential is no ConfigMap")
	assert.Equal(t, false, v["mountConfig"])
	assert.Contains(t, v["externalSecrets"], map[string]any{"secretName": registry.ConfigSecretName(release), "mountPath": layout.ConfigDir},
		"the Secret takes the ConfigMap's place at /etc/zot, where the image's serve command reads config.json")
	for _, sec := range rec.ByType(mocks.SecretType) {
		m := mocks.PlainMap(sec.Inputs)
		if dig(m, "metadata", "name") != registry.ConfigSecretName(release) {
			continue
		}
		var shown map[string]any
		require.NoError(t, json.Unmarshal([]byte(dig(m, "metadata", "annotations", registry.ShownConfigAnnotation).(string)), &shown))
		return sec, shown
	}
	t.Fatalf("no Secret %s", registry.ConfigSecretName(release))
	return mocks.Resource{}, nil
}

// TestCredentialsOnlyInTheConfigSecret: with the cluster's hash key and a
// Redis password, config.json is a Secret: neither credential is in the
// Helm values, in a ConfigMap or in anything shown; the Secret holds them,
// and a keyed digest restarts the pods when it changes.
func TestCredentialsOnlyInTheConfigSecret(t *testing.T) {
	const password = "redis-pw-do-not-show"
	s := settings(t, func(r *spec.Registry) {
		r.Replicas = 2
		r.Cache = spec.Cache{Driver: spec.CacheRedis, Redis: spec.RedisCache{Addresses: []string{"redis:6379"}, KeyPrefix: "zot"}}
	})
	in, rec := deployWith(t, s, func(a *registry.Args) {
		a.RedisPassword = pulumi.ToSecret(pulumi.String(password)).(pulumi.StringOutput)
	})

	keys := rec.ByType(mocks.RandomPasswordType)
	require.Len(t, keys, 1, "the cluster hash key, generated once")
	hashKey := keys[0].State["result"].SecretValue().Element.StringValue()
	assert.Len(t, hashKey, 16, "zot refuses any other length")

	sec, shown := configSecret(t, rec, in, "zot")
	assert.Equal(t, layout.RedactedMarker, dig(shown, "storage", "cacheDriver", "password"))
	assert.Equal(t, layout.RedactedMarker, dig(shown, "cluster", "hashKey"))
	require.True(t, sec.Inputs["stringData"].ContainsSecrets(), "the Secret's data is secret in state")
	var real map[string]any
	js := mocks.RevealedMap(sec.Inputs)["stringData"].(map[string]any)[layout.ConfigFile].(string)
	require.NoError(t, json.Unmarshal([]byte(js), &real))
	assert.Equal(t, hashKey, dig(real, "cluster", "hashKey"))
	assert.Equal(t, password, dig(real, "storage", "cacheDriver", "password"))
	assert.Equal(t, []any{"redis:6379"}, dig(real, "storage", "cacheDriver", "addr"))

	for _, r := range rec.Resources() {
		if r.Type == mocks.SecretType {
			continue
		}
		b, err := json.Marshal(mocks.RevealedMap(r.Inputs))
		require.NoError(t, err)
		assert.NotContains(t, string(b), password, "%s %s holds the Redis password", r.Type, r.Name)
		if r.Type != mocks.RandomPasswordType {
			assert.NotContains(t, string(b), hashKey, "%s %s holds the hash key", r.Type, r.Name)
		}
	}
	assert.Empty(t, rec.ByType("kubernetes:core/v1:ConfigMap"))
	digest := dig(values(in), "podAnnotations", chart.ConfigDigestAnnotation)
	assert.Equal(t, chart.ConfigDigest(hashKey, js), digest, "the digest of what zot reads")
	assert.Regexp(t, "^[0-9a-f]{32}$", digest)
	rel := rec.ByType(releaseType)[0]
	assert.Contains(t, rel.DependsOn, sec.URN, "the Secret exists before the pods mount it")
}

// TestOneReplicaWithoutCredentialKeepsTheConfigMap: the common case stays a
// ConfigMap (visible in a preview's diff), with no generated key.
func TestOneReplicaWithoutCredentialKeepsTheConfigMap(t *testing.T) {
	in, rec := deploy(t, settings(t, nil), awsStorage())
	assert.Contains(t, values(in)["configFiles"], layout.ConfigFile)
	assert.Equal(t, true, values(in)["mountConfig"])
	assert.Empty(t, rec.ByType(mocks.RandomPasswordType))
	assert.NotContains(t, zotConfig(t, in), "cluster")
}

// TestStartupProbeCoversTheStartupTimeout: the kubelet gives zot
// initialDelaySeconds + periodSeconds*failureThreshold to answer /startupz
// (the chart's delay and period, 5 s and 10 s), at least the startup
// timeout and less than one period more; the atomic release waits longer
// still, so Helm never rolls back a zot that is still walking its bucket.
func TestStartupProbeCoversTheStartupTimeout(t *testing.T) {
	cases := []struct {
		timeout  time.Duration
		failures int
	}{
		{30 * time.Second, 3}, // the chart's own probe
		{31 * time.Second, 3},
		{36 * time.Second, 4},
		{30 * time.Minute, 180},
		{90*time.Minute + 500*time.Millisecond, 540},
		{12 * time.Hour, 4320},
	}
	for _, tc := range cases {
		t.Run(tc.timeout.String(), func(t *testing.T) {
			p := chart.StartupProbeFor(tc.timeout)
			assert.Equal(t, chart.StartupProbe{InitialDelaySeconds: 5, PeriodSeconds: 10, FailureThreshold: tc.failures}, p)
			assert.GreaterOrEqual(t, float64(p.Seconds()), tc.timeout.Seconds())
			assert.Less(t, float64(p.Seconds()), tc.timeout.Seconds()+10)

			if tc.timeout < spec.MinStartupTimeout || tc.timeout > spec.MaxStartupTimeout {
				return // registry.startupTimeout refuses it; the probe's arithmetic is above
			}
			in, _ := deploy(t, settings(t, func(r *spec.Registry) { r.StartupTimeout = tc.timeout.String() }), awsStorage())
			assert.Equal(t, map[string]any{"initialDelaySeconds": float64(5), "periodSeconds": float64(10), "failureThreshold": float64(tc.failures)}, values(in)["startupProbe"])
			assert.Equal(t, float64(p.Seconds()+600), in["timeout"], "Helm waits for the probe and 10 minutes more")
		})
	}
}

// TestWatchedRollout: when the program watches the rollout (a stack's
// program), Helm applies without waiting and without rolling back; the
// release's hook waits instead (rollout.go). The timeout stays Helm's
// budget for its own operations.
func TestWatchedRollout(t *testing.T) {
	in, _ := deployWith(t, settings(t, nil), func(a *registry.Args) { a.WatchRollout = true })
	assert.Equal(t, true, in["skipAwait"])
	assert.Equal(t, false, in["atomic"])
	assert.Equal(t, true, in["cleanupOnFail"])
}

// TestCABundleIsMountedAndTrusted: registry.caBundle reaches zot as a
// ConfigMap the release waits for, mounted read-only where SSL_CERT_DIR
// points (with the image's own folder), and a new bundle rolls the pods.
func TestCABundleIsMountedAndTrusted(t *testing.T) {
	ca, _ := testsupport.CAPEM(t, "private CA")
	in, rec := deploy(t, settings(t, func(r *spec.Registry) { r.CABundle = ca }), awsStorage())
	cms := rec.ByType(mocks.ConfigMapType)
	require.Len(t, cms, 1)
	cm := mocks.PlainMap(cms[0].Inputs)
	assert.Equal(t, layout.CAConfigMap("zot"), dig(cm, "metadata", "name"))
	assert.Equal(t, ca, dig(cm, "data", layout.CAFile))
	rel := rec.ByType(releaseType)[0]
	assert.Contains(t, rel.DependsOn, cms[0].URN, "the pods start with the bundle in place")

	v := values(in)
	assert.Contains(t, v["extraVolumes"], map[string]any{"name": layout.CAVolume, "configMap": map[string]any{"name": layout.CAConfigMap("zot")}})
	assert.Contains(t, v["extraVolumeMounts"], map[string]any{"name": layout.CAVolume, "mountPath": layout.CADir, "readOnly": true})
	assert.Contains(t, v["env"], map[string]any{"name": "SSL_CERT_DIR", "value": "/etc/zot-ca:/etc/ssl/certs"})
	digest := dig(v, "podAnnotations", chart.CADigestAnnotation)
	assert.NotEmpty(t, digest)

	other, _ := testsupport.CAPEM(t, "another CA")
	in, _ = deploy(t, settings(t, func(r *spec.Registry) { r.CABundle = other }), awsStorage())
	assert.NotEqual(t, digest, dig(values(in), "podAnnotations", chart.CADigestAnnotation), "a new bundle restarts zot")

	in, rec = deploy(t, settings(t, nil), awsStorage())
	assert.Empty(t, rec.ByType(mocks.ConfigMapType))
	assert.NotContains(t, values(in), "podAnnotations", "without a bundle nothing changes")
}
