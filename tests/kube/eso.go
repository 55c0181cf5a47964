package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// ESOBinEnv names the folder holding ESO's controller (build-eso.sh prints it).
const ESOBinEnv = "ZOT_ESO_BIN"

// ESOBinary is the controller's file name in that folder.
const ESOBinary = "external-secrets"

// StartESO runs the External Secrets Operator controller against the
// server, as the root command of ESO's own binary: the controller alone,
// no webhook and no cert controller (separate subcommands), no metrics
// listener, no leader election. It needs nothing but the API server: ESO
// reads stores and ExternalSecrets and writes Secrets and status. Stop
// stops it first, then the API server.
func (s *Server) StartESO(ctx context.Context, binDir string, timeout time.Duration) error {
	bin := filepath.Join(binDir, ESOBinary)
	if binDir == "" {
		return fmt.Errorf("kube: no ESO folder: set %s to the folder tests/kube/build-eso.sh prints", ESOBinEnv)
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("kube: %s not found (%s): run tests/kube/build-eso.sh", bin, ESOBinEnv)
	}
	kubeconfig := filepath.Join(s.dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, s.Kubeconfig(), 0o600); err != nil {
		return err
	}
	begin := time.Now()
	if err := s.spawnEnv("external-secrets", bin, []string{"KUBECONFIG=" + kubeconfig},
		"--metrics-addr=0", // no listener
		"--enable-leader-election=false",
		"--concurrent=4",
		"--loglevel=info",
		"--zap-time-encoding=iso8601",
	); err != nil {
		return err
	}
	// Ready once every controller the tier uses has started its workers.
	deadline, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := s.waitFor(deadline, "external-secrets", func() error {
		log := s.logTail("external-secrets")
		for _, c := range []string{"externalsecret", "pushsecret", "secretstore", "clustersecretstore"} {
			if !strings.Contains(log, `"controller": "`+c+`"`) && !strings.Contains(log, `"controller":"`+c+`"`) {
				return fmt.Errorf("controller %s has not started", c)
			}
		}
		if !strings.Contains(log, "Starting workers") {
			return fmt.Errorf("no workers yet")
		}
		return nil
	})
	if err == nil {
		s.log("external-secrets controller ready after %s", time.Since(begin).Round(time.Millisecond))
	}
	return err
}

// ESOLog is the controller's log so far, for failure messages.
func (s *Server) ESOLog() string { return s.logTail("external-secrets") }

// Kubeconfig is a kubeconfig for the server's system:masters token.
func (s *Server) Kubeconfig() []byte { return s.KubeconfigOf("tier", s.Token) }

// KubeconfigOf is a kubeconfig whose one context, named name, uses token.
func (s *Server) KubeconfigOf(name, token string) []byte {
	// JSON is YAML: client-go reads it as a kubeconfig.
	b, _ := json.MarshalIndent(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": name,
		"clusters": []any{map[string]any{"name": name, "cluster": map[string]any{
			"server": s.URL, "certificate-authority-data": base64.StdEncoding.EncodeToString(s.CAPEM),
		}}},
		"users":    []any{map[string]any{"name": name, "user": map[string]any{"token": token}}},
		"contexts": []any{map[string]any{"name": name, "context": map[string]any{"cluster": name, "user": name}}},
	}, "", "  ")
	return b
}

// StoreTokenSecret is the Secret (key "token") the tier's store
// authenticates with.
const StoreTokenSecret = "eso-store-token"

