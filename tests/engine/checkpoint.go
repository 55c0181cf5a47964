package engine

import (
	"context"
	"encoding/json"
	"fmt"

	lt "github.com/pulumi/pulumi/pkg/v3/engine/lifecycletest/framework"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets"
	"github.com/pulumi/pulumi/pkg/v3/secrets/passphrase"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/zot-registry/zot-registry/internal/render"
)

// LoadStack is a stack that already ran: its last checkpoint is state (as
// Checkpoint writes it) and its cloud holds what that checkpoint holds, so
// the next operation diffs, updates and deletes against it as the CLI would
// against a real state file and a real cloud.
func LoadStack(t lt.TB, sc *render.StackConfig, state []byte) (*Stack, error) {
	snap, err := DecodeCheckpoint(state)
	if err != nil {
		return nil, err
	}
	s := NewStack(t, sc)
	if err := s.Cloud.Adopt(snap); err != nil {
		return nil, err
	}
	// Secrets are in clear in memory now. The engine's runs deep-copy the
	// snapshot, which loses the passphrase manager's key; with none, they
	// use their own, as after an Up (Checkpoint encrypts with Passphrase).
	snap.SecretsManager = nil
	s.Snap = snap
	return s, nil
}

// DecodeCheckpoint reads a checkpoint as `pulumi stack import` does,
// decrypting its secrets with Passphrase, and checks it is one the engine
// accepts (every parent, provider and dependency before its dependents).
func DecodeCheckpoint(state []byte) (*deploy.Snapshot, error) {
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(state, &dep); err != nil {
		return nil, err
	}
	snap, err := stack.DeserializeDeploymentV3(context.Background(), dep, passphraseProvider{})
	if err != nil {
		return nil, err
	}
	if err := snap.VerifyIntegrity(); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return snap, nil
}

// passphraseProvider opens a checkpoint's passphrase secrets manager from
// the salt the checkpoint carries.
type passphraseProvider struct{}

var _ secrets.Provider = passphraseProvider{}

func (passphraseProvider) OfType(_ context.Context, ty string, state json.RawMessage) (secrets.Manager, error) {
	if ty != passphrase.Type {
		return nil, fmt.Errorf("checkpoint secrets provider is %q, not %q", ty, passphrase.Type)
	}
	var st struct{ Salt string }
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, err
	}
	return passphrase.GetPassphraseSecretsManager(Passphrase, st.Salt)
}
