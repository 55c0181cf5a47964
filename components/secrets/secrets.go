// Package secrets declares the External Secrets Operator objects that give
// zot its files and keys: the OIDC client (oidc-credentials.json), the
// htpasswd file, the S3 key pair, the session keys and the mirrors'
// upstream logins.
//
// Every value the program has (the OIDC client it registered, the IAM key
// it created, and in push mode the generated htpasswd and session keys) is
// pushed to its remote key with a PushSecret, in every mode; the store
// supplies only the values the program does not know. zot always reads
// through ExternalSecrets, so one path delivers every value and nothing is
// copied by hand.
package secrets

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:secrets:Secrets"

// SourceSecretName is the Secret that holds the values the program pushes.
const SourceSecretName = "zot-registry-push-source"

// Args configures Secrets. The values come from the identity and storage
// components (or config); each one given is pushed to its remote key.
type Args struct {
	Namespace pulumi.StringInput
	Settings  spec.Secrets
	// The OIDC client the identity component registered: always known.
	OIDCClientID     pulumi.StringInput
	OIDCClientSecret pulumi.StringInput
	// zot's S3 key pair when the program has it (storage mode aws, or the
	// secret config keys in push mode); nil when the store holds it.
	S3AccessKeyID     pulumi.StringInput
	S3SecretAccessKey pulumi.StringInput
	// MirrorLogins are the mirrors' upstream logins, read from the store
	// into Settings.SyncSecretName; none: no Secret.
	MirrorLogins []MirrorLogin
	// S3KeyPair: zot reads an S3 key pair (given here or in the store);
	// false when it assumes an IAM role (storage.aws.credentials), so no
	// key pair Secret exists and none is read or pushed.
	S3KeyPair bool
	// OpenID: zot has an OpenID client (identity mode other than none),
	// so the OIDC client Secret exists.
	OpenID bool
	// ReloadsHtpasswd: zot reloads the htpasswd Secret's update by itself
	// (layout.ReloadsMountedHtpasswd); otherwise a new htpasswd restarts
	// zot in secrets mode kubernetes.
	ReloadsHtpasswd bool
}

// Delivery is what zot mounts, ready before the registry starts.
type Delivery struct {
	pulumi.ResourceState

	// Names are the target Secrets, for the Registry's mounts.
	Names layout.SecretNames
	// Ready are what the Helm release depends on: the ExternalSecrets, or
	// in secrets mode kubernetes the Secrets themselves.
	Ready []pulumi.Resource
	// Digest is a keyed digest of the values whose change must restart zot
	// (OIDC client, S3 key pair, session keys, and the robots' passwords
	// where zot does not reload htpasswd) in secrets mode kubernetes, for a
	// pod annotation. Empty with ESO, where secrets.rolloutToken does that.
	Digest pulumi.StringOutput
	// Passwords are the generated htpasswd passwords by user (secret);
	// empty in store mode.
	Passwords pulumi.StringMapOutput
	// Password is each generated password on its own (secret), so a
	// consumer of one does not change when another user is added.
	Password map[string]pulumi.StringOutput
	// Pushed are the source keys the PushSecret writes to the store, in
	// SourceKeys order.
	Pushed []string
}

