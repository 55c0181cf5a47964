package cluster

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/cluster/node"
)

// The tier's state, made once by TestMain: the node every test deploys
// to, the services beside it, the Pulumi CLI's environment.
var (
	theNode *node.Cluster
	bins    binaries
	svc     *services
	penv    *pulumiEnv
	work    string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if bins, err = findBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster tier:", err)
		return 1
	}
	work = os.Getenv("ZOT_CLUSTER_WORK")
	if work == "" {
		fmt.Fprintln(os.Stderr, "cluster tier: ZOT_CLUSTER_WORK is not set: run tests/cluster/run.sh")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	begin := time.Now()
	if tierCA, err = newCA(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster tier:", err)
		return 1
	}
	theNode, err = node.Start(ctx, node.Options{
		Bin:          bins.node,
		ExtraDomains: []string{ExtraDomain},
		Dir:          work + "/node",
		Log:          func(format string, args ...any) { fmt.Printf(format+"\n", args...) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster tier: the node did not start:", err)
		return 1
	}
	fmt.Printf("cluster tier: node ready after %s\n", time.Since(begin).Round(time.Millisecond))
	code := 1
	if err := setUp(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "cluster tier:", err)
	} else {
		code = m.Run()
	}
	if n, err := theNode.Escaped(context.Background()); err != nil || n > 0 {
		fmt.Fprintf(os.Stderr, "cluster tier: %d packets tried to leave the tier's addresses (%v)\n", n, err)
		code = 1
	}
	theNode.Stop()
	return code
}

// setUp starts the services beside the node and prepares the Pulumi CLI:
// its plugins installed under the versions the SDKs ask for.
func setUp(ctx context.Context) error {
	begin := time.Now()
	var err error
	if svc, err = startServices(ctx, work+"/services"); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	// The program runs in this process (an inline program): its rollout
	// watch reaches the cluster as a user's shell does.
	if err := os.Setenv("KUBECONFIG", theNode.Kubeconfig); err != nil {
		return err
	}
	bundle := work + "/pulumi/ca.crt"
	if err := tierCA.bundle(bundle); err != nil {
		return err
	}
	if penv, err = newPulumiEnv(work+"/pulumi", bins.pulumi, theNode.Kubeconfig, bundle); err != nil {
		return fmt.Errorf("pulumi: %w", err)
	}
	for _, p := range []struct{ name, version, bin string }{
		{"kubernetes", KubernetesPluginVersion, bins.kubernetesPlugin},
		{"random", RandomPluginVersion, bins.random},
	} {
		if err := penv.installPlugin(ctx, p.name, p.version, p.bin); err != nil {
			return err
		}
	}
	fmt.Printf("cluster tier: services and the Pulumi CLI ready after %s\n", time.Since(begin).Round(time.Millisecond))
	return nil
}
