package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SandboxImage is the pause image containerd's CRI plugin starts every
// pod's sandbox from (its sandbox_image), the one Kubernetes v1.34 uses.
const SandboxImage = "registry.k8s.io/pause:3.10.1"

// containerdConfig is containerd 1.6's configuration for the node. Notes:
//   - restrict_oom_score_adj: this machine refuses a negative oom_score_adj,
//     which the sandbox asks for (-998); clamped, pods start.
//   - SystemdCgroup false: the kubelet's cgroup driver is cgroupfs.
//   - CNI from Debian's containernetworking-plugins, config in the node's folder.
//   - netns_mounts_under_state_dir: the pods' network namespaces are files
//     under the node's folder.
//   - registry config_path: a folder with no hosts, so nothing is ever
//     pulled; every image is imported.
const containerdConfig = `version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %[3]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[5]q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[6]q
`

// cniConfig attaches every pod to the bridge with an address from PodCIDR
// (host-local keeps its leases in the node's folder); the bridge is the
// pods' gateway and its address NodeIP. No masquerading: nothing leaves.
const cniConfig = `{
  "cniVersion": "0.4.0",
  "name": "zot-cluster",
  "plugins": [{
    "type": "bridge",
    "bridge": %[1]q,
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "ranges": [[{"subnet": %[2]q, "rangeStart": "198.18.0.10", "rangeEnd": "198.18.0.250", "gateway": %[3]q}]],
      "routes": [{"dst": "0.0.0.0/0"}],
      "dataDir": %[4]q
    }
  }]
}
`

// Socket is containerd's CRI and API socket.
func (c *Cluster) Socket() string { return c.path("containerd", "containerd.sock") }

// containerd starts containerd, then imports the sandbox image, zot's
// image and Options.Images.
func (c *Cluster) containerd(ctx context.Context) error {
	cfg := c.path("containerd", "config.toml")
	cniDir := c.path("containerd", "cni")
	if err := os.MkdirAll(cniDir, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(c.path("containerd", "certs.d"), 0o755); err != nil {
		return err
	}
	body := fmt.Sprintf(containerdConfig, c.path("containerd", "root"), c.path("containerd", "state"),
		c.Socket(), SandboxImage, cniDir, c.path("containerd", "certs.d"))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return err
	}
	cni := fmt.Sprintf(cniConfig, Bridge, PodCIDR, NodeIP, c.path("containerd", "ipam"))
	if err := os.WriteFile(filepath.Join(cniDir, "10-zot-cluster.conflist"), []byte(cni), 0o644); err != nil {
		return err
	}
	if err := c.API.Spawn("containerd", "containerd", nil, "--config", cfg, "--log-level", "warn"); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.API.WaitFor(wait, "containerd", func() error { return c.ctr(wait, "version") }); err != nil {
		return err
	}
	bundle, err := c.caBundle()
	if err != nil {
		return err
	}
	images := append([]Image{PauseImage(SandboxImage, c.opts.Bin.Pause), ZotImage(c.opts.Bin.Zot, bundle)}, c.opts.Images...)
	for _, img := range images {
		if err := c.importImage(ctx, img); err != nil {
			return fmt.Errorf("image %s: %w", img.Ref, err)
		}
	}
	return nil
}

// importImage writes an image as a docker archive and imports it into
// containerd's k8s.io namespace (the CRI plugin's), unpacked.
func (c *Cluster) importImage(ctx context.Context, img Image) error {
	archive := c.path("images", strings.NewReplacer("/", "_", ":", "_").Replace(img.Ref)+".tar")
	if err := img.write(archive); err != nil {
		return err
	}
	if err := c.ctr(ctx, "images", "import", "--platform", "linux/amd64", archive); err != nil {
		return err
	}
	refs, err := output(ctx, "ctr", "--address", c.Socket(), "--namespace", "k8s.io", "images", "ls", "--quiet")
	if err != nil {
		return err
	}
	for _, r := range strings.Fields(refs) {
		if r == img.Ref {
			c.log("node: imported %s", img.Ref)
			return nil
		}
	}
	return fmt.Errorf("imported, but containerd lists only %s", strings.Join(strings.Fields(refs), ", "))
}

// ctr runs containerd's client against the node's socket, in the CRI
// plugin's namespace.
func (c *Cluster) ctr(ctx context.Context, args ...string) error {
	return run(ctx, append([]string{"ctr", "--address", c.Socket(), "--namespace", "k8s.io"}, args...)...)
}

// caBundle is the machine's CA bundle, for zot's image: the public roots
// only (a private CA comes from registry.caBundle, as on a cluster whose
// images carry the public roots alone).
func (c *Cluster) caBundle() (string, error) {
	const system = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(system); err != nil {
		return "", fmt.Errorf("the machine's CA bundle: %w (apt-get install ca-certificates)", err)
	}
	return system, nil
}
