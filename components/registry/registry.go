// Package registry deploys zot with the project-zot Helm chart and a
// config.json generated from typed values.
package registry

import (
	"context"
	"fmt"
	"reflect"
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
	GroupsClaim   string // the claim whose values are their groups
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

// Zot is a zot deployment.
type Zot struct {
	pulumi.ResourceState

	Release *Release
	// Route is the HTTPRoute (registry.route), nil when zot is exposed otherwise.
	Route *apiextensions.CustomResource
	// Volume is the claim for one replica's local metadata, nil otherwise.
	Volume *corev1.PersistentVolumeClaim
	// ConfigSecret holds config.json when it carries a credential, nil otherwise.
	ConfigSecret *corev1.Secret
	// CABundle holds registry.caBundle, nil without one.
	CABundle *corev1.ConfigMap
	// Monitor is the ServiceMonitor (registry.metrics.serviceMonitor), or nil.
	Monitor *apiextensions.CustomResource

	// ConfigJSON is the config.json zot reads (secret when it holds a
	// credential); Values the chart's values.
	ConfigJSON pulumi.StringOutput
	Values     pulumi.MapOutput
	// ShownConfigJSON is ConfigJSON with credentials as layout.RedactedMarker.
	ShownConfigJSON pulumi.StringOutput

	// The component's registered outputs, each by its output tag.
	RegistryURL  pulumi.StringOutput `output:"registryUrl"`  // externalUrl
	RegistryHost pulumi.StringOutput `output:"registryHost"` // what docker login takes: host[:port]
	Namespace    pulumi.StringOutput `output:"namespace"`
	ReleaseName  pulumi.StringOutput `output:"releaseName"`
	ServiceName  pulumi.StringOutput `output:"serviceName"`
	ServiceDNS   pulumi.StringOutput `output:"serviceDns"` // in-cluster host:port
	ChartVersion pulumi.StringOutput `output:"chartVersion"`
	ImageTag     pulumi.StringOutput `output:"imageTag"`
	Replicas     pulumi.IntOutput    `output:"replicas"`
	// HeadlessService names the cluster members' Service; empty with one replica.
	HeadlessService pulumi.StringOutput `output:"headlessService"`
	// MetricsPath is where each pod serves metrics; empty when disabled.
	MetricsPath pulumi.StringOutput `output:"metricsPath"`
}

// ShownConfigAnnotation on the config Secret carries config.json with its
// credentials redacted, so a preview and a review show what zot reads.
const ShownConfigAnnotation = "zot-registry/config-json"

// SkipAwaitAnnotation tells the Kubernetes provider not to wait for readiness.
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// NewZot deploys zot: the config document, the chart's values, the
// claim of one replica, the Helm release, then what depends on it (the
// route, the ServiceMonitor) and the component's outputs.
func NewZot(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Zot, error) {
	a, err := checkArgs(name, args)
	if err != nil {
		return nil, err
	}
	c := &Zot{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, name: name, args: a, c: c, deps: append([]pulumi.Resource{}, a.DependsOn...)}
	for _, step := range []func() error{b.clusterKey, b.configDocument, b.configSecret, b.trust, b.values, b.volume, b.release, b.route, b.monitor} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	c.export(a)
	return c, ctx.RegisterResourceOutputs(c, outputsOf(c))
}

// checkArgs checks what a program using the component alone must give: a
// namespace, pull robots that are no admins. The settings come validated
// and resolved (spec.Prepare).
func checkArgs(name string, args *Args) (*Args, error) {
	if args == nil || args.Namespace == nil {
		return nil, fmt.Errorf("registry %s: args with a Namespace are required", name)
	}
	if !args.Settings.Resolved() {
		return nil, fmt.Errorf("registry %s: %w", name, spec.ErrUnresolved)
	}
	a := *args
	for _, u := range a.PullRobots {
		if slices.Contains(a.Settings.AccessControl.AdminUsers, u) {
			return nil, fmt.Errorf("registry %s: pull robot %q is also in accessControl.adminUsers, where it could push and delete; remove it from one", name, u)
		}
	}
	return &a, nil
}

// builder carries one registry's parts from step to step.
type builder struct {
	ctx  *pulumi.Context
	name string
	args *Args
	c    *Zot
	// deps are what the release waits for.
	deps []pulumi.Resource
	// The credentials config.json may carry: the cluster's hash key
	// (generated once, kept in state) and the Redis password; credentialed
	// when it carries one, so config.json is a Secret, not a ConfigMap.
	credentialed bool
	hashKey      pulumi.StringInput
	// annotations are the pod annotations known later (digests, the role).
	annotations pulumi.StringMap
	configName  string // the config Secret's name, when credentialed
	valuesIn    pulumi.MapInput
	releaseRes  *Release
}

func (b *builder) child() pulumi.ResourceOption { return pulumi.Parent(b.c) }

// meta is an object's metadata in the release's namespace.
func (b *builder) meta(name string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:      pulumi.String(name),
		Namespace: b.args.Namespace,
		Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
	}
}

