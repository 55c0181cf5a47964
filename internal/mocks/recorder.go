// Package mocks records what a Pulumi program registers when it runs under
// pulumi.RunWithMocks: every resource with its type, name, parent, inputs
// (secrets still marked) and options. The offline render and the tests share it.
package mocks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/zot-registry/zot-registry/zot/layout"
	"golang.org/x/crypto/bcrypt"
)

// Resource is one registered resource.
type Resource struct {
	URN       string
	Type      string
	Name      string
	Custom    bool // false for component resources
	Parent    string
	Inputs    resource.PropertyMap
	ID        string
	State     resource.PropertyMap // what the mock returned: inputs plus Generated
	Provider  string
	DependsOn []string

	Protect        bool
	RetainOnDelete bool
	// CustomTimeouts are the create/update/delete timeouts set, by name.
	CustomTimeouts map[string]string
}

// CallFunc answers an invoke (a data-source lookup) with its result.
type CallFunc func(args pulumi.MockCallArgs) (resource.PropertyMap, error)

// Recorder implements pulumi.MockResourceMonitor.
type Recorder struct {
	Project, Stack string
	// Calls answers invokes by token; an unknown token is an error, so a
	// lookup nobody planned for fails the render instead of returning nothing.
	Calls map[string]CallFunc

	mu        sync.Mutex
	resources []Resource
	calls     []Call
}

// Call is one recorded invoke (a lookup) and its answer.
type Call struct {
	Token  string
	Args   resource.PropertyMap
	Result resource.PropertyMap
}

// New returns a Recorder for a project and stack that answers the lookups
// in DefaultCalls.
func New(project, stack string) *Recorder {
	calls := map[string]CallFunc{}
	for k, f := range DefaultCalls {
		calls[k] = f
	}
	return &Recorder{Project: project, Stack: stack, Calls: calls}
}

// DefaultCalls answers the Authentik lookups the identity component makes,
// with stand-in IDs derived from what is looked up.
var DefaultCalls = map[string]CallFunc{
	"authentik:index/getFlow:getFlow": func(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
		slug := str(a.Args, "slug")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": uuid("flow/" + slug), "slug": slug, "name": slug, "title": slug,
			"designation": "authorization", "authentication": "none",
		}), nil
	},
	"authentik:index/getCertificateKeyPair:getCertificateKeyPair": func(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
		name := str(a.Args, "name")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": uuid("cert/" + name), "name": name, "certificateData": "", "keyData": "",
			"expiry": "", "fingerprint1": "", "fingerprint256": "", "subject": "",
		}), nil
	},
	"authentik:index/getPropertyMappingProviderScope:getPropertyMappingProviderScope": func(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
		var managed, ids []any
		if v, ok := a.Args["managedLists"]; ok && v.IsArray() {
			for _, m := range v.ArrayValue() {
				managed = append(managed, m.StringValue())
				ids = append(ids, uuid("scope/"+m.StringValue()))
			}
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": "scopes", "ids": ids, "managedLists": managed, "scopeName": "", "description": "", "expression": "",
		}), nil
	},
	"authentik:index/getGroup:getGroup": func(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
		name := str(a.Args, "name")
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": uuid("group/" + name), "pk": uuid("group/" + name), "name": name, "numPk": 1,
			"isSuperuser": false, "attributes": "{}", "parent": "", "parentName": "",
		}), nil
	},
}

func str(m resource.PropertyMap, k string) string {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// uuid is a stand-in UUID derived from s.
func uuid(s string) string {
	h := standIn(s, 32)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Option runs a program under this recorder: pass it to pulumi.RunErr.
func (r *Recorder) Option() pulumi.RunOption {
	return pulumi.WithMocks(r.Project, r.Stack, r)
}

// NewResource records the resource and echoes its inputs as its state, with
// an ID derived from its name, as a freshly created resource would have.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   args.Custom,
		Inputs:   args.Inputs,
		Provider: args.Provider,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.DependsOn = rpc.GetDependencies()
		rec.Protect = rpc.GetProtect()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		if t := rpc.GetCustomTimeouts(); t != nil {
			rec.CustomTimeouts = map[string]string{}
			for k, v := range map[string]string{"create": t.GetCreate(), "update": t.GetUpdate(), "delete": t.GetDelete()} {
				if v != "" {
					rec.CustomTimeouts[k] = v
				}
			}
		}
	}
	rec.URN = r.urn(rec.Parent, rec.Type, rec.Name)
	id := ""
	if args.Custom {
		id = args.Name + "-id"
	}
	state := args.Inputs.Copy()
	if gen, ok := Generated[args.TypeToken]; ok {
		id = gen(args.Name, args.Inputs, state)
	}
	rec.ID, rec.State = id, state
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.mu.Unlock()
	return id, state, nil
}

