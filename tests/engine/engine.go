// Package engine runs the program under the real Pulumi deployment engine.
package engine

import (
	_ "github.com/pulumi/pulumi/pkg/v3/engine"
	_ "github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	_ "github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	_ "github.com/pulumi/pulumi/pkg/v3/resource/stack"
	_ "github.com/pulumi/pulumi/pkg/v3/secrets/passphrase"
)
