// Package layout says where things live inside the zot pod: the folders the
// chart mounts Secrets on, the file names inside them, the environment
// variables and the ports. The zot config builder, the Helm values builder and
// the secrets that fill these files all read these constants, so a mount path
// and the config path that names it cannot disagree.
package layout

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/mod/semver"
)

const (
	// ContainerPort is the port zot listens on. The chart hard-codes
	// containerPort 5000 and probes that port, so zot's http.port must be it.
	ContainerPort = 5000

	// ConfigDir is where the chart mounts configFiles (mountConfig: true);
	// the image starts `zot serve /etc/zot/config.json`.
	ConfigDir = "/etc/zot"
	// ConfigFile is the key under configFiles and the file name in ConfigDir.
	ConfigFile = "config.json"

	// RootDirectory is zot's local folder (BoltDB cache.db and meta.db). The
	// chart mounts the persistent volume here when persistence is on.
	RootDirectory = "/var/lib/registry"

	// HtpasswdMountDir is the folder the htpasswd Secret is mounted on and
	// HtpasswdKey the Secret key, hence the file name, that holds bcrypt lines.
	HtpasswdMountDir = "/secrets/htpasswd"
	HtpasswdKey      = "htpasswd"

	// OIDCMountDir is the folder the OIDC client Secret is mounted on and
	// OIDCCredentialsKey its key. zot picks the file format by extension, so
	// it must end in .json and hold {"clientid": …, "clientsecret": …}.
	OIDCMountDir       = "/secrets/oidc"
	OIDCCredentialsKey = "oidc-credentials.json"

	// SessionMountDir is the folder the session keys Secret is mounted on
	// and SessionKeysKey its key: {"hashKey": …, "encryptKey": …}, so web
	// sessions survive restarts and span replicas.
	SessionMountDir = "/secrets/session"
	SessionKeysKey  = "session-keys.json"

	// SyncMountDir is the folder the mirrors' credentials Secret is mounted
	// on and SyncCredentialsKey its key: zot's sync credentialsFile,
	// {"<upstream host>": {"username": …, "password": …}} (v2.1.20
	// pkg/extensions/sync/service.go newClient looks credentials up by the
	// upstream URL's host).
	SyncMountDir       = "/secrets/sync"
	SyncCredentialsKey = "sync-credentials.json"

	// S3AccessKeyIDKey and S3SecretAccessKeyKey are the keys of the S3
	// credentials Secret; zot's S3 driver reads them from the environment
	// variables below.
	S3AccessKeyIDKey     = "access-key-id"
	S3SecretAccessKeyKey = "secret-access-key"
	EnvAccessKeyID       = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey   = "AWS_SECRET_ACCESS_KEY"

	// OIDCProviderKey is the key under http.auth.openid.providers. zot only
	// treats "oidc" as a generic OpenID Connect provider, and it is part of
	// the redirect URI registered at the identity provider.
	OIDCProviderKey = "oidc"
	// OIDCCallbackPath is what zot appends to externalUrl for the redirect.
	OIDCCallbackPath = "/zot/auth/callback/" + OIDCProviderKey
)

// HtpasswdPath is the htpasswd file as zot's config names it.
func HtpasswdPath() string { return path.Join(HtpasswdMountDir, HtpasswdKey) }

// SessionKeysPath is the session keys file as zot's config names it.
func SessionKeysPath() string { return path.Join(SessionMountDir, SessionKeysKey) }

// SyncCredentialsPath is the mirrors' credentials file as zot's config names it.
func SyncCredentialsPath() string { return path.Join(SyncMountDir, SyncCredentialsKey) }

// OIDCCredentialsPath is the OIDC credentials file as zot's config names it.
func OIDCCredentialsPath() string { return path.Join(OIDCMountDir, OIDCCredentialsKey) }

// RedirectURI is the OpenID redirect URI zot sends for an externalUrl
// (trailing slash trimmed, as zot does).
func RedirectURI(externalURL string) string {
	for len(externalURL) > 0 && externalURL[len(externalURL)-1] == '/' {
		externalURL = externalURL[:len(externalURL)-1]
	}
	return externalURL + OIDCCallbackPath
}

