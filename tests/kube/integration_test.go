//go:build integration

// The integration tier: every Kubernetes object the program declares
// directly (not the chart's) is server-side applied to a real kube-apiserver
// with the External Secrets Operator CRDs installed, for every fixture stack
// and every mode; broken variants must be rejected with the server's message.
// ESO's controller runs against it too (secrets_integration_test.go).
//
//	bash tests/kube/run.sh   (builds or reuses the binaries, then go test -tags integration)
package kube

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/config"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// server is the API server every test in this package shares.
var server *Server

// helperEnv makes the test binary a child that starts a server and waits to
// be killed (TestInterruptCleansUp).
const helperEnv = "ZOT_KUBE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperMain()
		return
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	begin := time.Now()
	ctx := context.Background()
	s, err := Start(ctx, Options{BinDir: os.Getenv(BinEnv), Log: logf})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tier:", err)
		return 1
	}
	server = s
	defer s.Stop()
	// An interrupt (Ctrl-C, CI cancel) stops the server before we exit; a
	// SIGKILL is covered by the children's parent-death signal.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		logf("%s: stopping the API server", sig)
		s.Stop()
		os.Exit(130)
	}()

	for _, set := range []struct {
		name string
		crds func() ([]map[string]any, string, error)
	}{
		{"ESO " + ESOVersion, ESOCRDs},
		{"Gateway API " + GatewayAPIVersion + " (standard)", GatewayCRDs},
		{"Prometheus Operator " + PrometheusOperatorVersion + " ServiceMonitor", MonitoringCRDs},
	} {
		crdStart := time.Now()
		if err := installCRDs(ctx, s, set.crds); err != nil {
			fmt.Fprintln(os.Stderr, "integration tier:", err)
			return 1
		}
		logf("%s CRDs installed and established in %s", set.name, time.Since(crdStart).Round(time.Millisecond))
	}
	if err := s.StartESO(ctx, os.Getenv(ESOBinEnv), 60*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "integration tier:", err)
		return 1
	}
	code := m.Run()
	logf("tier total (start, CRDs, tests): %s", time.Since(begin).Round(time.Millisecond))
	return code
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[kube] "+format+"\n", args...)
}

