package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// zot-registry:secrets: the Kubernetes Secrets zot mounts and where their
// values live.

// Secrets is zot-registry:secrets: the Kubernetes Secrets zot mounts. Their
// keys are fixed by the layout package.
type Secrets struct {
	Mode            string   `json:"mode" pulumi:"mode,optional"`
	Store           StoreRef `json:"store" pulumi:"store"`
	RefreshInterval string   `json:"refreshInterval" pulumi:"refreshInterval,optional"`
	WaitForReady    bool     `json:"waitForReady" pulumi:"waitForReady,optional"`
	// WaitTimeout bounds how long pulumi up waits for each ExternalSecret
	// and PushSecret to become Ready before it fails with ESO's message.
	WaitTimeout string     `json:"waitTimeout" pulumi:"waitTimeout,optional"`
	RemoteKeys  RemoteKeys `json:"remoteKeys" pulumi:"remoteKeys"`
	// RemoteProperty is the field inside each remote key, for every remote
	// key that names none (Vault: the field of `vault kv put KEY value=…`).
	RemoteProperty     string `json:"remoteProperty" pulumi:"remoteProperty,optional"`
	OIDCSecretName     string `json:"oidcSecretName" pulumi:"oidcSecretName,optional"`
	HtpasswdSecretName string `json:"htpasswdSecretName" pulumi:"htpasswdSecretName,optional"`
	S3SecretName       string `json:"s3SecretName" pulumi:"s3SecretName,optional"`
	SessionSecretName  string `json:"sessionSecretName" pulumi:"sessionSecretName,optional"`
	// SyncSecretName holds the mirrors' upstream logins (registry.mirrors[].credentials).
	SyncSecretName string `json:"syncSecretName" pulumi:"syncSecretName,optional"`
	// Push mode: htpasswd users (robots), each with a generated password.
	Users          Users `json:"users" pulumi:"users,optional"`
	PasswordLength int   `json:"passwordLength" pulumi:"passwordLength,optional"`
	// RolloutToken goes into a pod annotation: change it to restart zot
	// after a rotated OIDC client or session keys (zot reads those files
	// only at start-up; it reloads htpasswd by itself).
	RolloutToken string `json:"rolloutToken" pulumi:"rolloutToken,optional"`

	// Derived by Resolve; not a config key.
	WaitDuration time.Duration `json:"-"`
	// resolved: Resolve made this section (see Resolved).
	resolved bool
}

// User is an htpasswd user push and kubernetes modes generate a password for. In config
// it is a name (role push) or {name, role}.
type User struct {
	Name string `json:"name" pulumi:"name"`
	// Role push (the default) has what accessControl gives the name; role
	// pull is a read-only robot, for image pull secrets: the program gives
	// it read on every repository and refuses it anywhere else.
	Role string `json:"role,omitempty" pulumi:"role,optional"`
}

// The robot roles.
const (
	RolePush = "push"
	RolePull = "pull"
)

var roles = []string{RolePush, RolePull}

// UnmarshalJSON accepts "name" as well as {"name": …, "role": …}.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User // no UnmarshalJSON: no recursion
	*u = User{}     // the value replaces any default, as a string does
	return stringOrObject(b, (*plain)(u), func(name string) { *u = User{Name: name} })
}

// stringOrObject decodes a config value written either as a string (short
// for the object's first field) or as the object itself into obj, a
// pointer to a type without UnmarshalJSON.
func stringOrObject(b []byte, obj any, fromString func(string)) error {
	var v string
	if err := json.Unmarshal(b, &v); err == nil {
		fromString(v)
		return nil
	}
	return json.Unmarshal(b, obj)
}

// Users are the htpasswd users push and kubernetes modes generate.
type Users []User

// Names are the users' names, in order.
func (us Users) Names() []string { return us.names(func(User) bool { return true }) }

// Pull are the names of the pull robots, in order.
func (us Users) Pull() []string { return us.names(func(u User) bool { return u.Role == RolePull }) }

// Has reports whether name is one of the users.
func (us Users) Has(name string) bool { return slices.Contains(us.Names(), name) }

func (us Users) names(keep func(User) bool) []string {
	var out []string
	for _, u := range us {
		if keep(u) {
			out = append(out, u.Name)
		}
	}
	return out
}

// Secret delivery modes.
const (
	SecretsStore = "store" // the values already live in the secret store
	SecretsPush  = "push"  // the program generates them and pushes them there
	// SecretsKubernetes: no ESO; the program writes the Kubernetes Secrets
	// zot mounts itself, from the values it generates or is given.
	SecretsKubernetes = "kubernetes"
)

