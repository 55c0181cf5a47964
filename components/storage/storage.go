// Package storage makes (or adopts) the S3 bucket zot keeps blobs in, with
// the exact access policy zot needs, on AWS S3 or an S3-compatible store.
package storage

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// Type is the component's Pulumi type token.
const Type = "zot-registry:storage:Storage"

// Args configures Storage.
type Args struct {
	Settings spec.Storage
	// Tags go on what this component creates on AWS.
	Tags map[string]string
	// Environment names the default bucket prefix; default: the stack.
	Environment string
	// TablePrefix, in aws mode, makes zot's DynamoDB metadata tables
	// (registry.cache.driver dynamodb); empty makes none.
	TablePrefix string
	// ServiceAccount is zot's ServiceAccount: the one the IAM role is for
	// with storage.aws.credentials podIdentity or irsa.
	ServiceAccount ServiceAccount
}

// ServiceAccount names a Kubernetes ServiceAccount.
type ServiceAccount struct {
	Namespace, Name string
}

// Bucket is the bucket's coordinates and zot's access to it.
type Bucket struct {
	pulumi.ResourceState

	BucketName     pulumi.StringOutput
	Region         pulumi.StringOutput
	Endpoint       pulumi.StringOutput // zot's regionendpoint; empty for AWS S3
	Secure         pulumi.BoolOutput
	ForcePathStyle pulumi.BoolOutput
	SkipVerify     pulumi.BoolOutput
	KeyPrefix      pulumi.StringOutput
	PolicyJSON     pulumi.StringOutput

	// AccessKeyID and SecretAccessKey are the IAM key made for zot in aws
	// mode (secrets); empty secrets in the other modes, where the key pair
	// comes from the secret store.
	AccessKeyID     pulumi.StringOutput
	SecretAccessKey pulumi.StringOutput

	// RoleArn is the IAM role zot assumes (storage.aws.credentials
	// podIdentity or irsa); empty otherwise.
	RoleArn pulumi.StringOutput

	// AbortUploadsCommand sets the abort-incomplete-uploads rule where the
	// program does not (s3-compatible and existing modes); empty in aws mode.
	AbortUploadsCommand pulumi.StringOutput

	Bucket   *s3.BucketV2  // nil in existing mode
	Provider *aws.Provider // the provider the bucket is made with; nil in existing mode
	// Role is zot's IAM role, nil unless storage.aws.credentials names one.
	Role *iam.Role
	// Access is what zot's first S3 call needs to exist in mode aws: the
	// IAM user, its policy and key, or the role, its policy and (Pod
	// Identity) the association; nil in the other modes.
	Access []pulumi.Resource
	// Tables are zot's DynamoDB tables (TablePrefix), in zotconfig order.
	Tables []*dynamodb.Table
}

// LifecycleRuleID names the rule that aborts incomplete multipart uploads.
const LifecycleRuleID = "abort-incomplete-multipart-uploads"