// clusterKey generates the cluster's hash key once (kept in state) when
// config.json carries a credential; it also keys the config digest.
func (b *builder) clusterKey() error {
	s := b.args.Settings
	b.credentialed = s.Replicas > 1 || b.args.RedisPassword != nil
	b.hashKey = pulumi.String("")
	if !b.credentialed {
		return nil
	}
	key, err := random.NewRandomPassword(b.ctx, b.name+"-cluster-hash-key", &random.RandomPasswordArgs{
		Length: pulumi.Int(zotconfig.HashKeyLength), Special: pulumi.Bool(false),
	}, b.child())
	if err != nil {
		return err
	}
	b.hashKey = key.Result
	return nil
}

// deployed is what config.json needs from other resources, resolved.
type deployed struct {
	storage   zotconfig.S3Driver
	issuer    string
	namespace string
}

// deployedValues resolves the bucket, the issuer and the namespace (an
// output of deployed); the one place that reads outputs by position.
func (b *builder) deployedValues() pulumi.Output {
	st := b.args.Bucket
	return pulumi.All(st.Bucket, st.Region, orEmpty(st.RegionEndpoint), st.Secure, st.ForcePathStyle,
		orFalse(st.SkipVerify), orEmpty(st.KeyPrefix), b.args.OpenID.Issuer, b.args.Namespace.ToStringOutput(),
	).ApplyT(func(in []any) deployed {
		return deployed{
			storage: zotconfig.S3Driver{
				Bucket: in[0].(string), Region: in[1].(string), RegionEndpoint: in[2].(string),
				Secure: in[3].(bool), ForcePathStyle: in[4].(bool), SkipVerify: in[5].(bool), KeyPrefix: in[6].(string),
				// A setting, not an output of the storage component.
				RedirectBlobURL: st.RedirectPulls,
			},
			issuer:    in[7].(string),
			namespace: in[8].(string),
		}
	})
}

// document is config.json from the deployed values and the credentials.
func (b *builder) document(d deployed, hashKey, redisPassword string) (string, error) {
	s, o := b.args.Settings, b.args.OpenID
	p := chart.Params(s, b.args.PullRobots, d.storage,
		zotconfig.OIDC{Issuer: d.issuer, Label: o.Label, Scopes: o.Scopes, UsernameClaim: o.UsernameClaim, GroupsClaim: o.GroupsClaim})
	chart.Operations(&p, s, d.namespace, hashKey, redisPassword)
	return zotconfig.Marshal(zotconfig.Build(p))
}

// configDocument is config.json as zot reads it, and the same document
// with every credential replaced by layout.RedactedMarker: known in the
// first preview and shown in clear, for reviews.
func (b *builder) configDocument() error {
	d := b.deployedValues()
	b.c.ConfigJSON = pulumi.All(d, b.hashKey, orEmpty(b.args.RedisPassword)).ApplyT(func(in []any) (string, error) {
		return b.document(in[0].(deployed), in[1].(string), in[2].(string))
	}).(pulumi.StringOutput)
	shownHashKey, shownRedis := "", ""
	if b.args.Settings.Replicas > 1 {
		shownHashKey = layout.RedactedMarker
	}
	if b.args.RedisPassword != nil {
		shownRedis = layout.RedactedMarker
	}
	b.c.ShownConfigJSON = d.ApplyT(func(v any) (string, error) {
		return b.document(v.(deployed), shownHashKey, shownRedis)
	}).(pulumi.StringOutput)
	return nil
}

// configSecret holds config.json when it carries a credential, with the
// redacted document as an annotation, and puts the config's digest on
// the pods.
func (b *builder) configSecret() error {
	b.annotations = pulumi.StringMap{}
	if !b.credentialed {
		return nil
	}
	s := b.args.Settings
	b.configName = ConfigSecretName(s.ReleaseName)
	m := b.meta(b.configName)
	m.Annotations = pulumi.StringMap{ShownConfigAnnotation: b.c.ShownConfigJSON}
	sec, err := corev1.NewSecret(b.ctx, b.name+"-config", &corev1.SecretArgs{
		Metadata:   m,
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{layout.ConfigFile: pulumi.ToSecret(b.c.ConfigJSON).(pulumi.StringOutput)},
	}, b.child())
	if err != nil {
		return err
	}
	b.c.ConfigSecret = sec
	b.deps = append(b.deps, sec)
	// The digest is keyed with the generated hash key, so it says nothing
	// about a weak Redis password; it may be shown in clear. Only it waits
	// for the key: every other value is known in the first preview.
	b.annotations[chart.ConfigDigestAnnotation] = pulumi.Unsecret(pulumi.All(b.hashKey, b.c.ConfigJSON).ApplyT(func(in []any) string {
		return chart.ConfigDigest(in[0].(string), in[1].(string))
	})).(pulumi.StringOutput)
	return nil
}

