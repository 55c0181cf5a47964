package storage

import (
	"encoding/json"
	"strings"
)

// The exact S3 permissions zot needs, nothing more. Multipart is what docker
// pushes use: without the multipart actions large layers fail.
var (
	// BucketActions apply to arn:aws:s3:::<bucket>.
	BucketActions = []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}
	// ObjectActions apply to the bucket's objects (under the key prefix).
	ObjectActions = []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"}
	// TableActions apply to the DynamoDB tables of registry.cache.driver
	// dynamodb: the calls zot v2.1.20 makes (pkg/meta/dynamodb/dynamodb.go,
	// pkg/storage/cache/dynamodb.go). TransactWriteItems is authorized per
	// item, as UpdateItem and DeleteItem. No CreateTable or DeleteTable:
	// the tables exist (this program makes them) and zot checks with
	// DescribeTable before it would create one.
	TableActions = []string{"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:UpdateItem"}
)

// PolicyDocument is an IAM (and MinIO/Ceph/Garage-compatible) policy.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// Policy returns the access policy for zot on bucket. With a key prefix
// (zot's storageDriver.rootdirectory, e.g. /zot) the object statement is
// narrowed to the keys under it.
func Policy(bucket, keyPrefix string, tableARNs ...string) PolicyDocument {
	objects := "arn:aws:s3:::" + bucket + "/*"
	if p := strings.Trim(keyPrefix, "/"); p != "" {
		objects = "arn:aws:s3:::" + bucket + "/" + p + "/*"
	}
	doc := PolicyDocument{
		Version: "2012-10-17",
		Statement: []Statement{
			{Sid: "ZotBucket", Effect: "Allow", Action: BucketActions, Resource: []string{"arn:aws:s3:::" + bucket}},
			{Sid: "ZotObjects", Effect: "Allow", Action: ObjectActions, Resource: []string{objects}},
		},
	}
	if len(tableARNs) > 0 {
		doc.Statement = append(doc.Statement, Statement{Sid: "ZotMetadataTables", Effect: "Allow", Action: TableActions, Resource: tableARNs})
	}
	return doc
}

// JSON is the policy as the store's admin tool and IAM take it.
func (p PolicyDocument) JSON() (string, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

// TrustPolicy is an IAM role's trust policy: who may assume it.
type TrustPolicy struct {
	Version   string           `json:"Version"`
	Statement []TrustStatement `json:"Statement"`
}

// TrustStatement is one statement of a trust policy.
type TrustStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    []string                     `json:"Action"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// PodIdentityService is the principal EKS Pod Identity assumes roles as.
const PodIdentityService = "pods.eks.amazonaws.com"

// PodIdentityTrust lets EKS Pod Identity assume the role. Which pod gets
// it is the association's business (cluster, namespace, ServiceAccount);
// the agent also tags the session, hence sts:TagSession (AWS EKS user
// guide, "Create the IAM role for EKS Pod Identity").
func PodIdentityTrust() TrustPolicy {
	return TrustPolicy{Version: "2012-10-17", Statement: []TrustStatement{{
		Sid: "EKSPodIdentity", Effect: "Allow",
		Principal: map[string]string{"Service": PodIdentityService},
		Action:    []string{"sts:AssumeRole", "sts:TagSession"},
	}}}
}

// ServiceAccountSubject is the subject a ServiceAccount's token carries.
func ServiceAccountSubject(namespace, serviceAccount string) string {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount
}

// IRSATrust lets exactly one ServiceAccount assume the role with its
// projected token from the cluster's OpenID provider (issuer: host and
// path, as in the provider's ARN), for the STS audience the EKS webhook
// projects.
func IRSATrust(providerARN, issuer, namespace, serviceAccount string) TrustPolicy {
	return TrustPolicy{Version: "2012-10-17", Statement: []TrustStatement{{
		Sid: "ZotServiceAccount", Effect: "Allow",
		Principal: map[string]string{"Federated": providerARN},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]string{"StringEquals": {
			issuer + ":sub": ServiceAccountSubject(namespace, serviceAccount),
			issuer + ":aud": "sts.amazonaws.com",
		}},
	}}}
}

// JSON is the trust policy as IAM takes it.
func (p TrustPolicy) JSON() (string, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}
