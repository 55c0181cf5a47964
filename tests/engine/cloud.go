// Package engine runs the program under the real Pulumi deployment engine,
// in-process (pkg/v3's engine and deploytest; no CLI, no plugins), against
// fake providers that keep state and decide replacement the way the real
// providers document it. It answers the engine questions mocks cannot: a
// second preview with no changes, which edits replace what, what destroy
// deletes, what the checkpoint holds, and what a first preview knows.
package engine

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/mod/modfile"

	"github.com/zot-registry/zot-registry/internal/mocks"
)

// Packages are the provider packages the program uses, by the Go module of
// their SDK. The SDKs ask the engine for a provider by the module's major
// version or by the SDK's own version (the kubernetes SDK sends 4.32.0 with
// most resources, nothing with a CustomResource); the plugin host matches
// versions exactly, so each package is served under both.
var Packages = map[string]string{
	"aws":        "github.com/pulumi/pulumi-aws/sdk/v6",
	"random":     "github.com/pulumi/pulumi-random/sdk/v4",
	"kubernetes": "github.com/pulumi/pulumi-kubernetes/sdk/v4",
	"authentik":  "github.com/OSMIT-GmbH/pulumi-authentik/sdk/v2024",
}

// sdkVersions are the versions of the SDK modules in go.mod (go test runs
// in the package folder): what the Go language host reports to the engine
// as the program's plugins, so a request without a version gets that one.
func sdkVersions() (map[string]semver.Version, error) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return nil, err
	}
	mod, err := modfile.Parse("go.mod", b, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]semver.Version{}
	for pkg, module := range Packages {
		for _, r := range mod.Require {
			if r.Mod.Path == module {
				if out[pkg], err = semver.ParseTolerant(r.Mod.Version); err != nil {
					return nil, err
				}
			}
		}
		if _, ok := out[pkg]; !ok {
			return nil, fmt.Errorf("go.mod does not require %s: the fake %s provider serves its version", module, pkg)
		}
	}
	return out, nil
}

