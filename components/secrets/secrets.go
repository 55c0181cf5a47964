// Package secrets declares the External Secrets Operator objects that give
// zot its files and keys: the OIDC client (oidc-credentials.json), the
// htpasswd file, the S3 key pair and the session keys. In push mode it also
// generates what it can and pushes it to the store, so nothing is copied by
// hand.
package secrets

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components/registry"
	"github.com/zot-registry/zot-registry/config"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:secrets:Secrets"

// SourceSecretName is the Secret push mode keeps the generated values in.
const SourceSecretName = "zot-registry-push-source"

// Args configures Secrets. The push-mode sources come from the identity and
// storage components (or config); store mode ignores them.
type Args struct {
	Namespace         pulumi.StringInput
	Settings          config.Secrets
	OIDCClientID      pulumi.StringInput
	OIDCClientSecret  pulumi.StringInput
	S3AccessKeyID     pulumi.StringInput
	S3SecretAccessKey pulumi.StringInput
}

// Secrets is what zot mounts, ready before the registry starts.
type Secrets struct {
	pulumi.ResourceState

	// Names are the target Secrets, for the Registry's mounts.
	Names registry.SecretNames
	// ExternalSecrets are what the Helm release depends on.
	ExternalSecrets []pulumi.Resource
	// Passwords are the generated htpasswd passwords by user (secret);
	// empty in store mode.
	Passwords pulumi.StringMapOutput
}

// NewSecrets declares the ExternalSecrets, and in push mode the generated
// values, their source Secret and the PushSecret.
func NewSecrets(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Secrets, error) {
	if args == nil || args.Namespace == nil || args.Settings.Store.Name == "" {
		return nil, fmt.Errorf("secrets %s: Namespace and validated Settings are required (use config.Load)", name)
	}
	c := &Secrets{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	c.Names = registry.SecretNames{
		OIDC: s.OIDCSecretName, Htpasswd: s.HtpasswdSecretName, S3: s.S3SecretName, Session: s.SessionSecretName,
	}
	c.Passwords = pulumi.ToSecret(pulumi.StringMap{}).(pulumi.StringMapOutput)

	var readAfter []pulumi.Resource
	if s.Mode == config.SecretsPush {
		push, err := c.push(ctx, name, args)
		if err != nil {
			return nil, err
		}
		readAfter = []pulumi.Resource{push}
	}

	for _, es := range ExternalSecrets(s) {
		annotations := pulumi.StringMap{}
		if s.WaitForReady {
			annotations[WaitAnnotation] = pulumi.String(WaitReady)
		}
		r, err := apiextensions.NewCustomResource(ctx, es.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(ESOAPIVersion),
			Kind:       pulumi.String(ExternalSecretKind),
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(es.Name),
				Namespace:   args.Namespace,
				Annotations: annotations,
				Labels:      pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": toMap(es.Spec)},
		}, pulumi.Parent(c), pulumi.DependsOn(readAfter))
		if err != nil {
			return nil, err
		}
		c.ExternalSecrets = append(c.ExternalSecrets, r)
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"oidcSecret":     pulumi.String(c.Names.OIDC),
		"htpasswdSecret": pulumi.String(c.Names.Htpasswd),
		"s3Secret":       pulumi.String(c.Names.S3),
		"sessionSecret":  pulumi.String(c.Names.Session),
		"passwords":      c.Passwords,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// push generates the htpasswd file and the session keys, puts them with the
// OIDC client and the S3 key into a source Secret, and pushes it to the store.
func (c *Secrets) push(ctx *pulumi.Context, name string, args *Args) (pulumi.Resource, error) {
	s := args.Settings
	if args.OIDCClientID == nil || args.OIDCClientSecret == nil || args.S3AccessKeyID == nil || args.S3SecretAccessKey == nil {
		return nil, fmt.Errorf("secrets %s: push mode needs the OIDC client and the S3 key pair", name)
	}
	child := pulumi.Parent(c)

	// One random password per user. bcryptHash is computed once and kept in
	// state, so the htpasswd file (and the next preview) does not change.
	passwords := pulumi.StringMap{}
	var hashes []any
	for _, user := range s.Users {
		pw, err := random.NewRandomPassword(ctx, name+"-"+user, &random.RandomPasswordArgs{
			Length:  pulumi.Int(s.PasswordLength),
			Special: pulumi.Bool(false),
		}, child)
		if err != nil {
			return nil, err
		}
		passwords[user] = pw.Result
		hashes = append(hashes, pw.BcryptHash)
	}
	users := append([]string(nil), s.Users...)
	htpasswd := pulumi.All(hashes...).ApplyT(func(hs []any) string {
		lines := make([]string, len(hs))
		for i, h := range hs {
			lines[i] = users[i] + ":" + h.(string)
		}
		return strings.Join(lines, "\n") + "\n"
	}).(pulumi.StringOutput)
	c.Passwords = pulumi.ToSecret(passwords.ToStringMapOutput()).(pulumi.StringMapOutput)

	// Session keys: 64 bytes to sign, 32 to encrypt (gorilla/securecookie).
	hashKey, err := random.NewRandomPassword(ctx, name+"-session-hash-key", &random.RandomPasswordArgs{
		Length: pulumi.Int(64), Special: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}
	encryptKey, err := random.NewRandomPassword(ctx, name+"-session-encrypt-key", &random.RandomPasswordArgs{
		Length: pulumi.Int(32), Special: pulumi.Bool(false),
	}, child)
	if err != nil {
		return nil, err
	}

	source, err := corev1.NewSecret(ctx, name+"-push-source", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(SourceSecretName),
			Namespace: args.Namespace,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
		},
		Type: pulumi.String("Opaque"),
		StringData: pulumi.ToSecret(pulumi.StringMap{
			SourceOIDCClientID:      args.OIDCClientID,
			SourceOIDCClientSecret:  args.OIDCClientSecret,
			SourceHtpasswd:          htpasswd,
			SourceS3AccessKeyID:     args.S3AccessKeyID,
			SourceS3SecretAccessKey: args.S3SecretAccessKey,
			SourceSessionHashKey:    hashKey.Result,
			SourceSessionEncryptKey: encryptKey.Result,
		}).(pulumi.StringMapOutput),
	}, child)
	if err != nil {
		return nil, err
	}
	annotations := pulumi.StringMap{}
	if s.WaitForReady {
		annotations[WaitAnnotation] = pulumi.String(WaitReady)
	}
	return apiextensions.NewCustomResource(ctx, name+"-push", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(PushSecretAPIVersion),
		Kind:       pulumi.String(PushSecretKind),
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(name),
			Namespace:   args.Namespace,
			Annotations: annotations,
		},
		OtherFields: kubernetes.UntypedArgs{"spec": toMap(PushSecret(s, SourceSecretName))},
	}, child, pulumi.DependsOn([]pulumi.Resource{source}))
}

func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // typed structs of strings and slices: cannot fail
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}
