// Command pulumi-resource-zot-registry is the zot-registry component
// package's provider: it serves zot-registry:index:Registry (package
// components) to Pulumi programs in any language. `pulumi package add`
// builds and runs it from this folder (PulumiPlugin.yaml).
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
)

func main() {
	prov, err := New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zot-registry provider:", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), Name, Version, prov); err != nil {
		fmt.Fprintln(os.Stderr, "zot-registry provider:", err)
		os.Exit(1)
	}
}
