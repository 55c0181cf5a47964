// Package node runs a one-node Kubernetes v1.34 cluster on this machine for
// the cluster tier: etcd and kube-apiserver (tests/kube), the controller
// manager and the scheduler, a kubelet on containerd and runc, kube-proxy
// in iptables mode, CoreDNS for the cluster's zones, local volumes for
// claims, and the images the stacks pin imported into containerd.
//
// It runs only inside namespaces of its own (tests/cluster/run.sh starts
// the test binary under `unshare --net --mount --pid`): its addresses
// (198.18.0.0/15, RFC 2544's range for tests) exist on a bridge in that
// network namespace alone, the iptables rules kube-proxy and the kubelet
// write live in it, every mount the node makes is in its mount namespace,
// and every process it starts dies with its pid namespace, also when a test
// panics. What outlives the namespaces, the cgroups under CgroupRoot, run.sh
// removes.
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/zot-registry/zot-registry/tests/kube"
)

// The node's addresses and names. The pod network, the Service network and
// the node's own address are all in 198.18.0.0/15.
const (
	NodeName = "zot-node"
	// NodeIP is the bridge's address: the pods' gateway, the kubelet's
	// node address and where the node's host services (DNS, the tier's S3
	// server, dex, Redis) listen for pods.
	NodeIP      = "198.18.0.1"
	PodCIDR     = "198.18.0.0/24"
	ServiceCIDR = "198.18.128.0/24"
	// KubernetesServiceIP is the first address of ServiceCIDR, which the
	// API server gives the kubernetes Service.
	KubernetesServiceIP = "198.18.128.1"
	// TierRange is every address the tier may use; forwarded packets to
	// or from anything else are dropped.
	TierRange = "198.18.0.0/15"
	Bridge    = "zotbr0"
	// ClusterDomain is the kubelet's --cluster-domain.
	ClusterDomain = "cluster.local"
	// CgroupRoot is the kubelet's cgroup root: every pod's cgroup is under
	// it, in each hierarchy, so run.sh removes exactly that subtree.
	CgroupRoot = "/zot-cluster"
	// InsideEnv is set by run.sh inside the namespaces.
	InsideEnv = "ZOT_CLUSTER_NAMESPACES"
)

// Binaries are the programs the node runs.
type Binaries struct {
	Kube    string // folder of tests/kube/build.sh: kube-apiserver, etcd, kubelet, ...
	CoreDNS string // the coredns binary (build-coredns.sh)
	Zot     string // zot v2.1.20, for zot's image
	Pause   string // the pause binary, for the sandbox image
}

// Options configure Start.
type Options struct {
	Bin Binaries
	// Dir is the node's working folder; it is emptied first.
	Dir string
	// Images are more images to import, beside zot's and the sandbox's.
	Images []Image
	// ExtraDomains are DNS zones CoreDNS serves from the cluster beside
	// ClusterDomain (a registry.clusterDomain variant).
	ExtraDomains []string
	Log          func(format string, args ...any)
}

// Cluster is the running node.
type Cluster struct {
	API *kube.Server
	// Kubeconfig is a file with the admin context KubeContext.
	Kubeconfig string
	// DeployerKubeconfig has the same context for UserDeployer.
	DeployerKubeconfig string
	Dir                string
	Started            map[string]time.Duration // how long each step took
	opts               Options
	log                func(string, ...any)
	undo               []func()
}

// KubeContext is the admin kubeconfig's context name.
const KubeContext = "zot-cluster"

// Start brings the node up: network, mounts, the control plane, containerd
// with the images, the kubelet, kube-proxy and CoreDNS, and waits until the
// node is Ready, Services route and DNS answers.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	if err := checkIsolated(); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(opts.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: opts.Dir, opts: opts, log: opts.Log, Started: map[string]time.Duration{}}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"mounts", c.mounts},
		{"network", c.network},
		{"control plane", c.controlPlane},
		{"containerd and images", c.containerd},
		{"cgroups", c.cgroups},
		{"kubelet", c.kubelet},
		{"kube-proxy", c.proxy},
		{"coredns", c.dns},
		{"volumes", c.volumes},
	}
	for _, s := range steps {
		begin := time.Now()
		if err := s.run(ctx); err != nil {
			c.Stop()
			return nil, fmt.Errorf("node: %s: %w", s.name, err)
		}
		c.Started[s.name] = time.Since(begin)
		c.log("node: %s ready after %s", s.name, c.Started[s.name].Round(time.Millisecond))
	}
	return c, nil
}

// Stop stops every process (the last started first) and undoes the
// node's network and mounts. The namespaces guarantee the same when a test
// binary dies without calling it.
func (c *Cluster) Stop() {
	if c.API != nil {
		c.API.Stop() // also every process started with Spawn
	}
	for i := len(c.undo) - 1; i >= 0; i-- {
		c.undo[i]()
	}
	c.undo = nil
}

// path is a file or folder in the node's working folder.
func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

// checkIsolated refuses to run outside run.sh's namespaces: the node
// rewrites iptables rules, mounts over /run and /var and starts a kubelet,
// none of which may touch the machine itself.
func checkIsolated() error {
	if os.Getenv(InsideEnv) == "" {
		return fmt.Errorf("the cluster tier runs only inside namespaces of its own: run tests/cluster/run.sh (it sets %s)", InsideEnv)
	}
	if os.Geteuid() != 0 {
		return errors.New("the node needs root (containerd, the kubelet, mounts, iptables)")
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Name != "lo" {
			return fmt.Errorf("interface %s exists: the node starts in an empty network namespace (unshare --net), not on a machine's network", i.Name)
		}
	}
	return nil
}
