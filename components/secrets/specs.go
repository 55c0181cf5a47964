package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// External Secrets Operator API versions this program writes.
const (
	ESOAPIVersion        = "external-secrets.io/v1"
	PushSecretAPIVersion = "external-secrets.io/v1alpha1"
	ExternalSecretKind   = "ExternalSecret"
	PushSecretKind       = "PushSecret"
	// WaitAnnotation makes pulumi up wait until ESO has synced the Secret,
	// and fail with ESO's message when a remote key is missing.
	WaitAnnotation = "pulumi.com/waitFor"
	WaitReady      = "condition=Ready"
)

// The templates build JSON with the template engine's own functions, so a
// value with quotes, backslashes or newlines still gives valid JSON with
// the same value (the walk-through pasted values between quotes).
const (
	OIDCTemplate    = `{{ dict "clientid" .clientid "clientsecret" .clientsecret | toJson }}`
	SessionTemplate = `{{ dict "hashKey" .hashKey "encryptKey" .encryptKey | toJson }}`
)

// ExternalSecretSpec is the spec of an external-secrets.io/v1 ExternalSecret.
type ExternalSecretSpec struct {
	RefreshInterval string      `json:"refreshInterval"`
	SecretStoreRef  StoreRef    `json:"secretStoreRef"`
	Target          Target      `json:"target"`
	Data            []DataEntry `json:"data"`
}

type StoreRef struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type Target struct {
	Name           string    `json:"name"`
	CreationPolicy string    `json:"creationPolicy"`
	Template       *Template `json:"template,omitempty"`
}

type Template struct {
	EngineVersion string            `json:"engineVersion"`
	Data          map[string]string `json:"data"`
}

type DataEntry struct {
	SecretKey string    `json:"secretKey"`
	RemoteRef RemoteRef `json:"remoteRef"`
}

type RemoteRef struct {
	Key string `json:"key"`
	// Property is the field inside the remote key; without it ESO returns
	// the whole key as JSON (Vault, kubernetes provider), which zot cannot read.
	Property string `json:"property,omitempty"`
}

// ExternalSecret is one ExternalSecret to declare.
type ExternalSecret struct {
	Name string // also the target Secret's name
	Spec ExternalSecretSpec
}

// MirrorLogin is one mirror's upstream login: the host zot's credentials
// file is keyed by, and where the username and password live in the store.
type MirrorLogin struct {
	Host               string
	Username, Password spec.RemoteKey
}

// MirrorLogins are the logins of the mirrors that have one.
func MirrorLogins(ms []spec.Mirror) []MirrorLogin {
	var out []MirrorLogin
	for _, m := range ms {
		if m.Credentials != nil {
			out = append(out, MirrorLogin{Host: m.Host, Username: m.Credentials.Username, Password: m.Credentials.Password})
		}
	}
	return out
}

// SyncTemplate is zot's sync credentials file from the logins' Secret keys
// mirror<i>-username and mirror<i>-password: {"<host>": {"username": …,
// "password": …}}, built by the template engine so that any value stays
// valid JSON. The hosts are validated URL hosts; %q makes each a template
// string literal.
func SyncTemplate(logins []MirrorLogin) string {
	var b strings.Builder
	b.WriteString("{{ dict")
	for i, l := range logins {
		fmt.Fprintf(&b, ` %q (dict "username" (index . %q) "password" (index . %q))`, l.Host, loginKey(i, "username"), loginKey(i, "password"))
	}
	b.WriteString(" | toJson }}")
	return b.String()
}

// storedDuration is a duration as ESO stores it: its API types are
// metav1.Duration, which marshals in Go's own form (1h becomes 1h0m0s).
// ESO (v0.20.4 measured) writes the whole object back when it adds its
// finalizer, so a value in any other form changes in the cluster, and
// pulumi preview --refresh (the drift check) reports it every day.
func storedDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s // validation refuses it before any resource exists
	}
	return d.String()
}

func loginKey(i int, field string) string { return fmt.Sprintf("mirror%d-%s", i, field) }

