package spec

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// zot-registry:registry: the zot release, how it is reached, who may do
// what, and the pod. Its day-2 settings are in operations.go.

// Registry is zot-registry:registry: the zot deployment itself.
type Registry struct {
	ExternalURL     string        `json:"externalUrl" pulumi:"externalUrl,optional"`
	Namespace       string        `json:"namespace" pulumi:"namespace,optional"`
	CreateNamespace bool          `json:"createNamespace" pulumi:"createNamespace,optional"`
	ReleaseName     string        `json:"releaseName" pulumi:"releaseName,optional"`
	Chart           Chart         `json:"chart" pulumi:"chart"`
	Image           Image         `json:"image" pulumi:"image"`
	Port            int           `json:"port" pulumi:"port,optional"`
	ServiceType     string        `json:"serviceType" pulumi:"serviceType,optional"`
	LogLevel        string        `json:"logLevel" pulumi:"logLevel,optional"`
	ReadTimeout     string        `json:"readTimeout" pulumi:"readTimeout,optional"`
	WriteTimeout    string        `json:"writeTimeout" pulumi:"writeTimeout,optional"`
	Persistence     Persistence   `json:"persistence" pulumi:"persistence"`
	Ingress         Ingress       `json:"ingress" pulumi:"ingress"`
	Route           Route         `json:"route" pulumi:"route"`
	ExternalProxy   bool          `json:"externalProxy" pulumi:"externalProxy,optional"`
	Upload          Upload        `json:"upload" pulumi:"upload"`
	AccessControl   AccessControl `json:"accessControl" pulumi:"accessControl"`
	Resources       Resources     `json:"resources" pulumi:"resources"`
	Security        Security      `json:"security" pulumi:"security"`
	// Day-2 settings (operate.go).
	Replicas int `json:"replicas" pulumi:"replicas,optional"`
	// ClusterDomain is the cluster's DNS domain (the kubelet's
	// --cluster-domain): the cluster members and serviceDns are named under it.
	ClusterDomain string `json:"clusterDomain" pulumi:"clusterDomain,optional"`
	// StartupTimeout is how long zot may take to start: it walks the whole
	// bucket before it listens, and the chart's startupProbe is sized to it.
	StartupTimeout string `json:"startupTimeout" pulumi:"startupTimeout,optional"`
	// FastRestart is zot's storage.fastRestart; unset, validation turns it
	// on wherever the metadata DB (and its stamp) survives a restart.
	FastRestart  *bool        `json:"fastRestart" pulumi:"fastRestart,optional"`
	Cache        Cache        `json:"cache" pulumi:"cache"`
	Availability Availability `json:"availability" pulumi:"availability"`
	Metrics      Metrics      `json:"metrics" pulumi:"metrics"`
	GC           GC           `json:"gc" pulumi:"gc"`
	Retention    Retention    `json:"retention" pulumi:"retention"`
	Scrub        Scrub        `json:"scrub" pulumi:"scrub"`
	// Mirrors are pull-through caches of other registries (mirrors.go).
	Mirrors       []Mirror      `json:"mirrors" pulumi:"mirrors,optional"`
	MirrorReaders MirrorReaders `json:"mirrorReaders" pulumi:"mirrorReaders"`
	// MirrorDownloadSize bounds the local folder the mirrors stage images in.
	MirrorDownloadSize string `json:"mirrorDownloadSize" pulumi:"mirrorDownloadSize,optional"`

	// Where the pods run and how they are labelled (placement.go).
	NodeSelector       map[string]string `json:"nodeSelector" pulumi:"nodeSelector,optional"`
	Tolerations        []Toleration      `json:"tolerations" pulumi:"tolerations,optional"`
	Affinity           Affinity          `json:"affinity" pulumi:"affinity"`
	PriorityClassName  string            `json:"priorityClassName" pulumi:"priorityClassName,optional"`
	ImagePullSecrets   []string          `json:"imagePullSecrets" pulumi:"imagePullSecrets,optional"`
	PodLabels          map[string]string `json:"podLabels" pulumi:"podLabels,optional"`
	PodAnnotations     map[string]string `json:"podAnnotations" pulumi:"podAnnotations,optional"`
	ServiceAnnotations map[string]string `json:"serviceAnnotations" pulumi:"serviceAnnotations,optional"`
	ServiceAccount     ServiceAccount    `json:"serviceAccount" pulumi:"serviceAccount"`
	// ExtraValues are chart values the program does not model, merged
	// under its own; keys it owns are refused (extravalues.go).
	ExtraValues map[string]any `json:"extraValues" pulumi:"extraValues,optional"`
	// CABundle is PEM certificates zot trusts besides the public roots: a
	// private CA of the OpenID issuer, the S3 endpoint, a Redis on TLS
	// (cache.redis.tls) or a mirror.
	CABundle string `json:"caBundle" pulumi:"caBundle,optional"`

	// Derived by Resolve; not config keys.
	URL             *url.URL      `json:"-"`
	ReadDuration    time.Duration `json:"-"`
	WriteDuration   time.Duration `json:"-"`
	StartupDuration time.Duration `json:"-"`
	// resolved: Resolve made this section (see Resolved).
	resolved bool
}

// Chart pins the Helm chart.
type Chart struct {
	Repository string `json:"repository" pulumi:"repository,optional"`
	Version    string `json:"version" pulumi:"version,optional"`
}

// Image pins zot's container image.
type Image struct {
	Repository string `json:"repository" pulumi:"repository,optional"`
	Tag        string `json:"tag" pulumi:"tag,optional"`
	PullPolicy string `json:"pullPolicy" pulumi:"pullPolicy,optional"`
}

