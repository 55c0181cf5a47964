package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// GuardChain is the iptables chain that drops forwarded packets from or to
// any address outside TierRange; its DROP rule's counter tells whether any
// packet tried to leave (Cluster.Escaped).
const GuardChain = "ZOT-TIER-GUARD"

// network sets up the node's network namespace: loopback, the bridge the
// CNI bridge plugin attaches pods to (made here so that the node's
// services can listen on NodeIP before the first pod), a route to the
// Service network (kube-proxy rewrites those packets; the route only lets
// the kernel send them), forwarding, bridged traffic through iptables
// (kube-proxy's rules), and the guard.
func (c *Cluster) network(ctx context.Context) error {
	cmds := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", Bridge, "type", "bridge"},
		{"ip", "addr", "add", NodeIP + "/24", "dev", Bridge},
		{"ip", "link", "set", Bridge, "up"},
		{"ip", "route", "add", ServiceCIDR, "dev", Bridge, "src", NodeIP},
		{"iptables", "-w", "-N", GuardChain},
		{"iptables", "-w", "-A", GuardChain, "-s", TierRange, "-d", TierRange, "-j", "RETURN"},
		{"iptables", "-w", "-A", GuardChain, "-j", "DROP"},
		{"iptables", "-w", "-I", "FORWARD", "1", "-j", GuardChain},
	}
	for _, args := range cmds {
		if err := run(ctx, args...); err != nil {
			return err
		}
	}
	// These sysctls are per network namespace: the machine's stay as they are.
	for key, value := range map[string]string{
		"net/ipv4/ip_forward":                 "1",
		"net/bridge/bridge-nf-call-iptables":  "1",
		"net/bridge/bridge-nf-call-ip6tables": "1",
		"net/ipv4/conf/all/rp_filter":         "0",
		"net/ipv6/conf/all/disable_ipv6":      "1",
		"net/ipv6/conf/default/disable_ipv6":  "1",
	} {
		if err := os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644); err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
	}
	c.undo = append(c.undo, func() { _ = run(context.Background(), "ip", "link", "del", Bridge) })
	return nil
}

// Escaped is how many forwarded packets the guard dropped: any would have
// gone to or come from an address outside TierRange.
func (c *Cluster) Escaped(ctx context.Context) (int, error) {
	out, err := output(ctx, "iptables", "-w", "-L", GuardChain, "-n", "-v", "-x")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "DROP" {
			var n int
			_, err := fmt.Sscan(f[0], &n)
			return n, err
		}
	}
	return 0, fmt.Errorf("no DROP rule in %s:\n%s", GuardChain, out)
}

// kubeletTunables are the kernel settings the kubelet sets when they
// differ (pkg/kubelet/cm/container_manager_linux.go, setupKernelTunables).
// They are not namespaced: written, they would change the machine.
var kubeletTunables = map[string]string{
	"vm/overcommit_memory":      "1",
	"vm/panic_on_oom":           "0",
	"kernel/panic":              "10",
	"kernel/panic_on_oops":      "1",
	"kernel/keys/root_maxkeys":  "1000000",
	"kernel/keys/root_maxbytes": "25000000",
}

// mounts gives the node folders of its own where its programs write by
// default (/run, /var/lib, /var/log: containerd's state, the kubelet's
// folder, pod logs, network namespaces), bind-mounted from the working
// folder in the node's mount namespace, so nothing lands on the machine.
// The kernel tunables the kubelet would set machine-wide are shown to it
// as already set: a file with the value it wants is bind-mounted over each
// /proc/sys entry that differs.
func (c *Cluster) mounts(context.Context) error {
	for _, target := range []string{"/run", "/var/lib", "/var/log"} {
		src := c.path("fs", strings.TrimPrefix(target, "/"))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := c.bind(src, target); err != nil {
			return err
		}
	}
	for key, want := range kubeletTunables {
		target := filepath.Join("/proc/sys", key)
		have, err := os.ReadFile(target)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(have)) == want {
			continue
		}
		src := c.path("sysctl", strings.ReplaceAll(key, "/", "."))
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(src, []byte(want+"\n"), 0o444); err != nil {
			return err
		}
		if err := c.bind(src, target); err != nil {
			return err
		}
	}
	return nil
}

// bind bind-mounts src over target, and unmounts it on Stop.
func (c *Cluster) bind(src, target string) error {
	if err := syscall.Mount(src, target, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s over %s: %w", src, target, err)
	}
	c.undo = append(c.undo, func() { _ = syscall.Unmount(target, syscall.MNT_DETACH) })
	return nil
}

// run runs a command and returns its output in the error when it fails.
func run(ctx context.Context, args ...string) error {
	_, err := output(ctx, args...)
	return err
}

func output(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
