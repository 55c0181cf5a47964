package mocks

import "github.com/zot-registry/zot-registry/zot/chart"

// The type tokens the render, the policy rules and the tests find resources
// by: each written once.
const (
	ReleaseType        = chart.ReleaseType
	SecretType         = "kubernetes:core/v1:Secret"
	NamespaceType      = "kubernetes:core/v1:Namespace"
	PVCType            = "kubernetes:core/v1:PersistentVolumeClaim"
	ConfigMapType      = "kubernetes:core/v1:ConfigMap"
	ExternalSecretType = "kubernetes:external-secrets.io/v1:ExternalSecret"
	PushSecretType     = "kubernetes:external-secrets.io/v1alpha1:PushSecret"
	ServiceMonitorType = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
	HTTPRouteType      = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	RandomPasswordType = "random:index/randomPassword:RandomPassword"
	RandomIDType       = "random:index/randomId:RandomId"
	UserType           = "aws:iam/user:User"
	UserPolicyType     = "aws:iam/userPolicy:UserPolicy"
	AccessKeyType      = "aws:iam/accessKey:AccessKey"
	RoleType           = "aws:iam/role:Role"
	RolePolicyType     = "aws:iam/rolePolicy:RolePolicy"
	PodIdentityType    = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
	VersioningType     = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	TableType          = "aws:dynamodb/table:Table"
	ApplicationType    = "authentik:index/application:Application"
)
