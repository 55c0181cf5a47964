package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zot-registry/zot-registry/zot/chart"
	"github.com/zot-registry/zot-registry/zot/zotlog"
)

// ClusterAccess says which cluster the release went to, in the Kubernetes
// provider's own settings: kubernetes:kubeconfig (a path or the file's
// content), kubernetes:context, kubernetes:cluster; unset, $KUBECONFIG or
// ~/.kube/config and its current context, as the provider.
type ClusterAccess struct {
	Kubeconfig, Context, Cluster string
}

// cluster is that API server, reached with the kubeconfig's credentials
// (tokens, client certificates, exec plugins such as aws eks get-token)
// through client-go, as the provider reaches it.
type cluster struct {
	host   string
	client *http.Client
}

func (a ClusterAccess) connect() (*cluster, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: a.Context}
	overrides.Context.Cluster = a.Cluster
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	var cc clientcmd.ClientConfig
	switch {
	case a.Kubeconfig == "":
		cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	case strings.Contains(a.Kubeconfig, "clusters"): // the file's content
		raw, err := clientcmd.Load([]byte(a.Kubeconfig))
		if err != nil {
			return nil, fmt.Errorf("kubernetes:kubeconfig: %w", err)
		}
		cc = clientcmd.NewNonInteractiveClientConfig(*raw, a.Context, overrides, nil)
	default: // a path
		rules.ExplicitPath = expandHome(a.Kubeconfig)
		cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	client.Timeout = 30 * time.Second
	return &cluster{host: strings.TrimSuffix(cfg.Host, "/"), client: client}, nil
}

func expandHome(p string) string {
	if under, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return home + "/" + under
		}
	}
	return p
}

// errNotFound is a 404 from the API server.
var errNotFound = errors.New("not found")

// get reads path into out (JSON), or its body as text when out is a *string.
func (c *cluster) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.host+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if s, ok := out.(*string); ok {
		*s = string(body)
		return nil
	}
	return json.Unmarshal(body, out)
}

// rolloutPoll is how often the watch reads the workload and its pods.
const rolloutPoll = 2 * time.Second

// waitForRollout waits until the release's workload (the chart's
// StatefulSet, or its Deployment without persistence) has every replica
// ready on the new spec, and fails as soon as a pod shows it will not
// start (watch.check), or after timeout. progress is told what it waits
// for, at most every progressEvery.
func (c *cluster) waitForRollout(ctx context.Context, namespace, release string, timeout time.Duration, progress func(string)) error {
	w := newWatch(time.Now())
	deadline := w.began.Add(timeout)
	ns := url.PathEscape(namespace)
	selector := url.Values{"labelSelector": {labelSelector(chart.SelectorLabels(release))}}.Encode()
	var said time.Time
	// What zot logged before each exit, read once per exit: a member
	// waited out (waitsOut) shows the same exit at every poll.
	reasons := map[string]string{}
	for {
		var wl workload
		statefulSet := true
		err := c.get(ctx, "/apis/apps/v1/namespaces/"+ns+"/statefulsets/"+url.PathEscape(release), &wl)
		if errors.Is(err, errNotFound) {
			statefulSet = false
			err = c.get(ctx, "/apis/apps/v1/namespaces/"+ns+"/deployments/"+url.PathEscape(release), &wl)
		}
		var pods struct {
			Items []pod `json:"items"`
		}
		if err == nil {
			if wl.rolledOut(statefulSet) {
				return nil
			}
			err = c.get(ctx, "/api/v1/namespaces/"+ns+"/pods?"+selector, &pods)
		}
		if err == nil {
			if f := w.check(pods.Items, time.Now()); f != nil {
				key := fmt.Sprintf("%s/%d", f.Pod, f.Exits)
				why, read := reasons[key]
				if !read {
					why = c.exitReason(ctx, namespace, f)
					if why != "" { // the kubelet may not have the log yet
						reasons[key] = why
					}
				}
				if !waitsOut(f, why) {
					return startError(namespace, f, why)
				}
			}
		}
		now := time.Now()
		if now.After(deadline) {
			//nolint:errorlint // err is the last poll's, often nil: context, not a cause
			return fmt.Errorf("zot in %s is not ready after %s (registry.startupTimeout plus a margin): %d of %d replicas ready (%v); see kubectl -n %s describe pods -l app.kubernetes.io/instance=%s",
				namespace, timeout, wl.Status.ReadyReplicas, replicasOf(wl), err, namespace, release)
		}
		if now.Sub(said) >= progressEvery {
			said = now
			progress(fmt.Sprintf("waiting for zot in %s: %d of %d replicas ready on the new spec", namespace, wl.Status.ReadyReplicas, replicasOf(wl)))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rolloutPoll):
		}
	}
}

// progressEvery spaces the watch's progress messages.
const progressEvery = 30 * time.Second

func replicasOf(w workload) int32 {
	if w.Spec.Replicas == nil {
		return 1
	}
	return *w.Spec.Replicas
}

// exitReason is what zot logged last before it exited (zotlog.LastError),
// "" when it did not run or the kubelet has no log.
func (c *cluster) exitReason(ctx context.Context, namespace string, f *failure) string {
	if !f.Exited {
		return ""
	}
	previous := "false"
	if f.Running {
		previous = "true"
	}
	if log := c.podLog(ctx, namespace, f.Pod, previous); log != "" {
		return zotlog.LastError(log)
	}
	return ""
}

// startError says which pod will not start and why: what zot logged last
// before it exited, when it ran.
func startError(namespace string, f *failure, why string) error {
	msg := fmt.Sprintf("zot does not start: pod %s/%s: %s", namespace, f.Pod, f.Problem)
	if why != "" {
		msg += "; zot's log ends with: " + why
	}
	if zotlog.MemberNotResolved(why) {
		msg += "; zot resolves every member's name (<pod>.<headless Service>.<namespace>.svc.<registry.clusterDomain>) at start: check that registry.clusterDomain is the cluster's DNS domain"
	}
	return errors.New(msg + fmt.Sprintf(" (kubectl -n %s logs %s --previous)", namespace, f.Pod))
}

// podLog is the end of the log of the pod's zot container; previous
// "true" for the one before the current. The zot that exited is the
// current container while it waits to restart (CrashLoopBackOff: the
// kubelet keeps it until the next start), the previous one once it runs
// again.
func (c *cluster) podLog(ctx context.Context, namespace, pod, previous string) string {
	var log string
	path := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/pods/" + url.PathEscape(pod) +
		"/log?" + url.Values{"container": {zotContainer}, "previous": {previous}, "tailLines": {"200"}}.Encode()
	if err := c.get(ctx, path, &log); err != nil {
		return ""
	}
	return log
}

// labelSelector is a label selector for labels, in a fixed order.
func labelSelector(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ",")
}