// NewDelivery declares the source Secret and PushSecret of the values the
// program has (in push mode with the generated ones), then the
// ExternalSecrets that read every value back.
func NewDelivery(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Delivery, error) {
	if args == nil || args.Namespace == nil {
		return nil, fmt.Errorf("secrets %s: args with a Namespace are required", name)
	}
	if !args.Settings.Resolved() {
		return nil, fmt.Errorf("secrets %s: %w", name, spec.ErrUnresolved)
	}
	c := &Delivery{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	c.Names = layout.SecretNames{
		OIDC: s.OIDCSecretName, Htpasswd: s.HtpasswdSecretName, S3: s.S3SecretName, Session: s.SessionSecretName,
	}
	if !args.S3KeyPair {
		if args.S3AccessKeyID != nil {
			return nil, fmt.Errorf("secrets %s: an S3 key pair was given, but S3KeyPair is false (zot assumes a role)", name)
		}
		c.Names.S3 = ""
	}
	if !args.OpenID {
		c.Names.OIDC = ""
	}
	c.Digest = pulumi.String("").ToStringOutput()
	if len(args.MirrorLogins) > 0 {
		c.Names.Sync = s.SyncSecretName
	}
	c.Passwords = pulumi.ToSecret(pulumi.StringMap{}).(pulumi.StringMapOutput)

	values, err := c.values(ctx, name, args)
	if err != nil {
		return nil, err
	}
	if s.UsesESO() {
		err = c.throughESO(ctx, name, args, values)
	} else {
		err = c.direct(ctx, args, values)
	}
	if err != nil {
		return nil, err
	}

	registered := pulumi.Map{
		"oidcSecret":     pulumi.String(c.Names.OIDC),
		"htpasswdSecret": pulumi.String(c.Names.Htpasswd),
		"s3Secret":       pulumi.String(c.Names.S3),
		"sessionSecret":  pulumi.String(c.Names.Session),
		"passwords":      c.Passwords,
		"pushed":         pulumi.ToStringArray(c.Pushed),
	}
	if c.Names.Sync != "" { // only with mirror logins: other stacks' state stays as it was
		registered["syncSecret"] = pulumi.String(c.Names.Sync)
	}
	if err := ctx.RegisterResourceOutputs(c, registered); err != nil {
		return nil, err
	}
	return c, nil
}

// waitAnnotations make pulumi up wait until ESO reports the object Ready.
func waitAnnotations(s spec.Secrets) pulumi.StringMap {
	annotations := pulumi.StringMap{}
	if s.WaitForReady {
		annotations[WaitAnnotation] = pulumi.String(WaitReady)
	}
	return annotations
}

// waitTimeouts bound that wait: a remote key that never arrives fails the
// update after secrets.waitTimeout with ESO's condition message, instead of
// Pulumi's default of 10 minutes per object. The Kubernetes provider takes
// customTimeouts before the pulumi.com/timeoutSeconds annotation
// (pulumi-kubernetes provider/pkg/await/await.go, metadata.TimeoutDuration).
func waitTimeouts(s spec.Secrets) pulumi.ResourceOption {
	t := s.WaitDuration.String()
	return pulumi.Timeouts(&pulumi.CustomTimeouts{Create: t, Update: t})
}

// values are every value the program has, by source key: the OIDC
// client (but in identity mode none; its secret only when the program
// has it), zot's S3 key pair when given, and
// in push and kubernetes modes the generated htpasswd file and session
// keys.
func (c *Delivery) values(ctx *pulumi.Context, name string, args *Args) (pulumi.StringMap, error) {
	s := args.Settings
	switch {
	case args.OpenID && args.OIDCClientID == nil:
		return nil, fmt.Errorf("secrets %s: the OIDC client id is required", name)
	case args.OpenID && args.OIDCClientSecret == nil && !s.UsesESO():
		return nil, fmt.Errorf("secrets %s: mode %s needs the OIDC client secret: no store holds it", name, s.Mode)
	}
	if (args.S3AccessKeyID == nil) != (args.S3SecretAccessKey == nil) {
		return nil, fmt.Errorf("secrets %s: give both halves of the S3 key pair, or neither", name)
	}
	values := pulumi.StringMap{}
	if args.OpenID {
		values[SourceOIDCClientID] = args.OIDCClientID
		if args.OIDCClientSecret != nil { // else the store holds it: read, not pushed
			values[SourceOIDCClientSecret] = args.OIDCClientSecret
		}
	}
	if args.S3AccessKeyID != nil {
		values[SourceS3AccessKeyID] = args.S3AccessKeyID
		values[SourceS3SecretAccessKey] = args.S3SecretAccessKey
	}
	if s.Generates() {
		if args.S3AccessKeyID == nil && args.S3KeyPair {
			return nil, fmt.Errorf("secrets %s: %s mode needs the S3 key pair", name, s.Mode)
		}
		if err := c.generate(ctx, name, s, values, pulumi.Parent(c)); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// throughESO puts the values into a source Secret and pushes them to the
// store, then declares the ExternalSecrets that read every value back.
func (c *Delivery) throughESO(ctx *pulumi.Context, name string, args *Args, values pulumi.StringMap) error {
	s := args.Settings
	child := pulumi.Parent(c)
	for _, k := range SourceKeys {
		if _, ok := values[k]; ok {
			c.Pushed = append(c.Pushed, k)
		}
	}
	if len(c.Pushed) == 0 {
		// Nothing the program knows (identity mode none, the S3 key pair
		// in the store): the store supplies every value, nothing is pushed.
		return c.readBack(ctx, args)
	}
	source, err := corev1.NewSecret(ctx, name+"-push-source", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(SourceSecretName),
			Namespace: args.Namespace,
			Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
		},
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.ToSecret(values.ToStringMapOutput()).(pulumi.StringMapOutput),
	}, child)
	if err != nil {
		return err
	}
	push, err := apiextensions.NewCustomResource(ctx, name+"-push", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(PushSecretAPIVersion),
		Kind:       pulumi.String(PushSecretKind),
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(name),
			Namespace:   args.Namespace,
			Annotations: waitAnnotations(s),
		},
		OtherFields: kubernetes.UntypedArgs{"spec": toMap(PushSecret(s, SourceSecretName, c.Pushed))},
	}, child, pulumi.DependsOn([]pulumi.Resource{source}), waitTimeouts(s))
	if err != nil {
		return err
	}
	// Every ExternalSecret waits for the push: some read the keys it writes.
	return c.readBack(ctx, args, pulumi.DependsOn([]pulumi.Resource{push}))
}

