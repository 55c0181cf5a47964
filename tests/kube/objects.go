package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/internal/render"
)

// The External Secrets Operator release whose CRDs and controller the
// tiers run: the newest that builds from the Go module proxy (v1.x and
// v2.x split ESO into nested modules the proxy does not serve), serving
// the external-secrets.io/v1 API the program uses and no longer v1beta1.
// TestESOObjectsAcceptedByCurrentESO checks the objects against the
// current release's CRDs too (CurrentESO).
const (
	ESOModule  = "github.com/external-secrets/external-secrets"
	ESOVersion = "v0.20.4"
	ESOBundle  = "deploy/crds/bundle.yaml"
)

// Object is one Kubernetes object the program declares directly, as the
// offline render wrote it.
type Object struct {
	File     string         // relative to the render folder
	Type     string         // Pulumi type token
	Manifest map[string]any // apiVersion, kind, metadata, spec/data…
}

// Kind is "<apiVersion> <kind>".
func (o Object) Kind() string {
	return fmt.Sprint(o.Manifest["apiVersion"], " ", o.Manifest["kind"])
}

// Name is "<namespace>/<name>" (or just the name of a cluster object).
func (o Object) Name() string {
	meta, _ := o.Manifest["metadata"].(map[string]any)
	if ns, _ := meta["namespace"].(string); ns != "" {
		return ns + "/" + fmt.Sprint(meta["name"])
	}
	return fmt.Sprint(meta["name"])
}

// RenderedObjects reads the Kubernetes objects from a render folder: every
// kubernetes:* resource in index.yaml except the Helm release (its objects
// come from the chart) and providers. Namespaces come first, the order a
// cluster needs them in.
func RenderedObjects(dir string) ([]Object, error) {
	var index struct {
		Resources []struct {
			Type string `yaml:"type"`
			File string `yaml:"file"`
		} `yaml:"resources"`
	}
	if err := render.ReadYAML(filepath.Join(dir, render.IndexFile), &index); err != nil {
		return nil, err
	}
	var namespaces, rest []Object
	for _, r := range index.Resources {
		if !declared(r.Type) || r.File == "" {
			continue
		}
		var doc struct {
			Inputs map[string]any `yaml:"inputs"`
		}
		if err := render.ReadYAML(filepath.Join(dir, r.File), &doc); err != nil {
			return nil, err
		}
		if err := known(doc.Inputs, ""); err != nil {
			return nil, fmt.Errorf("%s: %w", r.File, err)
		}
		o := Object{File: r.File, Type: r.Type, Manifest: doc.Inputs}
		if o.Manifest["kind"] == "Namespace" {
			namespaces = append(namespaces, o)
		} else {
			rest = append(rest, o)
		}
	}
	return append(namespaces, rest...), nil
}

// declared reports whether a resource type is a Kubernetes object the
// program declares itself: any kubernetes:* type but the Helm release,
// whose objects come from the chart.
func declared(typ string) bool {
	return strings.HasPrefix(typ, "kubernetes:") && typ != render.ReleaseType
}

// known refuses a value the render could only mark as unknown: applying the
// marker text would test something Pulumi never sends.
func known(v any, path string) error {
	switch t := v.(type) {
	case string:
		if t == render.UnknownMarker {
			return fmt.Errorf("%s is unknown until deployed; the tier cannot apply it", path)
		}
	case map[string]any:
		for k, e := range t {
			if err := known(e, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := known(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// The Gateway API release whose standard-channel CRDs the tier installs,
// for the HTTPRoute the program declares with registry.route.
const (
	GatewayAPIModule  = "sigs.k8s.io/gateway-api"
	GatewayAPIVersion = "v1.6.3"
	GatewayAPICRDs    = "config/crd/standard/*.yaml"
)

// The Prometheus Operator release whose ServiceMonitor CRD the tier
// installs, for registry.metrics.serviceMonitor. Its API module
// (pkg/apis/monitoring) carries no CRD files; the root module does, and the
// proxy serves this version of it.
const (
	PrometheusOperatorModule  = "github.com/prometheus-operator/prometheus-operator"
	PrometheusOperatorVersion = "v0.85.0"
	ServiceMonitorCRD         = "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
)

// MonitoringCRDs is the ServiceMonitor CRD of PrometheusOperatorVersion.
func MonitoringCRDs() ([]map[string]any, string, error) {
	return ModuleCRDs(PrometheusOperatorModule, PrometheusOperatorVersion, ServiceMonitorCRD)
}

// ESOCRDs are the CustomResourceDefinitions of ESOVersion.
func ESOCRDs() ([]map[string]any, string, error) {
	return ModuleCRDs(ESOModule, ESOVersion, ESOBundle)
}

// GatewayCRDs are the standard-channel CRDs of GatewayAPIVersion.
func GatewayCRDs() ([]map[string]any, string, error) {
	return ModuleCRDs(GatewayAPIModule, GatewayAPIVersion, GatewayAPICRDs)
}

// ModuleCRDs reads the CustomResourceDefinitions in the files matching
// pattern inside a module zip the Go module proxy serves (downloaded once
// into the module cache; nothing is copied into this repository). Other
// documents in those files (a ValidatingAdmissionPolicy) are skipped.
func ModuleCRDs(module, version, pattern string) ([]map[string]any, string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir() // outside any module: the project's go.mod stays as it is
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return nil, "", fmt.Errorf("go mod download %s@%s: %w (%s)", module, version, err, out)
	}
	var mod struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		return nil, "", err
	}
	if mod.Error != "" {
		return nil, "", fmt.Errorf("go mod download %s@%s: %s", module, version, mod.Error)
	}
	where := filepath.Join(mod.Dir, filepath.FromSlash(pattern))
	files, err := filepath.Glob(where)
	if err != nil {
		return nil, "", err
	}
	var crds []map[string]any
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, "", fmt.Errorf("%s: %w", path, err)
			}
			if doc != nil && doc["kind"] == "CustomResourceDefinition" {
				crds = append(crds, doc)
			}
		}
	}
	if len(crds) == 0 {
		return nil, "", fmt.Errorf("%s holds no CRDs", where)
	}
	return crds, where, nil
}