// NewBucket creates or adopts the bucket according to Settings.Mode.
func NewBucket(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Bucket, error) {
	if args == nil {
		return nil, fmt.Errorf("storage %s: args are required", name)
	}
	// Settings come validated and resolved (spec.Prepare: config.Load for
	// a stack, the component's inputs for the package).
	if !args.Settings.Resolved() {
		return nil, fmt.Errorf("storage %s: %w", name, spec.ErrUnresolved)
	}
	a := *args
	if a.Environment == "" {
		a.Environment = ctx.Stack()
	}
	if a.Settings.Mode == spec.StorageAWS && a.Settings.AWS.UsesRole() && (a.ServiceAccount.Namespace == "" || a.ServiceAccount.Name == "") {
		return nil, fmt.Errorf("storage %s: credentials %s need zot's ServiceAccount (namespace and name)", name, a.Settings.AWS.Credentials)
	}
	args = &a
	c := &Bucket{}
	if err := ctx.RegisterComponentResource(Type, name, c, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	c.Region = pulumi.String(s.Region).ToStringOutput()
	c.Endpoint = pulumi.String(s.RegionEndpoint).ToStringOutput()
	c.Secure = pulumi.Bool(s.Secure).ToBoolOutput()
	c.ForcePathStyle = pulumi.Bool(*s.ForcePathStyle).ToBoolOutput()
	c.SkipVerify = pulumi.Bool(s.SkipVerify).ToBoolOutput()
	c.KeyPrefix = pulumi.String(s.KeyPrefix).ToStringOutput()
	c.AccessKeyID = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	c.SecretAccessKey = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	c.AbortUploadsCommand = pulumi.String("").ToStringOutput()
	c.RoleArn = pulumi.String("").ToStringOutput()

	var err error
	switch s.Mode {
	case spec.StorageExisting:
		c.BucketName = pulumi.String(s.Bucket).ToStringOutput()
	case spec.StorageAWS:
		err = c.createOnAWS(ctx, name, args)
	case spec.StorageS3Compatible:
		err = c.createOnStore(ctx, name, args)
	default:
		err = fmt.Errorf("storage %s: unknown mode %q", name, s.Mode)
	}
	if err != nil {
		return nil, err
	}
	if s.Mode != spec.StorageAWS {
		// In aws mode createOnAWS set it: the IAM user's policy, tables included.
		c.PolicyJSON = c.BucketName.ApplyT(func(b string) (string, error) {
			return Policy(b, s.KeyPrefix).JSON()
		}).(pulumi.StringOutput)
		c.AbortUploadsCommand = c.BucketName.ApplyT(func(b string) string {
			return AbortUploadsCommand(s.ProvisionURL, b, s.AbortIncompleteUploadsDays)
		}).(pulumi.StringOutput)
	}

	registered := pulumi.Map{
		"bucket":         c.BucketName,
		"region":         c.Region,
		"endpoint":       c.Endpoint,
		"secure":         c.Secure,
		"forcePathStyle": c.ForcePathStyle,
		"policy":         c.PolicyJSON,
		"accessKeyId":    c.AccessKeyID,
		"abortUploads":   c.AbortUploadsCommand,
	}
	if c.Role != nil { // only with a role: other stacks' state stays as it was
		registered["roleArn"] = c.RoleArn
	}
	if err := ctx.RegisterResourceOutputs(c, registered); err != nil {
		return nil, err
	}
	return c, nil
}

// bucketName is the configured name, or the default: <project>-<stack>,
// with a random suffix on AWS where names are global. The suffix is a
// resource, so it stays the same on every later run.
func (c *Bucket) bucketName(ctx *pulumi.Context, name string, s spec.Storage, suffixed bool) (pulumi.StringInput, error) {
	if s.Bucket != "" {
		return pulumi.String(s.Bucket), nil
	}
	if !suffixed {
		return pulumi.String(s.BucketPrefix), nil
	}
	suffix, err := random.NewRandomId(ctx, name+"-bucket-suffix", &random.RandomIdArgs{
		ByteLength: pulumi.Int(4),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	return pulumi.Sprintf("%s-%s", s.BucketPrefix, suffix.Hex), nil
}

// bucketOptions: images are data. The bucket survives pulumi destroy unless
// retainOnDelete is turned off, and protect blocks its deletion outright.
func bucketOptions(c *Bucket, s spec.Storage, extra ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{
		pulumi.Parent(c),
		pulumi.RetainOnDelete(s.RetainOnDelete),
		pulumi.Protect(s.Protect),
	}, extra...)
}

func (c *Bucket) createOnAWS(ctx *pulumi.Context, name string, args *Args) error {
	s := args.Settings
	// An explicit provider in storage.region: the region zot is told is the
	// region the bucket is made in, whatever aws:region says. Credentials
	// come from the usual chain (AWS_PROFILE, environment, SSO…).
	provider, err := aws.NewProvider(ctx, name+"-aws", &aws.ProviderArgs{
		Region: pulumi.String(s.Region),
	}, pulumi.Parent(c))
	if err != nil {
		return err
	}
	c.Provider = provider
	bucketName, err := c.bucketName(ctx, name, s, true)
	if err != nil {
		return err
	}
	tags := pulumi.ToStringMap(args.Tags)
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket: bucketName,
		Tags:   tags,
	}, bucketOptions(c, s, pulumi.Provider(provider))...)
	if err != nil {
		return err
	}
	c.Bucket = bucket
	c.BucketName = bucket.Bucket
	child := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}

	if _, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...); err != nil {
		return err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, child...); err != nil {
		return err
	}
	if err := lifecycle(ctx, name, bucket, s, child...); err != nil {
		return err
	}

	tables, err := c.tables(ctx, name, args, pulumi.Provider(provider))
	if err != nil {
		return err
	}
	arns := make([]any, len(tables))
	for i, t := range tables {
		arns[i] = t.Arn
	}
	policy := pulumi.All(append([]any{bucket.Bucket}, arns...)...).ApplyT(func(in []any) (string, error) {
		tableARNs := make([]string, len(in)-1)
		for i, a := range in[1:] {
			tableARNs[i] = a.(string)
		}
		return Policy(in[0].(string), s.KeyPrefix, tableARNs...).JSON()
	}).(pulumi.StringOutput)
	c.PolicyJSON = policy
	if s.AWS.UsesRole() {
		return c.role(ctx, name, args, policy, child)
	}
	return c.accessKey(ctx, name, args, policy, child)
}

