package engine

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/layout"
)

const storageKey = "zot-registry:storage"

// TestSwitchingToARole: a prod stack that ran on an IAM user and key moves
// to EKS Pod Identity in one pulumi up: the role, its policy and the
// association are created, the user, its policy and its key deleted, the
// S3 key pair's ExternalSecret goes, the release and the push are updated
// (zot's env and the pushed values lose the key), and nothing else moves:
// the bucket, the passwords and the session keys stay.
func TestSwitchingToARole(t *testing.T) {
	base, err := Apply(config(t, stacks.Named("prod")),
		Edit{Key: storageKey, Path: "aws", Value: map[string]any{"credentials": "accessKey"}},
		Edit{Key: storageKey, Path: "versioning"},
	)
	require.NoError(t, err)
	s := NewStack(t, base)
	up(t, s)

	edited, err := Apply(base, Edit{Key: storageKey, Path: "aws", Value: map[string]any{"credentials": "podIdentity", "eksCluster": "platform-prod"}})
	require.NoError(t, err)
	s.SetConfig(edited)
	want := []string{
		"create " + mocks.PodIdentityType + " zot-registry",
		"create " + mocks.RolePolicyType + " zot-registry",
		"create " + mocks.RoleType + " zot-registry",
		"delete " + mocks.AccessKeyType + " zot-registry",
		"delete " + mocks.ExternalSecretType + " zot-s3",
		"delete " + mocks.UserPolicyType + " zot-registry",
		"delete " + mocks.UserType + " zot-registry",
		"update " + mocks.PushSecretType + " zot-registry-push",
		"update " + mocks.ReleaseType + " zot",
		"update " + mocks.SecretType + " zot-registry-push-source",
	}
	slices.Sort(want)
	pre := s.Preview()
	require.NoError(t, pre.Err, pre.Diagnostics)
	assert.Equal(t, want, pre.Summary(), "preview")
	res := up(t, s)
	assert.Equal(t, want, res.Summary(), "up")
	// The old key goes only after zot runs without it: the engine deletes
	// last, so pods still holding the key never lose access mid-rollout.
	order := map[string]int{}
	for i, st := range res.Changes() {
		order[string(st.Op)+" "+string(st.Type)] = i
	}
	assert.Less(t, order["update "+mocks.ReleaseType], order["delete "+mocks.AccessKeyType], "the release rolls before the key is deleted")
	assert.Less(t, order["create "+mocks.PodIdentityType], order["update "+mocks.ReleaseType], "the association exists before zot starts without a key")
	for _, r := range s.Snap.Resources {
		assert.NotEqual(t, mocks.AccessKeyType, string(r.Type), "no key is left in the state")
	}
}

// TestTurningOnVersioning: versioning is one new resource and one update
// of the lifecycle configuration (its second rule); the bucket stays.
func TestTurningOnVersioning(t *testing.T) {
	base, err := Apply(config(t, stacks.Named("prod")), Edit{Key: storageKey, Path: "versioning"})
	require.NoError(t, err)
	s := NewStack(t, base)
	up(t, s)
	edited, err := Apply(base, Edit{Key: storageKey, Path: "versioning", Value: map[string]any{"enabled": true, "keepDays": 14}})
	require.NoError(t, err)
	s.SetConfig(edited)
	want := []string{
		"create " + mocks.VersioningType + " zot-registry",
		"update aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2 zot-registry",
	}
	pre := s.Preview()
	require.NoError(t, pre.Err, pre.Diagnostics)
	assert.Equal(t, want, pre.Summary(), "preview")
	assert.Equal(t, want, up(t, s).Summary(), "up")
}

// TestKubernetesModeRollsOnRotation: without ESO a rotated value zot reads
// at start (the S3 key pair, from the stack's secret config) is an update
// of its Secret and of the release, whose secrets digest changed: the pods
// roll in the same up. Nothing else changes.
func TestKubernetesModeRollsOnRotation(t *testing.T) {
	base := config(t, stacks.Named("secrets-kubernetes"))
	s := NewStack(t, base)
	up(t, s)
	rotated, err := base.With(nil)
	require.NoError(t, err)
	// As pulumi config set --secret would: a new plaintext behind the key.
	rotated.Values["zot-registry:s3AccessKeyId"] = "rotated-access-key-id"
	s.SetConfig(rotated)
	want := []string{"update " + mocks.SecretType + " zot-s3", "update " + mocks.ReleaseType + " zot"}
	pre := s.Preview()
	require.NoError(t, pre.Err, pre.Diagnostics)
	assert.Equal(t, want, pre.Summary(), "preview")
	assert.Equal(t, want, up(t, s).Summary(), "up")
}

// TestNewRobotWithZotThatReloads: a zot that follows a Secret volume's
// update (layout.HtpasswdReloadRelease on) is not restarted for a new
// robot in secrets mode kubernetes: its password and the htpasswd Secret
// are the whole change.
func TestNewRobotWithZotThatReloads(t *testing.T) {
	base, err := Apply(config(t, stacks.Named("secrets-kubernetes")),
		Edit{Key: registryKey, Path: "image.tag", Value: layout.HtpasswdReloadRelease})
	require.NoError(t, err)
	s := NewStack(t, base)
	up(t, s)
	var sec struct{ Users []any }
	require.NoError(t, json.Unmarshal([]byte(base.Values[secretsKey]), &sec))
	robot, err := Apply(base, Edit{Key: secretsKey, Path: "users", Value: append(sec.Users, "release-bot")})
	require.NoError(t, err)
	s.SetConfig(robot)
	want := []string{"create " + mocks.RandomPasswordType + " zot-registry-release-bot", "update " + mocks.SecretType + " zot-htpasswd"}
	pre := s.Preview()
	require.NoError(t, pre.Err, pre.Diagnostics)
	assert.Equal(t, want, pre.Summary(), "preview")
	assert.Equal(t, want, up(t, s).Summary(), "up")
}
