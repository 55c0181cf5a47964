package storage_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/components/storage"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/testsupport"
	"github.com/zot-registry/zot-registry/zot/spec"
)

const oidcProvider = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC"

// runRole runs the component with zot's ServiceAccount zot/zot.
func runRole(t *testing.T, s spec.Storage, tablePrefix string) result {
	t.Helper()
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		c, err := storage.NewBucket(ctx, "zot-registry", &storage.Args{
			Settings: s, TablePrefix: tablePrefix,
			ServiceAccount: storage.ServiceAccount{Namespace: "zot", Name: "zot"},
		})
		if err != nil {
			return nil, err
		}
		return map[string]pulumi.Output{"policy": c.PolicyJSON, "accessKeyId": c.AccessKeyID, "roleArn": c.RoleArn}, nil
	})
	return result{rec: r.Rec, outputs: r.Outputs, secret: r.Secret}
}

// TestRoleInsteadOfKey: with a role there is no IAM user and no key; the
// role holds the very policy the user would (tables included), and trusts
// exactly what its mode needs.
func TestRoleInsteadOfKey(t *testing.T) {
	cases := []struct {
		name      string
		aws       map[string]any
		wantTypes []string
		trust     string
	}{
		{"podIdentity", map[string]any{"credentials": "podIdentity", "eksCluster": "platform-prod"},
			[]string{mocks.PodIdentityType, mocks.RoleType, mocks.RolePolicyType},
			`{"Version":"2012-10-17","Statement":[{"Sid":"EKSPodIdentity","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`},
		{"irsa", map[string]any{"credentials": "irsa", "oidcProviderArn": oidcProvider},
			[]string{mocks.RoleType, mocks.RolePolicyType},
			`{"Version":"2012-10-17","Statement":[{"Sid":"ZotServiceAccount","Effect":"Allow","Principal":{"Federated":"` + oidcProvider + `"},"Action":["sts:AssumeRoleWithWebIdentity"],` +
				`"Condition":{"StringEquals":{"oidc.eks.eu-central-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com","oidc.eks.eu-central-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:zot:zot"}}}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "zot-prod", "aws": tc.aws})
			res := runRole(t, s, "zot-prod")
			got := map[string]bool{}
			for _, typ := range types(res.rec) {
				got[typ] = true
			}
			for _, typ := range tc.wantTypes {
				assert.True(t, got[typ], "declares %s", typ)
			}
			for _, typ := range []string{tUser, tPolicy, tKey} {
				assert.False(t, got[typ], "declares no %s", typ)
			}
			if tc.name == "irsa" {
				assert.False(t, got[mocks.PodIdentityType], "no association with IRSA")
			}
			role := one(t, res.rec, mocks.RoleType)
			var trust, want any
			require.NoError(t, json.Unmarshal([]byte(mocks.Plain(role.Inputs["assumeRolePolicy"]).(string)), &trust))
			require.NoError(t, json.Unmarshal([]byte(tc.trust), &want))
			assert.Equal(t, want, trust)

			rolePolicy := one(t, res.rec, mocks.RolePolicyType)
			assert.Equal(t, res.outputs["policy"], mocks.Plain(rolePolicy.Inputs["policy"]), "the role holds the storagePolicy")
			acts := statements(t, res.outputs["policy"].(string))
			assert.Len(t, acts, 2+7, "the bucket, its objects and each of the seven DynamoDB tables")
			assert.Equal(t, "", res.outputs["accessKeyId"], "no key exists")
			assert.Contains(t, res.outputs["roleArn"], ":role/zot-registry/")
			if tc.name == "podIdentity" {
				a := mocks.PlainMap(one(t, res.rec, mocks.PodIdentityType).Inputs)
				assert.Equal(t, "platform-prod", a["clusterName"])
				assert.Equal(t, "zot", a["namespace"])
				assert.Equal(t, "zot", a["serviceAccount"])
				assert.Equal(t, res.outputs["roleArn"], a["roleArn"])
			}
		})
	}
}

// TestRoleNeedsTheServiceAccount: a program using the component alone gets
// an error, not a role that trusts nobody.
func TestRoleNeedsTheServiceAccount(t *testing.T) {
	s := settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "zot-prod", "aws": map[string]any{"credentials": "irsa", "oidcProviderArn": oidcProvider}})
	rec := mocks.New("p", "s")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := storage.NewBucket(ctx, "zot-registry", &storage.Args{Settings: s})
		return err
	}, rec.Option())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "need zot's ServiceAccount")
	assert.Empty(t, rec.Resources())
}

// TestVersioningKeepsNoncurrentVersions: versioning on, and the one
// lifecycle configuration holds both rules; off, nothing changes.
func TestVersioningKeepsNoncurrentVersions(t *testing.T) {
	on := settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "zot-prod", "versioning": map[string]any{"enabled": true, "keepDays": 45}})
	res := run(t, on)
	v := one(t, res.rec, mocks.VersioningType)
	assert.Equal(t, map[string]any{"status": "Enabled"}, mocks.Plain(v.Inputs["versioningConfiguration"]))
	rules := mocks.Plain(one(t, res.rec, tLifecycle).Inputs["rules"]).([]any)
	require.Len(t, rules, 2)
	second := rules[1].(map[string]any)
	assert.Equal(t, storage.LifecycleNoncurrentRuleID, second["id"])
	assert.Equal(t, map[string]any{"noncurrentDays": float64(45)}, second["noncurrentVersionExpiration"])
	assert.Equal(t, map[string]any{"expiredObjectDeleteMarker": true}, second["expiration"])
	assert.Len(t, statements(t, res.outputs["policy"].(string)), 2, "the bucket and its objects, no version action")

	off := run(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "zot-prod"}))
	assert.Empty(t, off.rec.ByType(mocks.VersioningType))
	assert.Len(t, mocks.Plain(one(t, off.rec, tLifecycle).Inputs["rules"]).([]any), 1)
}

// TestAssociationInTheClustersRegion: a cluster in another region than the
// bucket gets its association through a provider in that region; in the
// bucket's region no second provider is made.
func TestAssociationInTheClustersRegion(t *testing.T) {
	for _, tc := range []struct{ clusterRegion, want string }{{"", "eu-central-1"}, {"eu-central-1", "eu-central-1"}, {"us-east-2", "us-east-2"}} {
		aws := map[string]any{"credentials": "podIdentity", "eksCluster": "platform"}
		if tc.clusterRegion != "" {
			aws["eksClusterRegion"] = tc.clusterRegion
		}
		res := runRole(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "zot-prod", "aws": aws}), "")
		assoc := one(t, res.rec, mocks.PodIdentityType)
		var region any
		for _, p := range res.rec.ByType(tProvider) {
			if strings.HasSuffix(assoc.Provider, "::"+p.Name+"::"+p.ID) {
				region = mocks.Plain(p.Inputs["region"])
			}
		}
		assert.Equal(t, tc.want, region, "cluster region %q", tc.clusterRegion)
		wantProviders := 1
		if tc.want != "eu-central-1" {
			wantProviders = 2
		}
		assert.Len(t, res.rec.ByType(tProvider), wantProviders)
	}
}
