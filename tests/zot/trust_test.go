package zot

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// TestPrivateCA: with registry.caBundle's SSL_CERT_DIR, zot trusts an
// OpenID issuer and an S3 endpoint whose certificates come from a private
// CA the test makes: it starts (the issuer's discovery over TLS), takes a
// push into the bucket and lets an SSO user log in. The same zot without
// it exits at start on the unknown authority.
func TestPrivateCA(t *testing.T) {
	ca := newTestCA(t)
	c := setUpWith(t, named(t, "dev").fresh(), nil, false, ca)
	if !c.OIDC || !strings.HasPrefix(c.Dex.Issuer, "https://") || !strings.HasPrefix(c.S3.Endpoint, "https://") {
		t.Fatalf("want a TLS issuer and S3 endpoint, got %q and %q", c.Dex.Issuer, c.S3.Endpoint)
	}
	z := c.Zots[0]
	if err := z.Registry().Push("trust/alpine:1", dockerImage(t, 2048), c.People.Admin); err != nil {
		t.Fatalf("push through a TLS S3 endpoint: %s", tier.Describe(err))
	}
	if len(c.S3.Keys(t, c.Bucket, c.Prefix)) == 0 {
		t.Fatal("the push left nothing in the bucket")
	}
	if _, err := tier.SSOLogin(z.URL(), c.People.Reader, ca.transport()); err != nil {
		t.Fatalf("SSO login through a TLS issuer: %v", err)
	}

	z.Stop()
	p := start(t, "zot-untrusting", z.local.Dir, keyEnv(), z.bin, z.args...)
	deadline := time.Now().Add(time.Minute)
	for !p.exited() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(p.log)
	if !p.exited() || !strings.Contains(string(b), "x509: certificate signed by unknown authority") {
		t.Fatalf("without the bundle zot should exit at start on the unknown authority (exited: %v); its log ends:\n%s", p.exited(), tier.Tail(p.log, 20))
	}
}

// TestRedisTLS: registry.cache.redis.tls's rediss:// URL takes zot to a
// Redis serving TLS alone, with a certificate of the platform's CA (which
// registry.caBundle carries): a push's metadata lands there under the key
// prefix. The same zot without the bundle refuses the Redis's certificate.
func TestRedisTLS(t *testing.T) {
	r := named(t, "cache-redis-tls").fresh()
	cd, _ := getPath(r.Config, "storage", "cacheDriver").(map[string]any)
	prefix, _ := cd["keyprefix"].(string)
	if u, _ := cd["url"].(string); !strings.HasPrefix(u, "rediss://") || prefix == "" {
		t.Fatalf("want a rediss:// URL and a key prefix, got %v", cd)
	}
	c := setUp(t, r, nil)
	z := c.Zots[0]
	if err := z.Registry().Push("tls/alpine:1", dockerImage(t, 2048), c.People.Admin); err != nil {
		t.Fatalf("push with metadata in a TLS Redis: %s", tier.Describe(err))
	}
	if keys := c.redis(t, "--scan", "--pattern", prefix+"*"); !strings.Contains(keys, prefix) {
		t.Fatalf("no key under %q in the Redis after a push: %q", prefix, keys)
	}

	z.Stop()
	p := start(t, "zot-untrusting", z.local.Dir, keyEnv(), z.bin, z.args...)
	deadline := time.Now().Add(time.Minute)
	for !p.exited() && time.Now().Before(deadline) {
		b, _ := os.ReadFile(p.log)
		if strings.Contains(string(b), "certificate signed by unknown authority") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b, _ := os.ReadFile(p.log); !strings.Contains(string(b), "x509: certificate signed by unknown authority") {
		t.Fatalf("without the bundle zot should refuse the Redis's certificate (exited: %v); its log ends:\n%s", p.exited(), tier.Tail(p.log, 20))
	}
}
