package registry

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/utilities"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/zot/chart"
)

// Release is pulumi-kubernetes' `helm.sh/v3` Release, bound here for the
// inputs this program sets. The SDK's own binding (go/kubernetes/helm/v3)
// shares its package with the deprecated client-side Chart, which imports
// the SDK's yaml package and through it every Kubernetes API group the SDK
// has: 60 packages and 23 MB of generated Go, a third of what a cold build
// of this program compiles. The token, the input names and NewRelease's
// defaults (compat, the package's resource options) are the SDK's, so the
// provider gets the same request (TestRendersUnchanged holds every input
// byte for byte; the engine tier's checkpoints update with no change).
type Release struct {
	pulumi.CustomResourceState

	Name      pulumi.StringPtrOutput `pulumi:"name"`
	Namespace pulumi.StringPtrOutput `pulumi:"namespace"`
	Chart     pulumi.StringOutput    `pulumi:"chart"`
	Version   pulumi.StringPtrOutput `pulumi:"version"`
}

// ReleaseArgs are the Release inputs the program sets.
type ReleaseArgs struct {
	Name      pulumi.StringPtrInput
	Namespace pulumi.StringPtrInput
	// Chart is the chart's name, or its oci:// URL.
	Chart   pulumi.StringInput
	Version pulumi.StringPtrInput
	// RepositoryOpts is {repo: URL} for a Helm repository, nil for oci://.
	RepositoryOpts  pulumi.StringMapInput
	Values          pulumi.MapInput
	CreateNamespace pulumi.BoolPtrInput
	Atomic          pulumi.BoolPtrInput
	CleanupOnFail   pulumi.BoolPtrInput
	SkipAwait       pulumi.BoolPtrInput
	Timeout         pulumi.IntPtrInput
	MaxHistory      pulumi.IntPtrInput
	// Compat is set by NewRelease: the provider's compatibility marker,
	// which every pulumi-kubernetes SDK sends.
	Compat pulumi.StringPtrInput
}

// releaseArgs is the wire shape: the provider's property names.
type releaseArgs struct {
	Name            *string                `pulumi:"name"`
	Namespace       *string                `pulumi:"namespace"`
	Chart           string                 `pulumi:"chart"`
	Version         *string                `pulumi:"version"`
	RepositoryOpts  map[string]string      `pulumi:"repositoryOpts"`
	Values          map[string]interface{} `pulumi:"values"`
	CreateNamespace *bool                  `pulumi:"createNamespace"`
	Atomic          *bool                  `pulumi:"atomic"`
	CleanupOnFail   *bool                  `pulumi:"cleanupOnFail"`
	SkipAwait       *bool                  `pulumi:"skipAwait"`
	Timeout         *int                   `pulumi:"timeout"`
	MaxHistory      *int                   `pulumi:"maxHistory"`
	Compat          *string                `pulumi:"compat"`
}

// ElementType is the wire shape the SDK marshals the inputs into.
func (ReleaseArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*releaseArgs)(nil)).Elem()
}

// NewRelease registers a Helm Release as the SDK's helmv3.NewRelease does.
func NewRelease(ctx *pulumi.Context, name string, args *ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	if args == nil || args.Chart == nil {
		return nil, errors.New("registry.NewRelease: Chart is required")
	}
	in := *args
	in.Compat = pulumi.StringPtr("true")
	var r Release
	if err := ctx.RegisterResource(chart.ReleaseType, name, &in, &r, utilities.PkgResourceDefaultOpts(opts)...); err != nil {
		return nil, err
	}
	return &r, nil
}
