package spec

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// zot-registry:storage: the bucket zot keeps blobs in.

// Storage modes.
const (
	StorageAWS          = "aws"           // a bucket, an IAM user and key on AWS S3
	StorageS3Compatible = "s3-compatible" // a bucket on MinIO, RustFS, Ceph RGW, Garage…
	StorageExisting     = "existing"      // a bucket managed elsewhere: nothing created
)

// StorageModes lists the modes in the order docs/storage.md gives them.
var StorageModes = []string{StorageAWS, StorageS3Compatible, StorageExisting}

// Storage is zot-registry:storage: the bucket zot keeps blobs in.
type Storage struct {
	Mode     string `json:"mode" pulumi:"mode,optional"`
	Bucket   string `json:"bucket" pulumi:"bucket,optional"`
	Region   string `json:"region" pulumi:"region,optional"`
	Endpoint string `json:"endpoint" pulumi:"endpoint,optional"`
	// ProvisionEndpoint is where pulumi up reaches the same store, when
	// zot's endpoint (cluster DNS, say) does not resolve there.
	ProvisionEndpoint string `json:"provisionEndpoint" pulumi:"provisionEndpoint,optional"`
	SecureSetting     *bool  `json:"secure" pulumi:"secure,optional"`
	ForcePathStyle    *bool  `json:"forcePathStyle" pulumi:"forcePathStyle,optional"`
	SkipVerify        bool   `json:"skipVerify" pulumi:"skipVerify,optional"`
	KeyPrefix         string `json:"keyPrefix" pulumi:"keyPrefix,optional"`
	// AbortIncompleteUploadsDays: a failed docker push leaves multipart parts
	// that are billed until a lifecycle rule removes them.
	AbortIncompleteUploadsDays int  `json:"abortIncompleteUploadsDays" pulumi:"abortIncompleteUploadsDays,optional"`
	RetainOnDelete             bool `json:"retainOnDelete" pulumi:"retainOnDelete,optional"`
	Protect                    bool `json:"protect" pulumi:"protect,optional"`
	// RedirectPulls is zot's storage.redirectBlobURL: a blob GET zot has
	// authorized answers 307 with a presigned URL of the store, and the
	// client downloads from there. Default: on in mode aws (clients reach
	// AWS S3), off otherwise (the URL names zot's endpoint).
	RedirectPulls *bool `json:"redirectPulls" pulumi:"redirectPulls,optional"`
	// AWS is how zot gets AWS credentials in mode aws.
	AWS AWSAccess `json:"aws" pulumi:"aws"`
	// Versioning keeps overwritten and deleted objects as noncurrent
	// versions for a while (mode aws), so a GC or retention mistake can
	// be undone.
	Versioning Versioning `json:"versioning" pulumi:"versioning"`

	// Derived by Resolve; not config keys.
	Secure         bool   `json:"-"` // from the endpoint's scheme
	RegionEndpoint string `json:"-"` // scheme://host[:port], empty for AWS S3
	// ProvisionURL is scheme://host[:port] of provisionEndpoint, else
	// RegionEndpoint: what the program's S3 calls and abortUploadsCommand use.
	ProvisionURL string `json:"-"`
	// BucketPrefix names a bucket this program creates when bucket is empty:
	// in aws mode a random suffix follows (names are global).
	BucketPrefix string `json:"-"`
	// resolved: Resolve made this section (see Resolved).
	resolved bool
}

// How zot gets AWS credentials (storage.aws.credentials).
const (
	// CredentialsAccessKey: an IAM user and its access key, delivered
	// through the secret store.
	CredentialsAccessKey = "accessKey"
	// CredentialsPodIdentity: an IAM role trusted by EKS Pod Identity and
	// associated with zot's ServiceAccount; no key exists.
	CredentialsPodIdentity = "podIdentity"
	// CredentialsIRSA: an IAM role trusting the cluster's OpenID provider
	// for zot's ServiceAccount (IAM roles for service accounts).
	CredentialsIRSA = "irsa"
)

var credentialModes = []string{CredentialsAccessKey, CredentialsPodIdentity, CredentialsIRSA}

// AWSAccess is storage.aws: zot's AWS credentials in mode aws.
type AWSAccess struct {
	Credentials string `json:"credentials" pulumi:"credentials,optional"`
	// EKSCluster is the EKS cluster the Pod Identity association is made
	// in (podIdentity).
	EKSCluster string `json:"eksCluster" pulumi:"eksCluster,optional"`
	// EKSClusterRegion is the cluster's region, where the association is
	// made (associations are regional); default: storage.region.
	EKSClusterRegion string `json:"eksClusterRegion" pulumi:"eksClusterRegion,optional"`
	// OIDCProviderArn is the IAM OpenID provider of the cluster (irsa):
	// arn:aws:iam::<account>:oidc-provider/<issuer host and path>.
	OIDCProviderArn string `json:"oidcProviderArn" pulumi:"oidcProviderArn,optional"`

	// Derived by Resolve; not a config key.
	OIDCIssuer string `json:"-"` // the provider's issuer without https:// (irsa)
}