// Generated fills in, per resource type, what the provider would compute
// on create (a random suffix, a key) with stand-ins derived from the
// resource's name: the same on every run, so renders diff cleanly. Each
// returns the resource's ID.
var Generated = map[string]func(name string, inputs, state resource.PropertyMap) string{
	"random:index/randomId:RandomId": func(name string, in, st resource.PropertyMap) string {
		n := 4
		if v, ok := in["byteLength"]; ok && v.IsNumber() {
			n = int(v.NumberValue())
		}
		h := standIn(name, 2*n)
		st["hex"] = resource.NewProperty(h)
		return h
	},
	"random:index/randomPassword:RandomPassword": func(name string, in, st resource.PropertyMap) string {
		n := 16
		if v, ok := in["length"]; ok && v.IsNumber() {
			n = int(v.NumberValue())
		}
		pw := standIn(name, 64)
		for len(pw) < n {
			pw += standIn(pw, 64)
		}
		pw = pw[:n]
		// A real bcrypt hash of the stand-in, so htpasswd lines verify.
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		st["result"] = resource.MakeSecret(resource.NewProperty(pw))
		st["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(hash)))
		return name
	},
	"aws:s3/bucketV2:BucketV2": func(name string, in, st resource.PropertyMap) string {
		b := name
		if v, ok := in["bucket"]; ok && v.IsString() {
			b = v.StringValue()
		}
		st["bucket"] = resource.NewProperty(b)
		st["arn"] = resource.NewProperty("arn:aws:s3:::" + b)
		return b
	},
	"aws:iam/user:User": func(name string, in, st resource.PropertyMap) string {
		user := name + "-" + standIn(name, 7)
		st["name"] = resource.NewProperty(user)
		st["arn"] = resource.NewProperty("arn:aws:iam::123456789012:user/zot-registry/" + user)
		return user
	},
	"aws:iam/role:Role": func(name string, in, st resource.PropertyMap) string {
		role := name + "-" + standIn(name, 7)
		st["name"] = resource.NewProperty(role)
		st["arn"] = resource.NewProperty("arn:aws:iam::123456789012:role/zot-registry/" + role)
		return role
	},
	"authentik:index/providerOauth2:ProviderOauth2": func(name string, in, st resource.PropertyMap) string {
		st["clientSecret"] = resource.MakeSecret(resource.NewProperty("mock-secret-" + standIn(name+"client", 16)))
		// Authentik's provider pk is a number.
		return strconv.Itoa(1 + int(standIn(name, 2)[0])%90)
	},
	"authentik:index/application:Application": func(name string, in, st resource.PropertyMap) string {
		id := uuid("application/" + name)
		st["uuid"] = resource.NewProperty(id)
		return str(in, "slug")
	},
	"aws:dynamodb/table:Table": func(name string, in, st resource.PropertyMap) string {
		table := str(in, "name")
		st["arn"] = resource.NewProperty("arn:aws:dynamodb:eu-central-1:123456789012:table/" + table)
		return table
	},
	"aws:iam/accessKey:AccessKey": func(name string, in, st resource.PropertyMap) string {
		st["secret"] = resource.MakeSecret(resource.NewProperty("mock-secret-" + standIn(name+"secret", 16)))
		return "AKIAMOCK" + strings.ToUpper(standIn(name, 12))
	},
}

// standIn is n hex digits derived from s.
func standIn(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// Call answers an invoke from Calls and records it.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	f, ok := r.Calls[args.Token]
	if !ok {
		return nil, fmt.Errorf("mocks: no answer for invoke %s", args.Token)
	}
	res, err := f(args)
	if err == nil {
		r.mu.Lock()
		r.calls = append(r.calls, Call{Token: args.Token, Args: args.Args, Result: res})
		r.mu.Unlock()
	}
	return res, err
}

// Invokes returns the recorded lookups, sorted for stable output.
func (r *Recorder) Invokes() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Call(nil), r.calls...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Token != out[j].Token {
			return out[i].Token < out[j].Token
		}
		return fmt.Sprint(PlainMap(out[i].Args)) < fmt.Sprint(PlainMap(out[j].Args))
	})
	return out
}

