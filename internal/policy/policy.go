// Package policy holds the rules every render must satisfy before a pull
// request merges or a stack deploys: the walk-through's failure modes and our
// security baseline, checked over what the program would send. The rules
// state the requirements independently of the code that builds the
// resources (their own action list, their own callback path), so a change in
// a component cannot quietly change what is checked.
package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// Input is what the rules look at: one stack's render.
type Input struct {
	Stack      string
	Config     *config.Config
	Resources  []mocks.Resource
	Outputs    map[string]any // secrets as render.SecretMarker
	ConfigJSON string         // zot's config.json
	Values     map[string]any // the Helm values
	Files      map[string][]byte
	Secrets    []string // every secret value the program handled, in clear
}

// Violation is one rule broken by one resource (or file, or output).
type Violation struct {
	Rule     string
	Resource string
	Message  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s: %s", v.Rule, v.Resource, v.Message)
}

// Rule is one check.
type Rule struct {
	Name  string
	Doc   string
	Check func(*Input) []Violation
}

// Rules are all the checks, in the order they are reported.
var Rules = []Rule{
	{"no-clear-secrets", "no secret value appears in clear text in any rendered file; Kubernetes Secret data is marked secret", noClearSecrets},
	{"strict-redirect-uri", "every OAuth2 provider allows exactly one redirect URI, strict, equal to <externalUrl>/zot/auth/callback/oidc", strictRedirectURI},
	{"external-url", "externalUrl is https, equals the registryUrl output, and is the one host of the ingress or the HTTPRoute (exactly one of them, attached to a Gateway)", externalURL},
	{"pinned-versions", "the chart version is exact and the image tag is set and not latest", pinnedVersions},
	{"docker2s2", "zot's http.compat contains docker2s2", docker2s2},
	{"bucket-retained", "every bucket the program creates is retained on delete", bucketRetained},
	{"exact-s3-policy", "zot's S3 policy allows exactly the eight actions, on the bucket and its objects; with DynamoDB metadata also exactly the six table actions on its seven tables", exactS3Policy},
	{"service-exposure", "the Service is ClusterIP unless registry.serviceType asks for NodePort or LoadBalancer, and an HTTPRoute's backend is that Service on its port", serviceExposure},
	{"pod-hardening", "zot runs as non-root with no privilege escalation, no capabilities, a seccomp profile, a read-only root filesystem (unless turned off) and CPU/memory requests and a memory limit", podHardening},
	{"secure-session", "zot's session cookie is Secure whenever externalUrl is https", secureSession},
	{"username-claim", "zot names SSO users by identity.usernameClaim (claimMapping.username)", usernameClaim},
	{"converges-on-store", "nothing is created on an S3-compatible store that waits for an AWS-only answer (the lifecycle resource)", convergesOnStore},
	{"workload-identity", "with storage.aws.credentials podIdentity or irsa no AWS key exists (no IAM user or access key, no AWS_* variable in zot's env, no S3 Secret) and the role trusts exactly zot's ServiceAccount: Pod Identity's service with an association for it, or the cluster's OpenID provider for its subject, named in its role-arn annotation", workloadIdentity},
	{"mounted-secrets-exist", "every Secret zot's pod mounts or reads is written by the render: an ExternalSecret's target, or in secrets mode kubernetes a Secret the program writes (with the key zot reads); no ESO object without ESO", mountedSecretsExist},
	{"extra-values-not-owned", "registry.extraValues sets no chart value the program owns (spec.OwnedValues), and each value it sets reaches the release as given", extraValuesNotOwned},
}

// Check runs every rule and returns the violations, sorted.
func Check(in *Input) []Violation {
	var out []Violation
	for _, r := range Rules {
		for _, v := range r.Check(in) {
			v.Rule = r.Name
			out = append(out, v)
		}
	}
	return out
}

