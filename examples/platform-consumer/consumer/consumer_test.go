package consumer_test

import (
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/examples/platform-consumer/consumer"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/outputs"
)

// stackMocks answers the StackReference with a zot-registry stack's outputs
// (names from the outputs package) and records the other resources.
type stackMocks struct {
	outputs resource.PropertyMap
	mu      sync.Mutex
	created map[string]resource.PropertyMap // type -> inputs
	refName string
}

func (m *stackMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		m.refName = args.Inputs["name"].StringValue()
		return args.Name, resource.PropertyMap{
			"name":              args.Inputs["name"],
			"outputs":           resource.NewObjectProperty(m.outputs),
			"secretOutputNames": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(outputs.RegistryPasswords)}),
		}, nil
	}
	m.created[args.TypeToken] = args.Inputs
	return args.Name + "-id", args.Inputs, nil
}

func (m *stackMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func newMocks() *stackMocks {
	return &stackMocks{
		created: map[string]resource.PropertyMap{},
		outputs: resource.PropertyMap{
			outputs.RegistryURL:  resource.NewStringProperty("https://registry.example.com"),
			outputs.RegistryHost: resource.NewStringProperty("registry.example.com"),
			outputs.RegistryPasswords: resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
				"ci-pusher":    resource.NewStringProperty("admin-password"),
				"cluster-pull": resource.NewStringProperty("s3cr3t-from-the-stack"),
			})),
			outputs.RegistryPullUsers: resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("cluster-pull")}),
		},
	}
}

func TestPullSecretFromTheRegistryStack(t *testing.T) {
	m := newMocks()
	var url string
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		// No user named: the stack's pull robot, never its admin robot.
		res, err := consumer.New(ctx, "team", consumer.Args{RegistryStack: "acme/zot-registry/prod", Namespace: "team-a"})
		if err != nil {
			return err
		}
		res.RegistryURL.ApplyT(func(s string) string { url = s; return s })
		return nil
	}, pulumi.WithMocks("platform-consumer", "dev", m))
	require.NoError(t, err)

	assert.Equal(t, "acme/zot-registry/prod", m.refName)
	assert.Equal(t, "https://registry.example.com", url)
	secret := m.created[mocks.SecretType]
	require.NotNil(t, secret, "the pull Secret is created")
	assert.Equal(t, "kubernetes.io/dockerconfigjson", secret["type"].StringValue())
	meta := secret["metadata"].ObjectValue()
	assert.Equal(t, consumer.PullSecretName, meta["name"].StringValue())
	assert.Equal(t, "team-a", meta["namespace"].StringValue())

	stringData := secret["stringData"]
	require.True(t, stringData.ContainsSecrets(), "the password stays secret in the Secret's inputs (and so in state)")
	for stringData.IsSecret() {
		stringData = stringData.SecretValue().Element
	}
	data := stringData.ObjectValue()[".dockerconfigjson"]
	for data.IsSecret() {
		data = data.SecretValue().Element
	}
	var doc struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	require.NoError(t, json.Unmarshal([]byte(data.StringValue()), &doc))
	auth := doc.Auths["registry.example.com"]
	assert.Equal(t, "cluster-pull", auth.Username)
	assert.Equal(t, "s3cr3t-from-the-stack", auth.Password)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("cluster-pull:s3cr3t-from-the-stack")), auth.Auth)
}

func TestNoPullRobotSaysWhatToDo(t *testing.T) {
	m := newMocks()
	delete(m.outputs, outputs.RegistryPullUsers) // a stack with none, or written before the output
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := consumer.New(ctx, "team", consumer.Args{RegistryStack: "acme/zot-registry/prod", Namespace: "team-a"})
		return err
	}, pulumi.WithMocks("platform-consumer", "dev", m))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has no pull robot")
	assert.Contains(t, err.Error(), "role: pull")
}

func TestUnknownUserSaysWhatToDo(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := consumer.New(ctx, "team", consumer.Args{RegistryStack: "acme/zot-registry/prod", Namespace: "team-a", User: "renovate"})
		return err
	}, pulumi.WithMocks("platform-consumer", "dev", newMocks()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no generated password for user "renovate"`)
	assert.Contains(t, err.Error(), "secrets.users")
}

func TestDockerConfigJSONEscapes(t *testing.T) {
	js, err := consumer.DockerConfigJSON("registry.example.com:5000", "ci", `p"a\ss`)
	require.NoError(t, err)
	var doc map[string]map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(js), &doc))
	assert.Equal(t, `p"a\ss`, doc["auths"]["registry.example.com:5000"]["password"])
}
