package storage_test

import (
	"encoding/json"
	"sort"
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

const (
	tBucket    = "aws:s3/bucketV2:BucketV2"
	tPAB       = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tOwnership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tSSE       = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tLifecycle = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tUser      = mocks.UserType
	tPolicy    = mocks.UserPolicyType
	tKey       = mocks.AccessKeyType
	tRandom    = mocks.RandomIDType
	tProvider  = "pulumi:providers:aws"
)

// settings validates a storage object through the config package, as the
// program does.
func settings(t *testing.T, storageObj map[string]any) spec.Storage {
	t.Helper()
	return testsupport.Parse(t, map[string]any{"storage": storageObj}).Storage
}

type result struct {
	rec     *mocks.Recorder
	outputs map[string]any
	secret  map[string]bool
}

func run(t *testing.T, s spec.Storage) result { return runTables(t, s, "") }

func runTables(t *testing.T, s spec.Storage, tablePrefix string) result {
	t.Helper()
	r := testsupport.Run(t, func(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
		c, err := storage.NewBucket(ctx, "zot-registry", &storage.Args{Settings: s, TablePrefix: tablePrefix})
		if err != nil {
			return nil, err
		}
		return map[string]pulumi.Output{
			"bucket": c.BucketName, "region": c.Region, "endpoint": c.Endpoint,
			"secure": c.Secure, "forcePathStyle": c.ForcePathStyle, "policy": c.PolicyJSON,
			"accessKeyId": c.AccessKeyID, "secretAccessKey": c.SecretAccessKey, "keyPrefix": c.KeyPrefix,
			"abortUploads": c.AbortUploadsCommand,
		}, nil
	})
	return result{rec: r.Rec, outputs: r.Outputs, secret: r.Secret}
}

func types(rec *mocks.Recorder) []string {
	var out []string
	for _, r := range rec.Resources() {
		if r.Custom {
			out = append(out, r.Type)
		}
	}
	sort.Strings(out)
	return out
}

func one(t *testing.T, rec *mocks.Recorder, typ string) mocks.Resource {
	return testsupport.One(t, rec, typ)
}

// statements maps each policy resource to its set of actions.
func statements(t *testing.T, policyJSON string) map[string][]string {
	t.Helper()
	var doc storage.PolicyDocument
	require.NoError(t, json.Unmarshal([]byte(policyJSON), &doc))
	assert.Equal(t, "2012-10-17", doc.Version)
	out := map[string][]string{}
	for _, st := range doc.Statement {
		assert.Equal(t, "Allow", st.Effect)
		for _, r := range st.Resource {
			actions := append(out[r], st.Action...)
			sort.Strings(actions)
			out[r] = actions
		}
	}
	return out
}

func sorted(s ...string) []string { sort.Strings(s); return s }

var (
	wantBucketActions = sorted("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
	wantObjectActions = sorted("s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload")
)

func TestPolicyIsExactlyTheEightActions(t *testing.T) {
	cases := []struct{ prefix, objects string }{
		{"", "arn:aws:s3:::zot-dev/*"},
		{"/zot", "arn:aws:s3:::zot-dev/zot/*"},
		{"/a/b", "arn:aws:s3:::zot-dev/a/b/*"},
	}
	for _, tc := range cases {
		js, err := storage.Policy("zot-dev", tc.prefix).JSON()
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{
			"arn:aws:s3:::zot-dev": wantBucketActions,
			tc.objects:             wantObjectActions,
		}, statements(t, js), "prefix %q: nothing extra, nothing missing", tc.prefix)
	}
}

func TestAWSMode(t *testing.T) {
	r := run(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "keyPrefix": "/zot"}))
	assert.Equal(t, sorted(tProvider, tBucket, tPAB, tOwnership, tSSE, tLifecycle, tUser, tPolicy, tKey, tRandom), types(r.rec))
	// The bucket is made in storage.region, not wherever aws:region points.
	p := one(t, r.rec, tProvider)
	assert.Equal(t, "eu-central-1", mocks.PlainMap(p.Inputs)["region"])
	for _, res := range r.rec.Resources() {
		if res.Custom && strings.HasPrefix(res.Type, "aws:") {
			assert.True(t, strings.HasPrefix(res.Provider, p.URN+"::"), "%s uses the storage provider", res.Type)
		}
	}
	for _, res := range r.rec.Resources() {
		if res.Custom {
			p, ok := r.rec.ParentOf(res)
			require.True(t, ok, res.URN)
			assert.Equal(t, storage.Type, p.Type, "%s is the component's child", res.Type)
		}
	}

	// Name: project and stack plus a stable random suffix.
	suffix := mocks.PlainMap(one(t, r.rec, tRandom).Inputs)
	assert.Equal(t, float64(4), suffix["byteLength"])
	bucket := r.outputs["bucket"].(string)
	assert.Regexp(t, `^zot-registry-dev-[0-9a-f]{8}$`, bucket)
	b := one(t, r.rec, tBucket)
	assert.True(t, b.RetainOnDelete, "images are data")
	assert.False(t, b.Protect)
	assert.Equal(t, bucket, mocks.PlainMap(b.Inputs)["bucket"])

	assert.Equal(t, map[string]any{"bucket": bucket, "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true},
		mocks.PlainMap(one(t, r.rec, tPAB).Inputs))
	assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, mocks.PlainMap(one(t, r.rec, tOwnership).Inputs)["rule"])
	sse := mocks.PlainMap(one(t, r.rec, tSSE).Inputs)["rules"].([]any)[0].(map[string]any)
	assert.Equal(t, "AES256", sse["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"])
	assertLifecycle(t, r.rec, bucket, 7)

	// The policy the IAM user gets is the exact one, narrowed to the prefix.
	policy := mocks.PlainMap(one(t, r.rec, tPolicy).Inputs)["policy"].(string)
	assert.Equal(t, map[string][]string{
		"arn:aws:s3:::" + bucket:            wantBucketActions,
		"arn:aws:s3:::" + bucket + "/zot/*": wantObjectActions,
	}, statements(t, policy))
	assert.Equal(t, policy, r.outputs["policy"])
	assert.Equal(t, "/zot-registry/", mocks.PlainMap(one(t, r.rec, tUser).Inputs)["path"])

	// zot's key: made here, and secret.
	assert.True(t, strings.HasPrefix(r.outputs["accessKeyId"].(string), "AKIA"))
	assert.NotEmpty(t, r.outputs["secretAccessKey"])
	assert.True(t, r.secret["accessKeyId"])
	assert.True(t, r.secret["secretAccessKey"])
	assert.False(t, r.secret["bucket"])

	assert.Equal(t, "eu-central-1", r.outputs["region"])
	assert.Equal(t, "", r.outputs["endpoint"])
	assert.Equal(t, true, r.outputs["secure"])
	assert.Equal(t, false, r.outputs["forcePathStyle"])
}