// Persistence is the volume behind zot's local rootDirectory (BoltDB metadata).
type Persistence struct {
	Enabled      bool   `json:"enabled" pulumi:"enabled,optional"`
	Size         string `json:"size" pulumi:"size,optional"`
	StorageClass string `json:"storageClass" pulumi:"storageClass,optional"`
}

// Ingress exposes zot at externalUrl's host.
type Ingress struct {
	Enabled       bool              `json:"enabled" pulumi:"enabled,optional"`
	ClassName     string            `json:"className" pulumi:"className,optional"`
	TLSSecretName string            `json:"tlsSecretName" pulumi:"tlsSecretName,optional"`
	Annotations   map[string]string `json:"annotations" pulumi:"annotations,optional"`
}

// Route exposes zot at externalUrl's host through a Gateway API HTTPRoute
// attached to Gateways someone else runs (TLS ends at their listeners).
type Route struct {
	Enabled    bool        `json:"enabled" pulumi:"enabled,optional"`
	ParentRefs []ParentRef `json:"parentRefs" pulumi:"parentRefs,optional"`
	// Timeout bounds one request through the Gateway (timeouts.request and
	// timeouts.backendRequest); default: the longer of zot's read and write
	// timeouts, so a large blob upload is not cut off.
	Timeout     string            `json:"timeout" pulumi:"timeout,optional"`
	Annotations map[string]string `json:"annotations" pulumi:"annotations,optional"`

	// Derived by Resolve; not a config key.
	TimeoutDuration time.Duration `json:"-"`
}

// ParentRef names a Gateway (and optionally one of its listeners).
type ParentRef struct {
	Name        string `json:"name" pulumi:"name,optional"`
	Namespace   string `json:"namespace" pulumi:"namespace,optional"`
	SectionName string `json:"sectionName" pulumi:"sectionName,optional"`
}

// Upload tunes the S3 driver's multipart uploads and copies, in bytes.
type Upload struct {
	ChunkSize                   int64 `json:"chunkSize" pulumi:"chunkSize,optional"`
	MultipartCopyChunkSize      int64 `json:"multipartCopyChunkSize" pulumi:"multipartCopyChunkSize,optional"`
	MultipartCopyMaxConcurrency int64 `json:"multipartCopyMaxConcurrency" pulumi:"multipartCopyMaxConcurrency,optional"`
	MultipartCopyThresholdSize  int64 `json:"multipartCopyThresholdSize" pulumi:"multipartCopyThresholdSize,optional"`
}

// AccessControl says who may push and delete (admins) and who may pull
// (readers). Users are htpasswd users or OpenID users; groups come from the
// OpenID groups claim.
type AccessControl struct {
	AdminUsers    []string `json:"adminUsers" pulumi:"adminUsers,optional"`
	AdminGroups   []string `json:"adminGroups" pulumi:"adminGroups,optional"`
	ReaderUsers   []string `json:"readerUsers" pulumi:"readerUsers,optional"`
	ReaderGroups  []string `json:"readerGroups" pulumi:"readerGroups,optional"`
	AnonymousRead bool     `json:"anonymousRead" pulumi:"anonymousRead,optional"`
	// Repositories grant more on the repositories a pattern matches; the
	// readers above (and anonymousRead) keep their read inside every rule.
	Repositories []RepositoryRule `json:"repositories" pulumi:"repositories,optional"`
}

// RepositoryRule grants pull, push (create and move tags) and delete on the
// repositories its pattern matches (zot's glob: doublestar, `team-a/**`).
// Where two rules match a repository, zot applies the longer pattern only.
type RepositoryRule struct {
	Pattern       string   `json:"pattern" pulumi:"pattern"`
	PullUsers     []string `json:"pullUsers" pulumi:"pullUsers,optional"`
	PullGroups    []string `json:"pullGroups" pulumi:"pullGroups,optional"`
	PushUsers     []string `json:"pushUsers" pulumi:"pushUsers,optional"`
	PushGroups    []string `json:"pushGroups" pulumi:"pushGroups,optional"`
	DeleteUsers   []string `json:"deleteUsers" pulumi:"deleteUsers,optional"`
	DeleteGroups  []string `json:"deleteGroups" pulumi:"deleteGroups,optional"`
	AnonymousRead bool     `json:"anonymousRead" pulumi:"anonymousRead,optional"`
}

// ruleLists are a rule's user and group lists with their field names.
func (r RepositoryRule) lists() []struct {
	field string
	names []string
	users bool
} {
	return []struct {
		field string
		names []string
		users bool
	}{
		{"pullUsers", r.PullUsers, true}, {"pullGroups", r.PullGroups, false},
		{"pushUsers", r.PushUsers, true}, {"pushGroups", r.PushGroups, false},
		{"deleteUsers", r.DeleteUsers, true}, {"deleteGroups", r.DeleteGroups, false},
	}
}

// Resources are zot's container requests and limits (Kubernetes
// quantities; empty leaves one unset).
type Resources struct {
	Requests ResourceAmounts `json:"requests" pulumi:"requests"`
	Limits   ResourceAmounts `json:"limits" pulumi:"limits"`
}

// ResourceAmounts is a CPU and a memory quantity.
type ResourceAmounts struct {
	CPU    string `json:"cpu" pulumi:"cpu,optional"`
	Memory string `json:"memory" pulumi:"memory,optional"`
}