// urn is the URN the mock monitor gives the resource (same formula).
func (r *Recorder) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(r.Stack), tokens.PackageName(r.Project), parentType, tokens.Type(typ), name))
}

// Resources returns what was registered, sorted by URN for stable output.
func (r *Recorder) Resources() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Resource(nil), r.resources...)
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// ByType returns the resources of one type token.
func (r *Recorder) ByType(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources() {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Find returns the one resource with this type and name.
func (r *Recorder) Find(typ, name string) (Resource, bool) {
	for _, res := range r.ByType(typ) {
		if res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// ParentOf returns the resource whose URN is res.Parent.
func (r *Recorder) ParentOf(res Resource) (Resource, bool) {
	for _, p := range r.Resources() {
		if p.URN == res.Parent {
			return p, true
		}
	}
	return Resource{}, false
}

// SecretMarker stands for a secret value in everything Plain returns.
const SecretMarker = layout.RedactedMarker

// UnknownMarker stands for a value only known after deployment.
const UnknownMarker = "[unknown until deployed]"

// Plain turns property values into plain Go values (maps, slices, strings,
// float64, bools), replacing every secret scalar with SecretMarker. A secret
// object or list keeps its shape (a Secret's stringData shows its keys, not
// their values), so the render stays a valid manifest.
func Plain(v resource.PropertyValue) any { return plain(v, false) }

// Revealed is Plain with every secret's value in clear: what the Pulumi
// engine sends to a provider. Only tests that deliver those values to a
// real server use it; the render never does.
func Revealed(v resource.PropertyValue) any { return plain(v, true) }

// RevealedMap is Revealed for a whole property map.
func RevealedMap(m resource.PropertyMap) map[string]any { return plainMap(m, true) }

func plain(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsSecret():
		if reveal {
			return plain(v.SecretValue().Element, reveal)
		}
		return masked(v.SecretValue().Element)
	case v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known):
		return UnknownMarker
	case v.IsOutput():
		if v.OutputValue().Secret && !reveal {
			return masked(v.OutputValue().Element)
		}
		return plain(v.OutputValue().Element, reveal)
	case v.IsNull():
		return nil
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e, reveal)
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue(), reveal)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsAsset():
		return "[asset]"
	case v.IsArchive():
		return "[archive]"
	}
	return fmt.Sprintf("%v", v)
}

// SecretStrings adds to into every string under a secret wrapper (a secret
// value, or a secret output) anywhere in v.
func SecretStrings(v resource.PropertyValue, into map[string]bool) { secretStrings(v, false, into) }

func secretStrings(v resource.PropertyValue, secret bool, into map[string]bool) {
	switch {
	case v.IsSecret():
		secretStrings(v.SecretValue().Element, true, into)
	case v.IsOutput():
		secretStrings(v.OutputValue().Element, secret || v.OutputValue().Secret, into)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			secretStrings(e, secret, into)
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			secretStrings(e, secret, into)
		}
	case v.IsString() && secret:
		into[v.StringValue()] = true
	}
}

// masked is a secret value with every scalar inside replaced by SecretMarker.
func masked(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return masked(v.SecretValue().Element)
	case v.IsOutput() && v.OutputValue().Known:
		return masked(v.OutputValue().Element)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = masked(e)
		}
		return out
	case v.IsObject():
		obj := v.ObjectValue()
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			out[string(k)] = masked(e)
		}
		return out
	}
	return SecretMarker
}

// PlainMap is Plain for a whole property map.
func PlainMap(m resource.PropertyMap) map[string]any { return plainMap(m, false) }

func plainMap(m resource.PropertyMap, reveal bool) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[string(k)] = plain(v, reveal)
	}
	return out
}

// HasSecret reports whether any value inside v is a secret.
func HasSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsSecret():
		return true
	case v.IsOutput():
		return v.OutputValue().Secret || HasSecret(v.OutputValue().Element)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if HasSecret(e) {
				return true
			}
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if HasSecret(e) {
				return true
			}
		}
	}
	return false
}