// KubernetesStore returns the objects of a secret store whose backend is
// ESO's own kubernetes provider over a namespace of ordinary Secrets:
// each remote key is a Secret in backendNS, each property a key of its
// data. Like Vault, the provider returns the whole key as JSON when a
// remoteRef names no property (pkg/provider/kubernetes/client.go,
// GetSecret), and refuses to push a secret key without a property.
//
// ref is the store the stack names: a ClusterSecretStore, or a SecretStore
// in storeNS (which then holds the token too).
func KubernetesStore(ref spec.StoreRef, storeNS, backendNS, serverURL string, caPEM []byte, token string) []map[string]any {
	tokenNS := backendNS
	meta := map[string]any{"name": ref.Name}
	bearer := map[string]any{"name": StoreTokenSecret, "key": "token"}
	if ref.Kind == "SecretStore" {
		tokenNS = storeNS
		meta["namespace"] = storeNS
	} else {
		bearer["namespace"] = tokenNS
	}
	return []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": backendNS}},
		{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata":   map[string]any{"name": StoreTokenSecret, "namespace": tokenNS},
			"stringData": map[string]any{"token": token}},
		{"apiVersion": "external-secrets.io/v1", "kind": ref.Kind, "metadata": meta,
			"spec": map[string]any{"provider": map[string]any{"kubernetes": map[string]any{
				"remoteNamespace": backendNS,
				"server":          map[string]any{"url": serverURL, "caBundle": base64.StdEncoding.EncodeToString(caPEM)},
				"auth":            map[string]any{"token": map[string]any{"bearerToken": bearer}},
			}}}},
	}
}

// Condition is one status condition of an object.
type Condition struct {
	Status, Reason, Message string
}

func (c Condition) String() string {
	if c.Status == "" {
		return "no Ready condition yet"
	}
	return fmt.Sprintf("Ready=%s %s: %q", c.Status, c.Reason, c.Message)
}

// ReadyCondition is the object's Ready condition (zero if it has none).
func ReadyCondition(obj map[string]any) Condition {
	status, _ := obj["status"].(map[string]any)
	conds, _ := status["conditions"].([]any)
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			return Condition{Status: fmt.Sprint(m["status"]), Reason: fmt.Sprint(m["reason"]), Message: fmt.Sprint(m["message"])}
		}
	}
	return Condition{}
}

// WaitReady waits for condition Ready=True, the condition
// `pulumi.com/waitFor: condition=Ready` waits on. On timeout the error
// holds the last condition and the object's warning events, which carry
// ESO's detailed error (its condition message is generic).
func (s *Server) WaitReady(ctx context.Context, apiVersion, kind, namespace, name string, timeout time.Duration) (Condition, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last Condition
	for {
		obj, err := s.Get(ctx, apiVersion, kind, namespace, name)
		if err == nil {
			if last = ReadyCondition(obj); last.Status == "True" {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			events, _ := s.Events(context.Background(), namespace, name)
			return last, fmt.Errorf("%s %s/%s not Ready after %s: %s; events: %s", kind, namespace, name, timeout, last, strings.Join(events, " | "))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitNotReady waits until the object reports Ready=False, and returns
// that condition with the object's warning events.
func (s *Server) WaitNotReady(ctx context.Context, apiVersion, kind, namespace, name string, timeout time.Duration) (Condition, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		obj, err := s.Get(ctx, apiVersion, kind, namespace, name)
		if err == nil {
			if c := ReadyCondition(obj); c.Status == "False" {
				events, err := s.Events(ctx, namespace, name)
				if err == nil && len(events) == 0 {
					err = fmt.Errorf("no warning event yet")
				}
				if err == nil {
					return c, events, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return Condition{}, nil, fmt.Errorf("%s %s/%s did not report Ready=False with an event within %s", kind, namespace, name, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Events are the messages of the warning events about an object.
func (s *Server) Events(ctx context.Context, namespace, name string) ([]string, error) {
	q := url.Values{"fieldSelector": {"involvedObject.name=" + name + ",type=Warning"}}
	var list struct {
		Items []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"items"`
	}
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/events?" + q.Encode()
	if err := s.do(ctx, http.MethodGet, path, "", nil, &list); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out, nil
}

// SecretData is a stored Secret's data, decoded.
func SecretData(obj map[string]any) (map[string]string, error) {
	data, _ := obj["data"].(map[string]any)
	out := make(map[string]string, len(data))
	for k, v := range data {
		b, err := base64.StdEncoding.DecodeString(fmt.Sprint(v))
		if err != nil {
			return nil, fmt.Errorf("data.%s: %w", k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}