// trust writes registry.caBundle where the chart's values mount it
// (layout.CAConfigMap); the pods wait for it.
func (b *builder) trust() error {
	s := b.args.Settings
	if s.CABundle == "" {
		return nil
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.name+"-ca", &corev1.ConfigMapArgs{
		Metadata: b.meta(layout.CAConfigMap(s.ReleaseName)),
		Data:     pulumi.StringMap{layout.CAFile: pulumi.String(s.CABundle)},
	}, b.child())
	if err != nil {
		return err
	}
	b.c.CABundle = cm
	b.deps = append(b.deps, cm)
	return nil
}

// values are what the release gets. A value known only once another
// resource exists (config.json with a random bucket suffix, the config
// digest, the IRSA role's ARN, the Secrets' digest) is an element of a
// Map, where in a MapOutput it would make every value unknown in the
// first preview.
func (b *builder) values() error {
	s, args := b.args.Settings, b.args
	if args.SecretsDigest != nil {
		b.annotations[chart.SecretsDigestAnnotation] = args.SecretsDigest
	}
	base := chart.BuildValues(s, chart.ZotConfig{SecretName: b.configName}, args.Secrets, args.RolloutToken)
	m := pulumi.ToMap(base)
	if !b.credentialed {
		m["configFiles"] = b.c.ConfigJSON.ApplyT(chart.ConfigFiles).(pulumi.StringMapOutput)
	}
	if len(b.annotations) > 0 {
		if a, ok := base["podAnnotations"].(map[string]any); ok {
			for k, v := range a {
				if _, later := b.annotations[k]; !later {
					b.annotations[k] = pulumi.String(v.(string))
				}
			}
		}
		m["podAnnotations"] = b.annotations
	}
	withRole(m, s, args.RoleArn)
	b.c.Values, b.valuesIn = m.ToMapOutput(), m
	return nil
}

// volume is one replica's metadata on a claim this program owns: its size
// is an update (where the storage class allows expansion), not a
// volumeClaimTemplates change the API server refuses.
func (b *builder) volume() error {
	s := b.args.Settings
	if s.Replicas != 1 || !s.Persistence.Enabled {
		return nil
	}
	claim := &corev1.PersistentVolumeClaimSpecArgs{
		AccessModes: pulumi.ToStringArray([]string{chart.AccessModeReadWriteOnce}),
		Resources: &corev1.VolumeResourceRequirementsArgs{
			Requests: pulumi.StringMap{"storage": pulumi.String(s.Persistence.Size)},
		},
	}
	if s.Persistence.StorageClass != "" {
		claim.StorageClassName = pulumi.String(s.Persistence.StorageClass)
	}
	m := b.meta(chart.PVCName(s.ReleaseName, s.Persistence.StorageClass))
	// A WaitForFirstConsumer class binds the claim only once zot's pod
	// mounts it, and the pod comes with the release, after the claim: the
	// provider must not wait for Bound (pulumi-kubernetes issues 895 and
	// 4179, fixed by PRs 3130 and 4181; older providers still wait).
	m.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
	pvc, err := corev1.NewPersistentVolumeClaim(b.ctx, b.name+"-data", &corev1.PersistentVolumeClaimArgs{
		Metadata: m,
		Spec:     claim,
	}, b.child())
	if err != nil {
		return err
	}
	b.c.Volume = pvc
	b.deps = append(b.deps, pvc)
	return nil
}

