// Command pulumi-resource-random is the cluster tier's one stand-in: the
// random provider's plugin (pulumi/pulumi-random) is not buildable here,
// so this plugin answers for the one resource the program's runnable modes
// use, RandomPassword (secrets modes push and kubernetes, the cluster hash
// key of replicas above 1), with the provider's own token, inputs and
// outputs: `result` from crypto/rand over the enabled character classes
// with the requested minimums, `bcryptHash` its bcrypt hash (cost 10, as
// the provider), every input forcing a replacement, as in the provider.
// Installed under the version the SDK asks for (run.sh, docs/development.md).
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is the version the random SDK v4.18.4 asks for.
const Version = "4.18.4"

// PasswordType is RandomPassword's token.
const PasswordType = "random:index/randomPassword:RandomPassword"

func main() {
	if err := provider.Main("random", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{}, nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"random","version":"` + Version + `"}`}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (s *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// defaults are the provider's defaults for RandomPassword's inputs.
var defaults = resource.PropertyMap{
	"special": resource.NewProperty(true), "upper": resource.NewProperty(true),
	"lower": resource.NewProperty(true), "numeric": resource.NewProperty(true),
	"number": resource.NewProperty(true), "minSpecial": resource.NewProperty(0.0),
	"minUpper": resource.NewProperty(0.0), "minLower": resource.NewProperty(0.0),
	"minNumeric": resource.NewProperty(0.0),
}

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := known(req.GetType()); err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	if l, ok := news["length"]; !ok || (l.IsNumber() && l.NumberValue() < 1) {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: "length", Reason: "length is required and at least 1"}}}, nil
	}
	for k, v := range defaults {
		if _, ok := news[k]; !ok {
			news[k] = v
		}
	}
	out, err := plugin.MarshalProperties(news, opts)
	return &pulumirpc.CheckResponse{Inputs: out}, err
}

// Diff: every input of RandomPassword forces a new password.
func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOldInputs(), opts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), opts)
	if err != nil {
		return nil, err
	}
	d := olds.Diff(news)
	if d == nil || !d.AnyChanges() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var changed []string
	for _, k := range d.ChangedKeys() {
		changed = append(changed, string(k))
	}
	slices.Sort(changed)
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: changed, Diffs: changed}, nil
}

func (s *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	in, err := plugin.UnmarshalProperties(req.GetProperties(), opts)
	if err != nil {
		return nil, err
	}
	state := in.Copy()
	if req.GetPreview() {
		state["result"] = resource.MakeComputed(resource.NewProperty(""))
		state["bcryptHash"] = resource.MakeComputed(resource.NewProperty(""))
	} else {
		pw, err := generate(in)
		if err != nil {
			return nil, err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		state["result"] = resource.MakeSecret(resource.NewProperty(pw))
		state["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(hash)))
	}
	out, err := plugin.MarshalProperties(state, opts)
	return &pulumirpc.CreateResponse{Id: "none", Properties: out}, err
}

func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	return &pulumirpc.UpdateResponse{Properties: req.GetOlds()}, nil
}

func (s *server) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func known(typ string) error {
	if typ != PasswordType {
		return fmt.Errorf("the cluster tier's random stand-in serves only %s, not %s", PasswordType, typ)
	}
	return nil
}

const (
	lowers   = "abcdefghijklmnopqrstuvwxyz"
	uppers   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numerics = "0123456789"
	specials = "!@#$%&*()-_=+[]{}<>:?"
)

// generate makes a password as the provider does: the minimum of each
// enabled class first, the rest from all enabled classes, shuffled.
func generate(in resource.PropertyMap) (string, error) {
	num := func(k string) int {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsNumber() {
			return int(v.NumberValue())
		}
		return 0
	}
	on := func(k string) bool {
		v, ok := in[resource.PropertyKey(k)]
		return !ok || !v.IsBool() || v.BoolValue()
	}
	special := specials
	if v, ok := in["overrideSpecial"]; ok && v.IsString() && v.StringValue() != "" {
		special = v.StringValue()
	}
	var all strings.Builder
	var out []byte
	for _, class := range []struct {
		on    bool
		chars string
		min   int
	}{
		{on("lower"), lowers, num("minLower")}, {on("upper"), uppers, num("minUpper")},
		{on("numeric") && on("number"), numerics, num("minNumeric")}, {on("special"), special, num("minSpecial")},
	} {
		if !class.on {
			continue
		}
		all.WriteString(class.chars)
		for range class.min {
			c, err := pick(class.chars)
			if err != nil {
				return "", err
			}
			out = append(out, c)
		}
	}
	if all.Len() == 0 {
		return "", fmt.Errorf("every character class is off")
	}
	for len(out) < num("length") {
		c, err := pick(all.String())
		if err != nil {
			return "", err
		}
		out = append(out, c)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(chars string) (byte, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[i.Int64()], nil
}
