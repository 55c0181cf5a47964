// Package registry deploys zot with the project-zot Helm chart and a
// config.json generated from typed values.
package registry

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/registry/zotconfig"
	"github.com/zot-registry/zot-registry/config"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:registry:Registry"

// Storage is where zot keeps blobs. Inputs, so that the storage component's
// outputs (a bucket name with a random suffix, say) can feed them.
type Storage struct {
	Bucket         pulumi.StringInput
	Region         pulumi.StringInput
	RegionEndpoint pulumi.StringInput // empty for AWS S3
	Secure         pulumi.BoolInput
	ForcePathStyle pulumi.BoolInput
	SkipVerify     pulumi.BoolInput
	KeyPrefix      pulumi.StringInput
}

// Identity is the OpenID provider zot's web UI logs in with.
type Identity struct {
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
	Settings  config.Registry
	Storage   Storage
	Identity  Identity
	Secrets   SecretNames
	// RolloutToken, when set, becomes a pod annotation: change it to restart
	// zot after its Secrets were rotated.
	RolloutToken string
	// DependsOn lists what must exist before zot starts (the Secrets it mounts).
	DependsOn []pulumi.Resource
}

// Registry is a zot deployment.
type Registry struct {
	pulumi.ResourceState

	Release *helmv3.Release
	// Route is the HTTPRoute (registry.route), nil when zot is exposed otherwise.
	Route *apiextensions.CustomResource

	// ConfigJSON is the config.json zot reads; Values the chart's values.
	ConfigJSON pulumi.StringOutput
	Values     pulumi.MapOutput

	RegistryURL  pulumi.StringOutput // externalUrl
	RegistryHost pulumi.StringOutput // what docker login takes: host[:port]
	Namespace    pulumi.StringOutput
	ReleaseName  pulumi.StringOutput
	ServiceName  pulumi.StringOutput
	ServiceDNS   pulumi.StringOutput // in-cluster host:port
	ChartVersion pulumi.StringOutput
	ImageTag     pulumi.StringOutput
}

