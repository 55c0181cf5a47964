// Command zot-registry is the Pulumi program (`pulumi up`). It only hands
// over to package program, which loads config and wires the components.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/program"
)

func main() {
	pulumi.Run(program.Run)
}