// FromRender builds the input from an evaluated stack and the files its
// render wrote (relative paths and contents).
func FromRender(res *render.Result, files map[string][]byte) *Input {
	in := &Input{
		Stack:      res.Stack,
		Config:     res.Config,
		Resources:  res.Recorder.Resources(),
		Outputs:    res.Outputs,
		ConfigJSON: res.ConfigJSON,
		Values:     res.Values,
		Files:      files,
	}
	seen := map[string]bool{}
	for _, r := range in.Resources {
		for _, m := range []resource.PropertyMap{r.Inputs, r.State} {
			mocks.SecretStrings(resource.NewObjectProperty(m), seen)
		}
	}
	// Short values (a boolean, a port) would match by accident; the
	// render's own marker is not a secret.
	for s := range seen {
		if len(s) < 8 || s == render.SecretMarker {
			delete(seen, s)
		}
	}
	// A value the stack publishes as a plain output is public by design: the
	// OIDC client id travels inside the pushed Secret, and is an output.
	for _, v := range in.Outputs {
		if s, ok := v.(string); ok {
			delete(seen, s)
		}
	}
	// User names are public by design too: config.json lists them, and the
	// scrape user's name sits next to its password in one Secret.
	if c := in.Config; c != nil {
		for _, u := range slices.Concat(c.Secrets.Users.Names(), c.Registry.Metrics.Users, c.Registry.AccessControl.AdminUsers, c.Registry.AccessControl.ReaderUsers) {
			delete(seen, u)
		}
	}
	for s := range seen {
		in.Secrets = append(in.Secrets, s)
	}
	sort.Strings(in.Secrets)
	return in
}

func noClearSecrets(in *Input) []Violation {
	var out []Violation
	names := make([]string, 0, len(in.Files))
	for name := range in.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, s := range in.Secrets {
			if strings.Contains(string(in.Files[name]), s) {
				out = append(out, Violation{Resource: name, Message: fmt.Sprintf("holds a secret value in clear text (%d characters, starting %q)", len(s), s[:3])})
			}
		}
	}
	for _, r := range in.Resources {
		if r.Type != mocks.SecretType {
			continue
		}
		for _, field := range []resource.PropertyKey{"data", "stringData"} {
			v, ok := r.Inputs[field]
			if !ok || v.IsNull() {
				continue
			}
			if !allSecret(v) {
				out = append(out, Violation{Resource: r.URN, Message: fmt.Sprintf("%s is not marked secret: it would be stored in clear in the Pulumi state; wrap it in pulumi.ToSecret", field)})
			}
		}
	}
	return out
}

// allSecret reports whether every value inside v is secret.
func allSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsSecret():
		return true
	case v.IsOutput():
		return v.OutputValue().Secret || allSecret(v.OutputValue().Element)
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if !allSecret(e) {
				return false
			}
		}
		return true
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if !allSecret(e) {
				return false
			}
		}
		return true
	case v.IsNull():
		return true
	}
	return false
}

// zotHTTP is the part of config.json the rules read.
type zotHTTP struct {
	HTTP struct {
		ExternalURL string         `json:"externalUrl"`
		Compat      []string       `json:"compat"`
		Auth        map[string]any `json:"auth"`
	} `json:"http"`
}

func (in *Input) zot() (zotHTTP, error) {
	var z zotHTTP
	err := json.Unmarshal([]byte(in.ConfigJSON), &z)
	return z, err
}

// callbackPath is zot's OpenID callback for the provider key "oidc".
const callbackPath = "/zot/auth/callback/oidc"