// NewRegistry deploys zot.
func NewRegistry(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.Namespace == nil || args.Settings.URL == nil {
		return nil, fmt.Errorf("registry %s: Namespace and validated Settings are required (use config.Load)", name)
	}
	c := &Registry{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	st := args.Storage

	configJSON := pulumi.All(
		st.Bucket, st.Region, orEmpty(st.RegionEndpoint), st.Secure, st.ForcePathStyle,
		orFalse(st.SkipVerify), orEmpty(st.KeyPrefix), args.Identity.Issuer,
	).ApplyT(func(in []any) (string, error) {
		return zotconfig.Marshal(zotconfig.Build(Params(s, zotconfig.Storage{
			Bucket:         in[0].(string),
			Region:         in[1].(string),
			RegionEndpoint: in[2].(string),
			Secure:         in[3].(bool),
			ForcePathStyle: in[4].(bool),
			SkipVerify:     in[5].(bool),
			KeyPrefix:      in[6].(string),
		}, zotconfig.OIDC{Issuer: in[7].(string), Label: args.Identity.Label, Scopes: args.Identity.Scopes, UsernameClaim: args.Identity.UsernameClaim})))
	}).(pulumi.StringOutput)

	values := configJSON.ApplyT(func(js string) map[string]any {
		return BuildValues(s, js, args.Secrets, args.RolloutToken)
	}).(pulumi.MapOutput)

	chart, repo := chartRef(s.Chart)
	release, err := helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(s.ReleaseName),
		Namespace:      args.Namespace,
		Chart:          pulumi.String(chart),
		Version:        pulumi.String(s.Chart.Version),
		RepositoryOpts: repo,
		Values:         values,
		// The namespace is a resource of its own: the Secrets live there
		// before zot does.
		CreateNamespace: pulumi.Bool(false),
		// Wait for the pod to be ready, and roll back a failed upgrade
		// instead of leaving a half-updated release behind.
		Atomic:        pulumi.Bool(true),
		CleanupOnFail: pulumi.Bool(true),
		Timeout:       pulumi.Int(600),
		MaxHistory:    pulumi.Int(10),
	}, pulumi.Parent(c), pulumi.DependsOn(args.DependsOn))
	if err != nil {
		return nil, err
	}

	if s.Route.Enabled {
		// After the release: the Gateway sends traffic only once zot is up.
		meta := &metav1.ObjectMetaArgs{
			Name:      pulumi.String(s.ReleaseName),
			Namespace: args.Namespace,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
		}
		if len(s.Route.Annotations) > 0 {
			meta.Annotations = pulumi.ToStringMap(s.Route.Annotations)
		}
		route, err := apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String(GatewayAPIVersion),
			Kind:        pulumi.String(HTTPRouteKind),
			Metadata:    meta,
			OtherFields: kubernetes.UntypedArgs{"spec": toMap(Route(s))},
		}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{release}))
		if err != nil {
			return nil, err
		}
		c.Route = route
	}

	// Names that exist once the release does: derived from its ID so that a
	// consumer never sees them before the release is installed.
	afterRelease := func(v string) pulumi.StringOutput {
		return release.ID().ApplyT(func(pulumi.ID) string { return v }).(pulumi.StringOutput)
	}
	c.Release = release
	c.ConfigJSON = configJSON
	c.Values = values
	c.RegistryURL = pulumi.String(s.ExternalURL).ToStringOutput()
	c.RegistryHost = pulumi.String(s.URL.Host).ToStringOutput()
	c.Namespace = args.Namespace.ToStringOutput()
	c.ReleaseName = afterRelease(s.ReleaseName)
	c.ServiceName = afterRelease(s.ReleaseName) // fullnameOverride
	c.ServiceDNS = args.Namespace.ToStringOutput().ApplyT(func(ns string) string {
		return fmt.Sprintf("%s.%s.svc.cluster.local:%d", s.ReleaseName, ns, s.Port)
	}).(pulumi.StringOutput)
	c.ChartVersion = pulumi.String(s.Chart.Version).ToStringOutput()
	c.ImageTag = pulumi.String(s.Image.Tag).ToStringOutput()

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"registryUrl":  c.RegistryURL,
		"registryHost": c.RegistryHost,
		"namespace":    c.Namespace,
		"releaseName":  c.ReleaseName,
		"serviceName":  c.ServiceName,
		"serviceDns":   c.ServiceDNS,
		"chartVersion": c.ChartVersion,
		"imageTag":     c.ImageTag,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Params is the pure mapping from the registry settings plus the storage and
// identity values to the zot config builder's input.
func Params(s config.Registry, st zotconfig.Storage, oidc zotconfig.OIDC) zotconfig.Params {
	st.ChunkSize = s.Upload.ChunkSize
	st.MultipartCopyChunkSize = s.Upload.MultipartCopyChunkSize
	st.MultipartCopyMaxConcurrency = s.Upload.MultipartCopyMaxConcurrency
	st.MultipartCopyThresholdSize = s.Upload.MultipartCopyThresholdSize
	return zotconfig.Params{
		ExternalURL:  s.ExternalURL,
		LogLevel:     s.LogLevel,
		ReadTimeout:  s.ReadDuration,
		WriteTimeout: s.WriteDuration,
		Storage:      st,
		OIDC:         oidc,
		Access: zotconfig.Access{
			AdminUsers:    s.AccessControl.AdminUsers,
			AdminGroups:   s.AccessControl.AdminGroups,
			ReaderUsers:   s.AccessControl.ReaderUsers,
			ReaderGroups:  s.AccessControl.ReaderGroups,
			AnonymousRead: s.AccessControl.AnonymousRead,
		},
	}
}

// chartRef splits the chart setting into Helm's chart and repository: an
// oci:// repository names the chart in its URL.
func chartRef(ch config.Chart) (string, helmv3.RepositoryOptsPtrInput) {
	if strings.HasPrefix(ch.Repository, "oci://") {
		return strings.TrimSuffix(ch.Repository, "/") + "/" + ChartName, nil
	}
	return ChartName, &helmv3.RepositoryOptsArgs{Repo: pulumi.String(ch.Repository)}
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
