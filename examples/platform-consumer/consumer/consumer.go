// Package consumer is the example consumer's logic: read a zot-registry stack
// and create an image pull Secret for one of its users.
package consumer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/outputs"
)

// PullSecretName is the name of the Secret in the team namespace.
const PullSecretName = "zot-registry-pull"

// Args say which stack to read and where the Secret goes.
type Args struct {
	RegistryStack string // <org>/zot-registry/<stack>
	Namespace     string
	// User is the htpasswd user the Secret logs in as; empty: the stack's
	// first pull robot (registryPullUsers), which may only pull.
	User string
}

// Result is what the consumer exports.
type Result struct {
	RegistryURL    pulumi.StringOutput
	PullSecretName pulumi.StringOutput
}

// dockerConfig is the .dockerconfigjson document kubelet reads.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"` // base64(username:password)
}

// DockerConfigJSON builds the pull Secret's document for one registry host.
func DockerConfigJSON(host, user, password string) (string, error) {
	b, err := json.Marshal(dockerConfig{Auths: map[string]dockerAuth{host: {
		Username: user,
		Password: password,
		Auth:     base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
	}}})
	return string(b), err
}

// New reads the registry stack and creates the pull Secret. The password
// stays a secret output from the StackReference to the Secret's data.
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*Result, error) {
	if args.RegistryStack == "" || args.Namespace == "" {
		return nil, fmt.Errorf("consumer: registryStack and namespace are required")
	}
	zot, err := outputs.Read(ctx, args.RegistryStack, opts...)
	if err != nil {
		return nil, err
	}
	doc := pulumi.All(zot.RegistryHost, zot.RegistryPasswords, zot.RegistryPullUsers).ApplyT(func(v []any) (string, error) {
		host := v[0].(string)
		passwords, _ := v[1].(map[string]string)
		user := args.User
		if pull, _ := v[2].([]string); user == "" && len(pull) > 0 {
			user = pull[0]
		}
		if user == "" {
			return "", fmt.Errorf("consumer: stack %s has no pull robot (registryPullUsers is empty); add {name: cluster-pull, role: pull} to zot-registry:secrets.users (push mode) there, or set the user config key", args.RegistryStack)
		}
		pw, ok := passwords[user]
		if !ok {
			return "", fmt.Errorf("consumer: stack %s has no generated password for user %q (registryPasswords); add the user to zot-registry:secrets.users (push mode)", args.RegistryStack, user)
		}
		return DockerConfigJSON(host, user, pw)
	}).(pulumi.StringOutput)

	secret, err := corev1.NewSecret(ctx, name+"-pull", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(PullSecretName),
			Namespace: pulumi.String(args.Namespace),
			Labels:    pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("platform-consumer")},
		},
		Type:       pulumi.String("kubernetes.io/dockerconfigjson"),
		StringData: pulumi.StringMap{".dockerconfigjson": pulumi.ToSecret(doc).(pulumi.StringOutput)},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Result{
		RegistryURL:    zot.RegistryURL,
		PullSecretName: secret.Metadata.Name().Elem(),
	}, nil
}