func strictRedirectURI(in *Input) []Violation {
	z, err := in.zot()
	if err != nil {
		return []Violation{{Resource: render.ConfigFile, Message: "does not parse: " + err.Error()}}
	}
	want := strings.TrimSuffix(z.HTTP.ExternalURL, "/") + callbackPath
	var out []Violation
	if _, openid := z.HTTP.Auth["openid"]; !openid {
		// No OpenID login (identity mode none): nothing may be registered
		// anywhere, and no redirect URI is published.
		want = ""
		if in.Config == nil || in.Config.Identity.OpenID() {
			out = append(out, Violation{Resource: render.ConfigFile, Message: "has no http.auth.openid section, but the identity mode is not none"})
		}
	}
	for _, r := range in.Resources {
		if r.Type != "authentik:index/providerOauth2:ProviderOauth2" {
			continue
		}
		if want == "" {
			out = append(out, Violation{Resource: r.URN, Message: "is an OAuth2 provider, but zot logs in with no OpenID provider"})
			continue
		}
		uris, _ := mocks.Plain(r.Inputs["allowedRedirectUris"]).([]any)
		if len(uris) != 1 {
			out = append(out, Violation{Resource: r.URN, Message: fmt.Sprintf("allows %d redirect URIs, want exactly one: %s (strict)", len(uris), want)})
			continue
		}
		u, _ := uris[0].(map[string]any)
		if u["matching_mode"] != "strict" {
			out = append(out, Violation{Resource: r.URN, Message: fmt.Sprintf("redirect URI matching mode is %v, want strict (regex matching is how CVE-2024-52289 is exploited)", u["matching_mode"])})
		}
		if u["url"] != want {
			out = append(out, Violation{Resource: r.URN, Message: fmt.Sprintf("redirect URI is %v, want %s", u["url"], want)})
		}
	}
	if got, ok := in.Outputs["oidcRedirectUri"]; ok && got != want {
		out = append(out, Violation{Resource: "output oidcRedirectUri", Message: fmt.Sprintf("is %v, want %s", got, want)})
	}
	return out
}

func externalURL(in *Input) []Violation {
	z, err := in.zot()
	if err != nil {
		return []Violation{{Resource: render.ConfigFile, Message: "does not parse: " + err.Error()}}
	}
	var out []Violation
	u, err := url.Parse(z.HTTP.ExternalURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		out = append(out, Violation{Resource: render.ConfigFile, Message: fmt.Sprintf("http.externalUrl %q is not an https URL: docker refuses plain-http registries and OIDC cookies need TLS", z.HTTP.ExternalURL)})
		return out
	}
	if got := in.Outputs["registryUrl"]; got != z.HTTP.ExternalURL {
		out = append(out, Violation{Resource: "output registryUrl", Message: fmt.Sprintf("is %v, but zot's externalUrl is %s: consumers would push to another URL than zot knows", got, z.HTTP.ExternalURL)})
	}
	ingress, _ := in.Values["ingress"].(map[string]any)
	if enabled, _ := ingress["enabled"].(bool); enabled {
		hosts, _ := ingress["hosts"].([]any)
		if len(hosts) == 0 {
			out = append(out, Violation{Resource: render.ValuesFile, Message: "the ingress is enabled without hosts"})
		}
		for _, h := range hosts {
			host, _ := h.(map[string]any)["host"].(string)
			if host != u.Hostname() {
				out = append(out, Violation{Resource: render.ValuesFile, Message: fmt.Sprintf("ingress host %q differs from externalUrl's host %q: docker login would use a URL zot does not know", host, u.Hostname())})
			}
		}
		if tls, _ := ingress["tls"].([]any); len(tls) == 0 {
			out = append(out, Violation{Resource: render.ValuesFile, Message: "the ingress has no tls section, but externalUrl is https"})
		}
	}
	routes := in.routes()
	if enabled, _ := ingress["enabled"].(bool); enabled && len(routes) > 0 {
		out = append(out, Violation{Resource: render.ValuesFile, Message: "zot is exposed by both an ingress and an HTTPRoute: two proxies with different limits serve one URL"})
	}
	for _, rt := range routes {
		hosts, _ := rt.spec["hostnames"].([]any)
		if len(hosts) != 1 || hosts[0] != u.Hostname() {
			out = append(out, Violation{Resource: rt.file, Message: fmt.Sprintf("hostnames are %v, want exactly externalUrl's host %q: docker login would use a URL zot does not know", hosts, u.Hostname())})
		}
		if parents, _ := rt.spec["parentRefs"].([]any); len(parents) == 0 {
			out = append(out, Violation{Resource: rt.file, Message: "has no parentRefs: attached to no Gateway, it serves nothing"})
		}
	}
	return out
}

// route is an HTTPRoute the program declares, as rendered.
type route struct {
	file string
	spec map[string]any
}

func (in *Input) routes() []route {
	var out []route
	for _, r := range in.Resources {
		if r.Type != render.HTTPRouteType {
			continue
		}
		body, _ := mocks.Plain(r.Inputs["spec"]).(map[string]any)
		out = append(out, route{file: "HTTPRoute " + r.Name, spec: body})
	}
	return out
}