// readBack declares the ExternalSecrets that read every value zot needs.
func (c *Delivery) readBack(ctx *pulumi.Context, args *Args, opts ...pulumi.ResourceOption) error {
	s := args.Settings
	opts = append(opts, pulumi.Parent(c), waitTimeouts(s))
	for _, es := range ExternalSecrets(s, c.Names, args.MirrorLogins) {
		r, err := apiextensions.NewCustomResource(ctx, es.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(ESOAPIVersion),
			Kind:       pulumi.String(ExternalSecretKind),
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(es.Name),
				Namespace:   args.Namespace,
				Annotations: waitAnnotations(s),
				Labels:      pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": toMap(es.Spec)},
		}, opts...)
		if err != nil {
			return err
		}
		c.Ready = append(c.Ready, r)
	}
	return nil
}

// direct writes the Secrets zot mounts itself (secrets mode kubernetes):
// the same names, keys and files as the ExternalSecrets' targets
// (SecretFiles), so config.json and the mounts do not change with the
// mode. The values stay secrets in state.
func (c *Delivery) direct(ctx *pulumi.Context, args *Args, values pulumi.StringMap) error {
	for _, f := range SecretFiles(c.Names) {
		f := f
		// Each Secret from its own values only: a new robot's password,
		// unknown in the preview, changes the htpasswd Secret alone.
		data := valuesOf(values, f.Keys).ApplyT(func(m map[string]string) (map[string]string, error) {
			return f.Data(m)
		}).(pulumi.StringMapOutput)
		sec, err := corev1.NewSecret(ctx, f.Name, &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:      pulumi.String(f.Name),
				Namespace: args.Namespace,
				Labels:    pulumi.StringMap{"app.kubernetes.io/part-of": pulumi.String("zot-registry")},
			},
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.ToSecret(data).(pulumi.StringMapOutput),
		}, pulumi.Parent(c))
		if err != nil {
			return err
		}
		c.Ready = append(c.Ready, sec)
	}
	// Keyed with the session hash key (generated, never shown), so the
	// digest reveals nothing of a value; it may be shown in clear.
	restart, keys := c.restartValues(values, args.ReloadsHtpasswd)
	c.Digest = pulumi.Unsecret(valuesOf(restart, keys).ApplyT(func(m map[string]string) string {
		return StartupDigest(m)
	})).(pulumi.StringOutput)
	return nil
}

