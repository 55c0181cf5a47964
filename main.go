// Command zot-registry is the Pulumi program (`pulumi up`). It only hands
// over to package program, which loads config and wires the components.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/program"
)

func main() {
	err := pulumi.RunErr(program.Main)
	switch {
	case err == nil:
	case errors.Is(err, program.ErrReported):
		// Logged as a diagnostic already; this status tells the language
		// host not to add its own message (what pulumi.Run does too).
		os.Exit(constant.ExitStatusLoggedError)
	default:
		// Before the engine connection existed, or after it closed.
		fmt.Fprintln(os.Stderr, "error: "+program.Message(err))
		os.Exit(1)
	}
}
