// Package program is the Pulumi program: load config, wire the components,
// export the outputs. main.go runs it under `pulumi up`; cmd/render runs the
// very same function under mocks, so what a review sees is what deploys.
package program

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/components"
	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Run is the pulumi.RunFunc.
func Run(ctx *pulumi.Context) error {
	_, err := Apply(ctx)
	return err
}

// ErrReported is what Main returns once it has logged the program's error.
var ErrReported = errors.New("zot-registry: the error above stopped the program")

// Main is Run as `pulumi up` runs it (main.go): the error is logged once, as
// the plain text Message makes of it. pulumi.Run would log it inside "an
// unhandled error occurred: program failed: 1 error occurred: * …"; a list
// of config problems reads better as the list itself.
func Main(ctx *pulumi.Context) error {
	err := Run(ctx)
	if err == nil {
		return nil
	}
	if logErr := ctx.Log.Error(Message(err), nil); logErr != nil {
		return errors.Join(err, logErr)
	}
	return ErrReported
}

// Message is the text a user sees for a program error: the list of config
// problems as it is (the render prints the same), any other error as is.
func Message(err error) string {
	var errs spec.Errors
	if errors.As(err, &errs) {
		return errs.Error()
	}
	var fe *spec.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return err.Error()
}

// Apply runs the program and returns its typed outputs (already exported).
// Config errors are returned before any resource is registered.
func Apply(ctx *pulumi.Context) (*outputs.Stack, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	return Deploy(ctx, cfg)
}

// Deploy wires the components for a validated config: the same parts the
// component package's Registry has, at the stack's root, under the names
// existing stacks hold them by.
func Deploy(ctx *pulumi.Context, cfg *config.Config) (*outputs.Stack, error) {
	// A stack's program watches the rollout itself (components.Inputs).
	sec := components.Inputs{WatchRollout: true}
	if cfg.ExternalClientSecret != (pulumi.StringOutput{}) {
		sec.OIDCClientSecret = cfg.ExternalClientSecret
	}
	if cfg.S3KeyPair != nil {
		sec.S3AccessKeyID, sec.S3SecretAccessKey = cfg.S3KeyPair.AccessKeyID, cfg.S3KeyPair.SecretAccessKey
	}
	if cfg.RedisPassword != (pulumi.StringOutput{}) {
		sec.RedisPassword = cfg.RedisPassword
	}
	out, err := components.Deploy(ctx, spec.Project, &cfg.Resolved, sec)
	if err != nil {
		return nil, err
	}
	out.Export(ctx)
	return out, nil
}