// CreateOnly lists, per resource type, the input properties whose change
// replaces the resource, as each provider documents them (a dotted path
// names a nested property). A type not listed updates in place.
var CreateOnly = map[string][]string{
	// terraform-provider-aws: ForceNew arguments (website/docs/r/*.html.markdown).
	"aws:s3/bucketV2:BucketV2":                                                                   {"bucket", "bucketPrefix", "objectLockEnabled"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     {"bucket"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       {"bucket", "expectedBucketOwner"},
	mocks.UserPolicyType: {"user", "name", "namePrefix"},
	mocks.AccessKeyType:  {"user", "pgpKey"},
	mocks.RoleType:       {"name", "namePrefix", "path"},
	mocks.RolePolicyType: {"role", "name", "namePrefix"},
	// aws_eks_pod_identity_association: cluster_name, namespace and
	// service_account are ForceNew.
	mocks.PodIdentityType: {"clusterName", "namespace", "serviceAccount"},
	mocks.VersioningType:  {"bucket", "expectedBucketOwner"},
	// terraform-provider-random: every argument is ForceNew.
	mocks.RandomPasswordType: {"length", "special", "upper", "lower", "numeric", "number",
		"minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial", "keepers"},
	mocks.RandomIDType: {"byteLength", "keepers", "prefix"},
	// terraform-provider-authentik: client_type is ForceNew.
	"authentik:index/providerOauth2:ProviderOauth2": {"clientType"},
	// pulumi-kubernetes: a named object is replaced when its name or
	// namespace changes; a Secret's type is immutable in the API.
	mocks.NamespaceType:      {"metadata.name"},
	mocks.SecretType:         {"metadata.name", "metadata.namespace", "type"},
	mocks.ExternalSecretType: {"metadata.name", "metadata.namespace"},
	mocks.PushSecretType:     {"metadata.name", "metadata.namespace"},
	mocks.HTTPRouteType:      {"metadata.name", "metadata.namespace"},
	// provider/pkg/provider/helm_release.go: forceNewFields ".name", ".namespace".
	mocks.ReleaseType: {"name", "namespace"},
	// A claim's spec is immutable after creation but for its requested
	// size (Kubernetes API validation of PersistentVolumeClaimSpec).
	mocks.PVCType:            {"metadata.name", "metadata.namespace", "spec.storageClassName", "spec.accessModes"},
	mocks.ServiceMonitorType: {"metadata.name", "metadata.namespace"},
	// terraform-provider-aws aws_dynamodb_table: name, hash_key, range_key
	// are ForceNew.
	mocks.TableType: {"name", "hashKey", "rangeKey"},
}

// Op is one operation a provider carried out (previews are not recorded).
type Op struct {
	Kind string // create, update, delete
	URN  resource.URN
	Type string
}

// Cloud is the world the fake providers manage: what exists, what each
// call did, and every value a provider generated as a secret. It outlives
// provider instances, as a real cloud outlives plugin processes.
type Cloud struct {
	mu      sync.Mutex
	live    map[resource.URN]resource.PropertyMap
	ops     []Op
	secrets map[string]bool
	// names are the physical names in use (a Helm release, a Kubernetes
	// object): a second create of one fails, as Helm and the API server
	// refuse it, until the first is deleted.
	names map[string]resource.URN
}

// NewCloud is an empty cloud.
func NewCloud() *Cloud {
	return &Cloud{live: map[resource.URN]resource.PropertyMap{}, secrets: map[string]bool{}, names: map[string]resource.URN{}}
}

// physicalName is the name a Helm release or a Kubernetes object takes in
// the cluster; empty for what has none that clashes.
func physicalName(typ string, in resource.PropertyMap) string {
	str := func(v resource.PropertyValue) string {
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch {
	case typ == mocks.ReleaseType:
		return typ + " " + str(at(in, "namespace")) + "/" + str(at(in, "name"))
	case strings.HasPrefix(typ, "kubernetes:") && str(at(in, "metadata.name")) != "":
		return typ + " " + str(at(in, "metadata.namespace")) + "/" + str(at(in, "metadata.name"))
	}
	return ""
}

// claim takes a physical name for urn, or says who holds it.
func (c *Cloud) claim(typ string, urn resource.URN, in resource.PropertyMap) error {
	name := physicalName(typ, in)
	if name == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if holder, ok := c.names[name]; ok {
		// Helm: "cannot re-use a name that is still in use"; the API
		// server: AlreadyExists.
		return fmt.Errorf("%s is still in use by %s", name, holder)
	}
	c.names[name] = urn
	return nil
}

func (c *Cloud) release(urn resource.URN) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, holder := range c.names {
		if holder == urn {
			delete(c.names, name)
		}
	}
}

// Adopt makes the cloud hold what a checkpoint says exists: each custom
// resource with its outputs, and the physical name it took, as a cloud
// would after the `pulumi up` that wrote that checkpoint. Provider
// resources exist only in the engine.
func (c *Cloud) Adopt(snap *deploy.Snapshot) error {
	for _, r := range snap.Resources {
		typ := string(r.Type)
		if !r.Custom || strings.HasPrefix(typ, "pulumi:providers:") {
			continue
		}
		if err := c.claim(typ, r.URN, r.Inputs); err != nil {
			return err
		}
		c.mu.Lock()
		c.live[r.URN] = r.Outputs.Copy()
		c.mu.Unlock()
	}
	return nil
}

// Ops returns what the providers did, in order.
func (c *Cloud) Ops() []Op {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Op(nil), c.ops...)
}

// Exists says whether the resource with this URN exists at its provider.
func (c *Cloud) Exists(urn resource.URN) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.live[urn]
	return ok
}