// ChartVolumes are the pod volume names the zot chart (0.1.122) uses for
// its own volumes (templates/statefulset.yaml and deployment.yaml): the
// config map, the chart's Secret, the PVC (pvc.name, default
// <release>-pvc) and the Deployment's emptyDir. Each Secret mounted through
// the chart's externalSecrets becomes a volume named after the Secret, so
// its name must be none of these.
func ChartVolumes(release string) []string {
	return []string{release + "-config", release + "-secret", release + "-pvc", "data", TmpVolume, SyncVolume, CAVolume}
}

// TmpVolume is the emptyDir this program mounts at TmpDir, so zot's root
// filesystem can be read-only.
const (
	TmpVolume = "zot-tmp"
	TmpDir    = "/tmp"
)

// The private CA bundle (registry.caBundle): a ConfigMap the program
// writes, mounted at CADir. Go programs such as zot read every file in the
// folders SSL_CERT_DIR names beside the system bundle file, so the bundle
// adds to the public roots (AWS S3, a mirror's upstream) and replaces none.
const (
	CAVolume = "zot-ca"
	CADir    = "/etc/zot-ca"
	CAFile   = "ca.crt"
	// EnvCertDir is Go's crypto/x509 variable; CertDirs keeps the image's
	// own folder in the list, as Go reads only the folders it names.
	EnvCertDir = "SSL_CERT_DIR"
	CertDirs   = CADir + ":/etc/ssl/certs"
)

// CAConfigMap is the ConfigMap holding the bundle, named after the release.
func CAConfigMap(release string) string { return release + "-ca" }

// SyncVolume is the emptyDir this program mounts at SyncDownloadDir with
// mirrors: zot's sync extension stages an image there before it moves it
// to S3, and refuses to start on remote storage without one
// (pkg/cli/server/root.go: "using both sync and remote storage features
// needs config.Extensions.Sync.DownloadDir to be specified").
const (
	SyncVolume      = "zot-sync-download"
	SyncDownloadDir = "/var/lib/zot-sync"
)

// HeadlessService is the chart's headless Service for a fullname
// (serviceHeadless.enabled; templates/headless-service.yaml).
func HeadlessService(fullname string) string { return fullname + "-headless" }

// ServiceDNS is a Service's DNS name in a cluster whose DNS domain is
// clusterDomain (the kubelet's --cluster-domain, cluster.local by default).
func ServiceDNS(service, namespace, clusterDomain string) string {
	return fmt.Sprintf("%s.%s.svc.%s", service, namespace, clusterDomain)
}

// PodDNS is pod i's DNS name: the StatefulSet's pods are <fullname>-<i> and
// resolve under the headless Service (publishNotReadyAddresses, so before
// they are ready).
func PodDNS(fullname, namespace, clusterDomain string, i int) string {
	return fmt.Sprintf("%s-%d.%s", fullname, i, ServiceDNS(HeadlessService(fullname), namespace, clusterDomain))
}

// SecretNames are the Kubernetes Secrets zot mounts or reads; their keys are
// this package's constants.
type SecretNames struct {
	OIDC     string
	Htpasswd string
	S3       string
	Session  string
	// Sync holds the mirrors' upstream credentials; empty when no mirror
	// has any.
	Sync string
}

// RedactedMarker stands for a secret wherever one is shown: in the
// config.json annotation, in the offline render and in the tests.
const RedactedMarker = "[secret]"

// HtpasswdReloadRelease is the first zot release that reloads an htpasswd
// file mounted from a Kubernetes Secret. A Secret volume changes by
// swapping the ..data symlink in its folder; zot's watcher learned to watch
// the folder for that swap after v2.1.20 (zot commit e2c1a85e, "make
// htpasswd hot-reload work for K8s secret mounts", project-zot/zot issue 4284, the v2.1.21
// line). v2.1.20 keeps the users it started with: measured on the cluster
// tier, a new robot was refused for 3 minutes after the kubelet had
// updated the file.
const HtpasswdReloadRelease = "v2.1.21"

// ReloadsMountedHtpasswd says whether zot at an image tag reloads its
// htpasswd Secret by itself. A tag that is not a release version (a branch
// build, a digest) is taken not to: the pods then restart for a new robot,
// which is always safe.
func ReloadsMountedHtpasswd(tag string) bool {
	v := tag
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return semver.IsValid(v) && semver.Prerelease(v) == "" && semver.Compare(v, HtpasswdReloadRelease) >= 0
}