func installCRDs(ctx context.Context, s *Server, read func() ([]map[string]any, string, error)) error {
	crds, path, err := read()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if _, err := s.Apply(ctx, crd, ApplyOptions{}); err != nil {
			return fmt.Errorf("CRD from %s: %w", path, err)
		}
	}
	for _, crd := range crds {
		name := crd["metadata"].(map[string]any)["name"].(string)
		if err := s.WaitEstablished(ctx, name, 30*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// renderVariant renders a stack variant into a folder, as cmd/render does,
// and returns the folder and the variant's validated config.
func renderVariant(t *testing.T, v stacks.Variant) (string, *config.Config) {
	t.Helper()
	root, err := stacks.Root()
	require.NoError(t, err)
	res, err := v.Evaluate(root)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "render")
	_, err = res.Write(dir)
	require.NoError(t, err)
	return dir, res.Config
}

// TestRenderedObjectsAccepted: every object of every stack and mode is
// accepted, stored with every field it was sent (nothing pruned), and a
// second apply of the same render changes nothing (pulumi up is safe to
// re-run).
func TestRenderedObjectsAccepted(t *testing.T) {
	root, err := stacks.Root()
	require.NoError(t, err)
	variants, err := stacks.All(root)
	require.NoError(t, err)
	ctx := context.Background()
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			dir, cfg := renderVariant(t, v)
			objs, err := RenderedObjects(dir)
			require.NoError(t, err)

			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.Kind()]++
			}
			assert.Equal(t, 1, kinds["v1 Namespace"], "the namespace")
			r := cfg.Registry
			count := func(on bool) int {
				if on {
					return 1
				}
				return 0
			}
			// The Secrets zot reads: htpasswd and session keys always, the
			// OIDC client with OpenID, the S3 key pair without a role, the
			// mirrors' logins when one has any.
			zotSecrets := 2 + count(cfg.Identity.OpenID()) + count(cfg.Storage.KeyPairFromStore()) + count(r.HasCredentials())
			eso := cfg.Secrets.UsesESO()
			// What the program knows is pushed: the OIDC client, its IAM
			// key, or what it generates.
			pushes := eso && (cfg.Identity.OpenID() || cfg.Storage.Mode == spec.StorageAWS && cfg.Storage.KeyPairFromStore() || cfg.Secrets.Generates())
			assert.Equal(t, count(eso)*zotSecrets, kinds["external-secrets.io/v1 ExternalSecret"], "one per Secret zot reads, with ESO")
			assert.Equal(t, count(pushes), kinds["external-secrets.io/v1alpha1 PushSecret"], "the program pushes its source Secret")
			monitor := r.Metrics.On() && r.Metrics.ServiceMonitor.Enabled
			secrets := count(pushes) + // the push source
				count(!eso)*zotSecrets + // secrets mode kubernetes: the program writes zot's Secrets
				count(r.Replicas > 1) + // config.json with the cluster's hash key (no variant has a Redis password with one replica)
				count(monitor && r.Metrics.ServiceMonitor.BasicAuthSecret == "" && cfg.Secrets.Generates()) // the scrape user's
			assert.Equal(t, secrets, kinds["v1 Secret"], "the push source or zot's own Secrets, the config and the scrape user's Secret")
			assert.Equal(t, count(r.Route.Enabled), kinds["gateway.networking.k8s.io/v1 HTTPRoute"], "an HTTPRoute exactly when registry.route is on")
			assert.Equal(t, count(r.Replicas == 1 && r.Persistence.Enabled), kinds["v1 PersistentVolumeClaim"], "the claim for one replica's metadata")
			assert.Equal(t, count(monitor), kinds["monitoring.coreos.com/v1 ServiceMonitor"], "a ServiceMonitor exactly when asked for")

			// The render's secret values are "[secret]" markers. Left behind,
			// its PushSecret would push them into the store the secret tests
			// create later under the same name, racing their own PushSecret.
			t.Cleanup(func() {
				for _, o := range objs {
					if o.Manifest["kind"] != "Namespace" {
						_ = server.Delete(ctx, o.Manifest)
					}
				}
			})
			versions := map[string]string{}
			firsts := map[string]map[string]any{}
			for _, o := range objs {
				stored, err := server.Apply(ctx, o.Manifest, ApplyOptions{})
				if !assert.NoError(t, err, "%s (%s %s) was rejected", o.File, o.Kind(), o.Name()) {
					continue
				}
				assert.NoError(t, contains(asStored(o.Manifest), stored, ""), "%s: the server did not store what was sent", o.File)
				versions[o.File] = version(stored)
				firsts[o.File] = stored
			}
			// ESO (v0.17 and later) writes an ExternalSecret back once, when
			// it adds its finalizer, in its own serialization (an empty
			// target.template.metadata): the baseline is the object after
			// that write, which is what the next pulumi up meets.
			for _, o := range objs {
				if o.Manifest["kind"] != "ExternalSecret" {
					continue
				}
				settled, err := server.WaitFinalized(ctx, o.Manifest, 30*time.Second)
				if assert.NoError(t, err, o.File) {
					versions[o.File] = version(settled)
				}
			}
			for _, o := range objs {
				again, err := server.Apply(ctx, o.Manifest, ApplyOptions{})
				if !assert.NoError(t, err, o.File) {
					continue
				}
				if o.Manifest["kind"] == "PersistentVolumeClaim" {
					// kube-apiserver v1.34.2 writes a claim again on a no-op
					// apply (a new resourceVersion, nothing else differs;
					// the engine tier shows Pulumi sends no second apply):
					// compare what is stored instead.
					assert.Equal(t, unversioned(firsts[o.File]), unversioned(again), "%s: applying the same render again changed it", o.File)
					continue
				}
				assert.Equal(t, versions[o.File], version(again), "%s: applying the same render again changed it", o.File)
			}
		})
	}
}