// accessKey gives zot an IAM user with the policy and an access key,
// which reaches zot through the secret store.
func (c *Bucket) accessKey(ctx *pulumi.Context, name string, args *Args, policy pulumi.StringOutput, child []pulumi.ResourceOption) error {
	user, err := iam.NewUser(ctx, name, &iam.UserArgs{
		Path: pulumi.String("/zot-registry/"),
		Tags: pulumi.ToStringMap(args.Tags),
	}, child...)
	if err != nil {
		return err
	}
	userPolicy, err := iam.NewUserPolicy(ctx, name, &iam.UserPolicyArgs{
		User:   user.Name,
		Policy: policy,
	}, child...)
	if err != nil {
		return err
	}
	key, err := iam.NewAccessKey(ctx, name, &iam.AccessKeyArgs{User: user.Name}, child...)
	if err != nil {
		return err
	}
	// zot's first S3 (and DynamoDB) call needs the policy, not only the key.
	c.Access = []pulumi.Resource{user, userPolicy, key}
	c.AccessKeyID = pulumi.ToSecret(key.ID().ToStringOutput()).(pulumi.StringOutput)
	c.SecretAccessKey = pulumi.ToSecret(key.Secret).(pulumi.StringOutput)
	return nil
}

// role gives zot an IAM role with the policy, assumed through EKS Pod
// Identity (an association in the cluster) or IRSA (a trust in the
// cluster's OpenID provider for zot's ServiceAccount, which the registry
// annotates with RoleArn). No key exists: zot's S3 driver and DynamoDB
// client take the pod's credentials from the SDKs' default chains
// (docs/storage.md cites the sources).
func (c *Bucket) role(ctx *pulumi.Context, name string, args *Args, policy pulumi.StringOutput, child []pulumi.ResourceOption) error {
	s := args.Settings
	sa := args.ServiceAccount
	trust := PodIdentityTrust()
	if s.AWS.Credentials == spec.CredentialsIRSA {
		trust = IRSATrust(s.AWS.OIDCProviderArn, s.AWS.OIDCIssuer, sa.Namespace, sa.Name)
	}
	trustJSON, err := trust.JSON()
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		Path:             pulumi.String("/zot-registry/"),
		Description:      pulumi.Sprintf("zot's access to its bucket (%s)", s.AWS.Credentials),
		AssumeRolePolicy: pulumi.String(trustJSON),
		Tags:             pulumi.ToStringMap(args.Tags),
	}, child...)
	if err != nil {
		return err
	}
	c.Role = role
	c.RoleArn = role.Arn
	rolePolicy, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, child...)
	if err != nil {
		return err
	}
	c.Access = []pulumi.Resource{role, rolePolicy}
	if s.AWS.Credentials == spec.CredentialsPodIdentity {
		// Associations are regional: made where the cluster runs.
		assocOpts := child
		if r := s.AWS.EKSClusterRegion; r != "" && r != s.Region {
			eksProvider, err := aws.NewProvider(ctx, name+"-eks", &aws.ProviderArgs{Region: pulumi.String(r)}, pulumi.Parent(c))
			if err != nil {
				return err
			}
			assocOpts = []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(eksProvider)}
		}
		assoc, err := eks.NewPodIdentityAssociation(ctx, name, &eks.PodIdentityAssociationArgs{
			ClusterName:    pulumi.String(s.AWS.EKSCluster),
			Namespace:      pulumi.String(sa.Namespace),
			ServiceAccount: pulumi.String(sa.Name),
			RoleArn:        role.Arn,
			Tags:           pulumi.ToStringMap(args.Tags),
		}, assocOpts...)
		if err != nil {
			return err
		}
		c.Access = append(c.Access, assoc)
	}
	return nil
}

