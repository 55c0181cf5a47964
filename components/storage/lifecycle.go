package storage

import (
	"encoding/json"
	"strings"
)

// LifecycleConfiguration is the S3 PutBucketLifecycleConfiguration document
// (the shape `aws s3api put-bucket-lifecycle-configuration` takes).
type LifecycleConfiguration struct {
	Rules []LifecycleRule `json:"Rules"`
}

// LifecycleRule is one rule of it.
type LifecycleRule struct {
	ID                             string            `json:"ID"`
	Status                         string            `json:"Status"`
	Filter                         LifecycleFilter   `json:"Filter"`
	AbortIncompleteMultipartUpload AbortAfterInitial `json:"AbortIncompleteMultipartUpload"`
}

// LifecycleFilter selects the keys a rule applies to ("" is every key).
type LifecycleFilter struct {
	Prefix string `json:"Prefix"`
}

// AbortAfterInitial is the abort-incomplete-multipart-upload action.
type AbortAfterInitial struct {
	DaysAfterInitiation int `json:"DaysAfterInitiation"`
}

// AbortUploadsLifecycle is the rule that aborts the multipart uploads a
// failed docker push leaves behind, after days.
func AbortUploadsLifecycle(days int) LifecycleConfiguration {
	return LifecycleConfiguration{Rules: []LifecycleRule{{
		ID:                             LifecycleRuleID,
		Status:                         "Enabled",
		Filter:                         LifecycleFilter{Prefix: ""},
		AbortIncompleteMultipartUpload: AbortAfterInitial{DaysAfterInitiation: days},
	}}}
}

// AbortUploadsCommand is the one command that sets that rule on a bucket
// the program does not set it on: on S3-compatible stores (where
// pulumi-aws v6's lifecycle resource never converges, see createOnStore)
// and on existing buckets. It is the plain S3 API call, which MinIO,
// RustFS, Ceph RGW and Garage accept; endpoint is empty for AWS S3.
func AbortUploadsCommand(endpoint, bucket string, days int) string {
	doc, _ := json.Marshal(AbortUploadsLifecycle(days)) // strings and ints: cannot fail
	args := []string{"aws", "s3api", "put-bucket-lifecycle-configuration"}
	if endpoint != "" {
		args = append(args, "--endpoint-url", endpoint)
	}
	args = append(args, "--bucket", bucket, "--lifecycle-configuration", shellQuote(string(doc)))
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