var exactVersion = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)

func pinnedVersions(in *Input) []Violation {
	var out []Violation
	for _, r := range in.Resources {
		if r.Type != render.ReleaseType {
			continue
		}
		if v, _ := mocks.Plain(r.Inputs["version"]).(string); !exactVersion.MatchString(v) {
			out = append(out, Violation{Resource: r.URN, Message: fmt.Sprintf("chart version %q is not an exact version: a re-run could install another chart", v)})
		}
	}
	image, _ := in.Values["image"].(map[string]any)
	tag, _ := image["tag"].(string)
	if tag == "" || tag == "latest" {
		out = append(out, Violation{Resource: render.ValuesFile, Message: fmt.Sprintf("image.tag is %q: pin a zot release (e.g. v2.1.18)", tag)})
	}
	return out
}

func docker2s2(in *Input) []Violation {
	z, err := in.zot()
	if err != nil {
		return []Violation{{Resource: render.ConfigFile, Message: "does not parse: " + err.Error()}}
	}
	if !slices.Contains(z.HTTP.Compat, "docker2s2") {
		return []Violation{{Resource: render.ConfigFile, Message: fmt.Sprintf("http.compat is %v: without docker2s2, docker's manifest push fails with 415", z.HTTP.Compat)}}
	}
	return nil
}

func bucketRetained(in *Input) []Violation {
	var out []Violation
	for _, r := range in.Resources {
		if strings.HasPrefix(r.Type, "aws:s3/bucket") && strings.HasSuffix(r.Type, ":BucketV2") && !r.RetainOnDelete {
			out = append(out, Violation{Resource: r.URN, Message: "is not retained on delete: pulumi destroy would delete every image; set storage.retainOnDelete: true"})
		}
	}
	return out
}

// The actions zot's key needs, stated here on their own: multipart is how
// docker pushes layers.
var (
	bucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
	objectActions = []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"}
	// The calls zot v2.1.20 makes on its DynamoDB tables (pkg/meta/dynamodb,
	// pkg/storage/cache/dynamodb.go), sorted.
	tableActions = []string{"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem"}
)

type policyDoc struct {
	Statement []struct {
		Effect   string
		Action   stringList
		Resource stringList
	}
}

// stringList takes IAM's "a string or a list of strings".
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

func exactS3Policy(in *Input) []Violation {
	const where = "output storagePolicy"
	raw, _ := in.Outputs["storagePolicy"].(string)
	var doc policyDoc
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return []Violation{{Resource: where, Message: "does not parse as an IAM policy: " + err.Error()}}
	}
	bucket, object := map[string]bool{}, map[string]bool{}
	var out []Violation
	var tables []string
	for i, st := range doc.Statement {
		if st.Effect != "Allow" {
			out = append(out, Violation{Resource: where, Message: fmt.Sprintf("statement %d has effect %q, want Allow", i, st.Effect)})
		}
		if len(st.Resource) > 0 && strings.HasPrefix(st.Resource[0], "arn:aws:dynamodb:") {
			tables = append(tables, st.Resource...)
			if got := slices.Sorted(slices.Values(st.Action)); !slices.Equal(got, tableActions) {
				out = append(out, Violation{Resource: where, Message: fmt.Sprintf("statement %d allows %v on the metadata tables, want exactly %v", i, got, tableActions)})
			}
			continue
		}
		for _, res := range st.Resource {
			onObjects := strings.HasSuffix(res, "*")
			if !strings.HasPrefix(res, "arn:aws:s3:::") || res == "arn:aws:s3:::*" {
				out = append(out, Violation{Resource: where, Message: fmt.Sprintf("statement %d names resource %q, want the bucket's ARN", i, res)})
			}
			for _, a := range st.Action {
				if onObjects {
					object[a] = true
				} else {
					bucket[a] = true
				}
			}
		}
	}
	check := func(scope string, got map[string]bool, want []string) {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, want) {
			out = append(out, Violation{Resource: where, Message: fmt.Sprintf("allows %v on the %s, want exactly %v", keys, scope, want)})
		}
	}
	check("bucket", bucket, bucketActions)
	check("objects", object, objectActions)
	// With DynamoDB metadata: exactly the tables zot reads, by their ARN.
	var want []string
	if c := in.Config; c != nil && c.Registry.Cache.Driver == spec.CacheDynamoDB {
		for _, t := range zotconfig.DynamoDBTables {
			want = append(want, "table/"+zotconfig.TableName(c.Registry.Cache.DynamoDB.TablePrefix, t))
		}
	}
	var got []string
	for _, arn := range tables {
		_, name, _ := strings.Cut(arn, ":table/")
		got = append(got, "table/"+name)
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		out = append(out, Violation{Resource: where, Message: fmt.Sprintf("names the DynamoDB tables %v, want exactly %v", got, want)})
	}
	// The IAM user's or role's policy (aws mode) must be the same document.
	for _, r := range in.Resources {
		if r.Type == mocks.UserPolicyType || r.Type == mocks.RolePolicyType {
			if p, _ := mocks.Plain(r.Inputs["policy"]).(string); p != raw {
				out = append(out, Violation{Resource: r.URN, Message: "differs from the storagePolicy output that was checked"})
			}
		}
	}
	return out
}

