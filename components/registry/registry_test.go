package registry_test

import (
	"encoding/json"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/components/registry/layout"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/mocks"
)

const releaseType = "kubernetes:helm.sh/v3:Release"

func settings(t *testing.T, mutate func(*config.Registry)) config.Registry {
	t.Helper()
	u, err := url.Parse("https://registry.dev.example.com")
	require.NoError(t, err)
	r := config.Registry{
		ExternalURL: u.String(), URL: u,
		Namespace: "zot", ReleaseName: "zot",
		Chart:         config.Chart{Repository: config.DefaultChartRepository, Version: "0.1.122"},
		Image:         config.Image{Repository: "ghcr.io/project-zot/zot", Tag: "v2.1.18", PullPolicy: "IfNotPresent"},
		Port:          5000,
		ServiceType:   "ClusterIP",
		LogLevel:      "info",
		ReadDuration:  time.Hour,
		WriteDuration: time.Hour,
		Persistence:   config.Persistence{Enabled: true, Size: "20Gi", StorageClass: "fast"},
		Ingress:       config.Ingress{Enabled: true, ClassName: "nginx", TLSSecretName: "registry-tls"},
		Upload:        config.Upload{ChunkSize: 64 << 20},
		AccessControl: config.AccessControl{AdminUsers: []string{"ci"}},
	}
	if mutate != nil {
		mutate(&r)
	}
	return r
}

var secretNames = registry.SecretNames{OIDC: "oidc-sec", Htpasswd: "htpasswd-sec", S3: "s3-sec", Session: "session-sec"}