// ExternalSecrets returns the ExternalSecrets zot needs: one per Secret in
// names that is set (the S3 key pair's is empty when zot assumes an IAM
// role), and the mirrors' logins when there are any. Target names come
// from config, target keys from the layout package: the same constants
// the Helm values mount and zot's config names.
func ExternalSecrets(s spec.Secrets, names layout.SecretNames, logins []MirrorLogin) []ExternalSecret {
	k := s.RemoteKeys
	es := func(name string, tmpl map[string]string, data ...DataEntry) ExternalSecret {
		spec := ExternalSecretSpec{
			RefreshInterval: storedDuration(s.RefreshInterval),
			SecretStoreRef:  StoreRef{Name: s.Store.Name, Kind: s.Store.Kind},
			Target:          Target{Name: name, CreationPolicy: "Owner"},
			Data:            data,
		}
		if tmpl != nil {
			spec.Target.Template = &Template{EngineVersion: "v2", Data: tmpl}
		}
		return ExternalSecret{Name: name, Spec: spec}
	}
	entry := func(secretKey string, remote spec.RemoteKey) DataEntry {
		return DataEntry{SecretKey: secretKey, RemoteRef: RemoteRef{Key: remote.Key, Property: remote.Property}}
	}
	var out []ExternalSecret
	if names.OIDC != "" {
		out = append(out, es(names.OIDC, map[string]string{layout.OIDCCredentialsKey: OIDCTemplate},
			entry("clientid", k.OIDCClientID), entry("clientsecret", k.OIDCClientSecret)))
	}
	out = append(out, es(names.Htpasswd, nil, entry(layout.HtpasswdKey, k.Htpasswd)))
	if names.S3 != "" {
		out = append(out, es(names.S3, nil,
			entry(layout.S3AccessKeyIDKey, k.S3AccessKeyID), entry(layout.S3SecretAccessKeyKey, k.S3SecretAccessKey)))
	}
	out = append(out, es(names.Session, map[string]string{layout.SessionKeysKey: SessionTemplate},
		entry("hashKey", k.SessionHashKey), entry("encryptKey", k.SessionEncryptKey)))
	if len(logins) > 0 {
		var data []DataEntry
		for i, l := range logins {
			data = append(data, entry(loginKey(i, "username"), l.Username), entry(loginKey(i, "password"), l.Password))
		}
		out = append(out, es(s.SyncSecretName, map[string]string{layout.SyncCredentialsKey: SyncTemplate(logins)}, data...))
	}
	return out
}

// Keys of the push-mode source Secret: Kubernetes-safe names, whatever the
// remote keys look like.
const (
	SourceOIDCClientID      = "oidc-client-id"
	SourceOIDCClientSecret  = "oidc-client-secret"
	SourceHtpasswd          = "htpasswd"
	SourceS3AccessKeyID     = "s3-access-key-id"
	SourceS3SecretAccessKey = "s3-secret-access-key"
	SourceSessionHashKey    = "session-hash-key"
	SourceSessionEncryptKey = "session-encrypt-key"
)

// PushSecretSpec is the spec of an external-secrets.io/v1alpha1 PushSecret.
type PushSecretSpec struct {
	RefreshInterval string     `json:"refreshInterval"`
	UpdatePolicy    string     `json:"updatePolicy"`
	DeletionPolicy  string     `json:"deletionPolicy"`
	SecretStoreRefs []StoreRef `json:"secretStoreRefs"`
	Selector        Selector   `json:"selector"`
	Data            []PushData `json:"data"`
}

type Selector struct {
	Secret SecretSelector `json:"secret"`
}

type SecretSelector struct {
	Name string `json:"name"`
}

type PushData struct {
	Match PushMatch `json:"match"`
}

type PushMatch struct {
	SecretKey string        `json:"secretKey"`
	RemoteRef PushRemoteRef `json:"remoteRef"`
}

type PushRemoteRef struct {
	RemoteKey string `json:"remoteKey"`
	Property  string `json:"property,omitempty"`
}

// SourceKeys lists the source Secret's keys in a fixed order.
var SourceKeys = []string{
	SourceOIDCClientID, SourceOIDCClientSecret, SourceHtpasswd, SourceS3AccessKeyID,
	SourceS3SecretAccessKey, SourceSessionHashKey, SourceSessionEncryptKey,
}

// RemoteFor is the remote key a source key is pushed to.
func RemoteFor(k spec.RemoteKeys, sourceKey string) spec.RemoteKey {
	return map[string]spec.RemoteKey{
		SourceOIDCClientID:      k.OIDCClientID,
		SourceOIDCClientSecret:  k.OIDCClientSecret,
		SourceHtpasswd:          k.Htpasswd,
		SourceS3AccessKeyID:     k.S3AccessKeyID,
		SourceS3SecretAccessKey: k.S3SecretAccessKey,
		SourceSessionHashKey:    k.SessionHashKey,
		SourceSessionEncryptKey: k.SessionEncryptKey,
	}[sourceKey]
}