func assertLifecycle(t *testing.T, rec *mocks.Recorder, bucket string, days int) {
	t.Helper()
	lc := mocks.PlainMap(one(t, rec, tLifecycle).Inputs)
	assert.Equal(t, bucket, lc["bucket"])
	assert.Equal(t, []any{map[string]any{
		"id":                             storage.LifecycleRuleID,
		"status":                         "Enabled",
		"filter":                         map[string]any{},
		"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": float64(days)},
	}}, lc["rules"])
}

func TestAWSModeNamedAndProtected(t *testing.T) {
	r := run(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "acme-zot", "protect": true, "retainOnDelete": false, "abortIncompleteUploadsDays": 2}))
	assert.Empty(t, r.rec.ByType(tRandom), "a named bucket needs no suffix")
	assert.Equal(t, "acme-zot", r.outputs["bucket"])
	b := one(t, r.rec, tBucket)
	assert.True(t, b.Protect)
	assert.False(t, b.RetainOnDelete)
	assertLifecycle(t, r.rec, "acme-zot", 2)
	assert.Equal(t, "", r.outputs["abortUploads"], "on AWS the program makes the rule")
}

// TestProvisionEndpoint: the bucket is made where pulumi up reaches the
// store, zot keeps the address it reaches it at.
func TestProvisionEndpoint(t *testing.T) {
	r := run(t, settings(t, map[string]any{"mode": "s3-compatible", "bucket": "zot-dev",
		"endpoint": "http://rustfs.storage.svc.cluster.local:9000", "provisionEndpoint": "http://127.0.0.1:9000"}))
	p := one(t, r.rec, tProvider)
	assert.Equal(t, []any{map[string]any{"s3": "http://127.0.0.1:9000"}}, mocks.PlainMap(p.Inputs)["endpoints"], "the provider that creates the bucket")
	assert.Equal(t, "http://rustfs.storage.svc.cluster.local:9000", r.outputs["endpoint"], "zot's endpoint")
	assertAbortCommand(t, r.outputs["abortUploads"].(string), "http://127.0.0.1:9000", "zot-dev", 7)
}