func serviceExposure(in *Input) []Violation {
	svc, _ := in.Values["service"].(map[string]any)
	typ, _ := svc["type"].(string)
	if typ == "" {
		return []Violation{{Resource: render.ValuesFile, Message: "service.type is not set: the chart's default is NodePort, which opens the registry on every node"}}
	}
	// The chart names the Service after fullnameOverride, on service.port.
	service, _ := in.Values["fullnameOverride"].(string)
	port, _ := svc["port"].(float64)
	var out []Violation
	for _, rt := range in.routes() {
		rules, _ := rt.spec["rules"].([]any)
		for _, rule := range rules {
			refs, _ := rule.(map[string]any)["backendRefs"].([]any)
			if len(refs) == 0 {
				out = append(out, Violation{Resource: rt.file, Message: "a rule has no backendRefs: the Gateway answers 500"})
			}
			for _, ref := range refs {
				b, _ := ref.(map[string]any)
				if kind, _ := b["kind"].(string); (kind != "" && kind != "Service") || b["name"] != service || b["port"] != port {
					out = append(out, Violation{Resource: rt.file, Message: fmt.Sprintf("backend is %v %v port %v, want zot's Service %s port %v", b["kind"], b["name"], b["port"], service, port)})
				}
			}
		}
	}
	if typ == "ClusterIP" {
		return out
	}
	configured := ""
	if in.Config != nil {
		configured = in.Config.Registry.ServiceType
	}
	if typ != configured {
		out = append(out, Violation{Resource: render.ValuesFile, Message: fmt.Sprintf("service.type is %s but registry.serviceType is %q: exposing the registry must be asked for", typ, configured)})
	}
	return out
}

func podHardening(in *Input) []Violation {
	var out []Violation
	bad := func(format string, args ...any) {
		out = append(out, Violation{Resource: render.ValuesFile, Message: fmt.Sprintf(format, args...)})
	}
	pod, _ := in.Values["podSecurityContext"].(map[string]any)
	ctr, _ := in.Values["securityContext"].(map[string]any)
	for name, sc := range map[string]map[string]any{"podSecurityContext": pod, "securityContext": ctr} {
		if sc["runAsNonRoot"] != true {
			bad("%s.runAsNonRoot is not true: the zot image has no USER and would run as root", name)
		}
		if uid, _ := sc["runAsUser"].(float64); uid <= 0 {
			bad("%s.runAsUser is %v: set a non-root id", name, sc["runAsUser"])
		}
		profile, _ := sc["seccompProfile"].(map[string]any)
		want := spec.SeccompRuntimeDefault
		if in.Config != nil {
			want = in.Config.Registry.Security.SeccompProfile
		}
		if profile["type"] != want {
			bad("%s.seccompProfile.type is %v, want %s", name, profile["type"], want)
		}
	}
	if ctr["allowPrivilegeEscalation"] != false {
		bad("securityContext.allowPrivilegeEscalation is not false")
	}
	caps, _ := ctr["capabilities"].(map[string]any)
	if drop, _ := caps["drop"].([]any); !slices.Contains(drop, any("ALL")) {
		bad("securityContext.capabilities.drop does not drop ALL")
	}
	wantRO := in.Config == nil || in.Config.Registry.Security.ReadOnlyRootFilesystem
	if wantRO && ctr["readOnlyRootFilesystem"] != true {
		bad("securityContext.readOnlyRootFilesystem is not true (registry.security.readOnlyRootFilesystem is)")
	}
	res, _ := in.Values["resources"].(map[string]any)
	req, _ := res["requests"].(map[string]any)
	lim, _ := res["limits"].(map[string]any)
	if req["cpu"] == nil || req["memory"] == nil {
		bad("resources.requests lacks cpu or memory: the scheduler cannot place zot sensibly")
	}
	if lim["memory"] == nil {
		bad("resources.limits.memory is not set: a runaway zot can starve its node")
	}
	return out
}

