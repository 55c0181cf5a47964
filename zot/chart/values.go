// Package chart is how zot is deployed with the project-zot Helm chart:
// the chart's values and the config.json builder's input, both computed
// from the settings (package spec) by pure functions. No Pulumi import.
package chart

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// ChartName is the chart in the project-zot repository.
const ChartName = "zot"

// ReleaseType is the type token of the resource that installs the chart:
// pulumi-kubernetes' Helm Release (components/registry binds it).
const ReleaseType = "kubernetes:helm.sh/v3:Release"

// The chart's values, as typed structs: only what this program sets.
type chartValues struct {
	FullnameOverride string            `json:"fullnameOverride"`
	Image            imageValues       `json:"image"`
	Service          serviceValues     `json:"service"`
	Ingress          ingressValues     `json:"ingress"`
	MountConfig      bool              `json:"mountConfig"`
	ConfigFiles      map[string]string `json:"configFiles,omitempty"`
	MountSecret      bool              `json:"mountSecret"`
	ExternalSecrets  []secretMount     `json:"externalSecrets"`
	Env              []envVar          `json:"env"`
	Persistence      bool              `json:"persistence"`
	PVC              *pvcValues        `json:"pvc,omitempty"`
	Strategy         *strategy         `json:"strategy,omitempty"`
	PodAnnotations   map[string]string `json:"podAnnotations,omitempty"`
	// Scale-out: only with more than one replica, so a one-replica stack's
	// values are as before (replicaCount is in ReleaseReplaceOn).
	ReplicaCount              int                `json:"replicaCount,omitempty"`
	ServiceHeadless           *enabled           `json:"serviceHeadless,omitempty"`
	PodDisruptionBudget       *pdbValues         `json:"podDisruptionBudget,omitempty"`
	TopologySpreadConstraints []spreadConstraint `json:"topologySpreadConstraints,omitempty"`

	StartupProbe       StartupProbe       `json:"startupProbe"`
	Resources          resources          `json:"resources"`
	PodSecurityContext podSecurityContext `json:"podSecurityContext"`
	SecurityContext    securityContext    `json:"securityContext"`
	ExtraVolumes       []volume           `json:"extraVolumes"`
	ExtraVolumeMounts  []volumeMount      `json:"extraVolumeMounts"`

	// Placement and metadata (registry.nodeSelector…), each only when set,
	// so a stack without them keeps its values. The names are the values
	// chart 0.1.122's templates/deployment.yaml and statefulset.yaml read
	// (.Values.nodeSelector, .tolerations, .affinity, .priorityClassName,
	// .imagePullSecrets, .podLabels), templates/service.yaml
	// (.Values.service.annotations) and templates/serviceaccount.yaml
	// (.Values.serviceAccount.annotations).
	NodeSelector      map[string]string `json:"nodeSelector,omitempty"`
	Tolerations       []spec.Toleration `json:"tolerations,omitempty"`
	Affinity          *spec.Affinity    `json:"affinity,omitempty"`
	PriorityClassName string            `json:"priorityClassName,omitempty"`
	ImagePullSecrets  []localObjectRef  `json:"imagePullSecrets,omitempty"`
	PodLabels         map[string]string `json:"podLabels,omitempty"`
	ServiceAccount    *serviceAccount   `json:"serviceAccount,omitempty"`
}

type localObjectRef struct {
	Name string `json:"name"`
}