func TestS3CompatibleMode(t *testing.T) {
	r := run(t, settings(t, map[string]any{"mode": "s3-compatible", "endpoint": "https://minio.example.com:9000", "skipVerify": true}))
	// No IAM (such stores do not speak it) and no lifecycle resource: it
	// never converges there (see createOnStore).
	assert.Equal(t, sorted(tProvider, tBucket), types(r.rec), "nothing that waits on an AWS-only answer")

	p := one(t, r.rec, tProvider)
	assert.Equal(t, map[string]any{
		"region":                    "us-east-1",
		"endpoints":                 []any{map[string]any{"s3": "https://minio.example.com:9000"}},
		"s3UsePathStyle":            true,
		"skipCredentialsValidation": true,
		"skipRequestingAccountId":   true,
		"skipRegionValidation":      true,
		"skipMetadataApiCheck":      true,
		"insecure":                  true,
	}, mocks.PlainMap(p.Inputs))
	res := one(t, r.rec, tBucket)
	assert.True(t, strings.HasPrefix(res.Provider, p.URN+"::"), "the bucket is created on the store, not on AWS")
	assert.Equal(t, "zot-registry-dev", r.outputs["bucket"], "private stores need no random suffix")
	assert.True(t, one(t, r.rec, tBucket).RetainOnDelete)
	assertAbortCommand(t, r.outputs["abortUploads"].(string), "https://minio.example.com:9000", "zot-registry-dev", 7)

	assert.Equal(t, "https://minio.example.com:9000", r.outputs["endpoint"])
	assert.Equal(t, true, r.outputs["secure"])
	assert.Equal(t, true, r.outputs["forcePathStyle"])
	assert.Equal(t, map[string][]string{
		"arn:aws:s3:::zot-registry-dev":   wantBucketActions,
		"arn:aws:s3:::zot-registry-dev/*": wantObjectActions,
	}, statements(t, r.outputs["policy"].(string)), "the policy to attach with the store's admin tool")
	assert.Equal(t, "", r.outputs["accessKeyId"], "the key pair comes from the secret store")
	assert.True(t, r.secret["accessKeyId"])
}

// assertAbortCommand: the command is the S3 API call with the same rule the
// program creates on AWS.
func assertAbortCommand(t *testing.T, cmd, endpoint, bucket string, days int) {
	t.Helper()
	prefix := "aws s3api put-bucket-lifecycle-configuration "
	if endpoint != "" {
		prefix += "--endpoint-url " + endpoint + " "
	}
	prefix += "--bucket " + bucket + " --lifecycle-configuration '"
	require.True(t, strings.HasPrefix(cmd, prefix), cmd)
	doc := strings.TrimSuffix(strings.TrimPrefix(cmd, prefix), "'")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &got), doc)
	assert.Equal(t, map[string]any{"Rules": []any{map[string]any{
		"ID": storage.LifecycleRuleID, "Status": "Enabled", "Filter": map[string]any{"Prefix": ""},
		"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": float64(days)},
	}}}, got)
}

