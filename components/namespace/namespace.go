// Package namespace creates (or adopts by name) the namespace zot and its
// Secrets live in. It is a component of its own because the Secrets must be
// in place before the Helm release, and both need the namespace first.
package namespace

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:namespace:Namespace"

// Args configures a Namespace.
type Args struct {
	Name string
	// Create is false when the namespace is managed elsewhere: then the
	// component only carries its name.
	Create bool
}

// Namespace is where the registry lives.
type Namespace struct {
	pulumi.ResourceState

	Resource *corev1.Namespace // nil when not created here
	Name     pulumi.StringOutput
}

// Labels put on a namespace this program creates. Pod Security "baseline"
// is what the zot chart's pod satisfies.
var Labels = map[string]string{
	"app.kubernetes.io/managed-by":       "pulumi",
	"app.kubernetes.io/part-of":          "zot-registry",
	"pod-security.kubernetes.io/enforce": "baseline",
}

// NewNamespace creates the namespace, or adopts an existing one by name.
func NewNamespace(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Namespace, error) {
	if args == nil || args.Name == "" {
		return nil, fmt.Errorf("namespace %s: a name is required", name)
	}
	c := &Namespace{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	if args.Create {
		ns, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:   pulumi.String(args.Name),
				Labels: pulumi.ToStringMap(Labels),
			},
		}, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		c.Resource = ns
		c.Name = ns.Metadata.Name().Elem()
	} else {
		c.Name = pulumi.String(args.Name).ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"name": c.Name}); err != nil {
		return nil, err
	}
	return c, nil
}
