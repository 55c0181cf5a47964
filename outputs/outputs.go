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
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The stack output names, as Stack's tags spell them, for code that picks
// one output (a test holds the two together).
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
	S3RoleArn         = "s3RoleArn"           // zot's IAM role (storage.aws.credentials podIdentity, irsa)
	OIDCIssuer        = "oidcIssuer"
	OIDCClientID      = "oidcClientId"
	OIDCRedirectURI   = "oidcRedirectUri"   // the one URI registered at the provider
	RegistryPasswords = "registryPasswords" // secret; user -> password, secrets modes push and kubernetes
	RegistryPullUsers = "registryPullUsers" // the pull robots (secrets.users role pull), for image pull secrets
	Replicas          = "replicas"
	HeadlessService   = "headlessServiceName"  // the cluster members' Service; empty with one replica
	MetricsPath       = "metricsPath"          // where each pod serves Prometheus metrics; empty when off
	MirrorHostsToml   = "mirrorHostsToml"      // mirror name -> containerd's hosts.toml
	MirrorCRIOConf    = "mirrorRegistriesConf" // mirror name -> CRI-O's registries.conf entry
)

// Stack is this program's outputs, typed: the one list of them. Each
// field's pulumi tag is its output name (the constants above say the same;
// a test holds them together); provider:"secret" marks an output that is
// always a secret, whatever it holds.
//
// It is also the state of the component package's Registry resource
// (components.NewRegistry returns this type), so the component has exactly these
// outputs; the ResourceState is unused in a stack's outputs.
type Stack struct {
	pulumi.ResourceState

	RegistryURL       pulumi.StringOutput      `pulumi:"registryUrl"`
	RegistryHost      pulumi.StringOutput      `pulumi:"registryHost"`
	Namespace         pulumi.StringOutput      `pulumi:"namespace"`
	ReleaseName       pulumi.StringOutput      `pulumi:"releaseName"`
	ServiceName       pulumi.StringOutput      `pulumi:"serviceName"`
	ServiceDNS        pulumi.StringOutput      `pulumi:"serviceDns"`
	ChartVersion      pulumi.StringOutput      `pulumi:"chartVersion"`
	ImageTag          pulumi.StringOutput      `pulumi:"imageTag"`
	Bucket            pulumi.StringOutput      `pulumi:"bucket"`
	S3Region          pulumi.StringOutput      `pulumi:"s3Region"`
	S3Endpoint        pulumi.StringOutput      `pulumi:"s3Endpoint"`
	S3Secure          pulumi.BoolOutput        `pulumi:"s3Secure"`
	S3ForcePathStyle  pulumi.BoolOutput        `pulumi:"s3ForcePathStyle"`
	StoragePolicy     pulumi.StringOutput      `pulumi:"storagePolicy"`
	AbortUploads      pulumi.StringOutput      `pulumi:"abortUploadsCommand"`
	S3AccessKeyID     pulumi.StringOutput      `pulumi:"s3AccessKeyId" provider:"secret"`
	S3SecretAccessKey pulumi.StringOutput      `pulumi:"s3SecretAccessKey" provider:"secret"`
	S3RoleArn         pulumi.StringOutput      `pulumi:"s3RoleArn"`
	OIDCIssuer        pulumi.StringOutput      `pulumi:"oidcIssuer"`
	OIDCClientID      pulumi.StringOutput      `pulumi:"oidcClientId"`
	OIDCRedirectURI   pulumi.StringOutput      `pulumi:"oidcRedirectUri"`
	RegistryPasswords pulumi.StringMapOutput   `pulumi:"registryPasswords" provider:"secret"`
	RegistryPullUsers pulumi.StringArrayOutput `pulumi:"registryPullUsers"`
	Replicas          pulumi.IntOutput         `pulumi:"replicas"`
	HeadlessService   pulumi.StringOutput      `pulumi:"headlessServiceName"`
	MetricsPath       pulumi.StringOutput      `pulumi:"metricsPath"`
	MirrorHostsToml   pulumi.StringMapOutput   `pulumi:"mirrorHostsToml"`
	MirrorCRIOConf    pulumi.StringMapOutput   `pulumi:"mirrorRegistriesConf"`
}

// field is one output: its name, whether it is always secret, its index.
type field struct {
	name   string
	secret bool
	index  int
}

// fields reads the tags of Stack, in declaration order.
var fields = func() []field {
	t := reflect.TypeFor[Stack]()
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if name, ok := f.Tag.Lookup("pulumi"); ok {
			out = append(out, field{name: name, secret: f.Tag.Get("provider") == "secret", index: i})
		}
	}
	return out
}()

// Names lists every output, in Stack's (and docs/outputs.md's) order.
var Names = func() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}()

// Secret lists the outputs that are always exported as secrets.
var Secret = func() map[string]bool {
	out := map[string]bool{}
	for _, f := range fields {
		if f.secret {
			out[f.name] = true
		}
	}
	return out
}()

// Map is the outputs by name.
func (s *Stack) Map() map[string]pulumi.Output {
	v := reflect.ValueOf(s).Elem()
	out := make(map[string]pulumi.Output, len(fields))
	for _, f := range fields {
		out[f.name], _ = v.Field(f.index).Interface().(pulumi.Output)
	}
	return out
}

// SetOutputs copies every output of o into s (not s's ResourceState).
func (s *Stack) SetOutputs(o *Stack) {
	dst, src := reflect.ValueOf(s).Elem(), reflect.ValueOf(o).Elem()
	for _, f := range fields {
		dst.Field(f.index).Set(src.Field(f.index))
	}
}

// Secrets is Map with the outputs in Secret made secret, whatever they
// hold: what Export writes and the component registers.
func (s *Stack) Secrets() map[string]pulumi.Output {
	out := s.Map()
	for name := range Secret {
		out[name] = pulumi.ToSecret(out[name])
	}
	return out
}

// Export registers every output on the stack: the one place outputs are
// made.
func (s *Stack) Export(ctx *pulumi.Context) {
	for name, out := range s.Secrets() {
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
	out := &Stack{}
	v := reflect.ValueOf(out).Elem()
	for _, f := range fields {
		raw := ref.GetOutput(pulumi.String(f.name))
		var o pulumi.Output
		switch v.Field(f.index).Interface().(type) {
		case pulumi.StringOutput:
			o = ref.GetStringOutput(pulumi.String(f.name))
		case pulumi.BoolOutput:
			o = raw.ApplyT(func(v any) bool { b, _ := v.(bool); return b })
		case pulumi.IntOutput:
			o = raw.ApplyT(func(v any) int { n, _ := v.(float64); return int(n) }) // JSON numbers
		case pulumi.StringArrayOutput:
			o = raw.ApplyT(func(v any) []string {
				var out []string // absent in a stack written before the output: none
				if in, ok := v.([]any); ok {
					for _, p := range in {
						if s, ok := p.(string); ok {
							out = append(out, s)
						}
					}
				}
				return out
			})
		case pulumi.StringMapOutput:
			o = raw.ApplyT(func(v any) map[string]string {
				m := map[string]string{}
				if in, ok := v.(map[string]any); ok {
					for k, p := range in {
						m[k], _ = p.(string)
					}
				}
				return m
			})
		default:
			return nil, fmt.Errorf("outputs: no reader for %s's type %T", f.name, v.Field(f.index).Interface())
		}
		v.Field(f.index).Set(reflect.ValueOf(o))
	}
	return out, nil
}
