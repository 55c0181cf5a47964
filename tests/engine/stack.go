package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/display"
	pkgengine "github.com/pulumi/pulumi/pkg/v3/engine"
	lt "github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy/deploytest"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/passphrase"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/program"
)

// Stack is one stack's life under the engine: its config, the cloud its
// providers manage, and the last checkpoint.
type Stack struct {
	T     lt.TB
	Name  string
	Cloud *Cloud

	config     map[string]string
	secretKeys []string
	// ConfigSecrets are the plaintexts of the secure config values.
	ConfigSecrets []string

	Snap *deploy.Snapshot
}

// NewStack prepares a stack from a loaded stack config. A secure value
// cannot be decrypted here (the render sees render.SecretMarker): each gets
// a plaintext of its own, so a test can look for it in the checkpoint.
func NewStack(t lt.TB, sc *render.StackConfig) *Stack {
	s := &Stack{T: t, Name: sc.Stack, Cloud: NewCloud(), config: map[string]string{}}
	s.SetConfig(sc)
	return s
}

// SetConfig replaces the stack's config (as `pulumi config set` would).
func (s *Stack) SetConfig(sc *render.StackConfig) {
	s.config, s.secretKeys, s.ConfigSecrets = map[string]string{}, sc.SecretKeys(), nil
	for k, v := range sc.Values {
		if sc.Secrets[k] && v == render.SecretMarker {
			v = "plain-" + strings.NewReplacer(":", "-", ".", "-").Replace(k) + "-value"
			s.ConfigSecrets = append(s.ConfigSecrets, v)
		}
		s.config[k] = v
	}
	sort.Strings(s.ConfigSecrets)
}

// Step is one step the engine took (or, in a preview, would take).
type Step struct {
	Op   display.StepOp
	URN  resource.URN
	Type string
	// Keys are the properties that replace the resource; Diffs those that changed.
	Keys, Diffs []resource.PropertyKey
	// Inputs are the resource's new inputs as the engine resolved them.
	Inputs resource.PropertyMap
	// Was is the resource's URN in the state the step starts from, if it
	// was there: another URN for one renamed or moved with an alias.
	Was resource.URN
}

// Result is what one engine operation did.
type Result struct {
	Steps []Step
	Err   error
	// Diagnostics are the engine's and the program's messages.
	Diagnostics string
}

// Changes are the steps that change something (not same, read or refresh).
func (r Result) Changes() []Step {
	var out []Step
	for _, st := range r.Steps {
		switch st.Op {
		case deploy.OpSame, deploy.OpRead, deploy.OpRefresh, deploy.OpReadDiscard, deploy.OpDiscardReplaced:
			continue
		}
		out = append(out, st)
	}
	return out
}

// Summary is "op type name" per changing step, sorted: what a test prints.
func (r Result) Summary() []string {
	var out []string
	for _, st := range r.Changes() {
		out = append(out, fmt.Sprintf("%s %s %s", st.Op, st.Type, st.URN.Name()))
	}
	sort.Strings(out)
	return out
}

// Preview runs `pulumi preview`.
func (s *Stack) Preview() Result { return s.run(pkgengine.Update, true) }

// Up runs `pulumi up` and keeps the checkpoint it writes.
func (s *Stack) Up() Result { return s.run(pkgengine.Update, false) }

// Destroy runs `pulumi destroy` and keeps the checkpoint it writes.
func (s *Stack) Destroy() Result { return s.run(pkgengine.Destroy, false) }