// SecretsModes lists the modes.
var SecretsModes = []string{SecretsStore, SecretsPush, SecretsKubernetes}

// Generates reports whether the program makes the htpasswd users'
// passwords and the session keys (push and kubernetes modes).
func (s Secrets) Generates() bool { return s.Mode == SecretsPush || s.Mode == SecretsKubernetes }

// UsesESO reports whether the values reach zot through External Secrets.
func (s Secrets) UsesESO() bool { return s.Mode != SecretsKubernetes }

// StoreRef names the External Secrets Operator store.
type StoreRef struct {
	Name string `json:"name" pulumi:"name,optional"`
	Kind string `json:"kind" pulumi:"kind,optional"`
}

// RemoteKeys are the keys in the secret store's backend.
type RemoteKeys struct {
	OIDCClientID      RemoteKey `json:"oidcClientId" pulumi:"oidcClientId"`
	OIDCClientSecret  RemoteKey `json:"oidcClientSecret" pulumi:"oidcClientSecret"`
	Htpasswd          RemoteKey `json:"htpasswd" pulumi:"htpasswd"`
	S3AccessKeyID     RemoteKey `json:"s3AccessKeyId" pulumi:"s3AccessKeyId"`
	S3SecretAccessKey RemoteKey `json:"s3SecretAccessKey" pulumi:"s3SecretAccessKey"`
	SessionHashKey    RemoteKey `json:"sessionHashKey" pulumi:"sessionHashKey"`
	SessionEncryptKey RemoteKey `json:"sessionEncryptKey" pulumi:"sessionEncryptKey"`
}

// NamedRemoteKey is one remote key with its config field name.
type NamedRemoteKey struct {
	Field string // e.g. htpasswd
	Value string // the value's name in its default key, e.g. htpasswd
	*RemoteKey
}

// All lists the remote keys in a fixed order, by config field name; the
// entries point into k.
func (k *RemoteKeys) All() []NamedRemoteKey {
	return []NamedRemoteKey{
		{"oidcClientId", "oidc-client-id", &k.OIDCClientID},
		{"oidcClientSecret", "oidc-client-secret", &k.OIDCClientSecret},
		{"htpasswd", "htpasswd", &k.Htpasswd},
		{"s3AccessKeyId", "s3-access-key-id", &k.S3AccessKeyID},
		{"s3SecretAccessKey", "s3-secret-access-key", &k.S3SecretAccessKey},
		{"sessionHashKey", "session-hash-key", &k.SessionHashKey},
		{"sessionEncryptKey", "session-encrypt-key", &k.SessionEncryptKey},
	}
}

// DefaultRemoteKey is the key of a value the stack names no key for:
// zot-<stack>-<value>. The stack name keeps two stacks on one store apart
// (a copied stack file would otherwise push over the other's values).
func DefaultRemoteKey(stack, value string) string { return "zot-" + stack + "-" + value }

// RemoteKey is where one value lives in the secret store: the key and,
// for stores that keep several fields under one key (Vault, the
// kubernetes provider, JSON secrets in AWS Secrets Manager), the field.
// Without a property ESO hands over the whole key as JSON.
//
// In config it is either a string (the key) or {key, property}.
type RemoteKey struct {
	Key      string `json:"key" pulumi:"key,optional"`
	Property string `json:"property,omitempty" pulumi:"property,optional"`
}

// UnmarshalJSON accepts "key" as well as {"key": …, "property": …}.
func (r *RemoteKey) UnmarshalJSON(b []byte) error {
	type plain RemoteKey // no UnmarshalJSON: no recursion
	*r = RemoteKey{}     // the value replaces any default, as a string does
	return stringOrObject(b, (*plain)(r), func(key string) { *r = RemoteKey{Key: key} })
}

// check reports a key or property with surrounding white space (neither
// ever matches the store). keyFix says what to write instead of the key.
// It reports whether the key is usable.
func (r RemoteKey) check(c Collector, field, keyFix string) bool {
	if strings.TrimSpace(r.Key) != r.Key {
		c.Add(field, fmt.Sprintf("%q has leading or trailing white space", r.Key), "%s", keyFix)
		return false
	}
	if strings.TrimSpace(r.Property) != r.Property {
		c.Add(field+".property", fmt.Sprintf("%q has leading or trailing white space", r.Property), "name the field inside the remote key, e.g. value")
	}
	return true
}