// PushSecret returns the spec that pushes the given source keys (in
// SourceKeys order) to their remote keys.
func PushSecret(s spec.Secrets, sourceSecret string, pushed []string) PushSecretSpec {
	var data []PushData
	for _, src := range SourceKeys {
		if !slices.Contains(pushed, src) {
			continue
		}
		r := RemoteFor(s.RemoteKeys, src)
		data = append(data, PushData{Match: PushMatch{SecretKey: src, RemoteRef: PushRemoteRef{RemoteKey: r.Key, Property: r.Property}}})
	}
	return PushSecretSpec{
		RefreshInterval: storedDuration(s.RefreshInterval),
		// The program owns these values: overwrite, and leave them in the
		// store when the PushSecret goes (zot may still be reading them).
		UpdatePolicy:    "Replace",
		DeletionPolicy:  "None",
		SecretStoreRefs: []StoreRef{{Name: s.Store.Name, Kind: s.Store.Kind}},
		Selector:        Selector{Secret: SecretSelector{Name: sourceSecret}},
		Data:            data,
	}
}

// SecretFile is one Secret zot mounts or reads, written by the program in
// secrets mode kubernetes: its name, the source keys it is made of, and
// its data from their values.
type SecretFile struct {
	Name string
	Keys []string
	Data func(values map[string]string) (map[string]string, error)
}

// SecretFiles are the Secrets of names that are set, with the keys and
// file formats the ExternalSecrets' targets have: the OIDC client as
// {"clientid","clientsecret"} and the session keys as
// {"encryptKey","hashKey"}, compact with sorted keys, as the templates'
// toJson writes them (OIDCTemplate, SessionTemplate).
func SecretFiles(names layout.SecretNames) []SecretFile {
	var out []SecretFile
	if names.OIDC != "" {
		out = append(out, SecretFile{names.OIDC, []string{SourceOIDCClientID, SourceOIDCClientSecret}, func(v map[string]string) (map[string]string, error) {
			doc, err := json.Marshal(map[string]string{"clientid": v[SourceOIDCClientID], "clientsecret": v[SourceOIDCClientSecret]})
			return map[string]string{layout.OIDCCredentialsKey: string(doc)}, err
		}})
	}
	out = append(out, SecretFile{names.Htpasswd, []string{SourceHtpasswd}, func(v map[string]string) (map[string]string, error) {
		return map[string]string{layout.HtpasswdKey: v[SourceHtpasswd]}, nil
	}})
	if names.S3 != "" {
		out = append(out, SecretFile{names.S3, []string{SourceS3AccessKeyID, SourceS3SecretAccessKey}, func(v map[string]string) (map[string]string, error) {
			return map[string]string{layout.S3AccessKeyIDKey: v[SourceS3AccessKeyID], layout.S3SecretAccessKeyKey: v[SourceS3SecretAccessKey]}, nil
		}})
	}
	out = append(out, SecretFile{names.Session, []string{SourceSessionHashKey, SourceSessionEncryptKey}, func(v map[string]string) (map[string]string, error) {
		doc, err := json.Marshal(map[string]string{"hashKey": v[SourceSessionHashKey], "encryptKey": v[SourceSessionEncryptKey]})
		return map[string]string{layout.SessionKeysKey: string(doc)}, err
	}})
	return out
}

// StartupKeys are the source keys zot reads only at start-up: the OIDC
// client, the S3 key pair, the session keys.
var StartupKeys = []string{SourceOIDCClientID, SourceOIDCClientSecret, SourceS3AccessKeyID, SourceS3SecretAccessKey, SourceSessionHashKey, SourceSessionEncryptKey}

// PasswordDigestKey is the key of a robot's password among the values
// StartupDigest reads, where zot does not reload the htpasswd Secret.
func PasswordDigestKey(user string) string { return SourceHtpasswd + "/" + user }

// StartupDigest is a digest of the values whose change must restart zot
// (each key of values, in order), keyed with the generated session hash
// key so that it says nothing about any value.
func StartupDigest(values map[string]string) string {
	mac := hmac.New(sha256.New, []byte(values[SourceSessionHashKey]))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		fmt.Fprintf(mac, "%s=%d:%s\n", k, len(values[k]), values[k])
	}
	return hex.EncodeToString(mac.Sum(nil))
}
