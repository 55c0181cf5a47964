package cluster

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/stacks"
	"github.com/zot-registry/zot-registry/tests/tier"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// BaseStack is the base stack file in testdata (Pulumi.<BaseStack>.yaml).
const BaseStack = "cluster"

// variant is the base stack with keys replaced (as written in a stack
// file; nil removes a key) and settings edited; its name is its stack's.
type variant struct {
	name    string
	replace map[string]any
	edits   []render.Edit
	// oidcSecretInStore: the OpenID client secret is in the store alone,
	// not in the stack's secret config (identity external, with ESO).
	oidcSecretInStore bool
	// example: the team's example examples/stacks/Pulumi.<example>.yaml in
	// place of the base stack, with the node's addresses in place of its
	// hosts (onTheNode).
	example string
}

// registryKey is the registry section's full key, for edits.
var registryKey = spec.FullKey(spec.KeyRegistry)

// projectRoot is the repository (the tests run in tests/cluster).
func projectRoot() string { return filepath.Join("..", "..") }

// stackConfig is the variant's config as the CLI gives it to the program,
// with the secret config values the tier knows (the OpenID client's
// secret, the S3 key pair, the Redis password) set as secrets.
func (v variant) stackConfig(svc *services) (*render.StackConfig, error) {
	sc, err := v.stackFile()
	if err != nil {
		return nil, err
	}
	if sc, err = sc.With(v.replace); err != nil {
		return nil, err
	}
	if sc, err = sc.Apply(v.edits...); err != nil {
		return nil, err
	}
	sc.Stack = v.name
	// The tier's CA is a company's private CA: zot trusts dex's
	// certificate through registry.caBundle alone.
	if sc, err = sc.Apply(render.Edit{Key: registryKey, Path: "caBundle", Value: string(tierCA.PEM)}); err != nil {
		return nil, err
	}
	secret := func(key, value string) {
		sc.Values[spec.FullKey(key)], sc.Secrets[spec.FullKey(key)] = value, true
	}
	var ident struct{ Mode string }
	var sec struct{ Mode string }
	var reg struct{ Cache struct{ Driver string } }
	if err := unmarshalKey(sc, spec.KeyIdentity, &ident); err != nil {
		return nil, err
	}
	if err := unmarshalKey(sc, spec.KeySecrets, &sec); err != nil {
		return nil, err
	}
	if err := unmarshalKey(sc, spec.KeyRegistry, &reg); err != nil {
		return nil, err
	}
	if ident.Mode == spec.IdentityExternal && !v.oidcSecretInStore {
		secret(spec.KeyOIDCClientSecret, svc.clientSecret)
	}
	if sec.Mode == spec.SecretsPush || sec.Mode == spec.SecretsKubernetes {
		secret(spec.KeyS3AccessKeyID, S3Access)
		secret(spec.KeyS3SecretAccessKey, S3Secret)
	}
	if reg.Cache.Driver == spec.CacheRedis {
		secret(spec.KeyRedisPassword, svc.redisPass)
	}
	return sc, nil
}

// stackFile is the base stack's config, or the example's on the node.
func (v variant) stackFile() (*render.StackConfig, error) {
	base, err := render.LoadStackConfigFrom(projectRoot(), "testdata", BaseStack)
	if err != nil || v.example == "" {
		return base, err
	}
	ex, err := render.LoadStackConfigFrom(projectRoot(), filepath.Join(projectRoot(), stacks.ExampleDir), v.example)
	if err != nil {
		return nil, err
	}
	return onTheNode(ex, base)
}

// onTheNode is an example stack with the base stack's addresses (the
// cluster, the chart repository, the bucket, the issuer, TLS at the tier's
// proxy) and pod sizes: what a team changes when it copies the example.
// The rest, the example's modes, access rules and robots, is deployed as
// written.
func onTheNode(ex, base *render.StackConfig) (*render.StackConfig, error) {
	out, err := ex.With(map[string]any{"kubernetes:context": base.Values["kubernetes:context"]})
	if err != nil {
		return nil, err
	}
	edits := []render.Edit{{Key: registryKey, Path: "ingress", Value: nil}}
	for key, paths := range map[string][]string{
		spec.KeyRegistry: {"externalUrl", "externalProxy", "chart.repository", "resources", "persistence.size"},
		spec.KeyStorage:  {"bucket", "region", "endpoint", "forcePathStyle"},
		spec.KeyIdentity: {"issuer", "clientId"},
	} {
		for _, p := range paths {
			value, err := valueAt(base, key, p)
			if err != nil {
				return nil, err
			}
			edits = append(edits, render.Edit{Key: spec.FullKey(key), Path: p, Value: value})
		}
	}
	return out.Apply(edits...)
}

// valueAt is the value at a dotted path under a key of the config.
func valueAt(sc *render.StackConfig, key, path string) (any, error) {
	var v any
	if err := unmarshalKey(sc, key, &v); err != nil {
		return nil, err
	}
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok || m[p] == nil {
			return nil, fmt.Errorf("%s has no %s", key, path)
		}
		v = m[p]
	}
	return v, nil
}

// robots are the htpasswd users an operator puts in the store (secrets
// mode store), with their passwords.
var robots = map[string]string{"ci-pusher": "ci-pusher-password", "reader": "reader-password"}

// storeValues are what an operator puts in the store before the first
// up, by remote-key field: an htpasswd file of the robots, the S3 key pair,
// session keys of the right lengths.
func storeValues() (map[string]string, error) {
	var lines []string
	for _, u := range []string{"ci-pusher", "reader"} {
		h, err := bcrypt.GenerateFromPassword([]byte(robots[u]), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		lines = append(lines, u+":"+string(h))
	}
	return map[string]string{
		"htpasswd":      strings.Join(lines, "\n") + "\n",
		"s3AccessKeyId": S3Access, "s3SecretAccessKey": S3Secret,
		"oidcClientSecret":  svc.clientSecret, // read when the stack config lacks it
		"sessionHashKey":    strings.Repeat("h", 32) + strings.Repeat("H", 32),
		"sessionEncryptKey": strings.Repeat("e", 16) + strings.Repeat("E", 16),
	}, nil
}

// external is how a client reaches zot at externalUrl: through the tier's
// TLS proxy (trusting the tier's CA), other names through the cluster DNS.
func (s *services) external() *http.Transport {
	t := clusterTransport()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == ExternalHost+":443" {
			addr = ProxyAddr
		}
		return clusterDialer.DialContext(ctx, network, addr)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: tierCA.pool, MinVersion: tls.VersionTLS12}
	return t
}

// registry is zot at externalUrl, as docker reaches it.
func (s *services) registry() tier.Registry {
	return tier.Registry{Host: ExternalHost, Transport: s.external()}
}

// unmarshalKey decodes a structured config key of sc.
func unmarshalKey(sc *render.StackConfig, key string, out any) error {
	raw, ok := sc.Values[spec.FullKey(key)]
	if !ok {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		return fmt.Errorf("%s: %w", spec.FullKey(key), err)
	}
	return nil
}
