// Package registry deploys zot with the project-zot Helm chart and a
// config.json generated from typed values.
package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:registry:Registry"

// Bucket is where zot keeps blobs. Inputs, so that the storage component's
// outputs (a bucket name with a random suffix, say) can feed them.
type Bucket struct {
	Bucket         pulumi.StringInput
	Region         pulumi.StringInput
	RegionEndpoint pulumi.StringInput // empty for AWS S3
	Secure         pulumi.BoolInput
	ForcePathStyle pulumi.BoolInput
	SkipVerify     pulumi.BoolInput
	KeyPrefix      pulumi.StringInput
	// RedirectPulls sends clients to the store for blob pulls
	// (storage.redirectPulls).
	RedirectPulls bool
}

// OpenID is the OpenID provider zot's web UI logs in with.
type OpenID struct {
	Issuer        pulumi.StringInput
	Label         string
	Scopes        []string
	UsernameClaim string // the claim that names SSO users in accessControl
}

// Args configures a Registry.
type Args struct {
	// Namespace to install into; pass the namespace resource's output so the
	// release waits for it.
	Namespace pulumi.StringInput
	Settings  spec.Registry
	Bucket    Bucket
	OpenID    OpenID
	Secrets   layout.SecretNames
	// PullRobots are htpasswd users that may only pull (secrets.users role
	// pull): config.json gives them read on every repository. None may be
	// an admin user.
	PullRobots []string
	// RolloutToken, when set, becomes a pod annotation: change it to restart
	// zot after its Secrets were rotated.
	RolloutToken string
	// RedisPassword is the Redis password (secret), nil without one.
	RedisPassword pulumi.StringInput
	// ScrapePassword is the first metrics user's password (secret) when
	// the program generated it (secrets mode push), for the ServiceMonitor.
	ScrapePassword pulumi.StringInput
	// DependsOn lists what must exist before zot starts (the Secrets it mounts).
	DependsOn []pulumi.Resource
	// RoleArn is the IAM role zot's ServiceAccount is annotated with
	// (storage.aws.credentials irsa); nil without.
	RoleArn pulumi.StringInput
	// SecretsDigest changes when a value zot reads at start-up changes
	// (secrets mode kubernetes), so the pods roll; nil without.
	SecretsDigest pulumi.StringInput
	// WatchRollout: Helm installs or upgrades without waiting, and a
	// resource hook watches the pods instead (rollout.go), failing at the
	// first that will not start; otherwise Helm waits, atomic, as long.
	WatchRollout bool
	// Cluster is where the rollout is watched (the release's cluster);
	// nil: the default Kubernetes provider's settings (ClusterAccess).
	Cluster *ClusterAccess
}

// Registry is a zot deployment.
type Registry struct {
	pulumi.ResourceState

	Release *Release
	// Route is the HTTPRoute (registry.route), nil when zot is exposed otherwise.
	Route *apiextensions.CustomResource
	// Volume is the claim for one replica's local metadata, nil otherwise.
	Volume *corev1.PersistentVolumeClaim
	// ConfigSecret holds config.json when it carries a credential, nil otherwise.
	ConfigSecret *corev1.Secret
	// Monitor is the ServiceMonitor (registry.metrics.serviceMonitor), or nil.
	Monitor *apiextensions.CustomResource

	// ConfigJSON is the config.json zot reads (secret when it holds a
	// credential); Values the chart's values.
	ConfigJSON pulumi.StringOutput
	Values     pulumi.MapOutput
	// ShownConfigJSON is ConfigJSON with credentials as layout.RedactedMarker.
	ShownConfigJSON pulumi.StringOutput

	RegistryURL  pulumi.StringOutput // externalUrl
	RegistryHost pulumi.StringOutput // what docker login takes: host[:port]
	Namespace    pulumi.StringOutput
	ReleaseName  pulumi.StringOutput
	ServiceName  pulumi.StringOutput
	ServiceDNS   pulumi.StringOutput // in-cluster host:port
	ChartVersion pulumi.StringOutput
	ImageTag     pulumi.StringOutput
	Replicas     pulumi.IntOutput
	// HeadlessService names the cluster members' Service; empty with one replica.
	HeadlessService pulumi.StringOutput
	// MetricsPath is where each pod serves metrics; empty when disabled.
	MetricsPath pulumi.StringOutput
}

// ShownConfigAnnotation on the config Secret carries config.json with its
// credentials redacted, so a preview and a review show what zot reads.
const ShownConfigAnnotation = "zot-registry/config-json"

