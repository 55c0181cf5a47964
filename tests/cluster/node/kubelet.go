package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/tests/kube"
)

// kubeletConfig is the kubelet's KubeletConfiguration. Notes:
//   - cgroupfs under CgroupRoot; failCgroupV1 false: this machine mounts
//     the v1 hierarchies (Kubernetes keeps v1 in maintenance mode).
//   - image garbage collection off (thresholds 100%): the imported images
//     are the only copies, nothing could pull them again.
//   - eviction thresholds low: a busy shared disk must not evict zot.
//   - resolvConf: the node's own, naming the cluster DNS only, so no pod
//     learns the machine's resolver.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %[1]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %[2]q}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://%[3]s
cgroupDriver: cgroupfs
cgroupRoot: %[4]s
failCgroupV1: false
failSwapOn: false
clusterDNS: [%[5]s]
clusterDomain: %[6]s
resolvConf: %[7]q
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", nodefs.inodesFree: "1%%", imagefs.available: "1%%"}
serializeImagePulls: false
maxPods: 60
nodeStatusReportFrequency: 10s
syncFrequency: 10s
fileCheckFrequency: 10s
staticPodPath: ""
`

// kubelet starts the kubelet and waits until the node is Ready (the
// container runtime and its network report ready).
func (c *Cluster) kubelet(ctx context.Context) error {
	resolv := c.path("kubelet", "resolv.conf")
	if err := os.MkdirAll(filepath.Dir(resolv), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(resolv, []byte("nameserver "+NodeIP+"\n"), 0o644); err != nil {
		return err
	}
	cfg := c.path("kubelet", "config.yaml")
	body := fmt.Sprintf(kubeletConfig, NodeIP, c.API.CAFile(), c.Socket(), CgroupRoot, NodeIP, ClusterDomain, resolv)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return err
	}
	if err := c.API.Spawn("kubelet", filepath.Join(c.opts.Bin.Kube, "kubelet"), nil,
		"--config="+cfg,
		"--kubeconfig="+c.kubeconfigOf(userKubelet),
		"--hostname-override="+NodeName,
		"--node-ip="+NodeIP,
		"--v=1",
	); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	return c.API.WaitFor(wait, "kubelet", func() error {
		if err := get(wait, "http://127.0.0.1:10248/healthz"); err != nil {
			return err
		}
		n, err := c.API.Get(wait, "v1", "Node", "", NodeName)
		if err != nil {
			return err
		}
		if cond := nodeCondition(n, "Ready"); cond != "True" {
			return fmt.Errorf("node %s is not Ready: %s", NodeName, cond)
		}
		return nil
	})
}

// nodeCondition is a node condition's status and message.
func nodeCondition(n map[string]any, typ string) string {
	status, _ := n["status"].(map[string]any)
	conds, _ := status["conditions"].([]any)
	for _, x := range conds {
		m, _ := x.(map[string]any)
		if m["type"] == typ {
			if m["status"] == "True" {
				return "True"
			}
			return fmt.Sprintf("%v: %v", m["status"], m["message"])
		}
	}
	return "no " + typ + " condition yet"
}

// proxyConfig is kube-proxy's KubeProxyConfiguration: iptables mode; the
// conntrack settings left alone (0): they are the machine's, not the
// namespace's.
const proxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %[1]q
mode: iptables
clusterCIDR: %[2]s
hostnameOverride: %[3]s
bindAddress: %[4]s
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["%[4]s/32"]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  syncPeriod: 30s
  minSyncPeriod: 0s
`

// proxy starts kube-proxy and waits until it has written its rules.
func (c *Cluster) proxy(ctx context.Context) error {
	cfg := c.path("kube-proxy", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		return err
	}
	body := fmt.Sprintf(proxyConfig, c.kubeconfigOf(userProxy), PodCIDR, NodeName, NodeIP)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return err
	}
	if err := c.API.Spawn("kube-proxy", filepath.Join(c.opts.Bin.Kube, "kube-proxy"), nil,
		"--config="+cfg, "--v=1"); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return c.API.WaitFor(wait, "kube-proxy", func() error {
		if err := get(wait, "http://127.0.0.1:10256/healthz"); err != nil {
			return err
		}
		// The kubernetes Service has no endpoints here (the API server
		// listens on loopback only): kube-proxy writes its REJECT rule.
		out, err := output(wait, "iptables-save")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "default/kubernetes:https") {
			return errors.New("no rule for the kubernetes Service yet")
		}
		return nil
	})
}

// get is a GET that must answer 200.
func get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// apply applies objects as the admin.
func (c *Cluster) apply(ctx context.Context, objs ...map[string]any) error {
	for _, o := range objs {
		if _, err := c.API.Apply(ctx, o, kube.ApplyOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// cgroups makes CgroupRoot in every cgroup hierarchy (the kubelet checks it
// exists), with the cpuset hierarchy's CPUs and memory nodes copied from
// its parent (a new v1 cpuset has none). run.sh removes them after the run.
func (c *Cluster) cgroups(context.Context) error {
	roots, err := filepath.Glob("/sys/fs/cgroup/*")
	if err != nil {
		return err
	}
	for _, r := range roots {
		if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
			continue
		}
		dir := filepath.Join(r, CgroupRoot)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("cgroup %s: %w", dir, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(r, f))
			if err != nil {
				continue // not the cpuset hierarchy
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
				return fmt.Errorf("cgroup %s: %w", filepath.Join(dir, f), err)
			}
		}
	}
	return nil
}