// serviceAccount is the chart's serviceAccount values: it makes one
// (create: true by default) named zot.serviceAccountName, the fullname.
type serviceAccount struct {
	Create      bool              `json:"create"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ServiceAccountName is the ServiceAccount the chart makes for zot's pods:
// zot.serviceAccountName in chart 0.1.122's _helpers.tpl is the fullname
// (fullnameOverride, the release) when serviceAccount.create is true and
// serviceAccount.name empty, as the program leaves them.
func ServiceAccountName(release string) string { return release }

// StartupProbe is the chart's startupProbe values (templates/statefulset.yaml
// and deployment.yaml of 0.1.122: an httpGet of /startupz with these three).
type StartupProbe struct {
	InitialDelaySeconds int `json:"initialDelaySeconds"`
	PeriodSeconds       int `json:"periodSeconds"`
	FailureThreshold    int `json:"failureThreshold"`
}

// The chart's own delay and period (values.yaml of 0.1.122); only the
// number of failures grows with the timeout.
const (
	probeDelaySeconds  = 5
	probePeriodSeconds = 10
)

// StartupProbeFor gives zot at least timeout to open its listener: zot
// walks the whole bucket first (MaybeParseStorage in Init), and chart
// 0.1.122's default probe kills it after about 35 s. The kubelet restarts
// the container once initialDelaySeconds + periodSeconds*failureThreshold
// have passed without an answer from /startupz.
func StartupProbeFor(timeout time.Duration) StartupProbe {
	seconds := int(math.Ceil(timeout.Seconds()))
	failures := max(1, (seconds-probeDelaySeconds+probePeriodSeconds-1)/probePeriodSeconds)
	return StartupProbe{InitialDelaySeconds: probeDelaySeconds, PeriodSeconds: probePeriodSeconds, FailureThreshold: failures}
}

// Seconds is how long the probe lets zot start.
func (p StartupProbe) Seconds() int {
	return p.InitialDelaySeconds + p.PeriodSeconds*p.FailureThreshold
}

// releaseMargin is what a release operation needs besides zot's start:
// scheduling, the image pull, attaching the volume, the other objects.
const releaseMargin = 10 * time.Minute

// ReleaseTimeout is the Helm release's timeout in seconds: an atomic
// release that gave up before the startup probe would roll back a zot
// still walking its bucket.
func ReleaseTimeout(startup time.Duration) int {
	return StartupProbeFor(startup).Seconds() + int(releaseMargin.Seconds())
}

type resources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

type seccompProfile struct {
	Type string `json:"type"`
}

type podSecurityContext struct {
	RunAsNonRoot   bool           `json:"runAsNonRoot"`
	RunAsUser      int64          `json:"runAsUser"`
	RunAsGroup     int64          `json:"runAsGroup"`
	FSGroup        int64          `json:"fsGroup"` // the volume is writable by zot
	SeccompProfile seccompProfile `json:"seccompProfile"`
}

type capabilities struct {
	Drop []string `json:"drop"`
}

type securityContext struct {
	RunAsNonRoot             bool           `json:"runAsNonRoot"`
	RunAsUser                int64          `json:"runAsUser"`
	RunAsGroup               int64          `json:"runAsGroup"`
	AllowPrivilegeEscalation bool           `json:"allowPrivilegeEscalation"`
	Capabilities             capabilities   `json:"capabilities"`
	ReadOnlyRootFilesystem   bool           `json:"readOnlyRootFilesystem"`
	SeccompProfile           seccompProfile `json:"seccompProfile"`
}

type volume struct {
	Name      string           `json:"name"`
	EmptyDir  *emptyDir        `json:"emptyDir,omitempty"`
	ConfigMap *configMapVolume `json:"configMap,omitempty"`
}

type configMapVolume struct {
	Name string `json:"name"`
}

type emptyDir struct {
	SizeLimit string `json:"sizeLimit,omitempty"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type imageValues struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	PullPolicy string `json:"pullPolicy"`
}

type serviceValues struct {
	Type        string            `json:"type"`
	Port        int               `json:"port"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type ingressValues struct {
	Enabled     bool              `json:"enabled"`
	ClassName   string            `json:"className,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	PathType    string            `json:"pathtype,omitempty"`
	Hosts       []ingressHost     `json:"hosts,omitempty"`
	TLS         []ingressTLS      `json:"tls,omitempty"`
}

type ingressHost struct {
	Host  string        `json:"host"`
	Paths []ingressPath `json:"paths"`
}

type ingressPath struct {
	Path string `json:"path"`
}

type ingressTLS struct {
	SecretName string   `json:"secretName"`
	Hosts      []string `json:"hosts"`
}

type secretMount struct {
	SecretName string `json:"secretName"`
	MountPath  string `json:"mountPath"`
}