// SkipAwaitAnnotation tells the Kubernetes provider not to wait for readiness.
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// NewRegistry deploys zot.
func NewRegistry(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.Namespace == nil {
		return nil, fmt.Errorf("registry %s: args with a Namespace are required", name)
	}
	// The section is checked here too, so a program using this component
	// alone gets the section's errors and derived values.
	a := *args
	if errs := a.Settings.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("registry %s: %w", name, errs)
	}
	for _, u := range a.PullRobots {
		if slices.Contains(a.Settings.AccessControl.AdminUsers, u) {
			return nil, fmt.Errorf("registry %s: pull robot %q is also in accessControl.adminUsers, where it could push and delete; remove it from one", name, u)
		}
	}
	args = &a
	c := &Registry{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	st := args.Bucket
	child := pulumi.Parent(c)
	meta := func(name string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name:      pulumi.String(name),
			Namespace: args.Namespace,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
		}
	}

	// The credentials config.json may carry: the cluster's hash key
	// (generated once, kept in state) and the Redis password. The key is
	// also what the config digest is keyed with.
	credentialed := s.Replicas > 1 || args.RedisPassword != nil
	hashKey, redisPassword := pulumi.StringInput(pulumi.String("")), orEmpty(args.RedisPassword)
	if credentialed {
		key, err := random.NewRandomPassword(ctx, name+"-cluster-hash-key", &random.RandomPasswordArgs{
			Length: pulumi.Int(zotconfig.HashKeyLength), Special: pulumi.Bool(false),
		}, child)
		if err != nil {
			return nil, err
		}
		hashKey = key.Result
	}

	namespace := args.Namespace.ToStringOutput()
	inputs := []any{
		st.Bucket, st.Region, orEmpty(st.RegionEndpoint), st.Secure, st.ForcePathStyle,
		orFalse(st.SkipVerify), orEmpty(st.KeyPrefix), args.OpenID.Issuer, namespace,
	}
	build := func(in []any, hashKey, redisPassword string) (string, error) {
		p := chart.Params(s, args.PullRobots, zotconfig.Storage{
			Bucket:         in[0].(string),
			Region:         in[1].(string),
			RegionEndpoint: in[2].(string),
			Secure:         in[3].(bool),
			ForcePathStyle: in[4].(bool),
			SkipVerify:     in[5].(bool),
			KeyPrefix:      in[6].(string),
			// A setting, not an output of the storage component.
			RedirectBlobURL: st.RedirectPulls,
		}, zotconfig.OIDC{Issuer: in[7].(string), Label: args.OpenID.Label, Scopes: args.OpenID.Scopes, UsernameClaim: args.OpenID.UsernameClaim})
		chart.Operations(&p, s, in[8].(string), hashKey, redisPassword)
		return zotconfig.Marshal(zotconfig.Build(p))
	}
	configJSON := pulumi.All(append(inputs, hashKey, redisPassword)...).ApplyT(func(in []any) (string, error) {
		return build(in, in[9].(string), in[10].(string))
	}).(pulumi.StringOutput)
	// The same document with every credential replaced by layout.RedactedMarker:
	// known in the first preview and shown in clear, for reviews.
	shownHashKey, shownRedis := "", ""
	if s.Replicas > 1 {
		shownHashKey = layout.RedactedMarker
	}
	if args.RedisPassword != nil {
		shownRedis = layout.RedactedMarker
	}
	shownJSON := pulumi.All(inputs...).ApplyT(func(in []any) (string, error) {
		return build(in, shownHashKey, shownRedis)
	}).(pulumi.StringOutput)

	// valuesIn is what the release gets. A value known only once another
	// resource exists (config.json with a random bucket suffix, the config
	// digest, the IRSA role's ARN, the Secrets' digest) is an element of a
	// Map, where in a MapOutput it would make every value unknown in the
	// first preview.
	var values pulumi.MapOutput
	var valuesIn pulumi.MapInput
	deps := append([]pulumi.Resource{}, args.DependsOn...)
	annotations := pulumi.StringMap{} // pod annotations known later
	zc := chart.ZotConfig{}
	if credentialed {
		secretName := ConfigSecretName(s.ReleaseName)
		m := meta(secretName)
		m.Annotations = pulumi.StringMap{ShownConfigAnnotation: shownJSON}
		sec, err := corev1.NewSecret(ctx, name+"-config", &corev1.SecretArgs{
			Metadata:   m,
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.StringMap{layout.ConfigFile: pulumi.ToSecret(configJSON).(pulumi.StringOutput)},
		}, child)
		if err != nil {
			return nil, err
		}
		c.ConfigSecret = sec
		deps = append(deps, sec)
		// The digest is keyed with the generated hash key, so it says
		// nothing about a weak Redis password; it may be shown in clear.
		// Only it waits for the key: every other value is known in the
		// first preview.
		annotations[chart.ConfigDigestAnnotation] = pulumi.Unsecret(pulumi.All(hashKey, configJSON).ApplyT(func(in []any) string {
			return chart.ConfigDigest(in[0].(string), in[1].(string))
		})).(pulumi.StringOutput)
		zc.SecretName = secretName
	}
	if args.SecretsDigest != nil {
		annotations[chart.SecretsDigestAnnotation] = args.SecretsDigest
	}
	base := chart.BuildValues(s, zc, args.Secrets, args.RolloutToken)
	m := pulumi.ToMap(base)
	if !credentialed {
		m["configFiles"] = configJSON.ApplyT(chart.ConfigFiles).(pulumi.StringMapOutput)
	}
	if len(annotations) > 0 {
		if a, ok := base["podAnnotations"].(map[string]any); ok {
			for k, v := range a {
				if _, later := annotations[k]; !later {
					annotations[k] = pulumi.String(v.(string))
				}
			}
		}
		m["podAnnotations"] = annotations
	}
	withRole(m, s, args.RoleArn)
	values, valuesIn = m.ToMapOutput(), m

	if s.Replicas == 1 && s.Persistence.Enabled {
		// One replica's metadata on a claim this program owns: its size is
		// an update (where the storage class allows expansion), not a
		// volumeClaimTemplates change the API server refuses.
		spec := &corev1.PersistentVolumeClaimSpecArgs{
			AccessModes: pulumi.ToStringArray([]string{chart.AccessModeReadWriteOnce}),
			Resources: &corev1.VolumeResourceRequirementsArgs{
				Requests: pulumi.StringMap{"storage": pulumi.String(s.Persistence.Size)},
			},
		}
		if s.Persistence.StorageClass != "" {
			spec.StorageClassName = pulumi.String(s.Persistence.StorageClass)
		}
		m := meta(chart.PVCName(s.ReleaseName, s.Persistence.StorageClass))
		// A WaitForFirstConsumer class binds the claim only once zot's pod
		// mounts it, and the pod comes with the release, after the claim:
		// the provider must not wait for Bound (pulumi-kubernetes issues
		// 895 and 4179, fixed by PRs 3130 and 4181; older providers still wait).
		m.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
		pvc, err := corev1.NewPersistentVolumeClaim(ctx, name+"-data", &corev1.PersistentVolumeClaimArgs{
			Metadata: m,
			Spec:     spec,
		}, child)
		if err != nil {
			return nil, err
		}
		c.Volume = pvc
		deps = append(deps, pvc)
	}

	chartName, repo := chartRef(s.Chart)
	releaseArgs := &ReleaseArgs{
		Name:           pulumi.String(s.ReleaseName),
		Namespace:      args.Namespace,
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(s.Chart.Version),
		RepositoryOpts: repo,
		Values:         valuesIn,
		// The namespace is a resource of its own: the Secrets live there
		// before zot does.
		CreateNamespace: pulumi.Bool(false),
		// Helm waits for the pods to be ready and rolls back a failed
		// upgrade; with WatchRollout the hook waits instead (below).
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(chart.ReleaseTimeout(s.StartupDuration)),
		MaxHistory:    pulumi.Int(10),
	}
	releaseOpts := []pulumi.ResourceOption{child, pulumi.DependsOn(deps),
		// A new member list or volume layout replaces the release, deleting
		// it first: two member lists never serve at once (zot answers 500 and
		// a repository gets two writers), and no StatefulSet update touches
		// its volumeClaimTemplates. The Helm Release provider reports a
		// detailed diff per value path (pulumi-kubernetes
		// provider/pkg/provider/helm_release.go, Diff), which these match.
		pulumi.ReplaceOnChanges(chart.ReleaseReplaceOn), pulumi.DeleteBeforeReplace(true)}
	if args.WatchRollout {
		// Helm applies and returns; the hook waits for the pods as long as
		// Helm would, but stops at the first pod that will not start and
		// says why (rollout.go): Helm's own wait knows only ready or timed
		// out, so a zot that exits at start held the update for
		// startupTimeout plus 10 minutes. Not rolled back: the StatefulSet
		// stops at the failing pod, the older pods keep serving, the next
		// pulumi up carries the fix. Its progress goes to the stack's log: a
		// message about the release would wait for the release's
		// registration, which waits for the hook.
		hook, err := rolloutHook(ctx, name, clusterAccess(ctx, args.Cluster), time.Duration(chart.ReleaseTimeout(s.StartupDuration))*time.Second,
			func(msg string) { _ = ctx.Log.Info(msg, nil) })
		if err != nil {
			return nil, err
		}
		releaseArgs.SkipAwait, releaseArgs.Atomic = pulumi.Bool(true), pulumi.Bool(false)
		releaseOpts = append(releaseOpts, pulumi.ResourceHooks(&pulumi.ResourceHookBinding{
			AfterCreate: []*pulumi.ResourceHook{hook}, AfterUpdate: []*pulumi.ResourceHook{hook},
		}))
	}
	release, err := NewRelease(ctx, name, releaseArgs, releaseOpts...)
	if err != nil {
		return nil, err
	}

	if s.Route.Enabled {
		// After the release: the Gateway sends traffic only once zot is up.
		m := meta(s.ReleaseName)
		if len(s.Route.Annotations) > 0 {
			m.Annotations = pulumi.ToStringMap(s.Route.Annotations)
		}
		route, err := apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String(GatewayAPIVersion),
			Kind:        pulumi.String(HTTPRouteKind),
			Metadata:    m,
			OtherFields: kubernetes.UntypedArgs{"spec": chart.ToMap(Route(s))},
		}, child, pulumi.DependsOn([]pulumi.Resource{release}))
		if err != nil {
			return nil, err
		}
		c.Route = route
	}

	if s.Metrics.On() && s.Metrics.ServiceMonitor.Enabled {
		if c.Monitor, err = c.monitor(ctx, name, args, meta, release); err != nil {
			return nil, err
		}
	}

	// Names that exist once the release does: derived from its ID so that a
	// consumer never sees them before the release is installed.
	afterRelease := func(v string) pulumi.StringOutput {
		return release.ID().ApplyT(func(pulumi.ID) string { return v }).(pulumi.StringOutput)
	}
	headless, metricsPath := "", ""
	if s.Replicas > 1 {
		headless = layout.HeadlessService(s.ReleaseName)
	}
	if s.Metrics.On() {
		metricsPath = s.Metrics.Path
	}
	c.Release = release
	c.ConfigJSON = configJSON
	c.ShownConfigJSON = shownJSON
	c.Values = values
	c.RegistryURL = pulumi.String(s.ExternalURL).ToStringOutput()
	c.RegistryHost = pulumi.String(s.URL.Host).ToStringOutput()
	c.Namespace = namespace
	c.ReleaseName = afterRelease(s.ReleaseName)
	c.ServiceName = afterRelease(s.ReleaseName) // fullnameOverride
	c.ServiceDNS = namespace.ApplyT(func(ns string) string {
		return fmt.Sprintf("%s:%d", layout.ServiceDNS(s.ReleaseName, ns, s.ClusterDomain), s.Port)
	}).(pulumi.StringOutput)
	c.ChartVersion = pulumi.String(s.Chart.Version).ToStringOutput()
	c.ImageTag = pulumi.String(s.Image.Tag).ToStringOutput()
	c.Replicas = pulumi.Int(s.Replicas).ToIntOutput()
	c.HeadlessService = afterRelease(headless)
	c.MetricsPath = pulumi.String(metricsPath).ToStringOutput()

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"registryUrl":     c.RegistryURL,
		"registryHost":    c.RegistryHost,
		"namespace":       c.Namespace,
		"releaseName":     c.ReleaseName,
		"serviceName":     c.ServiceName,
		"serviceDns":      c.ServiceDNS,
		"chartVersion":    c.ChartVersion,
		"imageTag":        c.ImageTag,
		"replicas":        c.Replicas,
		"headlessService": c.HeadlessService,
		"metricsPath":     c.MetricsPath,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// withRole puts the IRSA role's ARN into the ServiceAccount's values in
