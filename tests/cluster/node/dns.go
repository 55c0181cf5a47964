package node

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// corefile serves the cluster's zones from the API server (CoreDNS's
// kubernetes plugin) on NodeIP:53, the pods' nameserver, and answers
// nothing else: there is no forward plugin, so no name outside the
// cluster is ever looked up.
const corefile = `%[1]s in-addr.arpa {
    bind %[2]s
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes %[1]s in-addr.arpa {
        kubeconfig %[3]s %[4]s
        pods insecure
        ttl 5
    }
    cache 5
    loop
    reload 2s
}
. {
    bind %[2]s
    errors
}
`

// DNSAddr is where CoreDNS answers.
const DNSAddr = NodeIP + ":53"

// dns starts CoreDNS and waits until its kubernetes plugin has synced.
func (c *Cluster) dns(ctx context.Context) error {
	file := c.path("coredns", "Corefile")
	if err := os.MkdirAll(c.path("coredns"), 0o755); err != nil {
		return err
	}
	zones := strings.Join(append([]string{ClusterDomain}, c.opts.ExtraDomains...), " ")
	body := fmt.Sprintf(corefile, zones, NodeIP, c.Kubeconfig, KubeContext)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		return err
	}
	if err := c.API.Spawn("coredns", c.opts.Bin.CoreDNS, nil, "-conf", file); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return c.API.WaitFor(wait, "coredns", func() error { return get(wait, "http://127.0.0.1:18181/ready") })
}
