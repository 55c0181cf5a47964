package registry

import (
	"encoding/json"
	"strconv"

	"github.com/zot-registry/zot-registry/components/registry/layout"
	"github.com/zot-registry/zot-registry/config"
)

// ChartName is the chart in the project-zot repository.
const ChartName = "zot"

// The chart's values, as typed structs: only what this program sets.
type chartValues struct {
	FullnameOverride string            `json:"fullnameOverride"`
	Image            imageValues       `json:"image"`
	Service          serviceValues     `json:"service"`
	Ingress          ingressValues     `json:"ingress"`
	MountConfig      bool              `json:"mountConfig"`
	ConfigFiles      map[string]string `json:"configFiles"`
	MountSecret      bool              `json:"mountSecret"`
	ExternalSecrets  []secretMount     `json:"externalSecrets"`
	Env              []envVar          `json:"env"`
	Persistence      bool              `json:"persistence"`
	PVC              *pvcValues        `json:"pvc,omitempty"`
	Strategy         strategy          `json:"strategy"`
	PodAnnotations   map[string]string `json:"podAnnotations,omitempty"`

	Resources          resources          `json:"resources"`
	PodSecurityContext podSecurityContext `json:"podSecurityContext"`
	SecurityContext    securityContext    `json:"securityContext"`
	ExtraVolumes       []volume           `json:"extraVolumes"`
	ExtraVolumeMounts  []volumeMount      `json:"extraVolumeMounts"`
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
	Name     string    `json:"name"`
	EmptyDir *emptyDir `json:"emptyDir"`
}

type emptyDir struct {
	SizeLimit string `json:"sizeLimit,omitempty"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

type imageValues struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	PullPolicy string `json:"pullPolicy"`
}

type serviceValues struct {
	Type string `json:"type"`
	Port int    `json:"port"`
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
	Name      string    `json:"name"`
	ValueFrom valueFrom `json:"valueFrom"`
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
	AccessModes      []string `json:"accessModes"`
	Storage          string   `json:"storage"`
	StorageClassName *string  `json:"storageClassName"`
}

type strategy struct {
	Type string `json:"type"`
}

// SecretNames are the Kubernetes Secrets zot mounts or reads; their keys are
// the layout package's constants.
type SecretNames struct {
	OIDC     string
	Htpasswd string
	S3       string
	Session  string
}

// RolloutAnnotation on the pod: changing its value restarts zot, which
// reads its mounted files only at start-up.
const RolloutAnnotation = "zot-registry/rollout-token"

// Ingress annotations for ingress-nginx: no body limit (layers are large) and
// proxy timeouts as long as zot's own.
const (
	annotationBodySize     = "nginx.ingress.kubernetes.io/proxy-body-size"
	annotationReadTimeout  = "nginx.ingress.kubernetes.io/proxy-read-timeout"
	annotationSendTimeout  = "nginx.ingress.kubernetes.io/proxy-send-timeout"
	annotationBuffering    = "nginx.ingress.kubernetes.io/proxy-request-buffering"
	nginxClass             = "nginx"
	strategyRecreate       = "Recreate"
	strategyRollingUpdate  = "RollingUpdate"
	accessModeReadWriteOne = "ReadWriteOnce"
)

// BuildValues returns the chart's values for the registry settings, the
// rendered config.json and the Secret names. It is pure: no Pulumi types.
func BuildValues(r config.Registry, configJSON string, secrets SecretNames, rolloutToken string) map[string]any {
	v := chartValues{
		// The Service and Deployment are named after the release, so
		// serviceName is known without reading the cluster.
		FullnameOverride: r.ReleaseName,
		Image:            imageValues{Repository: r.Image.Repository, Tag: r.Image.Tag, PullPolicy: r.Image.PullPolicy},
		Service:          serviceValues{Type: r.ServiceType, Port: r.Port},
		Ingress:          ingress(r),
		MountConfig:      true,
		ConfigFiles:      map[string]string{layout.ConfigFile: configJSON},
		// The chart's own secretFiles hold a sample admin:admin htpasswd;
		// ours comes from a Secret we name, never from values.
		MountSecret: false,
		ExternalSecrets: []secretMount{
			{SecretName: secrets.Htpasswd, MountPath: layout.HtpasswdMountDir},
			{SecretName: secrets.OIDC, MountPath: layout.OIDCMountDir},
			{SecretName: secrets.Session, MountPath: layout.SessionMountDir},
		},
		Env: []envVar{
			secretEnv(layout.EnvAccessKeyID, secrets.S3, layout.S3AccessKeyIDKey),
			secretEnv(layout.EnvSecretAccessKey, secrets.S3, layout.S3SecretAccessKeyKey),
		},
		Persistence: r.Persistence.Enabled,
		Strategy:    strategy{Type: strategyRollingUpdate},
	}
	hardenPod(&v, r)
	if rolloutToken != "" {
		v.PodAnnotations = map[string]string{RolloutAnnotation: rolloutToken}
	}
	if r.Persistence.Enabled {
		var class *string
		if r.Persistence.StorageClass != "" {
			class = &r.Persistence.StorageClass
		}
		v.PVC = &pvcValues{Create: true, AccessModes: []string{accessModeReadWriteOne}, Storage: r.Persistence.Size, StorageClassName: class}
		// A ReadWriteOnce volume stays attached to the old pod, so a rolling
		// update's new pod never starts: replace the pod instead.
		v.Strategy = strategy{Type: strategyRecreate}
	}
	return toMap(v)
}

// hardenPod: zot runs as a non-root user with no privileges, no
// capabilities and the runtime's default seccomp profile. With a read-only
// root filesystem its writable paths are volumes: rootDirectory (the PVC,
// or the chart's emptyDir) and /tmp (ours; zot v2.1 writes temporary files
// only for trivy CVE scans, which this config does not enable, but Go and
// its libraries may use os.TempDir).
func hardenPod(v *chartValues, r config.Registry) {
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
}

// tmpSizeLimit bounds /tmp: a pod that fills it is evicted, not its node.
const tmpSizeLimit = "1Gi"

func amounts(a config.ResourceAmounts) map[string]string {
	m := map[string]string{}
	if a.CPU != "" {
		m["cpu"] = a.CPU
	}
	if a.Memory != "" {
		m["memory"] = a.Memory
	}
	return m
}

func ingress(r config.Registry) ingressValues {
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
	return envVar{Name: name, ValueFrom: valueFrom{SecretKeyRef: secretKeyRef{Name: secret, Key: key}}}
}

// toMap turns typed values into the generic map Helm and Pulumi take.
func toMap(v any) map[string]any {
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