// TestBrokenObjectsRejected: the server refuses the mistakes a hand-written
// manifest makes, with a message that says what is wrong. Each starts from
// the dev stack's rendered object and breaks one thing.
func TestBrokenObjectsRejected(t *testing.T) {
	dev, _ := renderVariant(t, stacks.Named("dev"))
	objs, err := RenderedObjects(dev)
	require.NoError(t, err)
	byFile := map[string]Object{}
	for _, o := range objs {
		byFile[o.File] = o
	}
	for prefix, variant := range map[string]string{"push:": "secrets-push-aws", "prod:": "prod"} {
		dir, _ := renderVariant(t, stacks.Named(variant))
		more, err := RenderedObjects(dir)
		require.NoError(t, err)
		for _, o := range more {
			byFile[prefix+o.File] = o
		}
	}

	cases := []struct {
		name, file string
		breakIt    func(m map[string]any)
		want       string
	}{
		{"wrong store kind", "secrets/externalsecret-zot-oidc.yaml", func(m map[string]any) {
			at(m, "spec", "secretStoreRef")["kind"] = "VaultStore"
		}, `spec.secretStoreRef.kind: Unsupported value: "VaultStore"`},
		{"missing remote key", "secrets/externalsecret-zot-htpasswd.yaml", func(m map[string]any) {
			delete(specItem(m, "data", 0)["remoteRef"].(map[string]any), "key")
		}, `spec.data[0].remoteRef.key: Required value`},
		{"missing secret key", "secrets/externalsecret-zot-s3.yaml", func(m map[string]any) {
			delete(specItem(m, "data", 1), "secretKey")
		}, `spec.data[1].secretKey: Required value`},
		{"unknown field", "secrets/externalsecret-zot-oidc.yaml", func(m map[string]any) {
			target := at(m, "spec", "target")
			target["tempalte"] = target["template"]
			delete(target, "template")
		}, `.spec.target.tempalte: field not declared in schema`},
		{"bad name", "secrets/externalsecret-zot-session.yaml", func(m map[string]any) {
			at(m, "metadata")["name"] = "Zot_Session"
		}, `a lowercase RFC 1123 subdomain`},
		{"wrong creation policy", "secrets/externalsecret-zot-oidc.yaml", func(m map[string]any) {
			at(m, "spec", "target")["creationPolicy"] = "Always"
		}, `spec.target.creationPolicy: Unsupported value: "Always"`},
		{"bad namespace name", "namespace/namespace-zot.yaml", func(m map[string]any) {
			at(m, "metadata")["name"] = "Zot"
		}, `a lowercase RFC 1123 label`},
		{"push: wrong update policy", "push:secrets/pushsecret-zot-registry-push.yaml", func(m map[string]any) {
			at(m, "spec")["updatePolicy"] = "Overwrite"
		}, `spec.updatePolicy: Unsupported value: "Overwrite"`},
		{"push: unknown field", "push:secrets/pushsecret-zot-registry-push.yaml", func(m map[string]any) {
			at(m, "spec")["refreshIntervall"] = "1h"
		}, `.spec.refreshIntervall: field not declared in schema`},
		// The HTTPRoute (prod): what Gateway API's own schema refuses. A
		// missing parentRefs or a backend port the Service lacks is valid
		// to the server; config validation and the policy rules refuse those.
		{"route: hostname with a port", "prod:registry/httproute-zot.yaml", func(m map[string]any) {
			at(m, "spec")["hostnames"] = []any{"registry.example.com:443"}
		}, `spec.hostnames[0]: Invalid value: "registry.example.com:443"`},
		{"route: timeout not a Gateway duration", "prod:registry/httproute-zot.yaml", func(m map[string]any) {
			specItem(m, "rules", 0)["timeouts"] = map[string]any{"request": "1h0m0.5s"}
		}, `spec.rules[0].timeouts.request: Invalid value: "1h0m0.5s"`},
		{"route: backend port out of range", "prod:registry/httproute-zot.yaml", func(m map[string]any) {
			ref := specItem(m, "rules", 0)["backendRefs"].([]any)[0].(map[string]any)
			ref["port"] = 70000
		}, `spec.rules[0].backendRefs[0].port: Invalid value: 70000`},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := byFile[tc.file]
			require.True(t, ok, "the render has no %s; files: %v", tc.file, keys(byFile))
			// The unbroken object is accepted: the rejection below is the break's.
			_, err := server.Apply(ctx, o.Manifest, ApplyOptions{DryRun: true})
			require.NoError(t, err)

			broken := deepCopy(o.Manifest).(map[string]any)
			tc.breakIt(broken)
			_, err = server.Apply(ctx, broken, ApplyOptions{DryRun: true})
			require.Error(t, err, "the server accepted the broken object")
			var se *StatusError
			require.ErrorAs(t, err, &se)
			// Schema violations are 422 Invalid. Server-side apply reports a
			// field the schema does not declare while it builds the typed
			// patch, as a 500 naming the field: the same answer Pulumi's
			// server-side apply gets.
			assert.Contains(t, []int{422, 500}, se.Code, se.Error())
			assert.Contains(t, se.Message, tc.want)
			t.Logf("server: %s", se.Message)
		})
	}
}