func secureSession(in *Input) []Violation {
	z, err := in.zot()
	if err != nil {
		return []Violation{{Resource: render.ConfigFile, Message: err.Error()}}
	}
	if strings.HasPrefix(z.HTTP.ExternalURL, "https://") && z.HTTP.Auth["secureSession"] != true {
		return []Violation{{Resource: render.ConfigFile, Message: "http.auth.secureSession is not true although externalUrl is https: behind a TLS ingress zot's session cookie would go out without the Secure flag"}}
	}
	return nil
}

func usernameClaim(in *Input) []Violation {
	z, err := in.zot()
	if err != nil {
		return []Violation{{Resource: render.ConfigFile, Message: err.Error()}}
	}
	openid, on := z.HTTP.Auth["openid"].(map[string]any)
	if !on && in.Config != nil && !in.Config.Identity.OpenID() {
		return nil // identity mode none: no SSO users to name
	}
	providers, _ := openid["providers"].(map[string]any)
	oidc, _ := providers["oidc"].(map[string]any)
	mapping, _ := oidc["claimMapping"].(map[string]any)
	want := spec.DefaultUsernameClaim
	if in.Config != nil {
		want = in.Config.Identity.UsernameClaim
	}
	if mapping["username"] != want {
		return []Violation{{Resource: render.ConfigFile, Message: fmt.Sprintf("openid claimMapping.username is %v, want %q (identity.usernameClaim): accessControl's SSO entries would never match", mapping["username"], want)}}
	}
	return nil
}

func convergesOnStore(in *Input) []Violation {
	storeProviders := map[string]bool{}
	for _, r := range in.Resources {
		if r.Type == "pulumi:providers:aws" {
			if e, ok := r.Inputs["endpoints"]; ok && !e.IsNull() {
				storeProviders[r.URN] = true
			}
		}
	}
	var out []Violation
	for _, r := range in.Resources {
		if r.Type != "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2" {
			continue
		}
		ref := r.Provider
		if i := strings.LastIndex(ref, "::"); i > 0 {
			ref = ref[:i]
		}
		if storeProviders[ref] {
			out = append(out, Violation{Resource: r.URN, Message: "a lifecycle configuration on an S3-compatible store: pulumi-aws v6 waits for an AWS-only header and fails every pulumi up (terraform-provider-aws issues 49019, 46021); use the abortUploadsCommand output instead"})
		}
	}
	return out
}

// podIdentityService and stsAudience are what EKS Pod Identity and IRSA
// need in a trust policy (AWS EKS user guide).
const (
	podIdentityService = "pods.eks.amazonaws.com"
	stsAudience        = "sts.amazonaws.com"
)