func (s *Stack) run(op lt.TestOp, dryRun bool) Result {
	s.T.Helper()
	var diags bytes.Buffer
	var mu sync.Mutex
	sink := diag.DefaultSink(&lockedWriter{&diags, &mu}, &lockedWriter{&diags, &mu}, diag.FormatOptions{Color: colors.Never})

	config, secretKeys := s.config, s.secretKeys
	loaders, required, err := s.Cloud.Plugins()
	if err != nil {
		return Result{Err: err}
	}
	hostF := func() plugin.Host {
		var host plugin.Host
		runtime := deploytest.NewLanguageRuntime(func(info plugin.RunInfo, _ *deploytest.ResourceMonitor) (err error) {
			// The program runs in a goroutine of the runtime: a panic
			// becomes the program's error instead of killing the test.
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("program panicked: %v", r)
				}
			}()
			// The config goes to the program as the CLI hands it to a Go
			// program: full keys, values as text, the secure keys named.
			ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
				Project:          info.Project,
				Stack:            info.Stack,
				Parallel:         info.Parallel,
				DryRun:           info.DryRun,
				MonitorAddr:      info.MonitorAddress,
				EngineAddr:       host.ServerAddr(),
				Config:           config,
				ConfigSecretKeys: secretKeys,
			})
			if err != nil {
				return err
			}
			return pulumi.RunWithContext(ctx, program.Main) // as main.go runs it
		}, required...)
		host = deploytest.NewPluginHost(sink, sink, runtime, loaders...)
		return host
	}

	project := workspace.Project{Name: "zot-registry", Runtime: workspace.NewProjectRuntimeInfo("go", nil)}
	target := deploy.Target{Name: tokens.MustParseStackName(s.Name), Config: nil, Snapshot: lt.CloneSnapshot(s.T, s.Snap)}
	opts := lt.TestUpdateOptions{T: s.T, HostF: hostF, SkipDisplayTests: true}

	var res Result
	validate := func(_ workspace.Project, _ deploy.Target, _ pkgengine.JournalEntries, events []pkgengine.Event, err error) error {
		for _, e := range events {
			switch e.Type {
			case pkgengine.ResourcePreEvent:
				m := e.Payload().(pkgengine.ResourcePreEventPayload).Metadata
				st := Step{Op: m.Op, URN: m.URN, Type: string(m.Type), Keys: m.Keys, Diffs: m.Diffs}
				if m.New != nil {
					st.Inputs = m.New.Inputs
				}
				if m.Old != nil {
					st.Was = m.Old.URN
				}
				res.Steps = append(res.Steps, st)
			case pkgengine.DiagEvent:
				p := e.Payload().(pkgengine.DiagEventPayload)
				fmt.Fprintf(&diags, "%s: %s\n", p.Severity, strings.TrimSpace(colors.Never.Colorize(p.Message)))
			}
		}
		return err
	}
	snap, err := op.RunStep(project, target, opts, dryRun, nil, validate, "")
	res.Err = err
	mu.Lock()
	res.Diagnostics = diags.String()
	mu.Unlock()
	if !dryRun && snap != nil {
		s.Snap = snap
	}
	return res
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Passphrase is the passphrase of the secrets manager the checkpoints are
// encrypted with (PULUMI_CONFIG_PASSPHRASE of a self-managed backend).
const Passphrase = "engine-tier"

// Checkpoint is the stack's state file as `pulumi stack export` writes it,
// with secrets encrypted by a passphrase secrets manager, as a self-managed
// backend stores them.
func (s *Stack) Checkpoint() ([]byte, error) {
	return s.serialize(false)
}

// RevealedCheckpoint is the checkpoint with secrets in clear
// (`pulumi stack export --show-secrets`): a test shows with it that what it
// looks for in Checkpoint is there to be found.
func (s *Stack) RevealedCheckpoint() ([]byte, error) {
	return s.serialize(true)
}

func (s *Stack) serialize(show bool) ([]byte, error) {
	if s.Snap == nil {
		return nil, fmt.Errorf("stack %s has no checkpoint", s.Name)
	}
	_, sm, err := passphrase.NewPassphraseSecretsManager(Passphrase)
	if err != nil {
		return nil, err
	}
	snap := *s.Snap
	snap.SecretsManager = sm
	dep, err := stack.SerializeDeployment(context.Background(), &snap, show)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(dep, "", "  ")
}