// TestStopCleansUp: Stop leaves no process and no folder behind.
func TestStopCleansUp(t *testing.T) {
	s, err := Start(context.Background(), Options{BinDir: os.Getenv(BinEnv), Log: t.Logf})
	require.NoError(t, err)
	dir := s.Dir()
	require.Len(t, s.Alive(), 2)
	s.Stop()
	assert.Empty(t, s.Alive(), "processes left running")
	assert.NoDirExists(t, dir)
	s.Stop() // twice is fine
}

// TestInterruptCleansUp: a test run that is interrupted (SIGINT) or killed
// (SIGKILL, no chance to clean up) leaves no etcd or kube-apiserver running.
func TestInterruptCleansUp(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=1")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			var pids []int
			var dir string
			_, err = fmt.Fscanf(stdout, "ready %s", &dir)
			require.NoError(t, err, "the helper did not start a server")
			var line string
			for {
				if _, err := fmt.Fscan(stdout, &line); err != nil || line == "end" {
					break
				}
				pid, err := strconv.Atoi(line)
				require.NoError(t, err)
				pids = append(pids, pid)
			}
			require.Len(t, pids, 2)
			require.NoError(t, cmd.Process.Signal(sig))
			_ = cmd.Wait()
			deadline := time.Now().Add(15 * time.Second)
			for _, pid := range pids {
				for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				assert.Error(t, syscall.Kill(pid, 0), "process %d still runs after %s", pid, sig)
			}
			if sig == syscall.SIGINT {
				assert.NoDirExists(t, dir, "the server folder is removed on interrupt")
			} else {
				_ = os.RemoveAll(dir) // SIGKILL gives no chance to remove it
			}
		})
	}
}

// helperMain starts a server, reports its pids and waits for a signal.
func helperMain() {
	s, err := Start(context.Background(), Options{BinDir: os.Getenv(BinEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	fmt.Printf("ready %s\n", s.Dir())
	for _, pid := range s.Alive() {
		fmt.Println(pid)
	}
	fmt.Println("end")
	<-sigs
	s.Stop()
	os.Exit(130)
}

// asStored is a manifest the way the server stores it: a Secret's
// write-only stringData becomes base64 data.
func asStored(m map[string]any) map[string]any {
	sd, ok := m["stringData"].(map[string]any)
	if m["kind"] != "Secret" || !ok {
		return m
	}
	out := deepCopy(m).(map[string]any)
	data, _ := out["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		data[k] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(v)))
	}
	out["data"] = data
	delete(out, "stringData")
	return out
}

// version says whether an object's desired state changed: its generation
// where the server keeps one (ESO's controller writes the status of its
// objects, which changes resourceVersion but not generation), else its
// resourceVersion.
// unversioned is obj without its resourceVersion and write times.
func unversioned(obj map[string]any) map[string]any {
	out := deepCopy(obj).(map[string]any)
	meta, _ := out["metadata"].(map[string]any)
	delete(meta, "resourceVersion")
	fields, _ := meta["managedFields"].([]any)
	for _, f := range fields {
		delete(f.(map[string]any), "time")
	}
	return out
}

func version(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	if g, ok := meta["generation"]; ok {
		return fmt.Sprint("generation ", g)
	}
	v, _ := meta["resourceVersion"].(string)
	return v
}

// contains checks that every value of want is in got (got may have more:
// server defaults, metadata).
func contains(want, got any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: sent an object, stored %T", path, got)
		}
		for k, v := range w {
			if err := contains(v, g[k], path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: sent %d items, stored %v", path, len(w), got)
		}
		for i := range w {
			if err := contains(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		if fmt.Sprint(w) != fmt.Sprint(got) {
			return fmt.Errorf("%s: sent %v, stored %v", path, w, got)
		}
	}
	return nil
}

// specItem is the i-th entry of the list under spec.
func specItem(m map[string]any, list string, i int) map[string]any {
	return at(m, "spec")[list].([]any)[i].(map[string]any)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func keys(m map[string]Object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