// release installs the chart with the values, after everything zot reads.
func (b *builder) release() error {
	s, args := b.args.Settings, b.args
	chartName, repo := chartRef(s.Chart)
	releaseArgs := &ReleaseArgs{
		Name:           pulumi.String(s.ReleaseName),
		Namespace:      args.Namespace,
		Chart:          pulumi.String(chartName),
		Version:        pulumi.String(s.Chart.Version),
		RepositoryOpts: repo,
		Values:         b.valuesIn,
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
	opts := []pulumi.ResourceOption{b.child(), pulumi.DependsOn(b.deps),
		// A new member list or volume layout replaces the release, deleting
		// it first: two member lists never serve at once (zot answers 500 and
		// a repository gets two writers), and no StatefulSet update touches
		// its volumeClaimTemplates. The Helm Release provider reports a
		// detailed diff per value path (pulumi-kubernetes
		// provider/pkg/provider/helm_release.go, Diff), which these match.
		pulumi.ReplaceOnChanges(chart.ReleaseReplaceOn), pulumi.DeleteBeforeReplace(true)}
	if args.WatchRollout {
		hook, err := b.rolloutHook()
		if err != nil {
			return err
		}
		releaseArgs.SkipAwait, releaseArgs.Atomic = pulumi.Bool(true), pulumi.Bool(false)
		opts = append(opts, pulumi.ResourceHooks(&pulumi.ResourceHookBinding{
			AfterCreate: []*pulumi.ResourceHook{hook}, AfterUpdate: []*pulumi.ResourceHook{hook},
		}))
	}
	r, err := NewRelease(b.ctx, b.name, releaseArgs, opts...)
	b.releaseRes, b.c.Release = r, r
	return err
}

// rolloutHook: Helm applies and returns; the hook waits for the pods as
// long as Helm would, but stops at the first pod that will not start and
// says why (rollout.go): Helm's own wait knows only ready or timed out, so
// a zot that exits at start held the update for startupTimeout plus 10
// minutes. Not rolled back: the StatefulSet stops at the failing pod, the
// older pods keep serving, the next pulumi up carries the fix. Its
// progress goes to the stack's log: a message about the release would wait
// for the release's registration, which waits for the hook.
func (b *builder) rolloutHook() (*pulumi.ResourceHook, error) {
	timeout := time.Duration(chart.ReleaseTimeout(b.args.Settings.StartupDuration)) * time.Second
	return rolloutHook(b.ctx, b.name, clusterAccess(b.ctx, b.args.Cluster), timeout,
		func(msg string) { _ = b.ctx.Log.Info(msg, nil) })
}

// route attaches zot to the platform's Gateways (registry.route), after
// the release: the Gateway sends traffic only once zot is up.
func (b *builder) route() error {
	s := b.args.Settings
	if !s.Route.Enabled {
		return nil
	}
	m := b.meta(s.ReleaseName)
	if len(s.Route.Annotations) > 0 {
		m.Annotations = pulumi.ToStringMap(s.Route.Annotations)
	}
	route, err := apiextensions.NewCustomResource(b.ctx, b.name, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(GatewayAPIVersion),
		Kind:        pulumi.String(HTTPRouteKind),
		Metadata:    m,
		OtherFields: kubernetes.UntypedArgs{"spec": chart.ToMap(Route(s))},
	}, b.child(), pulumi.DependsOn([]pulumi.Resource{b.releaseRes}))
	b.c.Route = route
	return err
}

// monitor declares the ServiceMonitor (registry.metrics.serviceMonitor).
func (b *builder) monitor() error {
	s := b.args.Settings
	if !s.Metrics.On() || !s.Metrics.ServiceMonitor.Enabled {
		return nil
	}
	m, err := b.c.monitor(b.ctx, b.name, b.args, b.meta, b.releaseRes)
	b.c.Monitor = m
	return err
}

// export sets the component's outputs. Names that exist once the release
// does are derived from its ID, so a consumer never sees them before the
// release is installed.
func (c *Zot) export(args *Args) {
	s := args.Settings
	afterRelease := func(v string) pulumi.StringOutput {
		return c.Release.ID().ApplyT(func(pulumi.ID) string { return v }).(pulumi.StringOutput)
	}
	headless, metricsPath := "", ""
	if s.Replicas > 1 {
		headless = layout.HeadlessService(s.ReleaseName)
	}
	if s.Metrics.On() {
		metricsPath = s.Metrics.Path
	}
	namespace := args.Namespace.ToStringOutput()
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
}

// outputsOf is the component's registered outputs: each field with an
// output tag, by that name.
func outputsOf(c *Zot) pulumi.Map {
	m := pulumi.Map{}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if name := v.Type().Field(i).Tag.Get("output"); name != "" {
			m[name] = v.Field(i).Interface().(pulumi.Output)
		}
	}
	return m
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
func (c *Zot) monitor(ctx *pulumi.Context, name string, args *Args, meta func(string) *metav1.ObjectMetaArgs, release pulumi.Resource) (*apiextensions.CustomResource, error) {
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
	monitor := args.Namespace.ToStringOutput().ApplyT(func(ns string) map[string]any {
		return chart.ToMap(ServiceMonitor(s, ns, authSecret))
	}).(pulumi.MapOutput)
	return apiextensions.NewCustomResource(ctx, name+"-metrics", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(MonitoringAPIVersion),
		Kind:        pulumi.String(ServiceMonitorKind),
		Metadata:    md,
		OtherFields: kubernetes.UntypedArgs{"spec": monitor},
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
