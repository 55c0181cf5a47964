package registry

import (
	"fmt"
	"time"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// Gateway API: the HTTPRoute that exposes zot when registry.route is on.
// The program declares it (not the chart's own httproute template) so the
// render shows it and the integration tier applies it against the Gateway
// API CRDs.
const (
	GatewayAPIVersion = "gateway.networking.k8s.io/v1"
	HTTPRouteKind     = "HTTPRoute"
	gatewayGroup      = "gateway.networking.k8s.io"
	gatewayKind       = "Gateway"
)

// RouteSpec is an HTTPRoute's spec, as far as zot needs it.
type RouteSpec struct {
	ParentRefs []RouteParentRef `json:"parentRefs"`
	Hostnames  []string         `json:"hostnames"`
	Rules      []RouteRule      `json:"rules"`
}

// RouteParentRef attaches the route to a Gateway (optionally one listener).
type RouteParentRef struct {
	Group       string `json:"group"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Namespace   string `json:"namespace,omitempty"`
	SectionName string `json:"sectionName,omitempty"`
}

// RouteRule sends every path to zot's Service.
type RouteRule struct {
	Matches     []RouteMatch      `json:"matches"`
	BackendRefs []RouteBackendRef `json:"backendRefs"`
	Timeouts    RouteTimeouts     `json:"timeouts"`
}

// RouteMatch matches a path prefix.
type RouteMatch struct {
	Path RoutePath `json:"path"`
}

// RoutePath is a path match.
type RoutePath struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// RouteBackendRef is zot's Service and port.
type RouteBackendRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Port int    `json:"port"`
}

// RouteTimeouts: Gateway API's only standard knobs for long requests. A
// Gateway that applies its implementation's default (Envoy's is 15 s per
// request) would cut a large blob upload off; these carry zot's own.
type RouteTimeouts struct {
	Request        string `json:"request"`
	BackendRequest string `json:"backendRequest"`
}

// Route builds the HTTPRoute spec: the host of externalUrl, every path to
// the Service the chart names after the release, on zot's port.
func Route(r spec.Registry) RouteSpec {
	var parents []RouteParentRef
	for _, p := range r.Route.ParentRefs {
		parents = append(parents, RouteParentRef{Group: gatewayGroup, Kind: gatewayKind, Name: p.Name, Namespace: p.Namespace, SectionName: p.SectionName})
	}
	timeout := GatewayDuration(r.Route.TimeoutDuration)
	return RouteSpec{
		ParentRefs: parents,
		Hostnames:  []string{r.URL.Hostname()}, // from externalUrl: never typed twice
		Rules: []RouteRule{{
			Matches:     []RouteMatch{{Path: RoutePath{Type: "PathPrefix", Value: "/"}}},
			BackendRefs: []RouteBackendRef{{Kind: "Service", Name: r.ReleaseName, Port: r.Port}},
			Timeouts:    RouteTimeouts{Request: timeout, BackendRequest: timeout},
		}},
	}
}

// GatewayDuration writes d in Gateway API's duration format
// (^([0-9]{1,5}(h|m|s|ms)){1,4}$): the largest unit that holds it exactly.
func GatewayDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.unit == 0 && d/u.unit <= 99999 {
			return fmt.Sprintf("%d%s", d/u.unit, u.name)
		}
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