// Security is the pod's and container's security context. Privilege
// escalation is never allowed and every capability is dropped: zot needs
// none (it listens on 5000).
type Security struct {
	RunAsUser              int64  `json:"runAsUser" pulumi:"runAsUser,optional"`
	RunAsGroup             int64  `json:"runAsGroup" pulumi:"runAsGroup,optional"`
	FSGroup                int64  `json:"fsGroup" pulumi:"fsGroup,optional"`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem" pulumi:"readOnlyRootFilesystem,optional"`
	SeccompProfile         string `json:"seccompProfile" pulumi:"seccompProfile,optional"`
}

var (
	logLevels    = []string{"debug", "info", "warn", "error"}
	serviceTypes = []string{"ClusterIP", "NodePort", "LoadBalancer"}
	pullPolicies = []string{"IfNotPresent", "Always", "Never"}
)

func validateRegistry(r *Registry, c Collector) {
	u := validateExternalURL(r.ExternalURL, c)
	if len(r.Namespace) > 63 || !dnsLabel.MatchString(r.Namespace) {
		c.Add("namespace", fmt.Sprintf("%q is not a valid namespace name", r.Namespace), "use lowercase letters, digits and '-', at most 63 characters")
	}
	// Helm keeps release names to 53 characters (it appends suffixes).
	if len(r.ReleaseName) > 53 || !dnsLabel.MatchString(r.ReleaseName) {
		c.Add("releaseName", fmt.Sprintf("%q is not a valid Helm release name", r.ReleaseName), "use lowercase letters, digits and '-', at most 53 characters")
	}
	if u, err := url.Parse(r.Chart.Repository); err != nil || (u.Scheme != "https" && u.Scheme != "oci") || u.Host == "" {
		c.Add("chart.repository", fmt.Sprintf("%q is not an https:// or oci:// chart repository URL", r.Chart.Repository), "set it to %s or your mirror", DefaultChartRepository)
	}
	pinned(c, "chart.version", r.Chart.Version, "a chart version such as "+DefaultChartVersion)
	if r.Image.Repository == "" || strings.Contains(r.Image.Repository, ":") && !strings.Contains(strings.SplitN(r.Image.Repository, "/", 2)[0], ":") {
		c.Add("image.repository", fmt.Sprintf("%q is not an image repository without tag", r.Image.Repository), "set the repository (e.g. %s) and the tag in image.tag", DefaultImageRepository)
	}
	if pinned(c, "image.tag", r.Image.Tag, "a zot release such as "+DefaultImageTag) && !imageTag.MatchString(r.Image.Tag) {
		c.Add("image.tag", fmt.Sprintf("%q is not a valid image tag", r.Image.Tag), "use a zot release tag such as %s", DefaultImageTag)
	}
	oneOf(c, "image.pullPolicy", r.Image.PullPolicy, pullPolicies)
	if r.Port < 1 || r.Port > 65535 {
		c.Add("port", fmt.Sprintf("%d is out of range", r.Port), "use a TCP port from 1 to 65535 (default %d)", DefaultPort)
	}
	oneOf(c, "serviceType", r.ServiceType, serviceTypes)
	validateCABundle(r.CABundle, c)
	oneOf(c, "logLevel", r.LogLevel, logLevels)
	timeout(c, "readTimeout", r.ReadTimeout)
	timeout(c, "writeTimeout", r.WriteTimeout)

	if r.Persistence.Enabled {
		if !validQuantity(r.Persistence.Size) {
			c.Add("persistence.size", fmt.Sprintf("%q is not a volume size", r.Persistence.Size), "use a Kubernetes quantity such as 10Gi")
		}
		if sc := r.Persistence.StorageClass; sc != "" && !dnsSubdomain.MatchString(sc) {
			c.Add("persistence.storageClass", fmt.Sprintf("%q is not a valid storage class name", sc), "use the name shown by kubectl get storageclass, or leave it empty for the default class")
		}
	}
	if r.Ingress.Enabled {
		if r.Ingress.ClassName == "" || !dnsSubdomain.MatchString(r.Ingress.ClassName) {
			c.Add("ingress.className", fmt.Sprintf("%q is not a valid ingress class name", r.Ingress.ClassName), "use the name shown by kubectl get ingressclass")
		}
		if s := r.Ingress.TLSSecretName; s != "" && !dnsSubdomain.MatchString(s) {
			c.Add("ingress.tlsSecretName", fmt.Sprintf("%q is not a valid Secret name", s), "use lowercase letters, digits, '-' and '.'")
		}
		if u != nil && u.Port() != "" && u.Port() != "443" {
			c.Add("externalUrl", fmt.Sprintf("names port %s, but the ingress serves https on 443", u.Port()), "drop the port from externalUrl, or disable the ingress and expose zot another way")
		}
		for k := range r.Ingress.Annotations {
			if k == "" {
				c.Add("ingress.annotations", "has an empty annotation name", "remove it")
			}
		}
	}
	validateRoute(r, u, c)
	validateUpload(r.Upload, c)
	validateAccess(r.AccessControl, c)
	validateMirrors(r, c)
	validatePod(r, c)
	validatePlacement(r, c)
	validateExtraValues(r, c)
}

// validateExternalURL checks the URL docker login and the OpenID redirect use:
// https, a host, nothing after it. It returns the URL in one spelling, nil
// when it is not usable.
func validateExternalURL(raw string, c Collector) *url.URL {
	u, problem := parseExternalURL(raw)
	if problem != "" {
		c.Add("externalUrl", problem, "set it to the URL docker uses, such as https://registry.example.com")
	}
	return u
}