// withDefaults is the key as the store is asked for it: the default key
// when it names none, secrets.remoteProperty when it names no property.
func (r RemoteKey) withDefaults(defaultKey, defaultProperty string) RemoteKey {
	if r.Key == "" {
		r.Key = defaultKey
	}
	if r.Property == "" {
		r.Property = defaultProperty
	}
	return r
}

// String is key or key#property, for messages.
func (r RemoteKey) String() string {
	if r.Property == "" {
		return r.Key
	}
	return r.Key + "#" + r.Property
}

// The ESO store kinds: one for the cluster, or one in zot's namespace.
const (
	ClusterSecretStore = "ClusterSecretStore"
	SecretStore        = "SecretStore"
)

var storeKinds = []string{ClusterSecretStore, SecretStore}

func validateSecrets(cfg *Settings, src Source, c Collector) {
	s := &cfg.Secrets
	validateSecretNames(cfg, c)
	if !validMode(c, s.Mode, SecretsModes, "secrets") {
		return
	}
	if !s.UsesESO() {
		validateWithoutESO(cfg, src, c)
		return
	}
	validateStore(s, c)
	validateRemoteKeys(cfg, c)
	validateUsers(s, c)
	if s.Mode != SecretsPush {
		if len(s.Users) > 0 {
			c.Add("users", "is set, but store mode generates nothing", "remove it (the htpasswd file comes from the store), or use mode push")
		}
		return
	}
	validateGenerated(cfg, src, c)
}

// validateSecretNames: the chart mounts the OIDC, htpasswd and session
// Secrets as volumes named after them (a DNS-1123 label); zot reads the S3
// one through env.
func validateSecretNames(cfg *Settings, c Collector) {
	s := &cfg.Secrets
	names := []struct {
		field, v string
		mounted  bool
	}{
		{"oidcSecretName", s.OIDCSecretName, true},
		{"htpasswdSecretName", s.HtpasswdSecretName, true},
		{"s3SecretName", s.S3SecretName, false},
		{"sessionSecretName", s.SessionSecretName, true},
		{"syncSecretName", s.SyncSecretName, true},
	}
	chartVolumes := layout.ChartVolumes(cfg.Registry.ReleaseName)
	seen := map[string]string{}
	for _, n := range names {
		switch {
		case n.mounted && (len(n.v) > 63 || !dnsLabel.MatchString(n.v)):
			c.Add(n.field, fmt.Sprintf("%q is not a valid volume name; the chart mounts this Secret as a pod volume named after it", n.v),
				"use lowercase letters, digits and '-' (no dots), at most 63 characters")
			continue
		case !n.mounted && (len(n.v) > 253 || !dnsSubdomain.MatchString(n.v)):
			c.Add(n.field, fmt.Sprintf("%q is not a valid Secret name", n.v), "use lowercase letters, digits, '-' and '.'")
			continue
		case n.mounted && slices.Contains(chartVolumes, n.v):
			c.Add(n.field, fmt.Sprintf("%q is the name of one of the chart's own pod volumes (%s) for release %q", n.v, strings.Join(chartVolumes, ", "), cfg.Registry.ReleaseName),
				"choose another name, e.g. zot-htpasswd")
			continue
		}
		if other, dup := seen[n.v]; dup {
			c.Add(n.field, fmt.Sprintf("%q is also %s; each Secret is mounted on its own folder", n.v, other), "give each Secret its own name")
		}
		seen[n.v] = n.field
	}
}

// validateStore: the ESO store, how often it is read and how long an up
// waits for it.
func validateStore(s *Secrets, c Collector) {
	if strings.TrimSpace(s.Store.Name) == "" {
		c.Add("store.name", "is empty", "name the External Secrets Operator store zot's secrets live in")
	} else if !dnsSubdomain.MatchString(s.Store.Name) {
		c.Add("store.name", fmt.Sprintf("%q is not a valid store name", s.Store.Name), "use the name shown by kubectl get clustersecretstore")
	}
	oneOf(c, "store.kind", s.Store.Kind, storeKinds)
	if d, err := time.ParseDuration(s.RefreshInterval); err != nil || d < 0 {
		c.Add("refreshInterval", fmt.Sprintf("%q is not a duration", s.RefreshInterval), "use a Go duration such as 1h or 15m (0 reads once)")
	}
	if d, err := time.ParseDuration(s.WaitTimeout); err != nil || d < MinWaitTimeout {
		c.Add("waitTimeout", fmt.Sprintf("%q is not a duration of at least %s", s.WaitTimeout, MinWaitTimeout), "use a Go duration such as 5m (default %s)", DefaultWaitTimeout)
	}
	if strings.TrimSpace(s.RemoteProperty) != s.RemoteProperty {
		c.Add("remoteProperty", fmt.Sprintf("%q has leading or trailing white space", s.RemoteProperty), "name the field inside each remote key, e.g. value")
	}
}

