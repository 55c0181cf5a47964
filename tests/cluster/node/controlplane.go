package node

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/zot-registry/zot-registry/tests/kube"
)

// The identities of the node's components: each authenticates as itself
// (static tokens), and the API server authorizes each as a real cluster
// does (the Node authorizer for the kubelet, RBAC's bootstrap roles for
// the rest). CoreDNS and ESO, add-ons run beside the node, use the admin
// context.
const (
	userKubelet    = "system:node:" + NodeName
	userController = "system:kube-controller-manager"
	userScheduler  = "system:kube-scheduler"
	userProxy      = "system:kube-proxy"
	// UserDeployer is a platform team's deploy identity: it holds only what
	// RBAC bindings give it (the render's deployer-rbac.yaml).
	UserDeployer = "zot-deployer"
)

// controlPlane starts etcd and kube-apiserver, then the controller manager
// and the scheduler, and waits until the controllers run (the default
// ServiceAccount, which pods need, exists).
func (c *Cluster) controlPlane(ctx context.Context) error {
	api, err := kube.Start(ctx, kube.Options{
		BinDir:        c.opts.Bin.Kube,
		Dir:           c.path("control-plane"),
		KeepDir:       true,
		KubeletClient: true,
		ServiceCIDR:   ServiceCIDR,
		ServingIPs:    []net.IP{net.ParseIP(NodeIP), net.ParseIP(KubernetesServiceIP)},
		Authorization: "Node,RBAC",
		APIServerArgs: []string{"--enable-admission-plugins=NodeRestriction"},
		Users: []kube.User{
			{Name: userKubelet, Groups: []string{"system:nodes"}},
			{Name: userController}, {Name: userScheduler}, {Name: userProxy}, {Name: UserDeployer},
		},
		Log: c.log,
	})
	if err != nil {
		return err
	}
	c.API = api
	c.Kubeconfig = c.path("kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, api.KubeconfigOf(KubeContext, api.Token), 0o600); err != nil {
		return err
	}
	c.DeployerKubeconfig = c.path("kubeconfig-deployer")
	if err := os.WriteFile(c.DeployerKubeconfig, api.KubeconfigOf(KubeContext, api.TokenOf(UserDeployer)), 0o600); err != nil {
		return err
	}
	for _, u := range []string{userKubelet, userController, userScheduler, userProxy} {
		if err := os.WriteFile(c.kubeconfigOf(u), api.KubeconfigOf(KubeContext, api.TokenOf(u)), 0o600); err != nil {
			return err
		}
	}
	bin := func(name string) string { return filepath.Join(c.opts.Bin.Kube, name) }
	if err := api.Spawn("kube-controller-manager", bin("kube-controller-manager"), nil,
		"--kubeconfig="+c.kubeconfigOf(userController),
		"--secure-port=0", // no listener: nothing scrapes it
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+api.ServiceAccountKeyFile(),
		"--root-ca-file="+api.CAFile(),
		"--service-cluster-ip-range="+ServiceCIDR,
		"--cluster-cidr="+PodCIDR, "--allocate-node-cidrs=false",
		// The node's pods are the only ones: evict nothing for a slow
		// heartbeat on a busy two-core machine.
		"--node-monitor-grace-period=2m",
		"--v=1",
	); err != nil {
		return err
	}
	if err := api.Spawn("kube-scheduler", bin("kube-scheduler"), nil,
		"--kubeconfig="+c.kubeconfigOf(userScheduler),
		"--authentication-kubeconfig="+c.kubeconfigOf(userScheduler),
		"--authorization-kubeconfig="+c.kubeconfigOf(userScheduler),
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--v=1",
	); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return api.WaitFor(wait, "kube-controller-manager", func() error {
		_, err := api.Get(wait, "v1", "ServiceAccount", "default", "default")
		if err != nil {
			return errors.New("no default ServiceAccount yet: " + err.Error())
		}
		return nil
	})
}

// kubeconfigOf is the kubeconfig file of a component's user.
func (c *Cluster) kubeconfigOf(user string) string {
	return c.path("control-plane", "kubeconfig-"+filepath.Base(user)+".yaml")
}