// deploy runs NewRegistry under mocks and returns the recorded release
// inputs as plain values, plus the recorder.
func deploy(t *testing.T, s config.Registry, st registry.Storage) (map[string]any, *mocks.Recorder) {
	t.Helper()
	rec := mocks.New("zot-registry", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := registry.NewRegistry(ctx, "zot", &registry.Args{
			Namespace: pulumi.String("zot"),
			Settings:  s,
			Storage:   st,
			Identity: registry.Identity{
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

func awsStorage() registry.Storage {
	return registry.Storage{
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
	assert.Equal(t, true, in["atomic"])
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
	in, _ := deploy(t, settings(t, func(r *config.Registry) {
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
	st := registry.Storage{
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

func TestStrategyFollowsPersistence(t *testing.T) {
	in, _ := deploy(t, settings(t, nil), awsStorage())
	v := values(in)
	assert.Equal(t, true, v["persistence"])
	assert.Equal(t, map[string]any{"create": true, "accessModes": []any{"ReadWriteOnce"}, "storage": "20Gi", "storageClassName": "fast"}, v["pvc"])
	assert.Equal(t, map[string]any{"type": "Recreate"}, v["strategy"], "RollingUpdate deadlocks on a ReadWriteOnce volume")

	in, _ = deploy(t, settings(t, func(r *config.Registry) { r.Persistence.Enabled = false }), awsStorage())
	v = values(in)
	assert.Equal(t, false, v["persistence"])
	assert.NotContains(t, v, "pvc")
	assert.Equal(t, map[string]any{"type": "RollingUpdate"}, v["strategy"])
}

func TestIngressHostComesFromExternalURL(t *testing.T) {
	in, _ := deploy(t, settings(t, func(r *config.Registry) {
		r.Ingress.Annotations = map[string]string{"cert-manager.io/cluster-issuer": "le", "nginx.ingress.kubernetes.io/proxy-body-size": "10g"}
		r.WriteDuration = 2 * time.Hour
	}), awsStorage())
	ing := values(in)["ingress"].(map[string]any)
	assert.Equal(t, true, ing["enabled"])
	assert.Equal(t, "nginx", ing["className"])
	assert.Equal(t, []any{map[string]any{"host": "registry.dev.example.com", "paths": []any{map[string]any{"path": "/"}}}}, ing["hosts"])
	assert.Equal(t, []any{map[string]any{"secretName": "registry-tls", "hosts": []any{"registry.dev.example.com"}}}, ing["tls"])
	ann := ing["annotations"].(map[string]any)
	assert.Equal(t, "10g", ann["nginx.ingress.kubernetes.io/proxy-body-size"], "the user's annotation wins")
	assert.Equal(t, "7200", ann["nginx.ingress.kubernetes.io/proxy-read-timeout"], "nginx waits as long as zot does")
	assert.Equal(t, "le", ann["cert-manager.io/cluster-issuer"])

	in, _ = deploy(t, settings(t, func(r *config.Registry) { r.Ingress.ClassName = "traefik" }), awsStorage())
	ann, _ = values(in)["ingress"].(map[string]any)["annotations"].(map[string]any)
	assert.Empty(t, ann, "nginx annotations only for the nginx class")

	in, _ = deploy(t, settings(t, func(r *config.Registry) { r.Ingress.Enabled = false }), awsStorage())
	assert.Equal(t, map[string]any{"enabled": false}, values(in)["ingress"])
}

func TestNoSecretInValues(t *testing.T) {
	in, r := deploy(t, settings(t, nil), awsStorage())
	rel := r.ByType(releaseType)[0]
	assert.False(t, mocks.HasSecret(rel.Inputs["values"]))
	raw, err := json.Marshal(values(in))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "$2y$", "no htpasswd line in values")
	assert.NotContains(t, string(raw), "clientsecret")
}

func TestComponentOutputs(t *testing.T) {
	rec := mocks.New("zot-registry", "test")
	var collected *mocks.Collected
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		u, _ := url.Parse("https://registry.example.com:8443")
		s := settings(t, func(r *config.Registry) {
			r.URL, r.ExternalURL, r.Port, r.ReleaseName = u, u.String(), 80, "registry"
		})
		c, err := registry.NewRegistry(ctx, "zot", &registry.Args{
			Namespace: pulumi.String("platform"), Settings: s, Storage: awsStorage(),
			Identity: registry.Identity{Issuer: pulumi.String("https://auth.example.com/application/o/zot/"), Label: "SSO", Scopes: []string{"openid"}},
			Secrets:  secretNames,
		})
		if err != nil {
			return err
		}
		collected = mocks.Collect(map[string]pulumi.Output{
			"url": c.RegistryURL, "host": c.RegistryHost, "service": c.ServiceName,
			"dns": c.ServiceDNS, "release": c.ReleaseName, "ns": c.Namespace,
		})
		return nil
	}, rec.Option())
	require.NoError(t, err)
	got, secret, err := collected.Wait()
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"url":     "https://registry.example.com:8443",
		"host":    "registry.example.com:8443",
		"service": "registry",
		"dns":     "registry.platform.svc.cluster.local:80",
		"release": "registry",
		"ns":      "platform",
	}, got)
	for k, s := range secret {
		assert.False(t, s, "%s is not a secret", k)
	}
}

func TestRequiresValidatedSettings(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := registry.NewRegistry(ctx, "zot", &registry.Args{Namespace: pulumi.String("zot")})
		return err
	}, mocks.New("p", "s").Option())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "validated Settings")
}

func TestRolloutToken(t *testing.T) {
	in, _ := deploy(t, settings(t, nil), awsStorage())
	assert.NotContains(t, values(in), "podAnnotations")

	rec := mocks.New("zot-registry", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := registry.NewRegistry(ctx, "zot", &registry.Args{
			Namespace: pulumi.String("zot"), Settings: settings(t, nil), Storage: awsStorage(),
			Identity:     registry.Identity{Issuer: pulumi.String("https://auth.example.com/application/o/zot/"), Label: "SSO", Scopes: []string{"openid"}},
			Secrets:      secretNames,
			RolloutToken: "2026-11-26",
		})
		return err
	}, rec.Option())
	require.NoError(t, err)
	v := mocks.PlainMap(rec.ByType(releaseType)[0].Inputs)["values"].(map[string]any)
	assert.Equal(t, map[string]any{registry.RolloutAnnotation: "2026-11-26"}, v["podAnnotations"], "a new token rolls the pod")
}