func workloadIdentity(in *Input) []Violation {
	if in.Config == nil || in.Config.Storage.Mode != spec.StorageAWS || !in.Config.Storage.AWS.UsesRole() {
		return nil
	}
	a := in.Config.Storage.AWS
	var out []Violation
	for _, res := range in.Resources {
		switch res.Type {
		case mocks.UserType, mocks.AccessKeyType, mocks.UserPolicyType:
			out = append(out, Violation{Resource: res.URN, Message: "is an IAM user or key, but zot assumes a role (storage.aws.credentials " + a.Credentials + ")"})
		}
	}
	if env, _ := in.Values["env"].([]any); len(env) > 0 {
		for _, e := range env {
			if m, _ := e.(map[string]any); strings.HasPrefix(fmt.Sprint(m["name"]), "AWS_") {
				out = append(out, Violation{Resource: "zot/values.yaml", Message: fmt.Sprintf("env %v gives zot a key; static keys win over the role in both AWS SDKs", m["name"])})
			}
		}
	}
	if in.Config.Secrets.S3SecretName != "" {
		for _, res := range in.Resources {
			meta, _ := mocks.Plain(res.Inputs["metadata"]).(map[string]any)
			if name, _ := meta["name"].(string); name == in.Config.Secrets.S3SecretName &&
				(res.Type == mocks.ExternalSecretType || res.Type == mocks.SecretType) {
				out = append(out, Violation{Resource: res.URN, Message: "writes the S3 key pair Secret, but zot assumes a role"})
			}
		}
	}
	return append(out, roleTrust(in)...)
}

// roleTrust: exactly zot's role, trusting exactly zot's ServiceAccount
// through Pod Identity or IRSA.
func roleTrust(in *Input) []Violation {
	a := in.Config.Storage.AWS
	r := in.Config.Registry
	namespace, sa := r.Namespace, r.ReleaseName // the chart's ServiceAccount is the fullname
	var out []Violation
	roles := in.byType(mocks.RoleType)
	if len(roles) != 1 {
		return append(out, Violation{Resource: "storage", Message: fmt.Sprintf("declares %d IAM roles, want exactly zot's", len(roles))})
	}
	role := roles[0]
	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    stringList
			Condition map[string]map[string]string
		}
	}
	raw, _ := mocks.Plain(role.Inputs["assumeRolePolicy"]).(string)
	if err := json.Unmarshal([]byte(raw), &trust); err != nil || len(trust.Statement) != 1 || trust.Statement[0].Effect != "Allow" {
		return append(out, Violation{Resource: role.URN, Message: "its trust policy is not one Allow statement"})
	}
	st := trust.Statement[0]
	actions := []string(st.Action)
	switch a.Credentials {
	case spec.CredentialsPodIdentity:
		if fmt.Sprint(st.Principal["Service"]) != podIdentityService || len(st.Principal) != 1 || !slices.Equal(slices.Sorted(slices.Values(actions)), []string{"sts:AssumeRole", "sts:TagSession"}) {
			out = append(out, Violation{Resource: role.URN, Message: fmt.Sprintf("trusts %v for %v, want exactly %s for sts:AssumeRole and sts:TagSession", st.Principal, actions, podIdentityService)})
		}
		assoc := in.byType(mocks.PodIdentityType)
		if len(assoc) != 1 {
			return append(out, Violation{Resource: "storage", Message: fmt.Sprintf("declares %d Pod Identity associations, want one for %s/%s", len(assoc), namespace, sa)})
		}
		got := mocks.Plain(resource.NewObjectProperty(assoc[0].Inputs)).(map[string]any)
		if got["clusterName"] != a.EKSCluster || got["namespace"] != namespace || got["serviceAccount"] != sa {
			out = append(out, Violation{Resource: assoc[0].URN, Message: fmt.Sprintf("associates %v %v/%v, want %s %s/%s", got["clusterName"], got["namespace"], got["serviceAccount"], a.EKSCluster, namespace, sa)})
		}
	case spec.CredentialsIRSA:
		issuer := a.OIDCIssuer
		want := map[string]string{issuer + ":sub": "system:serviceaccount:" + namespace + ":" + sa, issuer + ":aud": stsAudience}
		if fmt.Sprint(st.Principal["Federated"]) != a.OIDCProviderArn || len(st.Principal) != 1 || !slices.Equal(actions, []string{"sts:AssumeRoleWithWebIdentity"}) ||
			len(st.Condition) != 1 || !maps.Equal(st.Condition["StringEquals"], want) {
			out = append(out, Violation{Resource: role.URN, Message: fmt.Sprintf("trusts %v for %v if %v, want exactly %s for sts:AssumeRoleWithWebIdentity if StringEquals %v", st.Principal, actions, st.Condition, a.OIDCProviderArn, want)})
		}
		sav, _ := in.Values["serviceAccount"].(map[string]any)
		ann, _ := sav["annotations"].(map[string]any)
		arn, _ := mocks.Plain(role.State["arn"]).(string)
		if arn == "" || ann[spec.IRSAAnnotation] != arn || sav["create"] != true || sav["name"] != nil {
			out = append(out, Violation{Resource: "zot/values.yaml", Message: fmt.Sprintf("serviceAccount %v does not name the role %s in %s", sav, arn, spec.IRSAAnnotation)})
		}
	}
	return out
}