func TestExistingMode(t *testing.T) {
	r := run(t, settings(t, map[string]any{"mode": "existing", "bucket": "shared-zot", "endpoint": "http://rustfs:9000", "region": "garage"}))
	assert.Empty(t, types(r.rec), "nothing is created")
	assert.Equal(t, "shared-zot", r.outputs["bucket"])
	assert.Equal(t, "garage", r.outputs["region"])
	assert.Equal(t, "http://rustfs:9000", r.outputs["endpoint"])
	assert.Equal(t, false, r.outputs["secure"])
	assert.Equal(t, true, r.outputs["forcePathStyle"])
	assert.Contains(t, r.outputs["policy"], "arn:aws:s3:::shared-zot/*")
	assertAbortCommand(t, r.outputs["abortUploads"].(string), "http://rustfs:9000", "shared-zot", 7)
}

// TestRefusesUnresolvedSettings: used on its own, the component takes
// settings as spec.Prepare leaves them (its derived values filled in) and
// refuses others before it registers anything, rather than deploy a bucket
// without a region or an endpoint without its parsed form.
func TestRefusesUnresolvedSettings(t *testing.T) {
	rec := mocks.New("p", "s")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := storage.NewBucket(ctx, "s", &storage.Args{Settings: spec.Storage{Mode: "aws", Region: "eu-west-1"}})
		return err
	}, rec.Option())
	require.ErrorIs(t, err, spec.ErrUnresolved)
	assert.Contains(t, err.Error(), "storage s: settings are not resolved: pass them through spec.Prepare")
	assert.Empty(t, rec.Resources())
}

// TestDynamoDBTables: registry.cache.driver dynamodb makes the seven tables
// zot v2.1 reads, on demand and kept like the bucket, and zot's policy gets
// exactly the six table actions on exactly those tables.
func TestDynamoDBTables(t *testing.T) {
	r := runTables(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "acme-zot", "protect": true}), "zot-prod")
	tables := r.rec.ByType(mocks.TableType)
	require.Len(t, tables, 7)
	hashKeys := map[string]string{}
	var arns []string
	for _, tb := range tables {
		in := mocks.PlainMap(tb.Inputs)
		name := in["name"].(string)
		hashKeys[name] = in["hashKey"].(string)
		assert.Equal(t, "PAY_PER_REQUEST", in["billingMode"], name)
		assert.Equal(t, []any{map[string]any{"name": in["hashKey"], "type": "S"}}, in["attributes"], name)
		assert.True(t, tb.RetainOnDelete, "%s: metadata is data, kept like the bucket", name)
		assert.True(t, tb.Protect, "%s: protected like the bucket", name)
		arns = append(arns, mocks.PlainMap(tb.State)["arn"].(string))
	}
	assert.Equal(t, map[string]string{
		"zot-prod-cache": "Digest", "zot-prod-repo-meta": "TableKey", "zot-prod-repo-blobs-info": "TableKey",
		"zot-prod-image-meta": "TableKey", "zot-prod-user-data": "TableKey", "zot-prod-api-keys": "TableKey", "zot-prod-version": "TableKey",
	}, hashKeys, "zot's own key schema (pkg/meta/dynamodb createTable, pkg/storage/cache/dynamodb.go)")

	got := statements(t, r.outputs["policy"].(string))
	want := map[string][]string{
		"arn:aws:s3:::acme-zot":   wantBucketActions,
		"arn:aws:s3:::acme-zot/*": wantObjectActions,
	}
	for _, arn := range arns {
		want[arn] = sorted("dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem")
	}
	assert.Equal(t, want, got, "no CreateTable, no DeleteTable, no other table")
	assert.Equal(t, r.outputs["policy"], mocks.PlainMap(one(t, r.rec, tPolicy).Inputs)["policy"], "the IAM user gets the policy that is output")

	// Without the driver: no table, no table statement.
	r = run(t, settings(t, map[string]any{"mode": "aws", "region": "eu-central-1", "bucket": "acme-zot"}))
	assert.Empty(t, r.rec.ByType(mocks.TableType))
	assert.NotContains(t, r.outputs["policy"], "dynamodb")
}
