// Command render-variants evaluates every stack and mode variant the tests
// enumerate (tests/stacks) under mocks, as cmd/render does, and writes for
// each what the zot tier (tests/zot) runs: config.json exactly as zot reads
// it, the outputs that name the OpenID client, the startup probe and the
// mirrors' hosts.toml.
//
//	go run ./tests/render-variants -out DIR
//
// It keeps the zot tier's own module free of the Pulumi SDKs, whose cold
// compile would double the tier's time.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/tests/rendered"
	"github.com/zot-registry/zot-registry/tests/stacks"
)

func main() {
	out := flag.String("out", "", "folder to write <variant>.json into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "render-variants:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	root, err := stacks.Root()
	if err != nil {
		return fmt.Errorf("no Pulumi.yaml above the working directory: %w", err)
	}
	all, err := stacks.All(root)
	if err != nil {
		return err
	}
	// The examples too, whatever they are: every config the program
	// generates runs in zot.
	examples, err := stacks.ExampleVariants(root)
	if err != nil {
		return err
	}
	all = append(all, examples...)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for i, v := range all {
		res, err := v.Evaluate(root)
		if err != nil {
			return fmt.Errorf("%s: %s", v.Name, program.Message(err))
		}
		probe, _ := res.Values["startupProbe"].(map[string]any)
		zotEnv := []string{}
		env, _ := res.Values["env"].([]any)
		for _, e := range env {
			if m, ok := e.(map[string]any); ok {
				zotEnv = append(zotEnv, fmt.Sprint(m["name"]))
			}
		}
		clientID, err1 := output[string](res.Outputs, outputs.OIDCClientID)
		redirectURI, err2 := output[string](res.Outputs, outputs.OIDCRedirectURI)
		hosts, err3 := output[map[string]string](res.Outputs, outputs.MirrorHostsToml)
		if err := errors.Join(err1, err2, err3); err != nil {
			return fmt.Errorf("%s: %w", v.Name, err)
		}
		body, err := json.MarshalIndent(rendered.Variant{
			Index: i, Name: v.Name, ConfigJSON: res.ConfigJSON,
			OIDCClientID: clientID, OIDCRedirectURI: redirectURI,
			StartupProbe: probe, SecretMarker: render.SecretMarker, ZotEnv: zotEnv,
			MirrorHostsToml: hosts,
		}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, v.Name+".json"), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// output is an output of the program as the type the zot tier reads it;
// another type means the outputs changed under the tier.
func output[T any](outs map[string]any, name string) (T, error) {
	v, ok := outs[name].(T)
	if !ok {
		return v, fmt.Errorf("output %s is %T, want %T", name, outs[name], v)
	}
	return v, nil
}