// validateRemoteKeys: each remote key read, well formed, and feeding one
// value.
func validateRemoteKeys(cfg *Settings, c Collector) {
	s := &cfg.Secrets
	seen := map[RemoteKey]string{}
	for _, r := range s.RemoteKeys.All() {
		field := "remoteKeys." + r.Field
		// Set by the stack: a key or property other than the default.
		set := r.Key != "" && r.Key != DefaultRemoteKey(cfg.Environment, r.Value) || r.Property != "" && r.Property != s.RemoteProperty
		if why := cfg.UnreadRemoteKey(r.Field); why != "" && set {
			c.Add(field, "is set, but "+why+", so nothing reads it", "remove it")
		}
		if !r.check(c, field, fmt.Sprintf("name the key in the secret store, or remove it for the default zot-<stack>-%s", r.Value)) {
			continue
		}
		key := r.withDefaults(DefaultRemoteKey(cfg.Environment, r.Value), s.RemoteProperty)
		if other, dup := seen[key]; dup {
			c.Add(field, fmt.Sprintf("%q is also %s; one remote key would feed two values", key.String(), other), "give each value its own remote key or property")
		}
		seen[key] = field
	}
}

// UnreadRemoteKey says why zot reads no value from the remote-key field
// (secrets.remoteKeys.<field>), or "" when it reads it.
func (c *Settings) UnreadRemoteKey(field string) string {
	switch field {
	case "oidcClientId", "oidcClientSecret":
		if !c.Identity.OpenID() {
			return "identity mode none has no OpenID client"
		}
	case "s3AccessKeyId", "s3SecretAccessKey":
		if !c.Storage.KeyPairFromStore() {
			return "zot assumes an IAM role (storage.aws.credentials " + c.Storage.AWS.Credentials + ")"
		}
	}
	return ""
}

// validateWithoutESO: secrets mode kubernetes writes the Secrets itself,
// so the store's settings would be ignored; each one set is an error.
func validateWithoutESO(cfg *Settings, src Source, c Collector) {
	s := &cfg.Secrets
	d := Defaults(cfg.Environment).Secrets
	const fix = "remove it: secrets mode kubernetes writes zot's Secrets without External Secrets Operator"
	if s.Store != d.Store {
		c.Add("store", "is set, but secrets mode kubernetes uses no secret store", fix)
	}
	if s.RemoteKeys != d.RemoteKeys {
		c.Add("remoteKeys", "is set, but secrets mode kubernetes reads no remote keys", fix)
	}
	if s.RemoteProperty != "" {
		c.Add("remoteProperty", "is set, but secrets mode kubernetes reads no remote keys", fix)
	}
	validateUsers(s, c)
	validateGenerated(cfg, src, c)
}

// validateUsers checks the htpasswd users' names and roles.
func validateUsers(s *Secrets, c Collector) {
	seenUser := map[string]bool{}
	for i, u := range s.Users {
		field := fmt.Sprintf("users[%d]", i)
		switch {
		case strings.TrimSpace(u.Name) == "":
			c.Add(field, "is empty", "name the htpasswd user, e.g. ci-pusher")
		case strings.ContainsAny(u.Name, ": \t\n"):
			c.Add(field, fmt.Sprintf("%q contains ':' or white space, which breaks the htpasswd line", u.Name), "use letters, digits, '-', '_' or '.'")
		case seenUser[u.Name]:
			c.Add(field, fmt.Sprintf("%q is listed twice", u.Name), "remove the duplicate")
		}
		seenUser[u.Name] = true
		if u.Role != "" { // empty: push (resolveSecrets)
			oneOf(c, field+".role", u.Role, roles)
		}
	}
}

// validateGenerated checks what push and kubernetes modes generate from.
func validateGenerated(cfg *Settings, src Source, c Collector) {
	s := &cfg.Secrets
	if len(s.Users) == 0 {
		c.Add("users", "is empty; "+s.Mode+" mode generates the htpasswd file and nobody could docker login", "list at least one user, e.g. [ci-pusher]")
	}
	if s.PasswordLength < 16 {
		c.Add("passwordLength", fmt.Sprintf("%d is too short for a generated password", s.PasswordLength), "use 16 or more (default 32)")
	}
	if cfg.NeedsS3KeyPair() {
		for _, k := range []string{KeyS3AccessKeyID, KeyS3SecretAccessKey} {
			c.secret(src, k, true, "secrets mode "+s.Mode+" delivers zot's S3 key, which only storage mode aws creates")
		}
	}
}