// restartValues are the values whose change must restart zot: those it
// reads only at start-up (StartupKeys), and each robot's password where
// zot does not reload the htpasswd Secret by itself. The passwords, not
// the file: that is what a login checks, and a bcrypt line is salted anew
// wherever it is computed again (a preview under mocks).
func (c *Delivery) restartValues(values pulumi.StringMap, reloadsHtpasswd bool) (pulumi.StringMap, []string) {
	out := pulumi.StringMap{}
	for _, k := range StartupKeys {
		if v, ok := values[k]; ok {
			out[k] = v
		}
	}
	if !reloadsHtpasswd {
		for user, pw := range c.Password {
			out[PasswordDigestKey(user)] = pw
		}
	}
	return out, slices.Sorted(maps.Keys(out))
}

// valuesOf is the values of keys (those present) as one output.
func valuesOf(values pulumi.StringMap, keys []string) pulumi.Output {
	var have []string
	var ins []any
	for _, k := range keys {
		if v, ok := values[k]; ok {
			have = append(have, k)
			ins = append(ins, v)
		}
	}
	return pulumi.All(ins...).ApplyT(func(vs []any) map[string]string {
		m := make(map[string]string, len(vs))
		for i, v := range vs {
			m[have[i]] = v.(string)
		}
		return m
	})
}

// generate makes push mode's values: one random password per htpasswd user
// and the session keys, added to values.
func (c *Delivery) generate(ctx *pulumi.Context, name string, s spec.Secrets, values pulumi.StringMap, child pulumi.ResourceOption) error {
	// bcryptHash is computed once and kept in state, so the htpasswd file
	// (and the next preview) does not change.
	passwords := pulumi.StringMap{}
	var hashes []any
	for _, user := range s.Users.Names() {
		pw, err := random.NewRandomPassword(ctx, name+"-"+user, &random.RandomPasswordArgs{
			Length:  pulumi.Int(s.PasswordLength),
			Special: pulumi.Bool(false),
		}, child)
		if err != nil {
			return err
		}
		passwords[user] = pw.Result
		if c.Password == nil {
			c.Password = map[string]pulumi.StringOutput{}
		}
		c.Password[user] = pw.Result
		hashes = append(hashes, pw.BcryptHash)
	}
	users := s.Users.Names()
	values[SourceHtpasswd] = pulumi.All(hashes...).ApplyT(func(hs []any) string {
		lines := make([]string, len(hs))
		for i, h := range hs {
			lines[i] = users[i] + ":" + h.(string)
		}
		return strings.Join(lines, "\n") + "\n"
	}).(pulumi.StringOutput)
	c.Passwords = pulumi.ToSecret(passwords.ToStringMapOutput()).(pulumi.StringMapOutput)

	// Session keys: 64 bytes to sign, 32 to encrypt (gorilla/securecookie;
	// zot refuses an encryptKey that is not 16, 24 or 32 bytes).
	for _, k := range []struct {
		source string
		length int
	}{{SourceSessionHashKey, 64}, {SourceSessionEncryptKey, 32}} {
		// Resource names as before: name-session-hash-key, name-session-encrypt-key.
		pw, err := random.NewRandomPassword(ctx, name+"-"+k.source, &random.RandomPasswordArgs{
			Length: pulumi.Int(k.length), Special: pulumi.Bool(false),
		}, child)
		if err != nil {
			return err
		}
		values[k.source] = pw.Result
	}
	return nil
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
