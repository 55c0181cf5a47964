package chart

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// Pull robots read every repository through the "**" read policy, once,
// and are never admins.
func TestPullRobotsRead(t *testing.T) {
	for _, tc := range []struct {
		name        string
		readers     []string
		robots      []string
		wantReaders []any
	}{
		{"no robots", []string{"alice@example.com"}, nil, []any{"alice@example.com"}},
		{"a robot", nil, []string{"cluster-pull"}, []any{"cluster-pull"}},
		{"a robot also a reader", []string{"alice@example.com", "cluster-pull"}, []string{"cluster-pull", "ci-pull"}, []any{"alice@example.com", "cluster-pull", "ci-pull"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := spec.Defaults("dev").Registry
			r.ExternalURL = "https://registry.example.com"
			r.AccessControl = spec.AccessControl{AdminUsers: []string{"ci-pusher"}, ReaderUsers: tc.readers}
			doc, err := zotconfig.Marshal(zotconfig.Build(Params(r, tc.robots, zotconfig.S3Driver{Bucket: "b", Region: "eu-west-1"}, zotconfig.OIDC{})))
			require.NoError(t, err)
			var cfg struct {
				HTTP struct {
					AccessControl struct {
						Repositories map[string]struct {
							Policies []struct {
								Users   []any    `json:"users"`
								Actions []string `json:"actions"`
							} `json:"policies"`
						} `json:"repositories"`
						AdminPolicy struct {
							Users []any `json:"users"`
						} `json:"adminPolicy"`
					} `json:"accessControl"`
				} `json:"http"`
			}
			require.NoError(t, json.Unmarshal([]byte(doc), &cfg))
			ac := cfg.HTTP.AccessControl
			require.Len(t, ac.Repositories["**"].Policies, 1)
			p := ac.Repositories["**"].Policies[0]
			assert.Equal(t, tc.wantReaders, p.Users)
			assert.Equal(t, []string{"read"}, p.Actions)
			assert.Equal(t, []any{"ci-pusher"}, ac.AdminPolicy.Users)
		})
	}
}