// byType are the render's resources of one type.
func (in *Input) byType(typ string) []mocks.Resource {
	var out []mocks.Resource
	for _, r := range in.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func mountedSecretsExist(in *Input) []Violation {
	written := map[string]map[string]bool{} // Secret name -> keys, nil: ESO's target (keys checked by the kube tier)
	esoObjects := 0
	for _, r := range in.Resources {
		meta, _ := mocks.Plain(r.Inputs["metadata"]).(map[string]any)
		name, _ := meta["name"].(string)
		switch r.Type {
		case mocks.ExternalSecretType:
			esoObjects++
			es, _ := mocks.Plain(r.Inputs["spec"]).(map[string]any)
			target, _ := es["target"].(map[string]any)
			if t, _ := target["name"].(string); t != "" {
				written[t] = nil
			}
		case mocks.PushSecretType:
			esoObjects++
		case mocks.SecretType:
			keys := map[string]bool{}
			data, _ := mocks.Plain(r.Inputs["stringData"]).(map[string]any)
			for k := range data {
				keys[k] = true
			}
			written[name] = keys
		}
	}
	var out []Violation
	if in.Config != nil && !in.Config.Secrets.UsesESO() && esoObjects > 0 {
		out = append(out, Violation{Resource: "secrets", Message: fmt.Sprintf("declares %d External Secrets Operator objects, but secrets mode kubernetes runs without ESO", esoObjects)})
	}
	check := func(where, secret, key string) {
		keys, ok := written[secret]
		switch {
		case !ok:
			out = append(out, Violation{Resource: "zot/values.yaml", Message: fmt.Sprintf("%s reads the Secret %s, which nothing in the render writes", where, secret)})
		case keys != nil && key != "" && !keys[key]:
			out = append(out, Violation{Resource: "zot/values.yaml", Message: fmt.Sprintf("%s reads key %s of the Secret %s, which the program does not write", where, key, secret)})
		}
	}
	mounts, _ := in.Values["externalSecrets"].([]any)
	for _, m := range mounts {
		mm, _ := m.(map[string]any)
		check(fmt.Sprintf("the mount at %v", mm["mountPath"]), fmt.Sprint(mm["secretName"]), "")
	}
	env, _ := in.Values["env"].([]any)
	for _, e := range env {
		em, _ := e.(map[string]any)
		vf, _ := em["valueFrom"].(map[string]any)
		ref, _ := vf["secretKeyRef"].(map[string]any)
		if ref != nil {
			check(fmt.Sprintf("env %v", em["name"]), fmt.Sprint(ref["name"]), fmt.Sprint(ref["key"]))
		}
	}
	return out
}

func extraValuesNotOwned(in *Input) []Violation {
	if in.Config == nil {
		return nil
	}
	extra := in.Config.Registry.ExtraValues
	var out []Violation
	for _, p := range spec.ExtraValuePaths(extra) {
		if o, owned := spec.OwnedValueAt(p); owned {
			out = append(out, Violation{Resource: "registry.extraValues." + p, Message: fmt.Sprintf("sets %s, which the program owns; use %s", o.Path, o.Instead)})
			continue
		}
		if !reflect.DeepEqual(valueAt(extra, p), valueAt(in.Values, p)) {
			out = append(out, Violation{Resource: "zot/values.yaml", Message: fmt.Sprintf("%s is %v, not the extraValues' %v", p, valueAt(in.Values, p), valueAt(extra, p))})
		}
	}
	return out
}

// valueAt is the value at a dotted path of m, or nil.
func valueAt(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}
