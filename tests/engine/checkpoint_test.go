package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/render"
)

var updateCheckpoints = flag.Bool("update-checkpoints", false,
	"write testdata/checkpoints/<variant>.json (and .config.json) from a first up of the program as it is now")

// checkpoints holds, per variant, the state file a first `pulumi up` of the
// program wrote when they were last written (state that exists in
// clusters), and beside it the stack config it was written with.
const checkpoints = "testdata/checkpoints"

// TestCheckpointsUpdateInPlace: a stack deployed by the program as it was
// when the checkpoints were written runs under the program as it is with
// the same config, and the engine changes nothing: no resource is created,
// replaced or deleted, because its URN (name, type, parent chain) is what
// the state holds. A refactor that renames or re-parents a resource fails
// here until it adds an alias; one that changes inputs fails as an update.
//
// -update-checkpoints writes the checkpoints anew from the program as it
// is: only when the state that exists is meant to be the program's.
func TestCheckpointsUpdateInPlace(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(checkpoints, v.Name+".json")
			// The config the checkpoint was written with: an edit of the
			// fixture stacks is not a change of the program.
			confPath := filepath.Join(checkpoints, v.Name+".config.json")
			var sc *render.StackConfig
			if *updateCheckpoints {
				sc = config(t, v)
				writeCheckpoint(t, sc, path)
				writeJSON(t, confPath, sc)
			} else {
				sc = readConfig(t, confPath)
			}
			state, err := os.ReadFile(path)
			require.NoError(t, err, "write it with: go test -run TestCheckpointsUpdateInPlace -update-checkpoints")
			sc = upgrade(t, sc, state)
			s, err := LoadStack(t, sc, state)
			require.NoError(t, err)
			before := stateByURN(s.Snap)

			// The preview is what a PR shows: when it moves a resource,
			// the up adds nothing to say.
			pre := s.Preview()
			require.NoError(t, pre.Err, pre.Diagnostics)
			assert.Empty(t, pre.Summary(), "preview")
			require.Empty(t, moved(pre), "preview: %s", movedHint)

			res := s.Up()
			assert.Empty(t, moved(res), "up: %s", movedHint)
			require.NoError(t, res.Err, res.Diagnostics)
			if !assert.Empty(t, res.Summary(), "up") {
				return
			}
			assert.Empty(t, s.Cloud.Ops(), "the up called a provider")
			after := stateByURN(s.Snap)
			for _, st := range res.Steps {
				if st.Was != "" && st.Was != st.URN {
					after[st.Was] = after[st.URN] // renamed or moved with an alias: the same resource
				}
			}
			for urn, old := range before {
				now := after[urn]
				if assert.NotNil(t, now, "%s is no longer in the state", urn) {
					got := now.Outputs
					if old.Type == resource.RootStackType {
						got = withoutAdded(old.Outputs, got)
					}
					assert.True(t, old.Outputs.DeepEquals(got), "the outputs of %s changed", urn)
				}
			}
			assert.Len(t, s.Snap.Resources, len(before), "the state holds other resources")
		})
	}
}

// oldRemoteKeys are the default remote keys before they carried the stack
// name, by config field.
var oldRemoteKeys = map[string]string{
	"oidcClientId": "zot-oidc-client-id", "oidcClientSecret": "zot-oidc-client-secret", "htpasswd": "zot-htpasswd",
	"s3AccessKeyId": "zot-rustfs-access", "s3SecretAccessKey": "zot-rustfs-secret",
	"sessionHashKey": "zot-session-hash-key", "sessionEncryptKey": "zot-session-encrypt-key",
}

// upgrade makes the config changes the docs give a stack written by an
// older program that is to change nothing, where the state shows it was:
// a stack that used the old default remote keys pins them in
// secrets.remoteKeys (docs/secrets.md), and one without blob pull redirects
// sets storage.redirectPulls: false (docs/storage.md). A checkpoint written
// since needs no step.
func upgrade(t *testing.T, sc *render.StackConfig, state []byte) *render.StackConfig {
	t.Helper()
	const secrets = "zot-registry:secrets"
	var sec struct {
		RemoteKeys map[string]any `json:"remoteKeys"`
	}
	if raw, ok := sc.Values[secrets]; ok {
		require.NoError(t, json.Unmarshal([]byte(raw), &sec))
	}
	var edits []render.Edit
	for field, old := range oldRemoteKeys {
		// The old name as a remote key (an ExternalSecret's remoteRef or a
		// PushSecret's remoteKey), not as a Secret's name: zot-htpasswd is both.
		read := regexp.MustCompile(`"(key|remoteKey)": *"` + regexp.QuoteMeta(old) + `"`)
		if _, pinned := sec.RemoteKeys[field]; !pinned && read.Match(state) {
			edits = append(edits, render.Edit{Key: secrets, Path: "remoteKeys." + field, Value: old})
		}
	}
	// Blob pull redirects came later, on by default in mode aws: a stack
	// that keeps its pulls through zot says so (docs/storage.md).
	const storage = "zot-registry:storage"
	var st struct {
		RedirectPulls *bool `json:"redirectPulls"`
	}
	if raw, ok := sc.Values[storage]; ok {
		require.NoError(t, json.Unmarshal([]byte(raw), &st))
		if st.RedirectPulls == nil && !bytes.Contains(state, []byte("redirectBlobURL")) {
			edits = append(edits, render.Edit{Key: storage, Path: "redirectPulls", Value: false})
		}
	}
	out, err := sc.Apply(edits...)
	require.NoError(t, err)
	return out
}

// withoutAdded is now without the keys old lacks: a stack output the
// program added since the checkpoint (a StackReference that reads it gets
// nothing from an older stack, and outputs.Read says so) changes nothing
// that exists; one that changed value or went away fails.
func withoutAdded(old, now resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range now {
		if _, ok := old[k]; ok {
			out[k] = v
		}
	}
	return out
}