type envVar struct {
	Name      string     `json:"name"`
	Value     string     `json:"value,omitempty"`
	ValueFrom *valueFrom `json:"valueFrom,omitempty"`
}

type valueFrom struct {
	SecretKeyRef secretKeyRef `json:"secretKeyRef"`
}

type secretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type pvcValues struct {
	Create           bool     `json:"create"`
	Name             string   `json:"name,omitempty"`
	AccessModes      []string `json:"accessModes,omitempty"`
	Storage          string   `json:"storage,omitempty"`
	StorageClassName *string  `json:"storageClassName,omitempty"`
}

type enabled struct {
	Enabled bool `json:"enabled"`
}

type pdbValues struct {
	Enabled        bool `json:"enabled"`
	MaxUnavailable int  `json:"maxUnavailable"`
}

type spreadConstraint struct {
	MaxSkew           int           `json:"maxSkew"`
	TopologyKey       string        `json:"topologyKey"`
	WhenUnsatisfiable string        `json:"whenUnsatisfiable"`
	LabelSelector     labelSelector `json:"labelSelector"`
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type strategy struct {
	Type string `json:"type"`
}

// RolloutAnnotation on the pod: changing its value restarts zot, which
// reads its mounted files only at start-up.
const RolloutAnnotation = "zot-registry/rollout-token"

// ConfigDigestAnnotation on the pod carries a keyed digest of config.json
// when it is delivered as a Secret: the chart's checksum/config covers only
// its own ConfigMap, so without it a changed Secret would not restart zot.
const ConfigDigestAnnotation = "zot-registry/config-digest"

// SecretsDigestAnnotation on the pod carries a keyed digest of the values
// zot reads at start-up when the program writes its Secrets (secrets mode
// kubernetes): a new value restarts zot, as the rollout token does by hand.
const SecretsDigestAnnotation = "zot-registry/secrets-digest"

// CADigestAnnotation on the pod carries the CA bundle's digest: Go reads
// its roots once, so a new bundle needs new pods.
const CADigestAnnotation = "zot-registry/ca-digest"

// ZotConfig is how config.json reaches the pod: in the chart's ConfigMap
// when it holds no credential, else in a Secret of this program's.
type ZotConfig struct {
	JSON       string // the ConfigMap's config.json
	SecretName string // or the Secret that holds it
	Digest     string // the Secret's keyed digest (ConfigDigestAnnotation)
}

// ConfigFiles is the chart's configFiles value: config.json in the
// chart's ConfigMap, mounted at layout.ConfigDir.
func ConfigFiles(configJSON string) map[string]string {
	return map[string]string{layout.ConfigFile: configJSON}
}

// ReleaseReplaceOn are the values whose change replaces the release,
// deleting it first (registry.go): the member list (replicaCount) and the
// volume layout (pvc: a StatefulSet's volumeClaimTemplates cannot change).
// Every other change is a Helm upgrade.
var ReleaseReplaceOn = []string{"values.replicaCount", "values.pvc"}

// ScratchVolumeSize is each pod's claim with shared metadata: the chart's
// StatefulSet always mounts one at rootDirectory, and with a remote cache
// zot keeps nothing there that must survive a restart.
const ScratchVolumeSize = "1Gi"

// SelectorLabels are the chart's pod selector labels (zot.selectorLabels).
func SelectorLabels(release string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": ChartName, "app.kubernetes.io/instance": release}
}

// PVCName is the claim this program makes for one replica with local
// metadata: the chart's default pvc.name for the cluster's default class,
// and a name of its own per storage class. A claim's class never changes,
// so a new class is a new claim (and a new pvc.name, so the release is
// replaced first and no pod holds the old claim when it is deleted).
func PVCName(release, storageClass string) string {
	if storageClass == "" {
		return release + "-pvc"
	}
	sum := sha256.Sum256([]byte(storageClass))
	return release + "-pvc-" + hex.EncodeToString(sum[:2]) // a pod volume name: 53+9 characters at most
}

// Ingress annotations for ingress-nginx: no body limit (layers are large) and
// proxy timeouts as long as zot's own.
const (
	annotationBodySize      = "nginx.ingress.kubernetes.io/proxy-body-size"
	annotationReadTimeout   = "nginx.ingress.kubernetes.io/proxy-read-timeout"
	annotationSendTimeout   = "nginx.ingress.kubernetes.io/proxy-send-timeout"
	annotationBuffering     = "nginx.ingress.kubernetes.io/proxy-request-buffering"
	nginxClass              = "nginx"
	strategyRollingUpdate   = "RollingUpdate"
	AccessModeReadWriteOnce = "ReadWriteOnce"
)

// BuildValues returns the chart's values for the registry settings, the
// rendered config.json and the Secret names. It is pure: no Pulumi types.
func BuildValues(r spec.Registry, zc ZotConfig, secrets layout.SecretNames, rolloutToken string) map[string]any {
	v := chartValues{
		// The Service and Deployment are named after the release, so
		// serviceName is known without reading the cluster.
		FullnameOverride: r.ReleaseName,
		Image:            imageValues{Repository: r.Image.Repository, Tag: r.Image.Tag, PullPolicy: r.Image.PullPolicy},
		Service:          serviceValues{Type: r.ServiceType, Port: r.Port, Annotations: r.ServiceAnnotations},
		Ingress:          ingress(r),
		MountConfig:      zc.SecretName == "",
		// The chart's own secretFiles hold a sample admin:admin htpasswd;
		// ours comes from a Secret we name, never from values.
		MountSecret:     false,
		ExternalSecrets: []secretMount{{SecretName: secrets.Htpasswd, MountPath: layout.HtpasswdMountDir}},
		// Without the S3 key pair (an IAM role) the env is empty and the
		// SDKs find the pod's credentials themselves.
		Env: []envVar{},
	}
	if secrets.OIDC != "" { // identity mode none has no OpenID client
		v.ExternalSecrets = append(v.ExternalSecrets, secretMount{SecretName: secrets.OIDC, MountPath: layout.OIDCMountDir})
	}
	v.ExternalSecrets = append(v.ExternalSecrets, secretMount{SecretName: secrets.Session, MountPath: layout.SessionMountDir})
	if secrets.S3 != "" {
		v.Env = []envVar{
			secretEnv(layout.EnvAccessKeyID, secrets.S3, layout.S3AccessKeyIDKey),
			secretEnv(layout.EnvSecretAccessKey, secrets.S3, layout.S3SecretAccessKeyKey),
		}
	}
	if secrets.Sync != "" {
		v.ExternalSecrets = append(v.ExternalSecrets, secretMount{SecretName: secrets.Sync, MountPath: layout.SyncMountDir})
	}
	annotations := map[string]string{}
	for k, val := range r.PodAnnotations {
		annotations[k] = val // validation refused the program's own keys
	}
	if r.CABundle != "" {
		sum := sha256.Sum256([]byte(r.CABundle))
		annotations[CADigestAnnotation] = hex.EncodeToString(sum[:])
	}
	if rolloutToken != "" {
		annotations[RolloutAnnotation] = rolloutToken
	}
	if zc.SecretName == "" {
		v.ConfigFiles = ConfigFiles(zc.JSON)
	} else {
		// The image runs `serve /etc/zot/config.json`: the Secret takes the
		// ConfigMap's place.
		v.ExternalSecrets = append(v.ExternalSecrets, secretMount{SecretName: zc.SecretName, MountPath: layout.ConfigDir})
		annotations[ConfigDigestAnnotation] = zc.Digest
	}
	if len(annotations) > 0 {
		v.PodAnnotations = annotations
	}
	v.StartupProbe = StartupProbeFor(r.StartupDuration)
	hardenPod(&v, r)
	if r.CABundle != "" {
		trustCA(&v, r)
	}
	workload(&v, r)
	place(&v, r)
	if sa := ServiceAccountValues(r, ""); sa != nil {
		v.ServiceAccount = &serviceAccount{Create: true, Annotations: sa["annotations"].(map[string]string)}
	}
	// The program's values over registry.extraValues, whose keys
	// validation held to the values the program does not own.
	return spec.MergeValues(r.ExtraValues, ToMap(v))
}

// place sets where the pods run and their labels (registry.nodeSelector…).
func place(v *chartValues, r spec.Registry) {
	v.NodeSelector = r.NodeSelector
	v.Tolerations = r.Tolerations
	if a := r.Affinity; a.NodeAffinity != nil || a.PodAffinity != nil || a.PodAntiAffinity != nil {
		v.Affinity = &a
	}
	v.PriorityClassName = r.PriorityClassName
	for _, name := range r.ImagePullSecrets {
		v.ImagePullSecrets = append(v.ImagePullSecrets, localObjectRef{Name: name})
	}
	v.PodLabels = r.PodLabels
}

// ServiceAccountValues are the chart's serviceAccount values: the
// annotations of registry.serviceAccount and, with an IAM role for
// service accounts (roleARN), the annotation the EKS webhook reads, which
// wins. nil when there is nothing to say (the chart's defaults).
func ServiceAccountValues(r spec.Registry, roleARN string) map[string]any {
	annotations := map[string]string{}
	for k, val := range r.ServiceAccount.Annotations {
		annotations[k] = val
	}
	if roleARN != "" {
		annotations[spec.IRSAAnnotation] = roleARN
	}
	if len(annotations) == 0 {
		return nil
	}
	return map[string]any{"create": true, "annotations": annotations}
}

// workload picks what the chart deploys. persistence: true renders a
// StatefulSet (strategy ignored), false a Deployment with an emptyDir
// (chart 0.1.122: templates/statefulset.yaml renders only when
// .Values.persistence is set, templates/deployment.yaml only when it is not,
// and only the Deployment reads .Values.strategy).
//   - more than one replica: a StatefulSet behind the headless Service (the
//     cluster members' names), one scratch claim per pod, a disruption
//     budget and a topology spread;
//   - one replica with persistence: a StatefulSet mounting the claim this
//     program owns (PVCName), so its size can grow in place;
//   - one replica without: a Deployment, rolling.
func workload(v *chartValues, r spec.Registry) {
	var class *string
	if r.Persistence.StorageClass != "" {
		class = &r.Persistence.StorageClass
	}
	switch {
	case r.Replicas > 1:
		v.Persistence = true
		v.ReplicaCount = r.Replicas
		v.ServiceHeadless = &enabled{Enabled: true}
		v.PVC = &pvcValues{Create: true, AccessModes: []string{AccessModeReadWriteOnce}, Storage: ScratchVolumeSize, StorageClassName: class}
		a := r.Availability
		if a.PodDisruptionBudget {
			v.PodDisruptionBudget = &pdbValues{Enabled: true, MaxUnavailable: a.MaxUnavailable}
		}
		v.TopologySpreadConstraints = []spreadConstraint{{
			MaxSkew: 1, TopologyKey: a.TopologyKey, WhenUnsatisfiable: a.WhenUnsatisfiable,
			LabelSelector: labelSelector{MatchLabels: SelectorLabels(r.ReleaseName)},
		}}
	case r.Persistence.Enabled:
		v.Persistence = true
		v.PVC = &pvcValues{Create: false, Name: PVCName(r.ReleaseName, r.Persistence.StorageClass)}
	default:
		v.Persistence = false
		v.Strategy = &strategy{Type: strategyRollingUpdate}
	}
}

// hardenPod: zot runs as a non-root user with no privileges, no
// capabilities and the runtime's default seccomp profile. With a read-only
// root filesystem its writable paths are volumes: rootDirectory (the PVC,
// or the chart's emptyDir) and /tmp (ours; zot v2.1 writes temporary files
// only for trivy CVE scans, which this config does not enable, but Go and
// its libraries may use os.TempDir).
func hardenPod(v *chartValues, r spec.Registry) {
	sec := r.Security
	profile := seccompProfile{Type: sec.SeccompProfile}
	v.Resources = resources{Requests: amounts(r.Resources.Requests), Limits: amounts(r.Resources.Limits)}
	v.PodSecurityContext = podSecurityContext{
		RunAsNonRoot: true, RunAsUser: sec.RunAsUser, RunAsGroup: sec.RunAsGroup, FSGroup: sec.FSGroup,
		SeccompProfile: profile,
	}
	v.SecurityContext = securityContext{
		RunAsNonRoot: true, RunAsUser: sec.RunAsUser, RunAsGroup: sec.RunAsGroup,
		AllowPrivilegeEscalation: false,
		Capabilities:             capabilities{Drop: []string{"ALL"}},
		ReadOnlyRootFilesystem:   sec.ReadOnlyRootFilesystem,
		SeccompProfile:           profile,
	}
	v.ExtraVolumes = []volume{{Name: layout.TmpVolume, EmptyDir: &emptyDir{SizeLimit: tmpSizeLimit}}}
	v.ExtraVolumeMounts = []volumeMount{{Name: layout.TmpVolume, MountPath: layout.TmpDir}}
	if len(r.Mirrors) > 0 {
		// The sync extension's staging folder (zotconfig SyncExt.DownloadDir).
		v.ExtraVolumes = append(v.ExtraVolumes, volume{Name: layout.SyncVolume, EmptyDir: &emptyDir{SizeLimit: r.MirrorDownloadSize}})
		v.ExtraVolumeMounts = append(v.ExtraVolumeMounts, volumeMount{Name: layout.SyncVolume, MountPath: layout.SyncDownloadDir})
	}
}

// trustCA mounts the bundle's ConfigMap and adds its folder to the ones Go
// reads roots from (layout.CertDirs).
func trustCA(v *chartValues, r spec.Registry) {
	v.ExtraVolumes = append(v.ExtraVolumes, volume{Name: layout.CAVolume, ConfigMap: &configMapVolume{Name: layout.CAConfigMap(r.ReleaseName)}})
	v.ExtraVolumeMounts = append(v.ExtraVolumeMounts, volumeMount{Name: layout.CAVolume, MountPath: layout.CADir, ReadOnly: true})
	v.Env = append(v.Env, envVar{Name: layout.EnvCertDir, Value: layout.CertDirs})
}

// tmpSizeLimit bounds /tmp: a pod that fills it is evicted, not its node.
const tmpSizeLimit = "1Gi"

func amounts(a spec.ResourceAmounts) map[string]string {
	m := map[string]string{}
	if a.CPU != "" {
		m["cpu"] = a.CPU
	}
	if a.Memory != "" {
		m["memory"] = a.Memory
	}
	return m
}

func ingress(r spec.Registry) ingressValues {
	if !r.Ingress.Enabled || r.URL == nil {
		return ingressValues{Enabled: false}
	}
	host := r.URL.Hostname() // from externalUrl: never typed twice
	annotations := map[string]string{}
	if r.Ingress.ClassName == nginxClass {
		seconds := strconv.Itoa(int(max(r.ReadDuration, r.WriteDuration).Seconds()))
		annotations[annotationBodySize] = "0"
		annotations[annotationReadTimeout] = seconds
		annotations[annotationSendTimeout] = seconds
		annotations[annotationBuffering] = "off"
	}
	for k, val := range r.Ingress.Annotations {
		annotations[k] = val // the user's word wins
	}
	in := ingressValues{
		Enabled:     true,
		ClassName:   r.Ingress.ClassName,
		Annotations: annotations,
		PathType:    "Prefix",
		Hosts:       []ingressHost{{Host: host, Paths: []ingressPath{{Path: "/"}}}},
	}
	if r.Ingress.TLSSecretName != "" {
		in.TLS = []ingressTLS{{SecretName: r.Ingress.TLSSecretName, Hosts: []string{host}}}
	}
	return in
}

func secretEnv(name, secret, key string) envVar {
	return envVar{Name: name, ValueFrom: &valueFrom{SecretKeyRef: secretKeyRef{Name: secret, Key: key}}}
}

// ToMap turns typed values into the generic map Helm and Pulumi take.
func ToMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, numbers, bools, slices and maps: cannot fail
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}
