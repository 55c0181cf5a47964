package deployer

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/zot-registry/zot-registry/components/storage"
	"github.com/zot-registry/zot-registry/internal/mocks"
)

// Policy and Statement are the IAM documents zot's own policy uses.
type (
	Policy    = storage.PolicyDocument
	Statement = storage.Statement
)

// calls are the IAM actions the AWS provider (pulumi-aws v6, Terraform's
// aws provider v5 underneath) calls for a resource type over create,
// refresh, update and delete, from the provider's sources
// (internal/service/<service>/<resource>.go); the delete actions are
// apart, for resources the stack retains. Tags: the provider reads them
// after each call and writes them when they change.
var calls = map[string]struct{ life, del []string }{
	"aws:s3/bucketV2:BucketV2": {
		life: []string{"s3:CreateBucket", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS",
			"s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment",
			"s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
			"s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:PutBucketTagging"},
		del: []string{"s3:DeleteBucket"},
	},
	mocks.VersioningType: {life: []string{"s3:PutBucketVersioning", "s3:GetBucketVersioning"}},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {life: []string{"s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"}},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":               {life: []string{"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"}},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":               {life: []string{"s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"}},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {
		life: []string{"s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"},
	},
	mocks.UserType: {
		life: []string{"iam:CreateUser", "iam:GetUser", "iam:TagUser", "iam:UntagUser"},
		del:  []string{"iam:ListGroupsForUser", "iam:DeleteUser"},
	},
	mocks.UserPolicyType: {life: []string{"iam:PutUserPolicy", "iam:GetUserPolicy"}, del: []string{"iam:DeleteUserPolicy"}},
	mocks.AccessKeyType:  {life: []string{"iam:CreateAccessKey", "iam:ListAccessKeys"}, del: []string{"iam:DeleteAccessKey"}},
	mocks.RoleType: {
		life: []string{"iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies",
			"iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription"},
		del: []string{"iam:ListInstanceProfilesForRole", "iam:DeleteRolePolicy", "iam:DeleteRole"},
	},
	mocks.RolePolicyType: {life: []string{"iam:PutRolePolicy", "iam:GetRolePolicy"}, del: []string{"iam:DeleteRolePolicy"}},
	mocks.PodIdentityType: {
		life: []string{"eks:DescribePodIdentityAssociation", "eks:UpdatePodIdentityAssociation", "eks:TagResource", "eks:UntagResource"},
		del:  []string{"eks:DeletePodIdentityAssociation"},
	},
	mocks.TableType: {
		life: []string{"dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups",
			"dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource",
			"dynamodb:UntagResource", "dynamodb:UpdateTable"},
		del: []string{"dynamodb:DeleteTable"},
	},
}

// Partition of the ARNs: AWS's commercial regions.
const partition = "aws"

// AWSPolicy is the least-privilege policy of the identity running `pulumi
// up` (and refresh, and destroy) for the stack's AWS provider resources:
// only the actions their types call, on their own ARNs (any account: the
// render has no credentials; IAM names by the path and the autoname's
// prefix), with no delete action for what the stack retains. Each ARN is
// in its provider's region, region where the provider names none; false
// when the stack has no AWS resource. An unknown type is an error, so a new resource cannot ship
// without its actions.
func AWSPolicy(resources []mocks.Resource, region string) (Policy, bool, error) {
	byARN := map[string]map[string]bool{}
	sids := map[string]string{}
	var passRoles []string
	add := func(sid string, arns []string, actions ...string) {
		for _, arn := range arns {
			if byARN[arn] == nil {
				byARN[arn] = map[string]bool{}
			}
			for _, a := range actions {
				byARN[arn][a] = true
			}
			sids[arn] = sid
		}
	}
	providers := map[string]string{}
	paths := map[string]string{}
	var randoms []string
	for _, r := range resources {
		switch r.Type {
		case "pulumi:providers:aws":
			providers[r.URN] = str(r.Inputs, "region")
		case mocks.RoleType:
			paths["role/"+r.Name] = str(r.Inputs, "path")
		case mocks.UserType:
			paths["user/"+r.Name] = str(r.Inputs, "path")
		case mocks.RandomIDType:
			// A name with a random suffix (the default bucket's) is only
			// known after up: the render's mock value becomes a wildcard.
			if h := str(r.State, "hex"); h != "" {
				randoms = append(randoms, h)
			}
		}
	}
	for _, r := range resources {
		if !strings.HasPrefix(r.Type, "aws:") {
			continue
		}
		region := regionOf(r, providers, region)
		c, ok := calls[r.Type]
		if !ok {
			return Policy{}, false, fmt.Errorf("deployer: no IAM actions known for %s (%s): add them to internal/deployer's calls", r.Type, r.Name)
		}
		actions := c.life
		if !r.RetainOnDelete {
			actions = append(slices.Clone(actions), c.del...)
		}
		sid, arns := target(r, region, paths)
		for i := range arns {
			for _, h := range randoms {
				arns[i] = strings.ReplaceAll(arns[i], h, "*")
			}
		}
		add(sid, arns, actions...)
		if r.Type == mocks.PodIdentityType {
			add("EKSCluster", []string{clusterARN(r, region)}, "eks:CreatePodIdentityAssociation", "eks:TagResource")
			passRoles = append(passRoles, roleARNs(resources, paths)...)
		}
	}
	if len(byARN) == 0 {
		return Policy{}, false, nil
	}
	return Policy{Version: "2012-10-17", Statement: statements(byARN, sids, passRoles)}, true, nil
}

