package spec

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

var (
	// RFC 1123 label: namespaces, Helm release names.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// RFC 1123 subdomain: Secret names, TLS secret names.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// A Kubernetes resource quantity as used for volume sizes.
	quantity = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`)
	// S3 bucket names: lowercase letters, digits, dots and hyphens,
	// starting and ending with a letter or digit.
	bucketChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	// An OCI reference tag.
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

var (
	logLevels    = []string{"debug", "info", "warn", "error"}
	serviceTypes = []string{"ClusterIP", "NodePort", "LoadBalancer"}
	pullPolicies = []string{"IfNotPresent", "Always", "Never"}
)

// Settings is one registry's whole settings: the four sections.
type Settings struct {
	// Stack names the stack the registry belongs to: defaults derive from
	// it (the bucket prefix, the OAuth2 client id zot-<stack>).
	Stack    string
	Registry Registry
	Storage  Storage
	Identity Identity
	Secrets  Secrets
}

// Env is what validation reads besides the four sections: the Authentik
// URL (authentik:url) and whether each secret key is set, and as a secret.
type Env interface {
	// Get returns the raw value of a full key (zot-registry:oidcClientSecret).
	Get(fullKey string) (string, bool)
	IsSecret(fullKey string) bool
}

// Validate fills in the values derived from the settings (the parsed URL,
// durations, defaults that depend on other settings) and appends every
// problem to errs, keyed by full stack-config key.
func Validate(cfg *Settings, src Env, errs *Errors) {
	validateRegistry(&cfg.Registry, Collector{errs, FullKey(KeyRegistry)})
	validateStorage(&cfg.Storage, cfg.Stack, Collector{errs, FullKey(KeyStorage)})
	validateIdentity(&cfg.Identity, src, cfg.Stack, Collector{errs, FullKey(KeyIdentity)})
	validateSecrets(cfg, src, Collector{errs, FullKey(KeySecrets)})
	validateUserNames(cfg, Collector{errs, FullKey(KeyRegistry)})
	validateOperations(cfg, Collector{errs, FullKey(KeyRegistry)})
	if cfg.Registry.Cache.Driver == CacheRedis {
		secretKey(errs, src, FullKey(KeyRedisPassword), false, "")
	} else if _, ok := src.Get(FullKey(KeyRedisPassword)); ok {
		*errs = append(*errs, &FieldError{Key: FullKey(KeyRedisPassword), Problem: "is set, but registry.cache.driver is not redis", Fix: "remove it (pulumi config rm redisPassword), or use the redis cache driver"})
	}
}

func validateRegistry(r *Registry, c Collector) {
	r.URL = validateExternalURL(r.ExternalURL, c)
	if r.URL != nil {
		r.ExternalURL = r.URL.String()
	}
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
	oneOf(c, "logLevel", r.LogLevel, logLevels)
	r.ReadDuration = timeout(c, "readTimeout", r.ReadTimeout)
	r.WriteDuration = timeout(c, "writeTimeout", r.WriteTimeout)

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
		if r.URL != nil && r.URL.Port() != "" && r.URL.Port() != "443" {
			c.Add("externalUrl", fmt.Sprintf("names port %s, but the ingress serves https on 443", r.URL.Port()), "drop the port from externalUrl, or disable the ingress and expose zot another way")
		}
		for k := range r.Ingress.Annotations {
			if k == "" {
				c.Add("ingress.annotations", "has an empty annotation name", "remove it")
			}
		}
	}
	validateRoute(r, c)
	validateUpload(r.Upload, c)
	validateAccess(r.AccessControl, c)
	validatePod(r, c)
}

// validateExternalURL checks the URL docker login and the OpenID redirect use:
// https, a host, nothing after it.
func validateExternalURL(raw string, c Collector) *url.URL {
	const fix = "set it to the URL docker uses, such as https://registry.example.com"
	if raw == "" {
		c.Add("externalUrl", "is missing", fix)
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Scheme == "":
		c.Add("externalUrl", fmt.Sprintf("%q is not an absolute URL", raw), fix)
		return nil
	case u.Scheme != "https":
		c.Add("externalUrl", fmt.Sprintf("%q must use https (docker and OpenID need TLS)", raw), fix)
		return nil
	case u.User != nil:
		c.Add("externalUrl", fmt.Sprintf("%q must not carry credentials", raw), fix)
		return nil
	case u.Path != "" && u.Path != "/":
		c.Add("externalUrl", fmt.Sprintf("%q has a path; zot serves the registry API at the host root", raw), fix)
		return nil
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		c.Add("externalUrl", fmt.Sprintf("%q has a query or fragment, which would end up in the OpenID redirect URI", raw), fix)
		return nil
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			c.Add("externalUrl", fmt.Sprintf("%q has an invalid port", raw), fix)
			return nil
		}
	}
	u.Path = "" // one spelling: no trailing slash
	u.Host = strings.ToLower(u.Host)
	return u
}

// pinned rejects empty and moving versions; it says whether the value passed.
func pinned(c Collector, field, v, example string) bool {
	switch {
	case strings.TrimSpace(v) == "":
		c.Add(field, "is empty", "pin %s", example)
		return false
	case strings.EqualFold(v, "latest"):
		c.Add(field, `is "latest", which moves under a running stack`, "pin %s", example)
		return false
	}
	return true
}

func oneOf(c Collector, field, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.Add(field, fmt.Sprintf("%q is not allowed", v), "use one of: %s", strings.Join(allowed, ", "))
}

func timeout(c Collector, field, v string) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		c.Add(field, fmt.Sprintf("%q is not a duration", v), "use a Go duration such as 1h or 30m")
		return 0
	}
	if d < MinTimeout {
		c.Add(field, fmt.Sprintf("%s is below 1m and would cut off large layer uploads", v), "use at least 1m (default %s)", DefaultTimeout)
	}
	return d
}

func validQuantity(s string) bool {
	m := quantity.FindStringSubmatch(s)
	return m != nil && strings.Trim(m[1], "0.") != ""
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
	for _, l := range lists {
		seen := map[string]bool{}
		for i, n := range l.names {
			field := fmt.Sprintf("%s[%d]", l.field, i)
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
	if len(a.AdminUsers)+len(a.AdminGroups) == 0 {
		c.Add("accessControl", "names no admin user or group, so nobody could push", "add accessControl.adminUsers (htpasswd users, e.g. a CI user) or accessControl.adminGroups (OpenID groups)")
	}
}

// validMode checks a mode key against its modes and says whether it passed.
func validMode(c Collector, mode string, modes []string, noun string) bool {
	switch {
	case mode == "":
		c.Add("mode", "is missing", "set it to one of: %s", strings.Join(modes, ", "))
	case !slices.Contains(modes, mode):
		article := "a"
		if strings.ContainsRune("aeiou", rune(noun[0])) {
			article = "an"
		}
		c.Add("mode", fmt.Sprintf("%q is not %s %s mode", mode, article, noun), "use one of: %s", strings.Join(modes, ", "))
	default:
		return true
	}
	return false
}

// secretKey checks a top-level secret key: present (when required) and
// stored as a secret, so it never sits in a stack file in clear text.
func secretKey(errs *Errors, src Env, key string, required bool, missing string) {
	setHint := "pulumi config set --secret " + strings.TrimPrefix(key, Project+":")
	switch v, ok := src.Get(key); {
	case !ok || v == "":
		if required {
			*errs = append(*errs, &FieldError{Key: key, Problem: "is missing; " + missing, Fix: setHint + " <value>"})
		}
	case !src.IsSecret(key):
		*errs = append(*errs, &FieldError{Key: key, Problem: "is stored in plain text", Fix: "set it again with " + setHint})
	}
}

func validateStorage(s *Storage, stack string, c Collector) {
	if !validMode(c, s.Mode, StorageModes, "storage") {
		return
	}
	const bucketFix = "use 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	switch {
	case s.Bucket != "":
		if msg := bucketNameProblem(s.Bucket); msg != "" {
			c.Add("bucket", msg, bucketFix)
		}
	case s.Mode == StorageExisting:
		c.Add("bucket", "is missing; existing mode uses a bucket made elsewhere", "name the bucket")
	default:
		s.BucketPrefix = defaultBucketPrefix(stack, s.Mode == StorageAWS)
		if msg := bucketNameProblem(s.BucketPrefix + "-0a1b2c3d"); msg != "" {
			c.Add("bucket", "is empty and the default name from project and stack would be invalid: "+msg, "set bucket explicitly; %s", bucketFix)
		}
	}
	if s.Region == "" {
		if s.Mode == StorageAWS {
			c.Add("region", "is missing; aws mode creates the bucket in a region", "set the AWS region, e.g. eu-central-1")
		}
		s.Region = DefaultRegion // S3-compatible stores take any region name
	}
	if s.KeyPrefix != "" && (!strings.HasPrefix(s.KeyPrefix, "/") || strings.HasSuffix(s.KeyPrefix, "/") || strings.Contains(s.KeyPrefix, "//")) {
		c.Add("keyPrefix", fmt.Sprintf("%q is not a key prefix like /zot", s.KeyPrefix), "start it with '/', without a trailing '/', or leave it empty for the bucket root")
	}
	if s.AbortIncompleteUploadsDays < 1 {
		c.Add("abortIncompleteUploadsDays", fmt.Sprintf("%d must be at least 1; failed pushes would leave billed parts forever", s.AbortIncompleteUploadsDays), "use a number of days (default %d)", DefaultAbortDays)
	}
	if !s.Creates() && (s.Protect || !s.RetainOnDelete) {
		c.Add("", "protect and retainOnDelete apply to a bucket this program creates; existing mode creates none", "remove them, or use aws or s3-compatible mode")
	}

	// The endpoint is the one source of zot's regionendpoint and secure.
	s.Secure = true
	switch {
	case s.Endpoint == "" && s.Mode == StorageS3Compatible:
		c.Add("endpoint", "is missing; s3-compatible mode needs the store's URL", "set it, e.g. http://rustfs.storage.svc.cluster.local:9000")
		return
	case s.Endpoint != "" && s.Mode == StorageAWS:
		c.Add("endpoint", "is set, but aws mode talks to AWS S3", "remove endpoint, or use s3-compatible mode for another store")
		return
	case s.Endpoint == "":
		if s.SecureSetting != nil && !*s.SecureSetting {
			c.Add("secure", "is false, but AWS S3 is always https", "remove secure")
		}
		if s.ForcePathStyle == nil {
			s.ForcePathStyle = ptr(false) // AWS S3: virtual-hosted addressing
		}
		return
	}
	u, err := url.Parse(s.Endpoint)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		c.Add("endpoint", fmt.Sprintf("%q is not an http:// or https:// URL", s.Endpoint), "set the S3 endpoint such as https://s3.example.com")
		return
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		c.Add("endpoint", fmt.Sprintf("%q has a path or query; S3 clients add the bucket themselves", s.Endpoint), "use only scheme, host and port, such as https://s3.example.com:9000")
		return
	}
	s.Secure = u.Scheme == "https"
	s.RegionEndpoint = u.Scheme + "://" + u.Host
	if s.SecureSetting != nil && *s.SecureSetting != s.Secure {
		c.Add("secure", fmt.Sprintf("is %t, but the endpoint %q says otherwise", *s.SecureSetting, s.Endpoint), "remove secure: the endpoint's scheme decides it")
	}
	if s.ForcePathStyle == nil {
		// MinIO, RustFS, Ceph RGW and Garage serve path-style addressing.
		s.ForcePathStyle = ptr(true)
	}
	if s.SkipVerify && !s.Secure {
		c.Add("skipVerify", "is set, but the endpoint uses http, so there is no certificate to skip", "remove skipVerify or use an https endpoint")
	}
}

// defaultBucketPrefix is <project>-<stack> made a valid bucket name; in aws
// mode it leaves room for the random suffix that makes it globally unique.
func defaultBucketPrefix(stack string, suffixed bool) string {
	b := []byte(strings.ToLower(Project + "-" + stack))
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			b[i] = '-'
		}
	}
	limit := 63
	if suffixed {
		limit = 63 - 9 // "-" and 8 hex digits
	}
	name := string(b)
	if len(name) > limit {
		name = name[:limit]
	}
	return strings.Trim(name, "-")
}

// bucketNameProblem returns what breaks S3's bucket naming rules, or "".
func bucketNameProblem(b string) string {
	switch {
	case b == "":
		return "is missing"
	case len(b) < 3 || len(b) > 63:
		return fmt.Sprintf("%q is %d characters long; S3 allows 3 to 63", b, len(b))
	case strings.ContainsAny(b, "_ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
		return fmt.Sprintf("%q has uppercase letters or '_'", b)
	case !bucketChars.MatchString(b):
		return fmt.Sprintf("%q has characters S3 does not allow, or does not start and end with a letter or digit", b)
	case strings.Contains(b, ".."):
		return fmt.Sprintf("%q has two adjacent dots", b)
	case net.ParseIP(b) != nil:
		return fmt.Sprintf("%q looks like an IP address", b)
	case strings.HasPrefix(b, "xn--"):
		return fmt.Sprintf("%q starts with the reserved prefix xn--", b)
	case strings.HasSuffix(b, "-s3alias") || strings.HasSuffix(b, "--ol-s3"):
		return fmt.Sprintf("%q ends with a suffix S3 reserves", b)
	}
	return ""
}

var (
	// Authentik's slug field: letters, digits, '-' and '_'.
	authentikSlug = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)
	// Authentik's validity format: unit=amount pairs separated by ';'.
	authentikValidity = regexp.MustCompile(`^(weeks|days|hours|minutes|seconds|microseconds|milliseconds)=[0-9]+(\.[0-9]+)?(;(weeks|days|hours|minutes|seconds|microseconds|milliseconds)=[0-9]+(\.[0-9]+)?)*$`)
	subModes          = []string{"hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn"}
)

func validateIdentity(id *Identity, src Env, stack string, c Collector) {
	if !validMode(c, id.Mode, IdentityModes, "identity") {
		return
	}
	if id.Mode == IdentityAuthentik {
		validateAuthentik(id, src, stack, c)
	} else {
		validateExternal(id, src, c)
	}
	if strings.TrimSpace(id.ClientID) == "" {
		c.Add("clientId", "is empty", "set the OAuth2 client id (authentik mode defaults to zot-<stack>)")
	}
	if id.Label == "" {
		id.Label = DefaultOIDCLabel
		if id.Mode == IdentityAuthentik {
			id.Label = DefaultAuthentikLabel
		}
	}
	if strings.TrimSpace(id.Label) == "" {
		c.Add("label", "is empty", "name the login button, e.g. %q", DefaultOIDCLabel)
	}
	if id.Scopes == nil {
		id.Scopes = append([]string(nil), DefaultScopes...)
	}
	hasOpenID := false
	for i, s := range id.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			c.Add(fmt.Sprintf("scopes[%d]", i), fmt.Sprintf("%q is not a scope", s), "use one word per entry")
		}
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		c.Add("scopes", `does not include "openid", so the provider returns no ID token`, "add openid (default: %s)", strings.Join(DefaultScopes, " "))
	}
	switch claim := id.UsernameClaim; {
	case strings.TrimSpace(claim) == "" || strings.ContainsAny(claim, " \t"):
		c.Add("usernameClaim", fmt.Sprintf("%q is not a claim name", claim), "use email (default), preferred_username, sub or another claim of the ID token")
	case claimScope[claim] != "" && !slices.Contains(id.Scopes, claimScope[claim]):
		c.Add("usernameClaim", fmt.Sprintf("is %s, but scopes lack %q, so the ID token has no %s claim", claim, claimScope[claim], claim), "add %s to identity.scopes", claimScope[claim])
	}
}

// claimScope is the standard scope that brings a standard claim (OpenID
// Connect Core 5.4).
var claimScope = map[string]string{"email": "email", "preferred_username": "profile", "name": "profile"}

// validateUserNames: zot names an SSO user by identity.usernameClaim, so
// with the default (email) an accessControl user entry is either an htpasswd
// user or an email address. Push mode knows every htpasswd user, so an
// entry that is neither can never match.
func validateUserNames(cfg *Settings, c Collector) {
	if cfg.Identity.UsernameClaim != "email" || cfg.Secrets.Mode != SecretsPush {
		return
	}
	ac := cfg.Registry.AccessControl
	for _, list := range []struct {
		field string
		users []string
	}{{"accessControl.adminUsers", ac.AdminUsers}, {"accessControl.readerUsers", ac.ReaderUsers}} {
		for i, u := range list.users {
			if !strings.Contains(u, "@") && !slices.Contains(cfg.Secrets.Users, u) {
				c.Add(fmt.Sprintf("%s[%d]", list.field, i),
					fmt.Sprintf("%q is neither an htpasswd user (secrets.users) nor an email address, and zot names SSO users by their email (identity.usernameClaim)", u),
					"add it to secrets.users, write the user's email address, or set identity.usernameClaim to the claim your entries use (e.g. preferred_username)")
			}
		}
	}
}

func validateExternal(id *Identity, src Env, c Collector) {
	const fix = "set it to the provider's issuer, e.g. https://keycloak.example.com/realms/platform"
	switch u, err := url.Parse(id.Issuer); {
	case id.Issuer == "":
		c.Add("issuer", "is missing; external mode takes the issuer from config", fix)
	case err != nil || u.Host == "":
		c.Add("issuer", fmt.Sprintf("%q is not an absolute URL", id.Issuer), fix)
	case u.Scheme != "https":
		c.Add("issuer", fmt.Sprintf("%q must use https; zot fetches its discovery document at start-up", id.Issuer), fix)
	case u.RawQuery != "" || u.Fragment != "":
		c.Add("issuer", fmt.Sprintf("%q has a query or fragment", id.Issuer), fix)
	}
	secretKey(c.Errs, src, FullKey(KeyOIDCClientSecret), true, "external mode needs the client secret")
	a := id.Authentik
	if len(a.Groups) > 0 || a.AllowHTTP {
		c.Add("authentik", "is set, but external mode creates nothing in Authentik", "remove it, or use mode authentik")
	}
}

func validateAuthentik(id *Identity, src Env, stack string, c Collector) {
	a := &id.Authentik
	if id.Issuer != "" {
		c.Add("issuer", "is set, but authentik mode derives it from authentik:url and the slug", "remove it")
	}
	if id.ClientID == "" {
		id.ClientID = "zot-" + stack
	}
	// The Authentik URL is the provider's own config key: one place for the
	// provider and the issuer.
	raw, _ := src.Get(AuthentikURLKey)
	urlErr := func(problem string) {
		*c.Errs = append(*c.Errs, &FieldError{Key: AuthentikURLKey, Problem: problem, Fix: "pulumi config set authentik:url https://auth.example.com"})
	}
	switch u, err := url.Parse(raw); {
	case raw == "":
		urlErr("is missing; identity mode authentik needs the Authentik URL")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		urlErr(fmt.Sprintf("%q is not an https URL", raw))
	case u.Scheme == "http" && !a.AllowHTTP:
		urlErr(fmt.Sprintf("%q uses http; tokens and client secrets would cross the network in clear", raw) + " (for a lab, set identity.authentik.allowHttp: true)")
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		urlErr(fmt.Sprintf("%q has a path or query; give the Authentik root URL", raw))
	default:
		u.Path = ""
		id.AuthentikURL = u
	}
	secretKey(c.Errs, src, AuthentikTokenKey, false, "")
	if !authentikSlug.MatchString(a.Slug) || len(a.Slug) > 50 {
		c.Add("authentik.slug", fmt.Sprintf("%q is not an Authentik slug", a.Slug), "use letters, digits, '-' and '_' (default %q)", DefaultSlug)
	}
	for field, v := range map[string]string{
		"authentik.applicationName":   a.ApplicationName,
		"authentik.authorizationFlow": a.AuthorizationFlow,
		"authentik.invalidationFlow":  a.InvalidationFlow,
		"authentik.signingKey":        a.SigningKey,
	} {
		if strings.TrimSpace(v) == "" {
			c.Add(field, "is empty", "name it, or remove the key for the default")
		}
	}
	oneOf(c, "authentik.subMode", a.SubMode, subModes)
	for field, v := range map[string]string{
		"authentik.accessCodeValidity":   a.AccessCodeValidity,
		"authentik.accessTokenValidity":  a.AccessTokenValidity,
		"authentik.refreshTokenValidity": a.RefreshTokenValidity,
	} {
		if !authentikValidity.MatchString(v) {
			c.Add(field, fmt.Sprintf("%q is not an Authentik duration", v), "use unit=amount pairs such as minutes=10 or days=30;hours=12")
		}
	}
	seen := map[string]bool{}
	for i, g := range a.Groups {
		field := fmt.Sprintf("authentik.groups[%d]", i)
		switch {
		case strings.TrimSpace(g) == "":
			c.Add(field, "is empty", "name an Authentik group, or remove the entry")
		case seen[g]:
			c.Add(field, fmt.Sprintf("%q is listed twice", g), "remove the duplicate")
		}
		seen[g] = true
	}
}

var storeKinds = []string{"ClusterSecretStore", "SecretStore"}

func validateSecrets(cfg *Settings, src Env, c Collector) {
	s := &cfg.Secrets
	// The chart mounts the OIDC, htpasswd and session Secrets as volumes
	// named after them (a DNS-1123 label); zot reads the S3 one through env.
	names := []struct {
		field, v string
		mounted  bool
	}{
		{"oidcSecretName", s.OIDCSecretName, true},
		{"htpasswdSecretName", s.HtpasswdSecretName, true},
		{"s3SecretName", s.S3SecretName, false},
		{"sessionSecretName", s.SessionSecretName, true},
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
	if !validMode(c, s.Mode, SecretsModes, "secrets") {
		return
	}
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
	} else {
		s.WaitDuration = d
	}
	if strings.TrimSpace(s.RemoteProperty) != s.RemoteProperty {
		c.Add("remoteProperty", fmt.Sprintf("%q has leading or trailing white space", s.RemoteProperty), "name the field inside each remote key, e.g. value")
	}
	seenRemote := map[RemoteKey]string{}
	for _, r := range s.RemoteKeys.All() {
		field := "remoteKeys." + r.Field
		if strings.TrimSpace(r.Key) == "" {
			c.Add(field, "is empty", "name the key in the secret store, or remove it for the default")
			continue
		}
		if strings.TrimSpace(r.Property) != r.Property {
			c.Add(field+".property", fmt.Sprintf("%q has leading or trailing white space", r.Property), "name the field inside the remote key, e.g. value")
		}
		if r.Property == "" {
			r.Property = s.RemoteProperty
		}
		if other, dup := seenRemote[*r.RemoteKey]; dup {
			c.Add(field, fmt.Sprintf("%q is also %s; one remote key would feed two values", r.String(), other), "give each value its own remote key or property")
		}
		seenRemote[*r.RemoteKey] = field
	}
	seenUser := map[string]bool{}
	for i, u := range s.Users {
		field := fmt.Sprintf("users[%d]", i)
		switch {
		case strings.TrimSpace(u) == "":
			c.Add(field, "is empty", "name the htpasswd user, e.g. ci-pusher")
		case strings.ContainsAny(u, ": \t\n"):
			c.Add(field, fmt.Sprintf("%q contains ':' or white space, which breaks the htpasswd line", u), "use letters, digits, '-', '_' or '.'")
		case seenUser[u]:
			c.Add(field, fmt.Sprintf("%q is listed twice", u), "remove the duplicate")
		}
		seenUser[u] = true
	}
	if s.Mode != SecretsPush {
		if len(s.Users) > 0 {
			c.Add("users", "is set, but store mode generates nothing", "remove it (the htpasswd file comes from the store), or use mode push")
		}
		return
	}
	if len(s.Users) == 0 {
		c.Add("users", "is empty; push mode generates the htpasswd file and nobody could docker login", "list at least one user, e.g. [ci-pusher]")
	}
	if s.PasswordLength < 16 {
		c.Add("passwordLength", fmt.Sprintf("%d is too short for a generated password", s.PasswordLength), "use 16 or more (default 32)")
	}
	if cfg.NeedsS3KeyPair() {
		for _, k := range []string{KeyS3AccessKeyID, KeyS3SecretAccessKey} {
			secretKey(c.Errs, src, FullKey(k), true, "secrets mode push pushes zot's S3 key, which only storage mode aws creates")
		}
	}
}

func ptr[T any](v T) *T { return &v }

// validateRoute: zot is exposed one way, and a route names the Gateways it
// attaches to. An externalUrl that nothing serves is an error: docker login
// and the OIDC callback would go nowhere.
func validateRoute(r *Registry, c Collector) {
	rt := &r.Route
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
	if r.URL != nil && r.URL.Port() != "" {
		c.Add("externalUrl", fmt.Sprintf("names port %s, but a route's hostname cannot hold a port", r.URL.Port()),
			"drop the port: the Gateway's listener decides it")
	}
	rt.TimeoutDuration = max(r.ReadDuration, r.WriteDuration)
	if rt.Timeout != "" {
		d, err := time.ParseDuration(rt.Timeout)
		switch {
		case err != nil || d <= 0:
			c.Add("route.timeout", fmt.Sprintf("%q is not a duration", rt.Timeout), "use a Go duration such as 1h or 90m, or leave it empty for zot's longest timeout")
		case d%time.Second != 0:
			c.Add("route.timeout", fmt.Sprintf("%q is not whole seconds", rt.Timeout), "use whole seconds, minutes or hours, such as 90s or 1h")
		default:
			rt.TimeoutDuration = d
		}
	}
	for k := range rt.Annotations {
		if k == "" {
			c.Add("route.annotations", "has an empty annotation name", "remove it")
		}
	}
}

// NeedsS3KeyPair: in push mode the program pushes zot's S3 key, which the
// storage component makes only in aws mode.
func (c *Settings) NeedsS3KeyPair() bool {
	return c.Secrets.Mode == SecretsPush && c.Storage.Mode != StorageAWS
}
