// Command platform-consumer is an example platform program: it reads a
// zot-registry stack through a StackReference (with the typed reader in the
// outputs package) and gives a team namespace an image pull Secret for it,
// as one of its pull robots (read-only).
//
//	cd examples/platform-consumer
//	pulumi stack init dev
//	pulumi config set registryStack myorg/zot-registry/prod
//	pulumi config set namespace team-a
//	pulumi up
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/zot-registry/zot-registry/examples/platform-consumer/consumer"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		res, err := consumer.New(ctx, "team", consumer.Args{
			RegistryStack: cfg.Require("registryStack"),
			Namespace:     cfg.Require("namespace"),
			User:          cfg.Get("user"), // empty: the stack's first pull robot
		})
		if err != nil {
			return err
		}
		ctx.Export("registryUrl", res.RegistryURL)
		ctx.Export("pullSecretName", res.PullSecretName)
		return nil
	})
}
