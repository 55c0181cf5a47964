package deployer_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/internal/deployer"
	"github.com/zot-registry/zot-registry/internal/mocks"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// TestAWSPolicyFollowsTheStack: for every stack the tests render, the
// deployer's IAM policy exists exactly when the stack makes AWS
// resources, names no wildcard action and no bare "*" resource, keeps
// each action on its own service's ARNs, never deletes what the stack
// retains, never touches objects (zot's own policy does), and hands a
// role only to EKS Pod Identity.
func TestAWSPolicyFollowsTheStack(t *testing.T) {
	eachStack(t, func(t *testing.T, res *render.Result) {
		rs := res.Recorder.Resources()
		p, ok, err := deployer.AWSPolicy(rs, res.Config.Storage.Region)
		require.NoError(t, err)
		creates := res.Config.Storage.Mode != spec.StorageExisting || len(res.Recorder.ByType(mocks.TableType)) > 0
		require.Equal(t, creates, ok, "a policy exactly when the stack makes AWS resources")
		if !ok {
			return
		}
		retained := false
		for _, r := range res.Recorder.ByType("aws:s3/bucketV2:BucketV2") {
			retained = retained || r.RetainOnDelete
		}
		var randoms []string // known only after up: never in an ARN
		for _, r := range res.Recorder.ByType(mocks.RandomIDType) {
			randoms = append(randoms, r.State["hex"].StringValue())
		}
		sids := map[string]bool{}
		for _, st := range p.Statement {
			assert.False(t, sids[st.Sid], "Sid %s twice", st.Sid)
			sids[st.Sid] = true
			for _, arn := range st.Resource {
				assert.NotEqual(t, "*", arn, "%s: a bare * resource", st.Sid)
				for _, h := range randoms {
					assert.NotContains(t, arn, h, "%s: the render's random suffix stands for one only known after up", st.Sid)
				}
				assert.False(t, strings.HasSuffix(arn, "/*") && strings.Contains(arn, ":s3:::"), "%s: objects are zot's, not the deployer's", st.Sid)
			}
			for _, a := range st.Action {
				service, name, _ := strings.Cut(a, ":")
				assert.NotContains(t, name, "*", "%s: wildcard action %s", st.Sid, a)
				for _, arn := range st.Resource {
					assert.True(t, strings.HasPrefix(arn, "arn:aws:"+service+":"), "%s: %s on %s", st.Sid, a, arn)
				}
				assert.NotEqual(t, "s3:PutObject", a)
			}
			if slices.Contains(st.Action, "iam:PassRole") {
				assert.NotEmpty(t, st.Condition, "PassRole only with iam:PassedToService")
			}
			if retained {
				assert.NotContains(t, st.Action, "s3:DeleteBucket", "the stack retains its bucket")
			}
		}
	})
}

// TestAWSPolicyRefusesUnknownTypes: a new AWS resource in the program
// cannot render until its actions are declared.
func TestAWSPolicyRefusesUnknownTypes(t *testing.T) {
	_, _, err := deployer.AWSPolicy([]mocks.Resource{{Type: "aws:sqs/queue:Queue", Name: "q"}}, "eu-west-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aws:sqs/queue:Queue")
}