func (c *Bucket) createOnStore(ctx *pulumi.Context, name string, args *Args) error {
	s := args.Settings
	pargs := &aws.ProviderArgs{
		Region: pulumi.String(s.Region),
		// Where pulumi up reaches the store (provisionEndpoint), which may
		// differ from where zot does (cluster DNS).
		Endpoints: aws.ProviderEndpointArray{&aws.ProviderEndpointArgs{S3: pulumi.String(s.ProvisionURL)}},
		// MinIO, RustFS, Ceph RGW and Garage have no STS, IAM, account id or
		// instance metadata, and take any region name.
		S3UsePathStyle:            pulumi.Bool(*s.ForcePathStyle),
		SkipCredentialsValidation: pulumi.Bool(true),
		SkipRequestingAccountId:   pulumi.Bool(true),
		SkipRegionValidation:      pulumi.Bool(true),
		SkipMetadataApiCheck:      pulumi.Bool(true),
		Insecure:                  pulumi.Bool(s.SkipVerify),
		// Credentials: the store's admin key pair from AWS_ACCESS_KEY_ID and
		// AWS_SECRET_ACCESS_KEY (or a profile) in pulumi up's environment.
	}
	provider, err := aws.NewProvider(ctx, name+"-store", pargs, pulumi.Parent(c))
	if err != nil {
		return err
	}
	c.Provider = provider
	bucketName, err := c.bucketName(ctx, name, s, false)
	if err != nil {
		return err
	}
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{Bucket: bucketName},
		bucketOptions(c, s, pulumi.Provider(provider))...)
	if err != nil {
		return err
	}
	c.Bucket = bucket
	c.BucketName = bucket.Bucket
	// No lifecycle resource here: pulumi-aws v6 bridges Terraform's AWS
	// provider 5.x, whose aws_s3_bucket_lifecycle_configuration waits for
	// the AWS-only x-amz-transition-default-minimum-object-size header
	// after the PUT, so on MinIO and Ceph RGW (and stores built on them)
	// every pulumi up fails after 3 minutes although the rule was set
	// (hashicorp/terraform-provider-aws issues 49019 and 46021, fixed only
	// behind pulumi-aws v7). The abortUploadsCommand output sets the same
	// rule with the plain S3 call.
	return nil
}

// tables makes the seven DynamoDB tables zot keeps shared metadata in, on
// demand (zot creates missing ones the same way) and kept like the bucket:
// stars, API keys and the repositories' metadata are data.
func (c *Bucket) tables(ctx *pulumi.Context, name string, args *Args, provider pulumi.ResourceOption) ([]*dynamodb.Table, error) {
	if args.TablePrefix == "" {
		return nil, nil
	}
	for _, t := range zotconfig.DynamoDBTables {
		table, err := dynamodb.NewTable(ctx, name+"-"+t.Suffix, &dynamodb.TableArgs{
			Name:        pulumi.String(zotconfig.TableName(args.TablePrefix, t)),
			BillingMode: pulumi.String("PAY_PER_REQUEST"),
			HashKey:     pulumi.String(t.HashKey),
			Attributes:  dynamodb.TableAttributeArray{&dynamodb.TableAttributeArgs{Name: pulumi.String(t.HashKey), Type: pulumi.String("S")}},
			Tags:        pulumi.ToStringMap(args.Tags),
		}, bucketOptions(c, args.Settings, provider)...)
		if err != nil {
			return nil, err
		}
		c.Tables = append(c.Tables, table)
	}
	return c.Tables, nil
}

// LifecycleNoncurrentRuleID names the rule that expires noncurrent
// versions (storage.versioning).
const LifecycleNoncurrentRuleID = "expire-noncurrent-versions"

// lifecycle aborts multipart uploads left behind by failed pushes and,
// with versioning, expires noncurrent versions after keepDays (and the
// delete markers left with no version behind them). One configuration
// holds both: S3 keeps one lifecycle configuration per bucket, and a
// second resource would overwrite the first.
func lifecycle(ctx *pulumi.Context, name string, bucket *s3.BucketV2, s spec.Storage, opts ...pulumi.ResourceOption) error {
	rules := s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String(LifecycleRuleID),
		Status: pulumi.String("Enabled"),
		Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(s.AbortIncompleteUploadsDays),
		},
	}}
	if s.Versioning.Enabled {
		versioning, err := s3.NewBucketVersioningV2(ctx, name, &s3.BucketVersioningV2Args{
			Bucket: bucket.ID(),
			VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
				Status: pulumi.String("Enabled"),
			},
		}, opts...)
		if err != nil {
			return err
		}
		// The rules follow versioning: terraform-provider-aws's
		// s3_bucket_lifecycle_configuration docs make a versioned bucket's
		// configuration depend on its versioning resource.
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{versioning}))
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String(LifecycleNoncurrentRuleID),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{},
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(s.Versioning.KeepDays),
			},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
				ExpiredObjectDeleteMarker: pulumi.Bool(true),
			},
		})
	}
	_, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  rules,
	}, opts...)
	return err
}