const movedHint = "a create and a delete are a resource whose URN changed (renamed, re-typed or re-parented): " +
	"give it pulumi.Aliases with its old name and parent; a replace is a create-only input that changed"

// moved are the steps that create or delete a resource, replacements included.
func moved(res Result) []string {
	var out []string
	for _, st := range res.Steps {
		switch st.Op {
		case deploy.OpCreate, deploy.OpDelete, deploy.OpReplace, deploy.OpCreateReplacement, deploy.OpDeleteReplaced,
			deploy.OpImport, deploy.OpImportReplacement:
			out = append(out, fmt.Sprintf("%s %s", st.Op, st.URN))
		}
	}
	slices.Sort(out)
	return out
}

// writeCheckpoint writes the checkpoint of a first up of the program as it
// is, unless the file holds the same state already: ciphertexts, the salt
// and bcrypt hashes are new on every run, and a file that changes with
// nothing changed hides the one that did.
func writeCheckpoint(t *testing.T, sc *render.StackConfig, path string) {
	t.Helper()
	s := NewStack(t, sc)
	up(t, s)
	state, err := s.Checkpoint()
	require.NoError(t, err)
	state, err = stableCheckpoint(state)
	require.NoError(t, err)
	if old, err := os.ReadFile(path); err == nil {
		was, err := revealed(old)
		require.NoError(t, err, "the committed %s", path)
		now, err := revealed(state)
		require.NoError(t, err)
		if bytes.Equal(was, now) {
			return
		}
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, append(state, '\n'), 0o644))
}

// stableCheckpoint is a checkpoint without what differs between runs of the
// same program or between checkouts, none of which the engine diffs:
// timestamps, source positions (paths of this machine), the engine's random
// provider IDs; and with resources in an order of their own (the engine
// writes them as their steps finish).
func stableCheckpoint(state []byte) ([]byte, error) {
	var dep apitype.DeploymentV3
	dec := json.NewDecoder(bytes.NewReader(state))
	dec.UseNumber() // numbers as written, not as float64
	if err := dec.Decode(&dep); err != nil {
		return nil, err
	}
	refs := map[string]string{}
	for i := range dep.Resources {
		r := &dep.Resources[i]
		r.Created, r.Modified, r.SourcePosition, r.StackTrace = nil, nil, "", nil
		slices.Sort(r.Dependencies)
		for _, urns := range r.PropertyDependencies {
			slices.Sort(urns)
		}
		if strings.HasPrefix(string(r.Type), "pulumi:providers:") {
			sum := sha256.Sum256([]byte(r.URN))
			id := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
			refs[string(r.URN)+"::"+string(r.ID)] = string(r.URN) + "::" + id
			r.ID = resource.ID(id)
		}
	}
	for i := range dep.Resources {
		if ref, ok := refs[dep.Resources[i].Provider]; ok {
			dep.Resources[i].Provider = ref
		}
	}
	sorted, err := topological(dep.Resources)
	if err != nil {
		return nil, err
	}
	dep.Resources = sorted
	return json.MarshalIndent(dep, "", "  ")
}

// topological orders resources by URN, the stack first as the engine
// writes it, each after every resource it names (parent, provider,
// dependencies): the order the engine requires.
func topological(rs []apitype.ResourceV3) ([]apitype.ResourceV3, error) {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b apitype.ResourceV3) int {
		if a, b := a.Type == resource.RootStackType, b.Type == resource.RootStackType; a != b {
			if a {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a.URN), string(b.URN))
	})
	present, done := map[resource.URN]bool{}, map[resource.URN]bool{}
	for _, r := range rs {
		present[r.URN] = true
	}
	ready := func(r apitype.ResourceV3) bool {
		names := append([]resource.URN{r.Parent, r.DeletedWith}, r.Dependencies...)
		names = append(names, r.ReplaceWith...)
		for _, urns := range r.PropertyDependencies {
			names = append(names, urns...)
		}
		if i := strings.LastIndex(r.Provider, "::"); i > 0 {
			names = append(names, resource.URN(r.Provider[:i]))
		}
		for _, n := range names {
			if present[n] && !done[n] {
				return false
			}
		}
		return true
	}
	var out []apitype.ResourceV3
	for len(rs) > 0 {
		i := slices.IndexFunc(rs, ready)
		if i < 0 {
			return nil, fmt.Errorf("the checkpoint's resources refer to each other in a cycle: %s", rs[0].URN)
		}
		out = append(out, rs[i])
		done[rs[i].URN] = true
		rs = slices.Delete(rs, i, i+1)
	}
	return out, nil
}

// bcryptHash is a bcrypt hash, salted anew on every run.
var bcryptHash = regexp.MustCompile(`\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}`)

// revealed is a checkpoint as it compares with another: secrets in clear,
// without its secrets manager's salt, bcrypt hashes masked.
func revealed(state []byte) ([]byte, error) {
	snap, err := DecodeCheckpoint(state)
	if err != nil {
		return nil, err
	}
	snap.SecretsManager = nil
	dep, err := stack.SerializeDeployment(context.Background(), snap, true)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(dep, "", "  ")
	if err != nil {
		return nil, err
	}
	return bcryptHash.ReplaceAll(b, []byte("$bcrypt$")), nil
}

// writeJSON writes v indented, with a final newline.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
}

// readConfig reads the stack config a checkpoint was written with.
func readConfig(t *testing.T, path string) *render.StackConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "write it with: go test -run TestCheckpointsUpdateInPlace -update-checkpoints")
	var sc render.StackConfig
	require.NoError(t, json.Unmarshal(b, &sc), path)
	return &sc
}
