// Package cluster is the cluster tier: the program's real `pulumi up`
// (the Pulumi CLI and the Kubernetes provider, through the Automation
// API) onto a one-node Kubernetes cluster running on this machine
// (package node), then what users rely on checked through zot's Service:
// docker login, pushes and pulls, the OpenID login, the files zot reads,
// a no-change second preview, destroy, and day-2 changes while a client
// pulls. tests/cluster/run.sh runs it; docs/development.md says what runs
// where.
package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/zot-registry/zot-registry/tests/cluster/node"
)

// bin is a binary from the environment run.sh sets, with what to do when
// it is missing.
func bin(env string) (string, error) {
	p := os.Getenv(env)
	if p == "" {
		return "", fmt.Errorf("%s is not set: run the tier with tests/cluster/run.sh, which builds or unpacks every binary it needs", env)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s=%s: %w", env, p, err)
	}
	return p, nil
}

// binaries are the tier's programs.
type binaries struct {
	node                             node.Binaries
	eso, dex, s3, redis              string
	pulumi, kubernetesPlugin, random string
	// The YAML language host and the component package's provider.
	yamlHost, provider string
}

func findBinaries() (binaries, error) {
	var b binaries
	var err error
	for _, e := range []struct {
		env string
		to  *string
	}{
		{"COREDNS_BIN", &b.node.CoreDNS}, {"ZOT_BIN", &b.node.Zot}, {"PAUSE_BIN", &b.node.Pause},
		{"ZOT_ESO_BIN", &b.eso}, {"DEX_BIN", &b.dex}, {"VERSITYGW_BIN", &b.s3}, {"REDIS_SERVER", &b.redis},
		{"PULUMI_BIN", &b.pulumi}, {"PULUMI_KUBERNETES_BIN", &b.kubernetesPlugin}, {"RANDOM_STANDIN_BIN", &b.random},
		{"PULUMI_LANGUAGE_YAML_BIN", &b.yamlHost}, {"ZOT_PROVIDER_BIN", &b.provider},
		{"ZOT_KUBE_BIN", &b.node.Kube},
	} {
		if *e.to, err = bin(e.env); err != nil {
			return b, err
		}
	}
	return b, nil
}

// clusterDialer resolves names through the cluster's DNS, as a pod does:
// the tier's clients reach zot at the names the program gives it
// (zot.<namespace>.svc.cluster.local), through kube-proxy's rules.
var clusterDialer = &net.Dialer{
	Timeout: 10 * time.Second,
	Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "udp", node.DNSAddr)
	}},
}

// clusterTransport is an HTTP transport that dials through clusterDialer.
func clusterTransport() *http.Transport {
	return &http.Transport{DialContext: clusterDialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
}