// statements groups ARNs with the same actions into one statement.
func statements(byARN map[string]map[string]bool, sids map[string]string, passRoles []string) []Statement {
	bySet := map[string]*Statement{}
	var order []string
	for _, arn := range slices.Sorted(maps.Keys(byARN)) {
		actions := slices.Sorted(maps.Keys(byARN[arn]))
		key := sids[arn] + " " + strings.Join(actions, ",")
		if bySet[key] == nil {
			bySet[key] = &Statement{Sid: sids[arn], Effect: "Allow", Action: actions}
			order = append(order, key)
		}
		bySet[key].Resource = append(bySet[key].Resource, arn)
	}
	var out []Statement
	seen := map[string]int{}
	for _, k := range order {
		st := *bySet[k]
		if seen[st.Sid]++; seen[st.Sid] > 1 { // Sids are unique in a policy
			st.Sid = fmt.Sprintf("%s%d", st.Sid, seen[st.Sid])
		}
		out = append(out, st)
	}
	if len(passRoles) > 0 {
		// The association hands the role to EKS Pod Identity, nothing else.
		out = append(out, Statement{Sid: "PassRoleToPodIdentity", Effect: "Allow", Action: []string{"iam:GetRole", "iam:PassRole"},
			Resource: passRoles, Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "pods.eks.amazonaws.com"}}})
	}
	return out
}

// target is a resource's statement name and the ARNs its calls act on.
func target(r mocks.Resource, region string, paths map[string]string) (string, []string) {
	in := r.Inputs
	switch {
	case strings.HasPrefix(r.Type, "aws:s3/"):
		return "Bucket", []string{fmt.Sprintf("arn:%s:s3:::%s", partition, str(in, "bucket"))}
	case r.Type == mocks.UserType || r.Type == mocks.UserPolicyType || r.Type == mocks.AccessKeyType:
		return "IAMUser", []string{iamARN("user", r, paths)}
	case r.Type == mocks.RoleType || r.Type == mocks.RolePolicyType:
		return "IAMRole", []string{iamARN("role", r, paths)}
	case r.Type == mocks.PodIdentityType:
		return "PodIdentityAssociation", []string{fmt.Sprintf("arn:%s:eks:%s:*:podidentityassociation/%s/*", partition, region, str(in, "clusterName"))}
	case r.Type == mocks.TableType:
		return "DynamoDB", []string{fmt.Sprintf("arn:%s:dynamodb:%s:*:table/%s", partition, region, str(in, "name"))}
	}
	return "", nil
}

// iamARN is the user's or role's ARN: the path the program gives it and
// the name, which Pulumi makes from the resource's name and a suffix. The
// program names a user's or role's policy and key as the user or role, so
// paths (resource name to path) serves them too.
func iamARN(kind string, r mocks.Resource, paths map[string]string) string {
	path := paths[kind+"/"+r.Name]
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::*:%s%s%s-*", partition, kind, path, r.Name)
}

// roleARNs are the ARNs of the stack's roles.
func roleARNs(resources []mocks.Resource, paths map[string]string) []string {
	var arns []string
	for _, r := range resources {
		if r.Type == mocks.RoleType {
			arns = append(arns, iamARN("role", r, paths))
		}
	}
	return arns
}

func clusterARN(r mocks.Resource, region string) string {
	return fmt.Sprintf("arn:%s:eks:%s:*:cluster/%s", partition, region, str(r.Inputs, "clusterName"))
}

// regionOf is the region of the resource's AWS provider (storage.region,
// or storage.aws.eksClusterRegion for the association's own provider);
// fallback when the provider names none.
func regionOf(r mocks.Resource, providers map[string]string, fallback string) string {
	for urn, region := range providers {
		if region != "" && strings.HasPrefix(r.Provider, urn) {
			return region
		}
	}
	return fallback
}

func str(m resource.PropertyMap, key resource.PropertyKey) string {
	if v, ok := m[key]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}
