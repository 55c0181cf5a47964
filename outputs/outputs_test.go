package outputs_test

import (
	"sort"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/outputs"
)

func TestNamesMatchMap(t *testing.T) {
	var s outputs.Stack
	keys := make([]string, 0)
	for k := range s.Map() {
		keys = append(keys, k)
	}
	names := append([]string(nil), outputs.Names...)
	sort.Strings(keys)
	sort.Strings(names)
	assert.Equal(t, names, keys)
}

// stackRefMock answers the StackReference with another stack's outputs.
type stackRefMock struct {
	outputs map[string]any
	secret  []string
	name    string
}

func (m *stackRefMock) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken != "pulumi:pulumi:StackReference" {
		return args.Name, args.Inputs, nil
	}
	m.name = args.Inputs["name"].StringValue()
	outs := resource.NewPropertyMapFromMap(m.outputs)
	for _, s := range m.secret {
		outs[resource.PropertyKey(s)] = resource.MakeSecret(outs[resource.PropertyKey(s)])
	}
	return args.Name, resource.PropertyMap{
		"name":    resource.NewProperty(m.name),
		"outputs": resource.NewProperty(outs),
	}, nil
}

func (m *stackRefMock) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func TestReadIsTyped(t *testing.T) {
	exported := map[string]any{}
	for _, n := range outputs.Names {
		exported[n] = "value-of-" + n
	}
	exported[outputs.S3Secure] = true
	exported[outputs.RegistryPasswords] = map[string]any{"ci": "pw"}
	exported[outputs.RegistryPullUsers] = []any{"cluster-pull"}
	exported[outputs.MirrorHostsToml] = map[string]any{"docker-hub": "server = …"}
	exported[outputs.MirrorCRIOConf] = map[string]any{"docker-hub": "[[registry]] …"}
	exported[outputs.S3ForcePathStyle] = false
	exported[outputs.Replicas] = 3
	mock := &stackRefMock{outputs: exported, secret: []string{outputs.S3SecretAccessKey, outputs.RegistryPasswords}}
	var (
		mu       sync.Mutex
		got      = map[string]any{}
		isSecret = map[string]bool{}
		read     *outputs.Stack
	)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		s, err := outputs.Read(ctx, "acme/zot-registry/prod")
		if err != nil {
			return err
		}
		read = s
		for name, o := range s.Map() {
			o.ApplyT(func(v any) any {
				mu.Lock()
				got[name] = v
				mu.Unlock()
				return v
			})
		}
		return nil
	}, pulumi.WithMocks("platform", "dev", mock))
	require.NoError(t, err)
	assert.Equal(t, "acme/zot-registry/prod", mock.name)
	for _, n := range outputs.Names {
		if n == outputs.RegistryPasswords {
			assert.Equal(t, map[string]string{"ci": "pw"}, got[n])
			continue
		}
		if n == outputs.MirrorHostsToml || n == outputs.MirrorCRIOConf {
			assert.Equal(t, map[string]string{"docker-hub": exported[n].(map[string]any)["docker-hub"].(string)}, got[n], n)
			continue
		}
		if n == outputs.RegistryPullUsers {
			assert.Equal(t, []string{"cluster-pull"}, got[n], "a list, typed")
			continue
		}
		if n == outputs.Replicas {
			assert.Equal(t, 3, got[n], "a number, typed")
			continue
		}
		assert.Equal(t, exported[n], got[n], n)
	}
	assert.True(t, pulumi.IsSecret(read.RegistryPasswords))
	for name, o := range read.Map() {
		isSecret[name] = pulumi.IsSecret(o)
	}
	assert.True(t, isSecret[outputs.S3SecretAccessKey], "a secret output stays secret")
	assert.False(t, isSecret[outputs.RegistryHost])
}

// TestConstantsAreTheTags: the named constants are the Stack tags, so code
// that picks one output by constant reads what Export writes.
func TestConstantsAreTheTags(t *testing.T) {
	consts := []string{
		outputs.RegistryURL, outputs.RegistryHost, outputs.Namespace, outputs.ReleaseName, outputs.ServiceName,
		outputs.ServiceDNS, outputs.ChartVersion, outputs.ImageTag, outputs.Bucket, outputs.S3Region, outputs.S3Endpoint,
		outputs.S3Secure, outputs.S3ForcePathStyle, outputs.StoragePolicy, outputs.AbortUploads, outputs.S3AccessKeyID,
		outputs.S3SecretAccessKey, outputs.S3RoleArn, outputs.OIDCIssuer, outputs.OIDCClientID, outputs.OIDCRedirectURI,
		outputs.RegistryPasswords, outputs.RegistryPullUsers, outputs.Replicas, outputs.HeadlessService, outputs.MetricsPath, outputs.MirrorHostsToml, outputs.MirrorCRIOConf,
	}
	assert.Equal(t, consts, outputs.Names)
	assert.Equal(t, map[string]bool{outputs.S3AccessKeyID: true, outputs.S3SecretAccessKey: true, outputs.RegistryPasswords: true}, outputs.Secret)
}