// UsesRole reports whether zot assumes an IAM role instead of holding a key.
func (a AWSAccess) UsesRole() bool {
	return a.Credentials == CredentialsPodIdentity || a.Credentials == CredentialsIRSA
}

// Versioning is storage.versioning.
type Versioning struct {
	Enabled bool `json:"enabled" pulumi:"enabled,optional"`
	// KeepDays is how long a noncurrent version is kept before a
	// lifecycle rule expires it.
	KeepDays int `json:"keepDays" pulumi:"keepDays,optional"`
}

// DefaultVersioningKeepDays is storage.versioning.keepDays' default.
const DefaultVersioningKeepDays = 30

// KeyPairFromStore reports whether zot's S3 key pair reaches it through
// a Secret: every mode but a role in mode aws.
func (s Storage) KeyPairFromStore() bool { return s.Mode != StorageAWS || !s.AWS.UsesRole() }

// Redirects reports whether blob pulls are redirected to the store.
// Unset, pulls are redirected on AWS S3 only.
func (s Storage) Redirects() bool {
	if s.RedirectPulls == nil {
		return s.Mode == StorageAWS
	}
	return *s.RedirectPulls
}

// Creates reports whether this program creates the bucket.
func (s Storage) Creates() bool { return s.Mode == StorageAWS || s.Mode == StorageS3Compatible }

func validateStorage(s Storage, stack string, c Collector) {
	if !validMode(c, s.Mode, StorageModes, "storage") {
		return
	}
	validateAWSAccess(s, c)
	validateVersioning(s, c)
	const bucketFix = "use 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	switch {
	case s.Bucket != "":
		if msg := bucketNameProblem(s.Bucket); msg != "" {
			c.Add("bucket", msg, bucketFix)
		}
	case s.Mode == StorageExisting:
		c.Add("bucket", "is missing; existing mode uses a bucket made elsewhere", "name the bucket")
	default:
		if msg := bucketNameProblem(defaultBucketPrefix(stack, s.Mode == StorageAWS) + "-0a1b2c3d"); msg != "" {
			c.Add("bucket", "is empty and the default name from project and stack would be invalid: "+msg, "set bucket explicitly; %s", bucketFix)
		}
	}
	if s.Region == "" && s.Mode == StorageAWS {
		c.Add("region", "is missing; aws mode creates the bucket in a region", "set the AWS region, e.g. eu-central-1")
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

	validateEndpoints(s, c)
}

// validateEndpoints: the endpoint is the one source of zot's
// regionendpoint and secure (resolveStorage).
func validateEndpoints(s Storage, c Collector) {
	switch {
	case s.Endpoint == "" && s.Mode == StorageS3Compatible:
		c.Add("endpoint", "is missing; s3-compatible mode needs the store's URL", "set it, e.g. http://rustfs.storage.svc.cluster.local:9000")
		return
	case s.Endpoint != "" && s.Mode == StorageAWS:
		c.Add("endpoint", "is set, but aws mode talks to AWS S3", "remove endpoint, or use s3-compatible mode for another store")
		return
	case s.Endpoint == "":
		if s.ProvisionEndpoint != "" {
			c.Add("provisionEndpoint", "is set, but endpoint is empty, so zot talks to AWS S3", "remove provisionEndpoint, or set endpoint to the store zot uses")
		}
		if s.SecureSetting != nil && !*s.SecureSetting {
			c.Add("secure", "is false, but AWS S3 is always https", "remove secure")
		}
		return
	}
	u, ok := s3Endpoint(c, "endpoint", s.Endpoint)
	if !ok {
		return
	}
	if s.ProvisionEndpoint != "" {
		s3Endpoint(c, "provisionEndpoint", s.ProvisionEndpoint)
	}
	secure := u.Scheme == "https"
	if s.SecureSetting != nil && *s.SecureSetting != secure {
		c.Add("secure", fmt.Sprintf("is %t, but the endpoint %q says otherwise", *s.SecureSetting, s.Endpoint), "remove secure: the endpoint's scheme decides it")
	}
	if s.SkipVerify && !secure {
		c.Add("skipVerify", "is set, but the endpoint uses http, so there is no certificate to skip", "remove skipVerify or use an https endpoint")
	}
}