// GeneratedSecrets are the secret values the providers made (passwords,
// their bcrypt hashes, access keys), sorted.
func (c *Cloud) GeneratedSecrets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for s := range c.secrets {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (c *Cloud) record(op Op, state resource.PropertyMap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = append(c.ops, op)
	if op.Kind == "delete" {
		delete(c.live, op.URN)
		return
	}
	c.live[op.URN] = state
}

// generated notes the secret values a provider computed (inputs it was
// given are the program's, and checked where the program makes them).
func (c *Cloud) generated(in, state resource.PropertyMap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range state {
		if _, given := in[k]; !given {
			mocks.SecretStrings(v, c.secrets)
		}
	}
	delete(c.secrets, "") // nothing to find
}

// Plugins are the loaders for the plugin host, one per package and version
// (each load is a new provider instance over this cloud: the engine
// configures an instance once), and the packages the program requires.
func (c *Cloud) Plugins() ([]*deploytest.ProviderLoader, []workspace.PackageDescriptor, error) {
	versions, err := sdkVersions()
	if err != nil {
		return nil, nil, err
	}
	var loaders []*deploytest.ProviderLoader
	var required []workspace.PackageDescriptor
	for pkg, v := range versions {
		pkg, v := pkg, v
		load := func() (plugin.Provider, error) { return c.provider(pkg), nil }
		major := semver.Version{Major: v.Major}
		loaders = append(loaders,
			deploytest.NewProviderLoader(tokens.Package(pkg), v, load),
			deploytest.NewProviderLoader(tokens.Package(pkg), major, load))
		required = append(required, workspace.PackageDescriptor{PluginDescriptor: workspace.PluginDescriptor{
			Name: pkg, Kind: apitype.ResourcePlugin, Version: &v,
		}})
	}
	return loaders, required, nil
}

func (c *Cloud) provider(pkg string) *deploytest.Provider {
	return &deploytest.Provider{
		DiffF: func(_ context.Context, req plugin.DiffRequest) (plugin.DiffResult, error) {
			return diff(string(req.Type), resource.ToResourcePropertyMap(req.OldInputs), resource.ToResourcePropertyMap(req.NewInputs)), nil
		},
		CreateF: func(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
			in := resource.ToResourcePropertyMap(req.Properties)
			id, state := generate(string(req.Type), req.Name, in, req.Preview)
			if !req.Preview {
				if err := c.claim(string(req.Type), req.URN, in); err != nil {
					return plugin.CreateResponse{}, err
				}
				c.record(Op{Kind: "create", URN: req.URN, Type: string(req.Type)}, state)
				c.generated(in, state)
			}
			return plugin.CreateResponse{ID: resource.ID(id), Properties: resource.FromResourcePropertyMap(state), Status: resource.StatusOK}, nil
		},
		UpdateF: func(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
			state := resource.ToResourcePropertyMap(req.NewInputs)
			// What the provider computed at create (a key, an ARN) stays.
			for k, v := range resource.ToResourcePropertyMap(req.OldOutputs) {
				if _, set := state[k]; !set {
					state[k] = v
				}
			}
			if !req.Preview {
				c.record(Op{Kind: "update", URN: req.URN, Type: string(req.Type)}, state)
			}
			return plugin.UpdateResponse{Properties: resource.FromResourcePropertyMap(state), Status: resource.StatusOK}, nil
		},
		DeleteF: func(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
			c.record(Op{Kind: "delete", URN: req.URN, Type: string(req.Type)}, nil)
			c.release(req.URN)
			return plugin.DeleteResponse{Status: resource.StatusOK}, nil
		},
		InvokeF: func(_ context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
			// The lookups the program makes, answered as the render answers
			// them; any other invoke is a lookup nobody planned for.
			f, ok := mocks.DefaultCalls[string(req.Tok)]
			if !ok {
				return plugin.InvokeResponse{}, fmt.Errorf("fake %s provider: unexpected invoke %s", pkg, req.Tok)
			}
			res, err := f(pulumi.MockCallArgs{Token: string(req.Tok), Args: resource.ToResourcePropertyMap(req.Args)})
			if err != nil {
				return plugin.InvokeResponse{}, err
			}
			return plugin.InvokeResponse{Properties: resource.FromResourcePropertyMap(res)}, nil
		},
	}
}

// generate is the state a create returns: the inputs plus what the
// provider computes, with the same stand-ins the render uses. A preview
// cannot know computed values, so they are unknown there, as with a real
// provider; inputs stay as given.
func generate(typ, name string, in resource.PropertyMap, preview bool) (string, resource.PropertyMap) {
	state := in.Copy()
	id := name + "-id"
	if gen, ok := mocks.Generated[typ]; ok {
		id = gen(name, in, state)
	}
	// A provider computes what it was not given; what it was given stays
	// (the render's stand-ins fill in a client secret, the program gives one).
	for k, v := range in {
		state[k] = v
	}
	if preview {
		for k, v := range state {
			if old, given := in[k]; !given || !old.DeepEquals(v) {
				state[k] = resource.MakeComputed(resource.NewProperty(""))
			}
		}
		id = ""
	}
	return id, state
}

// diff compares the inputs of the last deployment with the program's new
// ones: no difference is no change; a difference at a create-only path
// (or an unknown value there) replaces.
func diff(typ string, olds, news resource.PropertyMap) plugin.DiffResult {
	d := olds.Diff(news)
	if d == nil || !d.AnyChanges() {
		return plugin.DiffResult{Changes: plugin.DiffNone}
	}
	var changed, replace []resource.PropertyKey
	for _, k := range d.ChangedKeys() {
		changed = append(changed, k)
	}
	for _, path := range CreateOnly[typ] {
		o, n := at(olds, path), at(news, path)
		if n.IsComputed() || !o.DeepEquals(n) {
			replace = append(replace, resource.PropertyKey(strings.SplitN(path, ".", 2)[0]))
		}
	}
	return plugin.DiffResult{
		Changes: plugin.DiffSome, ChangedKeys: changed, ReplaceKeys: replace,
		DetailedDiff: detailed(typ, olds, news),
	}
}

// detailed is the diff by property path, as the Helm Release and
// Kubernetes providers report it (pulumi-kubernetes convertPatchToDiff):
// one entry per changed leaf (a list counts as one), replace where it is
// under a create-only path. The engine matches replaceOnChanges against
// these paths.
func detailed(typ string, olds, news resource.PropertyMap) map[string]plugin.PropertyDiff {
	out := map[string]plugin.PropertyDiff{}
	var walk func(path string, o, n resource.PropertyValue)
	walk = func(path string, o, n resource.PropertyValue) {
		for o.IsSecret() {
			o = o.SecretValue().Element
		}
		for n.IsSecret() {
			n = n.SecretValue().Element
		}
		if o.IsObject() && n.IsObject() {
			om, nm := o.ObjectValue(), n.ObjectValue()
			for k := range om {
				walk(join(path, string(k)), om[k], nm[k])
			}
			for k := range nm {
				if _, ok := om[k]; !ok {
					walk(join(path, string(k)), resource.NewNullProperty(), nm[k])
				}
			}
			return
		}
		if o.DeepEquals(n) && !n.IsComputed() {
			return
		}
		kind := plugin.DiffUpdate
		switch {
		case o.IsNull():
			kind = plugin.DiffAdd
		case n.IsNull():
			kind = plugin.DiffDelete
		}
		for _, p := range CreateOnly[typ] {
			if path == p || strings.HasPrefix(path, p+".") {
				kind = kind.AsReplace()
			}
		}
		out[path] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
	}
	walk("", resource.NewObjectProperty(olds), resource.NewObjectProperty(news))
	return out
}

// join appends a key to a property path, quoting keys that are not plain
// names (annotation keys with dots and slashes).
func join(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
		}
	}
	switch {
	case !plain:
		return path + `["` + strings.ReplaceAll(key, `"`, `\"`) + `"]`
	case path == "":
		return key
	}
	return path + "." + key
}

// at is the value at a dotted path, null where there is none.
func at(m resource.PropertyMap, path string) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, k := range strings.Split(path, ".") {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(k)]
		if !ok {
			return resource.NewNullProperty()
		}
		v = next
	}
	return v
}
