// Package outputs names this program's stack outputs and reads them from
// another stack through a StackReference, typed:
//
//	zot, err := outputs.Read(ctx, "acme/zot-registry/prod")
//	... zot.RegistryHost, zot.ServiceDNS ...
//
// It depends only on the Pulumi SDK, so a platform repository can import it
// without pulling in the Kubernetes or cloud providers.
package outputs

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The stack output names. Export and Read use these, nothing else.
const (
	RegistryURL  = "registryUrl"  // https URL, as docker and the web UI use it
	RegistryHost = "registryHost" // host[:port], for docker login and image names
	Namespace    = "namespace"
	ReleaseName  = "releaseName"
	ServiceName  = "serviceName"
	ServiceDNS   = "serviceDns" // in-cluster host:port
	ChartVersion = "chartVersion"
	ImageTag     = "imageTag"
	Bucket       = "bucket"
	S3Endpoint   = "s3Endpoint" // empty for AWS S3
	OIDCIssuer   = "oidcIssuer"
	OIDCClientID = "oidcClientId"
)

// Names lists every output, in the README's order.
var Names = []string{
	RegistryURL, RegistryHost, Namespace, ReleaseName, ServiceName, ServiceDNS,
	ChartVersion, ImageTag, Bucket, S3Endpoint, OIDCIssuer, OIDCClientID,
}

// Stack is this program's outputs, typed. None of them is a secret today;
// a secret output added later must be exported with pulumi.ToSecret.
type Stack struct {
	RegistryURL  pulumi.StringOutput
	RegistryHost pulumi.StringOutput
	Namespace    pulumi.StringOutput
	ReleaseName  pulumi.StringOutput
	ServiceName  pulumi.StringOutput
	ServiceDNS   pulumi.StringOutput
	ChartVersion pulumi.StringOutput
	ImageTag     pulumi.StringOutput
	Bucket       pulumi.StringOutput
	S3Endpoint   pulumi.StringOutput
	OIDCIssuer   pulumi.StringOutput
	OIDCClientID pulumi.StringOutput
}

// Map is the outputs by name.
func (s *Stack) Map() map[string]pulumi.StringOutput {
	return map[string]pulumi.StringOutput{
		RegistryURL:  s.RegistryURL,
		RegistryHost: s.RegistryHost,
		Namespace:    s.Namespace,
		ReleaseName:  s.ReleaseName,
		ServiceName:  s.ServiceName,
		ServiceDNS:   s.ServiceDNS,
		ChartVersion: s.ChartVersion,
		ImageTag:     s.ImageTag,
		Bucket:       s.Bucket,
		S3Endpoint:   s.S3Endpoint,
		OIDCIssuer:   s.OIDCIssuer,
		OIDCClientID: s.OIDCClientID,
	}
}

// Export registers every output on the stack: the one place outputs are made.
func (s *Stack) Export(ctx *pulumi.Context) {
	for name, out := range s.Map() {
		ctx.Export(name, out)
	}
}

// Read returns the outputs of another stack of this program, e.g.
// "acme/zot-registry/prod". A secret output stays secret.
func Read(ctx *pulumi.Context, stackName string, opts ...pulumi.ResourceOption) (*Stack, error) {
	ref, err := pulumi.NewStackReference(ctx, stackName, nil, opts...)
	if err != nil {
		return nil, err
	}
	get := func(name string) pulumi.StringOutput { return ref.GetStringOutput(pulumi.String(name)) }
	return &Stack{
		RegistryURL:  get(RegistryURL),
		RegistryHost: get(RegistryHost),
		Namespace:    get(Namespace),
		ReleaseName:  get(ReleaseName),
		ServiceName:  get(ServiceName),
		ServiceDNS:   get(ServiceDNS),
		ChartVersion: get(ChartVersion),
		ImageTag:     get(ImageTag),
		Bucket:       get(Bucket),
		S3Endpoint:   get(S3Endpoint),
		OIDCIssuer:   get(OIDCIssuer),
		OIDCClientID: get(OIDCClientID),
	}, nil
}