// secretsSettings declare the settings whose fields this file holds (declare.go).
var secretsSettings = []Setting{
	{Keys: []string{"secrets.mode"}, Default: SecretsStore,
		Doc: "`store` (the store supplies what the program does not know, and must accept writes of what it knows: [the push rule](secrets.md#what-the-program-writes-to-the-store)), `push` (passwords and keys generated and pushed too) or `kubernetes` (no ESO: the program writes the Secrets; `store`, `remoteKeys`, `remoteProperty` and mirror `credentials` do not apply; [without ESO](secrets.md#without-external-secrets-operator))."},
	{Keys: []string{"secrets.store.name"}, Shown: "modes `store` and `push`: required",
		Doc: "Name of the ESO store."},
	{Keys: []string{"secrets.store.kind"}, Default: ClusterSecretStore,
		Doc: "`ClusterSecretStore` or `SecretStore` (in the zot namespace)."},
	{Keys: []string{"secrets.refreshInterval"}, Default: "1h",
		Doc: "How often ESO re-reads the store (Go duration; `0` reads once)."},
	{Keys: []string{"secrets.waitForReady"}, Default: true,
		Doc: "`pulumi up` waits for each ExternalSecret and the PushSecret to be Ready."},
	{Keys: []string{"secrets.waitTimeout"}, Default: DefaultWaitTimeout,
		Doc: "How long `pulumi up` waits for each before failing with ESO's condition (Go duration, at least `30s`)."},
	{Keys: []string{"secrets.remoteKeys.oidcClientId", "secrets.remoteKeys.oidcClientSecret", "secrets.remoteKeys.htpasswd", "secrets.remoteKeys.s3AccessKeyId", "secrets.remoteKeys.s3SecretAccessKey", "secrets.remoteKeys.sessionHashKey", "secrets.remoteKeys.sessionEncryptKey"}, Shown: "`zot-<stack>-oidc-client-id`, `zot-<stack>-oidc-client-secret`, `zot-<stack>-htpasswd`, `zot-<stack>-s3-access-key-id`, `zot-<stack>-s3-secret-access-key`, `zot-<stack>-session-hash-key`, `zot-<stack>-session-encrypt-key`",
		Doc: "Where each value lives in the store: a key, or `{key, property}`; empty is the default. Pairs distinct, without surrounding white space. Setting the OIDC keys with identity mode `none`, or the S3 keys with an IAM role, is an error ([old defaults](secrets.md#secrets-and-stores))."},
	{Keys: []string{"secrets.remoteProperty"}, Shown: "empty",
		Doc: "The field inside each remote key that names no `property` (`remoteRef.property`); `value` for Vault's `vault kv put KEY value=…`."},
	{Keys: []string{"secrets.oidcSecretName", "secrets.htpasswdSecretName", "secrets.s3SecretName", "secrets.sessionSecretName", "secrets.syncSecretName"}, Default: PerKey{DefaultOIDCSecretName, DefaultHtpasswdSecret, DefaultS3SecretName, "zot-session", DefaultSyncSecretName}, Shown: "`zot-oidc`, `zot-htpasswd`, `zot-s3`, `zot-session`, `zot-sync` (only with `registry.mirrors[].credentials`)",
		Doc: "The Secrets zot reads; distinct. The OIDC, htpasswd and session names are DNS-1123 labels (no dots, at most 63 characters), not `<releaseName>-config`, `-secret`, `-pvc` or `data`."},
	{Keys: []string{"secrets.users"},
		Doc: "Modes `push` and `kubernetes`: htpasswd users to generate (at least one; distinct; no `:` or spaces), each a name (role `push`: what `registry.accessControl` gives it) or `{name, role}`; role `pull` reads every repository and may not be in `accessControl.adminUsers` or `metrics.users` ([robots by role](secrets.md#robots-by-role))."},
	{Keys: []string{"secrets.passwordLength"}, Default: 32,
		Doc: "Modes `push` and `kubernetes`: length of generated passwords (at least 16)."},
	{Keys: []string{"secrets.rolloutToken"}, Shown: "empty",
		Doc: "Change it to restart zot after rotating the OIDC client, session or S3 keys, or a new htpasswd in the store (zot before v2.1.21 keeps its start-up users)."},
}