// parseExternalURL is externalUrl in one spelling (no trailing slash, the
// host in lowercase), or what is wrong with it.
func parseExternalURL(raw string) (*url.URL, string) {
	if raw == "" {
		return nil, "is missing"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Scheme == "":
		return nil, fmt.Sprintf("%q is not an absolute URL", raw)
	case u.Scheme != "https":
		return nil, fmt.Sprintf("%q must use https (docker and OpenID need TLS)", raw)
	case u.User != nil:
		return nil, fmt.Sprintf("%q must not carry credentials", raw)
	case u.Path != "" && u.Path != "/":
		return nil, fmt.Sprintf("%q has a path; zot serves the registry API at the host root", raw)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Sprintf("%q has a query or fragment, which would end up in the OpenID redirect URI", raw)
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Sprintf("%q has an invalid port", raw)
		}
	}
	u.Path = "" // one spelling: no trailing slash
	u.Host = strings.ToLower(u.Host)
	return u, ""
}

func validateUpload(u Upload, c Collector) {
	if u.ChunkSize < MinChunkSize || u.ChunkSize > MaxChunkSize {
		c.Add("upload.chunkSize", fmt.Sprintf("%d bytes is outside S3's multipart part limits", u.ChunkSize), "use %d to %d bytes (default %d, 64 MiB)", MinChunkSize, MaxChunkSize, DefaultChunkSize)
	}
	if v := u.MultipartCopyChunkSize; v != 0 && (v < MinChunkSize || v > MaxChunkSize) {
		c.Add("upload.multipartCopyChunkSize", fmt.Sprintf("%d bytes is outside S3's multipart part limits", v), "use %d to %d bytes, or 0 for zot's default", MinChunkSize, MaxChunkSize)
	}
	if v := u.MultipartCopyMaxConcurrency; v < 0 || v > 1000 {
		c.Add("upload.multipartCopyMaxConcurrency", fmt.Sprintf("%d is out of range", v), "use 1 to 1000, or 0 for zot's default")
	}
	if v := u.MultipartCopyThresholdSize; v < 0 || v > MaxChunkSize {
		c.Add("upload.multipartCopyThresholdSize", fmt.Sprintf("%d bytes is out of range", v), "use 0 (zot's default) to %d bytes", MaxChunkSize)
	}
}

