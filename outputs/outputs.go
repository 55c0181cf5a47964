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
	RegistryURL       = "registryUrl"  // https URL, as docker and the web UI use it
	RegistryHost      = "registryHost" // host[:port], for docker login and image names
	Namespace         = "namespace"
	ReleaseName       = "releaseName"
	ServiceName       = "serviceName"
	ServiceDNS        = "serviceDns" // in-cluster host:port
	ChartVersion      = "chartVersion"
	ImageTag          = "imageTag"
	Bucket            = "bucket"
	S3Region          = "s3Region"
	S3Endpoint        = "s3Endpoint" // empty for AWS S3
	S3Secure          = "s3Secure"
	S3ForcePathStyle  = "s3ForcePathStyle"
	StoragePolicy     = "storagePolicy"       // the exact policy JSON zot's key needs
	AbortUploads      = "abortUploadsCommand" // sets the abort-incomplete-uploads rule where the program does not
	S3AccessKeyID     = "s3AccessKeyId"       // secret; aws mode only
	S3SecretAccessKey = "s3SecretAccessKey"   // secret; aws mode only
	OIDCIssuer        = "oidcIssuer"
	OIDCClientID      = "oidcClientId"
	OIDCRedirectURI   = "oidcRedirectUri"   // the one URI registered at the provider
	RegistryPasswords = "registryPasswords" // secret; user -> password, secrets mode push
	Replicas          = "replicas"
	HeadlessService   = "headlessServiceName" // the cluster members' Service; empty with one replica
	MetricsPath       = "metricsPath"         // where each pod serves Prometheus metrics; empty when off
)

// Names lists every output, in docs/outputs.md's order.
var Names = []string{
	RegistryURL, RegistryHost, Namespace, ReleaseName, ServiceName, ServiceDNS,
	ChartVersion, ImageTag, Bucket, S3Region, S3Endpoint, S3Secure, S3ForcePathStyle,
	StoragePolicy, AbortUploads, S3AccessKeyID, S3SecretAccessKey, OIDCIssuer, OIDCClientID, OIDCRedirectURI,
	RegistryPasswords, Replicas, HeadlessService, MetricsPath,
}

// Secret lists the outputs that are always exported as secrets.
var Secret = map[string]bool{S3AccessKeyID: true, S3SecretAccessKey: true, RegistryPasswords: true}

// Stack is this program's outputs, typed.
type Stack struct {
	RegistryURL       pulumi.StringOutput
	RegistryHost      pulumi.StringOutput
	Namespace         pulumi.StringOutput
	ReleaseName       pulumi.StringOutput
	ServiceName       pulumi.StringOutput
	ServiceDNS        pulumi.StringOutput
	ChartVersion      pulumi.StringOutput
	ImageTag          pulumi.StringOutput
	Bucket            pulumi.StringOutput
	S3Region          pulumi.StringOutput
	S3Endpoint        pulumi.StringOutput
	S3Secure          pulumi.BoolOutput
	S3ForcePathStyle  pulumi.BoolOutput
	StoragePolicy     pulumi.StringOutput
	AbortUploads      pulumi.StringOutput
	S3AccessKeyID     pulumi.StringOutput
	S3SecretAccessKey pulumi.StringOutput
	OIDCIssuer        pulumi.StringOutput
	OIDCClientID      pulumi.StringOutput
	OIDCRedirectURI   pulumi.StringOutput
	RegistryPasswords pulumi.StringMapOutput
	Replicas          pulumi.IntOutput
	HeadlessService   pulumi.StringOutput
	MetricsPath       pulumi.StringOutput
}

// Map is the outputs by name.
func (s *Stack) Map() map[string]pulumi.Output {
	return map[string]pulumi.Output{
		RegistryURL:       s.RegistryURL,
		RegistryHost:      s.RegistryHost,
		Namespace:         s.Namespace,
		ReleaseName:       s.ReleaseName,
		ServiceName:       s.ServiceName,
		ServiceDNS:        s.ServiceDNS,
		ChartVersion:      s.ChartVersion,
		ImageTag:          s.ImageTag,
		Bucket:            s.Bucket,
		S3Region:          s.S3Region,
		S3Endpoint:        s.S3Endpoint,
		S3Secure:          s.S3Secure,
		S3ForcePathStyle:  s.S3ForcePathStyle,
		StoragePolicy:     s.StoragePolicy,
		AbortUploads:      s.AbortUploads,
		S3AccessKeyID:     s.S3AccessKeyID,
		S3SecretAccessKey: s.S3SecretAccessKey,
		OIDCIssuer:        s.OIDCIssuer,
		OIDCClientID:      s.OIDCClientID,
		OIDCRedirectURI:   s.OIDCRedirectURI,
		RegistryPasswords: s.RegistryPasswords,
		Replicas:          s.Replicas,
		HeadlessService:   s.HeadlessService,
		MetricsPath:       s.MetricsPath,
	}
}

// Export registers every output on the stack: the one place outputs are
// made. Outputs listed in Secret are exported as secrets whatever they hold.
func (s *Stack) Export(ctx *pulumi.Context) {
	for name, out := range s.Map() {
		if Secret[name] {
			out = pulumi.ToSecret(out)
		}
		ctx.Export(name, out)
	}
}

// Read returns the outputs of another stack of this program, e.g.
// "acme/zot-registry/prod". Secret outputs stay secret.
func Read(ctx *pulumi.Context, stackName string, opts ...pulumi.ResourceOption) (*Stack, error) {
	ref, err := pulumi.NewStackReference(ctx, stackName, nil, opts...)
	if err != nil {
		return nil, err
	}
	str := func(name string) pulumi.StringOutput { return ref.GetStringOutput(pulumi.String(name)) }
	boolean := func(name string) pulumi.BoolOutput {
		return ref.GetOutput(pulumi.String(name)).ApplyT(func(v any) bool {
			b, _ := v.(bool)
			return b
		}).(pulumi.BoolOutput)
	}
	return &Stack{
		RegistryURL:       str(RegistryURL),
		RegistryHost:      str(RegistryHost),
		Namespace:         str(Namespace),
		ReleaseName:       str(ReleaseName),
		ServiceName:       str(ServiceName),
		ServiceDNS:        str(ServiceDNS),
		ChartVersion:      str(ChartVersion),
		ImageTag:          str(ImageTag),
		Bucket:            str(Bucket),
		S3Region:          str(S3Region),
		S3Endpoint:        str(S3Endpoint),
		S3Secure:          boolean(S3Secure),
		S3ForcePathStyle:  boolean(S3ForcePathStyle),
		StoragePolicy:     str(StoragePolicy),
		AbortUploads:      str(AbortUploads),
		S3AccessKeyID:     str(S3AccessKeyID),
		S3SecretAccessKey: str(S3SecretAccessKey),
		OIDCIssuer:        str(OIDCIssuer),
		OIDCClientID:      str(OIDCClientID),
		OIDCRedirectURI:   str(OIDCRedirectURI),
		RegistryPasswords: ref.GetOutput(pulumi.String(RegistryPasswords)).ApplyT(func(v any) map[string]string {
			out := map[string]string{}
			if m, ok := v.(map[string]any); ok {
				for k, p := range m {
					out[k], _ = p.(string)
				}
			}
			return out
		}).(pulumi.StringMapOutput),
		Replicas: ref.GetOutput(pulumi.String(Replicas)).ApplyT(func(v any) int {
			n, _ := v.(float64) // JSON numbers
			return int(n)
		}).(pulumi.IntOutput),
		HeadlessService: str(HeadlessService),
		MetricsPath:     str(MetricsPath),
	}, nil
}
