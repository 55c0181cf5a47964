package cluster

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/tests/cluster/node"
	"github.com/zot-registry/zot-registry/tests/kube"
	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// The tier's services beside the node, each where the base stack
// (testdata/Pulumi.cluster.yaml) expects it.
const (
	S3Addr       = node.NodeIP + ":9000"
	S3Access     = "zot-cluster-access"
	S3Secret     = "zot-cluster-secret-0123456789"
	S3Region     = "us-east-1"
	Bucket       = "zot-cluster"
	DexAddr      = node.NodeIP + ":5556"
	Issuer       = "https://" + DexAddr + "/dex"
	ClientID     = "zot-cluster"
	RedisAddr    = node.NodeIP + ":6379"
	ChartAddr    = "127.0.0.1:8879"
	ExternalHost = "registry.zot-cluster.test"
	ProxyAddr    = node.NodeIP + ":443"
	// StoreName is the ClusterSecretStore the base stack names; its
	// backend is a namespace of ordinary Secrets (ESO's kubernetes provider).
	StoreName = "cluster-store"
	// ExtraDomain is a second cluster DNS domain the node's DNS serves, for
	// a stack whose registry.clusterDomain is not cluster.local.
	ExtraDomain  = "zot-cluster.internal"
	StoreBackend = "cluster-store-backend"
)

// The OpenID users: one admin by group, one reader by group.
var (
	ssoAdmin  = tier.SSOUser{Email: "admin@zot-cluster.test", Password: "admin-password", Groups: []string{"registry-admins"}}
	ssoReader = tier.SSOUser{Email: "dev@zot-cluster.test", Password: "dev-password", Groups: []string{"developers"}}
)

// services are the tier's servers beside the node.
type services struct {
	dir          string
	s3Root       string
	clientSecret string // the OpenID client's, in dex and in the stack's secret config
	redisPass    string
}

// startServices starts the S3 server with the bucket, dex, Redis, the
// chart repository, the TLS proxy in front of zot's Service and ESO with
// the store.
func startServices(ctx context.Context, dir string) (*services, error) {
	s := &services{dir: dir, s3Root: filepath.Join(dir, "s3"), clientSecret: randomHex(16), redisPass: randomHex(12)}
	for _, step := range []func(context.Context) error{s.s3, s.dex, s.redis, s.chartRepo, s.proxy, s.eso} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *services) s3(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(s.s3Root, Bucket), 0o755); err != nil {
		return err
	}
	if err := theNode.API.Spawn("versitygw", bins.s3, nil, "--access", S3Access, "--secret", S3Secret,
		"--region", S3Region, "--port", S3Addr, "posix", s.s3Root); err != nil {
		return err
	}
	return waitHTTP(ctx, "versitygw", "http://"+S3Addr+"/")
}

// dex is the tier's OpenID provider on the node's address: its issuer
// is reachable from zot's pods and from the tests, its one client is the
// stack's (the client secret is the stack's secret config), with exactly
// the redirect URI the program registers.
func (s *services) dex(ctx context.Context) error {
	crt, key, err := tierCA.files(filepath.Join(s.dir, "dex"), node.NodeIP)
	if err != nil {
		return err
	}
	cfg, err := tier.Dex{
		Issuer: Issuer, Addr: DexAddr, CertFile: crt, KeyFile: key,
		Client: tier.DexClient{ID: ClientID, Secret: s.clientSecret,
			RedirectURIs: []string{"https://" + ExternalHost + "/zot/auth/callback/oidc"}},
		Users: []tier.SSOUser{ssoAdmin, ssoReader},
	}.Config()
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, "dex.yaml")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		return err
	}
	if err := theNode.API.Spawn("dex", bins.dex, nil, "serve", path); err != nil {
		return err
	}
	return waitHTTP(ctx, "dex", Issuer+"/.well-known/openid-configuration")
}