var (
	// An AWS region name, e.g. eu-central-1 or us-gov-west-1.
	awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// EKS cluster names: 1-100 characters (eks CreateCluster's name).
	eksClusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	// An IAM OpenID Connect provider ARN: the resource part is the
	// issuer's host and path (oidc.eks.<region>.amazonaws.com/id/<id>).
	oidcProviderARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:oidc-provider/([A-Za-z0-9.-]+(/[A-Za-z0-9._~-]+)*)$`)
)

func validateAWSAccess(s Storage, c Collector) {
	a := s.AWS
	if a.Credentials == "" {
		a.Credentials = CredentialsAccessKey // the default (resolveStorage)
	}
	if !slices.Contains(credentialModes, a.Credentials) {
		c.Add("aws.credentials", fmt.Sprintf("%q is not a way to get AWS credentials", a.Credentials), "use one of: %s", strings.Join(credentialModes, ", "))
		return
	}
	if a.UsesRole() && s.Mode != StorageAWS {
		c.Add("aws.credentials", fmt.Sprintf("is %s, but storage mode %s has no IAM role to assume", a.Credentials, s.Mode), "remove it (the key pair comes from the secret store), or use storage mode aws")
		return
	}
	needs := func(field, value, mode, fix string) {
		switch {
		case a.Credentials == mode && value == "":
			c.Add("aws."+field, "is missing; credentials "+mode+" needs it", "%s", fix)
		case a.Credentials != mode && value != "":
			c.Add("aws."+field, fmt.Sprintf("is set, but credentials is %s", a.Credentials), "remove it, or set aws.credentials: %s", mode)
		}
	}
	needs("eksCluster", a.EKSCluster, CredentialsPodIdentity, "name the EKS cluster zot runs in (aws eks list-clusters)")
	if a.EKSClusterRegion != "" {
		switch {
		case a.Credentials != CredentialsPodIdentity:
			c.Add("aws.eksClusterRegion", fmt.Sprintf("is set, but credentials is %s", a.Credentials), "remove it, or set aws.credentials: podIdentity")
		case !awsRegion.MatchString(a.EKSClusterRegion):
			c.Add("aws.eksClusterRegion", fmt.Sprintf("%q is not an AWS region", a.EKSClusterRegion), "use the cluster's region, e.g. eu-west-1")
		}
	}
	needs("oidcProviderArn", a.OIDCProviderArn, CredentialsIRSA, "give the ARN of the cluster's IAM OpenID provider (aws iam list-open-id-connect-providers)")
	if a.EKSCluster != "" && !eksClusterName.MatchString(a.EKSCluster) {
		c.Add("aws.eksCluster", fmt.Sprintf("%q is not an EKS cluster name", a.EKSCluster), "use the name aws eks list-clusters shows (letters, digits, '-' and '_', at most 100)")
	}
	if a.OIDCProviderArn != "" {
		if m := oidcProviderARN.FindStringSubmatch(a.OIDCProviderArn); m == nil {
			c.Add("aws.oidcProviderArn", fmt.Sprintf("%q is not an IAM OpenID provider ARN", a.OIDCProviderArn), "use arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>")
		}
	}
}

func validateVersioning(s Storage, c Collector) {
	v := s.Versioning // KeepDays 0: the default (resolveStorage)
	if v.KeepDays < 0 {
		c.Add("versioning.keepDays", fmt.Sprintf("%d must be at least 1", v.KeepDays), "use a number of days (default %d)", DefaultVersioningKeepDays)
	}
	if !v.Enabled && v.KeepDays != 0 && v.KeepDays != DefaultVersioningKeepDays {
		c.Add("versioning.keepDays", "is set, but versioning.enabled is false, so no version is kept", "remove it, or set versioning.enabled: true")
	}
	if v.Enabled && s.Mode != StorageAWS {
		c.Add("versioning.enabled", "is true, but the program turns on versioning only for the bucket it makes on AWS S3", "turn versioning on at the store, or use storage mode aws")
	}
}

// s3Endpoint parses an S3 endpoint setting: scheme, host and port only.
func s3Endpoint(c Collector, key, v string) (*url.URL, bool) {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		c.Add(key, fmt.Sprintf("%q is not an http:// or https:// URL", v), "set the S3 endpoint such as https://s3.example.com")
		return nil, false
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		c.Add(key, fmt.Sprintf("%q has a path or query; S3 clients add the bucket themselves", v), "use only scheme, host and port, such as https://s3.example.com:9000")
		return nil, false
	}
	return u, true
}

// defaultBucketPrefix is <project>-<stack> made a valid bucket name; in aws
// mode it leaves room for the random suffix that makes it globally unique.
func defaultBucketPrefix(stack string, suffixed bool) string {
	b := []byte(strings.ToLower(Project + "-" + stack))
	for i, ch := range b {
		if (ch < 'a' || ch > 'z') && (ch < '0' || ch > '9') && ch != '-' {
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

// storageSettings declare the settings whose fields this file holds (declare.go).
var storageSettings = []Setting{
	{Keys: []string{"storage.mode"}, Shown: "required",
		Doc: "`aws`, `s3-compatible` or `existing`."},
	{Keys: []string{"storage.bucket"}, Shown: "aws: `zot-registry-<stack>-<8 random hex>`; s3-compatible: `zot-registry-<stack>`; existing: required",
		Doc: "Bucket name (S3 rules: 3–63 characters, lowercase, digits, `-` and `.`, no `..`, not an IP address, no `xn--` prefix). Without it, the first preview of an aws stack shows zot's config as unknown. Changing it replaces the bucket."},
	{Keys: []string{"storage.region"}, Shown: "aws: required; otherwise `us-east-1`",
		Doc: "Bucket region."},
	{Keys: []string{"storage.endpoint"}, Shown: "s3-compatible: required; aws: must be empty; existing: empty means AWS S3",
		Doc: "The store's URL, e.g. `http://rustfs.storage.svc.cluster.local:9000`: scheme, host and port only; the scheme sets `secure`."},
	{Keys: []string{"storage.provisionEndpoint"}, Shown: "`endpoint`",
		Doc: "Where `pulumi up` reaches the same store when `endpoint` does not resolve there, e.g. a port-forward `http://127.0.0.1:9000`; zot keeps `endpoint`. Scheme, host and port only; only with `endpoint` ([Storage](storage.md#reaching-an-in-cluster-store-from-pulumi-up))."},
	{Keys: []string{"storage.secure"}, Shown: "from the endpoint",
		Doc: "May only repeat what the endpoint says (`true` with an `http://` endpoint is an error)."},
	{Keys: []string{"storage.forcePathStyle"}, Shown: "`true` with an endpoint, `false` without",
		Doc: "Path-style addressing (MinIO, RustFS, Ceph RGW, Garage need it)."},
	{Keys: []string{"storage.skipVerify"},
		Doc: "Skip TLS verification of an https endpoint (zot and the store's provider)."},
	{Keys: []string{"storage.keyPrefix"}, Shown: "empty (bucket root)",
		Doc: "Where in the bucket zot keeps its data, e.g. `/zot`; zot's policy is narrowed to it."},
	{Keys: []string{"storage.abortIncompleteUploadsDays"}, Default: DefaultAbortDays,
		Doc: "Abort multipart uploads older than this (at least 1), otherwise billed forever: a lifecycle rule in mode `aws`, elsewhere the `abortUploadsCommand` output."},
	{Keys: []string{"storage.retainOnDelete"}, Default: true,
		Doc: "Keep the bucket when the stack is destroyed: images are data."},
	{Keys: []string{"storage.protect"},
		Doc: "Refuse to delete the bucket at all (set it on production stacks)."},
	{Keys: []string{"storage.redirectPulls"}, Shown: "`true` in mode `aws`, else `false`",
		Doc: "Authorized blob pulls get a `307` to a presigned URL, and clients download from the store, so they must reach it at `endpoint` ([pulls straight from the store](storage.md#pulls-straight-from-the-store))."},
	{Keys: []string{"storage.aws.credentials"}, Shown: "`accessKey`",
		Doc: "How zot gets AWS credentials in mode `aws`: `accessKey` (an IAM user and key, through the secret store), or an IAM role holding only `storagePolicy`, with no key anywhere: `podIdentity` (EKS Pod Identity) or `irsa` (the cluster's OpenID provider) ([workload identity](storage.md#workload-identity-on-aws))."},
	{Keys: []string{"storage.aws.eksCluster"}, Shown: "`podIdentity`: required",
		Doc: "The EKS cluster zot runs in (the association's cluster)."},
	{Keys: []string{"storage.aws.eksClusterRegion"}, Shown: "`storage.region`",
		Doc: "`podIdentity`: the cluster's region, when it is not the bucket's."},
	{Keys: []string{"storage.aws.oidcProviderArn"}, Shown: "`irsa`: required",
		Doc: "The cluster's IAM OpenID provider, `arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>`."},
	{Keys: []string{"storage.versioning.enabled"},
		Doc: "Mode `aws`: bucket versioning, noncurrent versions expiring after `keepDays`, so a GC or retention mistake can be undone ([restore drill](operations.md#undoing-a-delete))."},
	{Keys: []string{"storage.versioning.keepDays"}, Shown: "`30`",
		Doc: "Days a noncurrent version is kept (at least 1); only with `versioning.enabled`."},
}