// A Kubernetes CPU quantity: cores or millicores.
var cpuQuantity = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|[0-9]+m)$`)

var seccompProfiles = []string{SeccompRuntimeDefault, "Unconfined"}

func validatePod(r *Registry, c Collector) {
	for _, q := range []struct{ field, cpu, memory string }{
		{"resources.requests", r.Resources.Requests.CPU, r.Resources.Requests.Memory},
		{"resources.limits", r.Resources.Limits.CPU, r.Resources.Limits.Memory},
	} {
		if q.cpu != "" && !cpuQuantity.MatchString(q.cpu) {
			c.Add(q.field+".cpu", fmt.Sprintf("%q is not a CPU quantity", q.cpu), "use cores or millicores, e.g. 500m or 2")
		}
		if q.memory != "" && !validQuantity(q.memory) {
			c.Add(q.field+".memory", fmt.Sprintf("%q is not a memory quantity", q.memory), "use a Kubernetes quantity such as 512Mi or 2Gi")
		}
	}
	sec := r.Security
	if sec.RunAsUser <= 0 {
		c.Add("security.runAsUser", fmt.Sprintf("%d would run zot as root", sec.RunAsUser), "use a non-root id (default %d, distroless's nonroot)", DefaultNonRootID)
	}
	if sec.RunAsGroup < 0 || sec.FSGroup < 0 {
		c.Add("security", "runAsGroup and fsGroup must not be negative", "use a group id such as %d", DefaultNonRootID)
	}
	oneOf(c, "security.seccompProfile", sec.SeccompProfile, seccompProfiles)
}

// validNames checks a list of user or group names: none empty, none with
// surrounding spaces (they never match a login), none twice.
func validNames(c Collector, list string, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		field := fmt.Sprintf("%s[%d]", list, i)
		switch {
		case strings.TrimSpace(n) == "":
			c.Add(field, "is empty", "remove it or name a user or group")
		case strings.TrimSpace(n) != n:
			c.Add(field, fmt.Sprintf("%q has leading or trailing spaces, which never match a login", n), "remove the spaces")
		case seen[n]:
			c.Add(field, fmt.Sprintf("%q is listed twice", n), "remove the duplicate")
		}
		seen[n] = true
	}
}

func validateAccess(a AccessControl, c Collector) {
	lists := []struct {
		field string
		names []string
	}{
		{"accessControl.adminUsers", a.AdminUsers},
		{"accessControl.adminGroups", a.AdminGroups},
		{"accessControl.readerUsers", a.ReaderUsers},
		{"accessControl.readerGroups", a.ReaderGroups},
	}
	patterns := map[string]int{}
	for i, r := range a.Repositories {
		field := fmt.Sprintf("accessControl.repositories[%d]", i)
		switch p := r.Pattern; {
		case strings.TrimSpace(p) == "":
			c.Add(field+".pattern", "is empty", "name the repositories, e.g. team-a/**")
		case p == "**":
			c.Add(field+".pattern", `"**" is every repository`, "grant that with accessControl.readerUsers, readerGroups or adminUsers; a rule is for some repositories, e.g. team-a/**")
		case strings.HasPrefix(p, "/") || strings.TrimSpace(p) != p || !doublestar.ValidatePattern(p):
			c.Add(field+".pattern", fmt.Sprintf("%q is not a repository pattern", p), "write a path glob without a leading '/', e.g. team-a/** or {team-a,team-b}/**")
		default:
			if j, dup := patterns[p]; dup {
				c.Add(field+".pattern", fmt.Sprintf("%q is also accessControl.repositories[%d]; zot keeps one rule per pattern", p, j), "merge the two rules")
			}
			patterns[p] = i
		}
		for j, o := range a.Repositories[:i] {
			// zot takes the longest matching pattern; between two of one
			// length it takes whichever its map yields first
			// (pkg/api/authz.go, AccessController.can).
			if o.Pattern != r.Pattern && len(o.Pattern) == len(r.Pattern) && doublestar.ValidatePattern(o.Pattern) && doublestar.ValidatePattern(r.Pattern) && MayIntersect(o.Pattern, r.Pattern) {
				c.Add(field+".pattern", fmt.Sprintf("%q and accessControl.repositories[%d] %q can match the same repository and are equally long: zot would pick one of them by chance", r.Pattern, j, o.Pattern),
					"make the patterns disjoint, or merge the rules")
			}
		}
		grants := r.AnonymousRead
		for _, l := range r.lists() {
			lists = append(lists, struct {
				field string
				names []string
			}{field + "." + l.field, l.names})
			grants = grants || len(l.names) > 0
		}
		if !grants {
			c.Add(field, "grants nothing", "name pullUsers, pushUsers, deleteUsers (or their groups), or set anonymousRead, or remove the rule")
		}
	}
	for _, l := range lists {
		validNames(c, l.field, l.names)
	}
	if len(a.AdminUsers)+len(a.AdminGroups) == 0 {
		c.Add("accessControl", "names no admin user or group, so nobody could push", "add accessControl.adminUsers (htpasswd users, e.g. a CI user) or accessControl.adminGroups (OpenID groups)")
	}
}

// validateUserNames: zot names an SSO user by identity.usernameClaim, so
// with the default (email) an accessControl user entry is either an htpasswd
// user or an email address. Push mode knows every htpasswd user, so an
// entry that is neither can never match.
func validateUserNames(cfg *Settings, c Collector) {
	if !cfg.Secrets.Generates() {
		return
	}
	ac := cfg.Registry.AccessControl
	// A pull robot reads through the policy the program adds; as an admin
	// it could push and delete everywhere.
	for i, u := range ac.AdminUsers {
		if slices.Contains(cfg.Secrets.Users.Pull(), u) {
			c.Add(fmt.Sprintf("accessControl.adminUsers[%d]", i), fmt.Sprintf("%q is a pull robot (secrets.users role pull), which may only pull images", u),
				"remove it from adminUsers, or give it role push in secrets.users")
		}
	}
	for i, r := range ac.Repositories {
		for _, l := range []struct {
			field string
			users []string
		}{{"pushUsers", r.PushUsers}, {"deleteUsers", r.DeleteUsers}} {
			for j, u := range l.users {
				if slices.Contains(cfg.Secrets.Users.Pull(), u) {
					c.Add(fmt.Sprintf("accessControl.repositories[%d].%s[%d]", i, l.field, j), fmt.Sprintf("%q is a pull robot (secrets.users role pull), which may only pull images", u),
						"remove it here, or give it role push in secrets.users")
				}
			}
		}
	}
	sso := cfg.Identity.OpenID()
	if sso && cfg.Identity.UsernameClaim != "email" {
		return
	}
	lists := []struct {
		field string
		users []string
	}{{"accessControl.adminUsers", ac.AdminUsers}, {"accessControl.readerUsers", ac.ReaderUsers}, {"mirrorReaders.users", cfg.Registry.MirrorReaders.Users}}
	for i, r := range ac.Repositories {
		for _, l := range r.lists() {
			if l.users {
				lists = append(lists, struct {
					field string
					users []string
				}{fmt.Sprintf("accessControl.repositories[%d].%s", i, l.field), l.names})
			}
		}
	}
	for _, list := range lists {
		for i, u := range list.users {
			if !sso && !cfg.Secrets.Users.Has(u) {
				c.Add(fmt.Sprintf("%s[%d]", list.field, i),
					fmt.Sprintf("%q is not an htpasswd user (secrets.users), and identity mode none has no other users", u),
					"add it to secrets.users, or remove it")
				continue
			}
			if sso && !strings.Contains(u, "@") && !cfg.Secrets.Users.Has(u) {
				c.Add(fmt.Sprintf("%s[%d]", list.field, i),
					fmt.Sprintf("%q is neither an htpasswd user (secrets.users) nor an email address, and zot names SSO users by their email (identity.usernameClaim)", u),
					"add it to secrets.users, write the user's email address, or set identity.usernameClaim to the claim your entries use (e.g. preferred_username)")
			}
		}
	}
}

// validateRoute: zot is exposed one way, and a route names the Gateways it
// attaches to. An externalUrl that nothing serves is an error: docker login
// and the OIDC callback would go nowhere.
func validateRoute(r *Registry, u *url.URL, c Collector) {
	rt := r.Route
	switch {
	case rt.Enabled && r.Ingress.Enabled:
		c.Add("route.enabled", "and registry.ingress.enabled are both true: zot would be served twice, with two sets of proxy settings",
			"keep one: route (Gateway API) or ingress")
	case !rt.Enabled && !r.Ingress.Enabled && r.ServiceType == DefaultServiceType && !r.ExternalProxy:
		c.Add("route.enabled", fmt.Sprintf("and registry.ingress.enabled are both false and serviceType is %s: nothing serves externalUrl %s", r.ServiceType, r.ExternalURL),
			"enable registry.route (Gateway API) or registry.ingress, set serviceType LoadBalancer, or set registry.externalProxy: true if a proxy you run forwards externalUrl to zot's Service")
	}
	if !rt.Enabled {
		return
	}
	if len(rt.ParentRefs) == 0 {
		c.Add("route.parentRefs", "is empty: a route attaches to no Gateway and serves nothing", "name the Gateway: parentRefs: [{name: public, namespace: gateway-system}]")
	}
	if len(rt.ParentRefs) > 32 {
		c.Add("route.parentRefs", fmt.Sprintf("has %d entries; Gateway API allows 32", len(rt.ParentRefs)), "attach to fewer Gateways")
	}
	for i, p := range rt.ParentRefs {
		key := fmt.Sprintf("route.parentRefs[%d]", i)
		if len(p.Name) > 253 || !dnsSubdomain.MatchString(p.Name) {
			c.Add(key+".name", fmt.Sprintf("%q is not a Gateway name", p.Name), "use the name shown by kubectl get gateways -A")
		}
		if p.Namespace != "" && (len(p.Namespace) > 63 || !dnsLabel.MatchString(p.Namespace)) {
			c.Add(key+".namespace", fmt.Sprintf("%q is not a namespace name", p.Namespace), "use the Gateway's namespace, or leave it empty for zot's own")
		}
		if p.SectionName != "" && (len(p.SectionName) > 253 || !dnsSubdomain.MatchString(p.SectionName)) {
			c.Add(key+".sectionName", fmt.Sprintf("%q is not a listener name", p.SectionName), "use the name of the Gateway's https listener, or leave it empty for all its listeners")
		}
	}
	if u != nil && u.Port() != "" {
		c.Add("externalUrl", fmt.Sprintf("names port %s, but a route's hostname cannot hold a port", u.Port()),
			"drop the port: the Gateway's listener decides it")
	}
	if rt.Timeout != "" {
		d, err := time.ParseDuration(rt.Timeout)
		switch {
		case err != nil || d <= 0:
			c.Add("route.timeout", fmt.Sprintf("%q is not a duration", rt.Timeout), "use a Go duration such as 1h or 90m, or leave it empty for zot's longest timeout")
		case d%time.Second != 0:
			c.Add("route.timeout", fmt.Sprintf("%q is not whole seconds", rt.Timeout), "use whole seconds, minutes or hours, such as 90s or 1h")
		}
	}
	for k := range rt.Annotations {
		if k == "" {
			c.Add("route.annotations", "has an empty annotation name", "remove it")
		}
	}
}

// validateCABundle: PEM certificates only, each one Go parses, as zot
// would read them (a key or a broken block would be skipped silently).
func validateCABundle(bundle string, c Collector) {
	rest := []byte(bundle)
	for n := 1; strings.TrimSpace(string(rest)) != ""; n++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			c.Add("caBundle", fmt.Sprintf("block %d is not PEM", n), "give PEM certificates only (-----BEGIN CERTIFICATE-----), e.g. pulumi config set --path 'registry.caBundle' -- \"$(cat ca.crt)\"")
			return
		}
		if _, err := x509.ParseCertificate(b.Bytes); b.Type != "CERTIFICATE" || err != nil {
			c.Add("caBundle", fmt.Sprintf("block %d (%s) is not a certificate Go can parse", n, b.Type), "give the CA's certificates only, no keys")
		}
	}
}

// registrySettings declare the settings whose fields this file holds (declare.go).
var registrySettings = []Setting{
	{Keys: []string{"registry.externalUrl"}, Shown: "required",
		Doc: "The https URL clients use, e.g. `https://registry.example.com`: no path, query or fragment. The ingress or route host and the OpenID redirect URI come from it."},
	{Keys: []string{"registry.namespace"}, Default: DefaultNamespace,
		Doc: "Namespace for the release and its Secrets."},
	{Keys: []string{"registry.createNamespace"}, Default: true,
		Doc: "Create the namespace (labelled `pod-security.kubernetes.io/enforce: baseline`); `false` uses an existing one."},
	{Keys: []string{"registry.releaseName"}, Default: DefaultReleaseName,
		Doc: "Helm release name; also the Service and Deployment name (`fullnameOverride`). At most 53 characters."},
	{Keys: []string{"registry.chart.repository"}, Default: DefaultChartRepository,
		Doc: "Chart repository (https or `oci://`)."},
	{Keys: []string{"registry.chart.version"}, Default: DefaultChartVersion,
		Doc: "Chart version; empty or `latest` is refused."},
	{Keys: []string{"registry.image.repository"}, Default: DefaultImageRepository,
		Doc: "zot image, without tag."},
	{Keys: []string{"registry.image.tag"}, Default: DefaultImageTag,
		Doc: "zot release; empty or `latest` is refused."},
	{Keys: []string{"registry.image.pullPolicy"}, Default: DefaultPullPolicy,
		Doc: "`IfNotPresent`, `Always` or `Never`."},
	{Keys: []string{"registry.port"}, Default: DefaultPort,
		Doc: "Service port (1–65535); in the pod zot always listens on 5000."},
	{Keys: []string{"registry.serviceType"}, Default: DefaultServiceType,
		Doc: "`ClusterIP`, `NodePort` or `LoadBalancer`."},
	{Keys: []string{"registry.logLevel"}, Default: DefaultLogLevel,
		Doc: "`debug`, `info`, `warn` or `error`."},
	{Keys: []string{"registry.readTimeout", "registry.writeTimeout"}, Default: DefaultTimeout,
		Doc: "zot's HTTP server timeouts, also the nginx ingress's proxy timeouts (Go durations, at least `1m`); they must cover a whole blob upload. With more than one replica, proxied requests are cut after 5 minutes regardless ([Operations](operations.md#replicas))."},
	{Keys: []string{"registry.persistence.enabled"}, Default: true,
		Doc: "With one replica: zot's metadata on a PersistentVolumeClaim the program owns (`<releaseName>-pvc`, or `<releaseName>-pvc-<4 hex>` with a `storageClass`). `false`: an emptyDir, and the metadata is lost at every pod restart ([what is lost](operations.md#what-survives-a-lost-metadata-db)). Ignored with more than one replica."},
	{Keys: []string{"registry.persistence.size"}, Default: DefaultVolumeSize,
		Doc: "The claim's size (a Kubernetes quantity); it grows in place where the storage class allows expansion, and never shrinks ([Operations](operations.md#resizing-zots-volume))."},
	{Keys: []string{"registry.persistence.storageClass"}, Shown: "cluster default",
		Doc: "Storage class of the claim (with more than one replica: of each pod's scratch claim). A new class makes a new claim and replaces the release (downtime); zot rebuilds its metadata from the bucket ([what is lost](operations.md#what-survives-a-lost-metadata-db))."},
	{Keys: []string{"registry.ingress.enabled"},
		Doc: "An Ingress for the host of `externalUrl` (which must then use port 443)."},
	{Keys: []string{"registry.ingress.className"}, Default: DefaultIngressClass,
		Doc: "Ingress class. For `nginx`: no body size limit, request buffering off, proxy timeouts as long as zot's."},
	{Keys: []string{"registry.ingress.tlsSecretName"},
		Doc: "TLS Secret for the host (e.g. made by cert-manager); empty when TLS ends before the ingress."},
	{Keys: []string{"registry.ingress.annotations"},
		Doc: "Extra annotations; they override the nginx ones above."},
	{Keys: []string{"registry.route.enabled"},
		Doc: "A Gateway API `HTTPRoute` (`gateway.networking.k8s.io/v1`) for the host of `externalUrl` (no port); not with `ingress.enabled` ([Exposing zot](exposing.md))."},
	{Keys: []string{"registry.route.parentRefs"}, Shown: "none; required with `route.enabled`",
		Doc: "The Gateways to attach to: `[{name, namespace, sectionName}]` (namespace defaults to zot's, `sectionName` to every listener), at most 32."},
	{Keys: []string{"registry.route.timeout"}, Shown: "the longer of `readTimeout` and `writeTimeout`",
		Doc: "The rule's `timeouts.request` and `timeouts.backendRequest`: whole seconds, minutes or hours (Go durations such as `90s`, `1h`)."},
	{Keys: []string{"registry.route.annotations"},
		Doc: "Annotations on the HTTPRoute."},
	{Keys: []string{"registry.externalProxy"},
		Doc: "`true` when a proxy you run forwards `externalUrl` to zot's Service. With none of `ingress`, `route` and this, and `serviceType: ClusterIP`, nothing serves `externalUrl`: an error."},
	{Keys: []string{"registry.upload.chunkSize"}, Default: DefaultChunkSize, Shown: "`67108864` (64 MiB)",
		Doc: "S3 multipart part size for blob uploads, 5 MiB–5 GiB."},
	{Keys: []string{"registry.upload.multipartCopyChunkSize"}, Shown: "zot's default",
		Doc: "Part size for server-side copies (5 MiB–5 GiB)."},
	{Keys: []string{"registry.upload.multipartCopyMaxConcurrency"}, Shown: "zot's default",
		Doc: "Parallel parts in a copy (1–1000)."},
	{Keys: []string{"registry.upload.multipartCopyThresholdSize"}, Shown: "zot's default",
		Doc: "Size above which copies are multipart (0–5 GiB)."},
	{Keys: []string{"registry.accessControl.adminUsers"},
		Doc: "htpasswd or SSO users who may push and delete everywhere. SSO users are named by `identity.usernameClaim`: by default their email address, not their login name."},
	{Keys: []string{"registry.accessControl.adminGroups"},
		Doc: "OpenID groups (the `groups` claim) who may push and delete. At least one admin user or group is required."},
	{Keys: []string{"registry.accessControl.readerUsers", "registry.accessControl.readerGroups"},
		Doc: "Users and groups who may pull. Anyone else who logs in gets nothing."},
	{Keys: []string{"registry.accessControl.anonymousRead"},
		Doc: "Let anonymous clients pull."},
	{Keys: []string{"registry.accessControl.repositories"},
		Doc: "Rules per repository: each `{pattern, pullUsers, pullGroups, pushUsers, pushGroups, deleteUsers, deleteGroups, anonymousRead}`. `pattern` is zot's glob (`team-a/**`; not `**`, each pattern once); push and delete include pull, and no pull robot may have them. Only the longest matching pattern applies; admins, readers, pull robots and `anonymousRead` keep their rights everywhere ([access per repository](identity.md#access-per-repository))."},
	{Keys: []string{"registry.resources.requests.cpu", "registry.resources.requests.memory"}, Default: PerKey{DefaultCPURequest, DefaultMemoryRequest},
		Doc: "zot's container requests."},
	{Keys: []string{"registry.resources.limits.cpu", "registry.resources.limits.memory"}, Default: PerKey{nil, DefaultMemoryLimit},
		Doc: "Limits; no CPU limit by default (it throttles uploads), a memory limit so a runaway zot cannot starve its node."},
	{Keys: []string{"registry.security.runAsUser", "registry.security.runAsGroup", "registry.security.fsGroup"}, Default: DefaultNonRootID,
		Doc: "Non-root ids (distroless's `nonroot`); `fsGroup` makes the volume writable. Pods always run as non-root, without privilege escalation or capabilities."},
	{Keys: []string{"registry.security.readOnlyRootFilesystem"}, Default: true,
		Doc: "zot writes only to its volumes, including a 1Gi emptyDir at `/tmp`."},
	{Keys: []string{"registry.security.seccompProfile"}, Default: SeccompRuntimeDefault,
		Doc: "`RuntimeDefault` or `Unconfined`."},
	{Keys: []string{"registry.replicas"}, Default: DefaultReplicas,
		Doc: "zot pods (1–16). More than one makes a scale-out cluster with shared metadata (`cache.driver`) and a 1Gi scratch claim per pod. **A change replaces the release**: the registry is down until the new pods start, and going from one to several loses stars, bookmarks and last-pull times. Proxied transfers are cut after 5 minutes ([Operations](operations.md#replicas))."},
	{Keys: []string{"registry.clusterDomain"}, Default: DefaultClusterDomain,
		Doc: "The cluster's DNS domain (the kubelet's `--cluster-domain`; lowercase, no trailing dot), used in the members' names and the `serviceDns` output. If it is wrong, zot with more than one replica does not start."},
	{Keys: []string{"registry.startupTimeout"}, Default: DefaultStartupTimeout,
		Doc: "How long zot may take to start (a Go duration, `30s`–`12h`), walking the whole bucket before it listens; the startup probe kills it after this. `pulumi up` waits this plus 10 minutes for the rollout ([Operations](operations.md#start-up-and-fast-restart))."},
	{Keys: []string{"registry.fastRestart"}, Shown: "on where the metadata survives a restart (`persistence.enabled` with one replica, or `cache.driver` `redis` or `dynamodb`) and `image.tag` is v2.1.18 or later",
		Doc: "Skip the start-up walk of the bucket while zot and its storage config are unchanged: changes made to the bucket behind zot's back go unseen until the next walk. `true` without kept metadata or with a tag before v2.1.18 is an error."},
	{Keys: []string{"registry.mirrors"},
		Doc: "Pull-through caches ([mirrors](operations.md#pull-through-mirrors)), each `{name, url, prefix, content, pollInterval, tlsVerify, insecure, credentials, keepPulledWithin}`: `name` a distinct DNS label; `url` `https://host[:port]` (`http` only with `insecure: true`); `prefix` the local repository prefix, overlapping no other mirror's prefix or `accessControl.repositories` pattern; `content` upstream globs (not `**`) synced every `pollInterval` (default `6h`, at least `10m`); `tlsVerify` default `true`; `credentials: {username, password}` remote keys in `secrets.store`; `keepPulledWithin` (a duration; needs `gc.enabled`) deletes the prefix's tags neither pulled nor synced within it."},
	{Keys: []string{"registry.mirrorDownloadSize"}, Default: DefaultMirrorDownloadSize,
		Doc: "Size limit of the emptyDir where zot stages mirrored images; at least the largest image."},
	{Keys: []string{"registry.nodeSelector"},
		Doc: "Node labels zot's pods must have (valid Kubernetes label keys and values)."},
	{Keys: []string{"registry.tolerations"},
		Doc: "Taints zot's pods tolerate: each `{key, operator, value, effect, tolerationSeconds}` (core/v1 Toleration): `operator` `Equal` (default) or `Exists` (no `value`; an empty `key` tolerates every taint), `effect` `NoSchedule`, `PreferNoSchedule`, `NoExecute` or empty (all), `tolerationSeconds` only with `NoExecute`."},
	{Keys: []string{"registry.priorityClassName"}, Shown: "empty",
		Doc: "The pods' PriorityClass."},
	{Keys: []string{"registry.imagePullSecrets"},
		Doc: "docker-registry Secrets in zot's namespace for pulling `image` (a private mirror of the zot image)."},
	{Keys: []string{"registry.podLabels"},
		Doc: "Labels added to zot's pods (the chart's own selector labels `app.kubernetes.io/name` and `instance` are refused)."},
	{Keys: []string{"registry.podAnnotations"},
		Doc: "Annotations added to zot's pods; keys under `zot-registry/` and the chart's `checksum/config`, `checksum/secret` and `rollme` are refused."},
	{Keys: []string{"registry.serviceAnnotations"},
		Doc: "Annotations on zot's Service, e.g. an internal load balancer with `serviceType: LoadBalancer` (`service.beta.kubernetes.io/aws-load-balancer-scheme: internal`)."},
	{Keys: []string{"registry.extraValues"},
		Doc: "Chart values the program does not model (e.g. `dnsConfig`, `hostAliases`, `initContainers`), merged under the program's values. A value the program owns (names, image, config, mounts, workload, probes, ports, any key a setting sets) is refused, naming the setting to use ([Operations](operations.md#chart-values-the-program-does-not-model))."},
	{Keys: []string{"registry.caBundle"},
		Doc: "PEM certificates zot trusts beside the public roots, e.g. the private CA of an OpenID issuer, an S3 endpoint, a Redis on TLS or a mirror (`pulumi config set --path registry.caBundle -- \"$(cat ca.crt)\"`). Certificates only, each checked before deploying; kept in the ConfigMap `<releaseName>-ca`. A change restarts the pods."},
}