func (s *services) redis(ctx context.Context) error {
	dir := filepath.Join(s.dir, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := theNode.API.Spawn("redis", bins.redis, nil, "--bind", node.NodeIP, "--port", "6379",
		"--requirepass", s.redisPass, "--save", "", "--appendonly", "no", "--dir", dir); err != nil {
		return err
	}
	return theNode.API.WaitFor(ctx, "redis", func() error {
		c, err := net.DialTimeout("tcp", RedisAddr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// chartRepo serves the chart the stacks pin as a Helm chart repository
// (index.yaml and the archive), as https://zotregistry.dev/helm-charts does.
func (s *services) chartRepo(context.Context) error {
	tgz, err := chartArchive()
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(tgz)
	if err != nil {
		return err
	}
	meta, err := chartMeta(raw)
	if err != nil {
		return err
	}
	file := filepath.Base(tgz)
	sum := sha256.Sum256(raw)
	meta["urls"] = []any{"https://" + ChartAddr + "/" + file}
	meta["digest"] = hex.EncodeToString(sum[:])
	meta["created"] = time.Unix(0, 0).UTC().Format(time.RFC3339)
	index, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": map[string]any{meta["name"].(string): []any{meta}},
		"generated": time.Unix(0, 0).UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/index.yaml", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(index) })
	mux.HandleFunc("/"+file, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(raw) })
	cert, err := tierCA.serving("127.0.0.1")
	if err != nil {
		return err
	}
	l, err := tls.Listen("tcp", ChartAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(l, mux) }()
	return nil
}

// chartArchive is the chart the stacks pin, from ../shared/charts (or
// ZOT_CHART, its release archive from https://zotregistry.dev/helm-charts).
func chartArchive() (string, error) {
	if p := os.Getenv("ZOT_CHART"); p != "" {
		return p, nil
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "charts", "zot-0.1.122.tgz"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the zot chart 0.1.122: %w; set ZOT_CHART to the chart's archive", err)
	}
	return p, nil
}

// chartMeta is the chart's Chart.yaml.
func chartMeta(tgz []byte) (map[string]any, error) {
	gz, err := gzip.NewReader(strings.NewReader(string(tgz)))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("no Chart.yaml in the chart archive: %w", err)
		}
		if strings.Count(h.Name, "/") == 1 && strings.HasSuffix(h.Name, "/Chart.yaml") {
			var m map[string]any
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			return m, yaml.Unmarshal(b, &m)
		}
	}
}

// proxy is the TLS end in front of zot's Service, as a platform's load
// balancer (registry.externalProxy): https://ExternalHost with a
// certificate from a CA the tier makes, forwarding to the Service's
// cluster name through kube-proxy. It streams both ways (no buffering, no
// body limit, no timeout of its own), as docs/exposing.md asks of a proxy.
func (s *services) proxy(context.Context) error {
	cert, err := tierCA.serving(ExternalHost)
	if err != nil {
		return err
	}
	target, _ := url.Parse(fmt.Sprintf("http://zot.zot.svc.%s:5000", node.ClusterDomain))
	rp := httputil.NewSingleHostReverseProxy(target)
	// A connection per request, each balanced anew by kube-proxy, as a
	// load balancer in front of a Service's endpoints sends each request to
	// a live one; zot's clients keep theirs.
	t := clusterTransport()
	t.DisableKeepAlives = true
	rp.Transport = t
	rp.FlushInterval = -1
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", ExternalHost)
	}
	l, err := tls.Listen("tcp", ProxyAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(l, rp) }()
	return nil
}

// eso installs ESO's CRDs, starts its controller against the API server
// and makes the store the base stack names.
func (s *services) eso(ctx context.Context) error {
	crds, _, err := kube.ESOCRDs()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		if _, err := theNode.API.Apply(ctx, crd, kube.ApplyOptions{}); err != nil {
			return fmt.Errorf("ESO CRD %s: %w", name(crd), err)
		}
		if err := theNode.API.WaitEstablished(ctx, name(crd), time.Minute); err != nil {
			return err
		}
	}
	if err := theNode.API.StartESO(ctx, bins.eso, 2*time.Minute); err != nil {
		return err
	}
	ref := spec.StoreRef{Name: StoreName, Kind: "ClusterSecretStore"}
	if err := apply(ctx, kube.KubernetesStore(ref, "", StoreBackend, theNode.API.URL, theNode.API.CAPEM, theNode.API.Token)...); err != nil {
		return err
	}
	_, err = theNode.API.WaitReady(ctx, "external-secrets.io/v1", "ClusterSecretStore", "", StoreName, time.Minute)
	return err
}

// waitHTTP waits until url answers at all.
func waitHTTP(ctx context.Context, name, url string) error {
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return theNode.API.WaitFor(wait, name, func() error {
		req, _ := http.NewRequestWithContext(wait, http.MethodGet, url, nil)
		resp, err := tierCA.client().Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return errors.New(resp.Status)
		}
		return nil
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