// m; nothing without a role.
func withRole(m pulumi.Map, s spec.Registry, roleArn pulumi.StringInput) {
	if roleArn == nil {
		return
	}
	m["serviceAccount"] = roleArn.ToStringOutput().ApplyT(func(arn string) map[string]any {
		return chart.ServiceAccountValues(s, arn)
	}).(pulumi.MapOutput)
}

// monitor declares the ServiceMonitor, and in push mode the Secret with the
// scrape user's generated password it reads.
func (c *Registry) monitor(ctx *pulumi.Context, name string, args *Args, meta func(string) *metav1.ObjectMetaArgs, release pulumi.Resource) (*apiextensions.CustomResource, error) {
	s := args.Settings
	m := s.Metrics
	authSecret := m.ServiceMonitor.BasicAuthSecret
	deps := []pulumi.Resource{release}
	if authSecret == "" && len(m.Users) > 0 && args.ScrapePassword != nil {
		authSecret = MetricsAuthSecretName(s.ReleaseName)
		sec, err := corev1.NewSecret(ctx, name+"-metrics-auth", &corev1.SecretArgs{
			Metadata: meta(authSecret),
			Type:     pulumi.String("Opaque"),
			// The user name is no secret (config.json lists it); the
			// password is.
			StringData: pulumi.StringMap{
				BasicAuthUsernameKey: pulumi.String(m.Users[0]),
				BasicAuthPasswordKey: pulumi.ToSecret(args.ScrapePassword).(pulumi.StringOutput),
			},
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		deps = append(deps, sec)
	}
	md := meta(s.ReleaseName)
	if len(m.ServiceMonitor.Labels) > 0 {
		md.Labels = pulumi.ToStringMap(m.ServiceMonitor.Labels)
		md.Labels.(pulumi.StringMap)["app.kubernetes.io/part-of"] = pulumi.String("zot-registry")
	}
	spec := args.Namespace.ToStringOutput().ApplyT(func(ns string) map[string]any {
		return chart.ToMap(ServiceMonitor(s, ns, authSecret))
	}).(pulumi.MapOutput)
	return apiextensions.NewCustomResource(ctx, name+"-metrics", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(MonitoringAPIVersion),
		Kind:        pulumi.String(ServiceMonitorKind),
		Metadata:    md,
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, pulumi.Parent(c), pulumi.DependsOn(deps))
}

// chartRef splits the chart setting into Helm's chart and repository: an
// oci:// repository names the chart in its URL.
func chartRef(ch spec.Chart) (string, pulumi.StringMapInput) {
	if strings.HasPrefix(ch.Repository, "oci://") {
		return strings.TrimSuffix(ch.Repository, "/") + "/" + chart.ChartName, nil
	}
	return chart.ChartName, pulumi.StringMap{"repo": pulumi.String(ch.Repository)}
}

func orEmpty(in pulumi.StringInput) pulumi.StringInput {
	if in == nil {
		return pulumi.String("")
	}
	return in
}

func orFalse(in pulumi.BoolInput) pulumi.BoolInput {
	if in == nil {
		return pulumi.Bool(false)
	}
	return in
}

// clusterAccess is access, or the default Kubernetes provider's settings.
func clusterAccess(ctx *pulumi.Context, access *ClusterAccess) ClusterAccess {
	if access != nil {
		return *access
	}
	get := func(k string) string { v, _ := ctx.GetConfig("kubernetes:" + k); return v }
	return ClusterAccess{Kubeconfig: get("kubeconfig"), Context: get("context"), Cluster: get("cluster")}
}

// rolloutHook registers the hook that runs after the release is installed
// or upgraded: it waits for zot's pods (cluster.waitForRollout) for as long
// as Helm would have, and fails the update naming the pod that will not
// start.
func rolloutHook(ctx *pulumi.Context, name string, access ClusterAccess, timeout time.Duration, progress func(string)) (*pulumi.ResourceHook, error) {
	return ctx.RegisterResourceHook(name+"-rollout", func(h *pulumi.ResourceHookArgs) error {
		namespace, release := inputString(h, "namespace"), inputString(h, "name")
		c, err := access.connect()
		if err != nil {
			return fmt.Errorf("zot's rollout in %s cannot be watched: %w; the program reaches the cluster as the Kubernetes provider does (kubernetes:kubeconfig, kubernetes:context, $KUBECONFIG)", namespace, err)
		}
		wait, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
		defer cancel()
		return c.waitForRollout(wait, namespace, release, timeout, progress)
	}, nil)
}

// inputString is a string input of the hooked resource.
func inputString(h *pulumi.ResourceHookArgs, key string) string {
	v, ok := h.NewInputs[resource.PropertyKey(key)]
	for ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}
