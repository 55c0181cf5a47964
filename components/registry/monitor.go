package registry

import (
	"regexp"

	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Prometheus Operator: the ServiceMonitor for registry.metrics.serviceMonitor.
// The program declares it rather than the chart's (metrics.serviceMonitor),
// which renders basicAuth from a Secret named basic-auth unless told
// otherwise and selects both of zot's Services by their shared labels, so
// with the headless Service every pod would be scraped twice.
const (
	MonitoringAPIVersion = "monitoring.coreos.com/v1"
	ServiceMonitorKind   = "ServiceMonitor"
	// Basic auth Secret keys, as the Prometheus Operator's examples name them.
	BasicAuthUsernameKey = "username"
	BasicAuthPasswordKey = "password"
)

// ServiceMonitorSpec is a ServiceMonitor's spec, as far as zot needs it.
type ServiceMonitorSpec struct {
	Selector          LabelSelector     `json:"selector"`
	NamespaceSelector NamespaceSelector `json:"namespaceSelector"`
	Endpoints         []MonitorEndpoint `json:"endpoints"`
}

// LabelSelector matches labels.
type LabelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

// NamespaceSelector names namespaces.
type NamespaceSelector struct {
	MatchNames []string `json:"matchNames"`
}

// MonitorEndpoint is one scrape endpoint.
type MonitorEndpoint struct {
	Port        string     `json:"port"`
	Path        string     `json:"path"`
	Interval    string     `json:"interval"`
	Scheme      string     `json:"scheme"`
	BasicAuth   *BasicAuth `json:"basicAuth,omitempty"`
	Relabelings []Relabel  `json:"relabelings"`
}

// BasicAuth takes the scrape user's name and password from a Secret.
type BasicAuth struct {
	Username SecretKeySelector `json:"username"`
	Password SecretKeySelector `json:"password"`
}

// SecretKeySelector is one key of a Secret.
type SecretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// Relabel is a Prometheus relabeling rule.
type Relabel struct {
	SourceLabels []string `json:"sourceLabels"`
	Regex        string   `json:"regex"`
	Action       string   `json:"action"`
}

// chartPortName is the chart's named container and Service port.
const chartPortName = "zot"

// ServiceMonitor is the spec for r in namespace; basicAuthSecret is empty
// for anonymous scraping. Targets come from the Service named after the
// release only (relabeling keeps that one), so each ready pod is scraped
// once whether or not the headless Service exists.
func ServiceMonitor(r spec.Registry, namespace, basicAuthSecret string) ServiceMonitorSpec {
	ep := MonitorEndpoint{
		Port: chartPortName, Path: r.Metrics.Path, Interval: r.Metrics.ServiceMonitor.Interval, Scheme: "http",
		Relabelings: []Relabel{{
			SourceLabels: []string{"__meta_kubernetes_service_name"},
			Regex:        regexp.QuoteMeta(r.ReleaseName),
			Action:       "keep",
		}},
	}
	if basicAuthSecret != "" {
		ep.BasicAuth = &BasicAuth{
			Username: SecretKeySelector{Name: basicAuthSecret, Key: BasicAuthUsernameKey},
			Password: SecretKeySelector{Name: basicAuthSecret, Key: BasicAuthPasswordKey},
		}
	}
	return ServiceMonitorSpec{
		Selector:          LabelSelector{MatchLabels: chart.SelectorLabels(r.ReleaseName)},
		NamespaceSelector: NamespaceSelector{MatchNames: []string{namespace}},
		Endpoints:         []MonitorEndpoint{ep},
	}
}

// MetricsAuthSecretName is the Secret this program writes for the scrape
// user in push mode.
func MetricsAuthSecretName(release string) string { return release + "-metrics-auth" }

// ConfigSecretName is the Secret that holds config.json when it carries a
// credential (the chart's ConfigMap would be <release>-config, which is
// then not rendered).
func ConfigSecretName(release string) string { return release + "-config" }
