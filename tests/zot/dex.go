package zot

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// dexServer is dex on 127.0.0.1: the stand-in for Authentik (or any
// provider of identity mode external) at the protocol level, with one
// static client, the redirect URIs the program registers, and static users
// whose groups reach zot in the groups claim.
type dexServer struct {
	Issuer string
}

// startDex runs dex with one client (id, secret, the one redirect URI) and
// the users.
func startDex(t testing.TB, b binaries, dir, clientID, clientSecret string, redirectURIs []string, users []tier.SSOUser, ca *testCA) *dexServer {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(tier.FreePort(t)))
	d := tier.Dex{
		Issuer: "http://" + addr + "/dex", Addr: addr,
		Client: tier.DexClient{ID: clientID, Secret: clientSecret, RedirectURIs: redirectURIs},
		Users:  users,
	}
	client := http.DefaultTransport
	if ca != nil { // an issuer behind a private CA
		_, d.CertFile, d.KeyFile = ca.serverCert(t, dir, "dex")
		d.Issuer = "https://" + addr + "/dex"
		client = ca.transport()
	}
	body, err := d.Config()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dex.yaml")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, "dex", dir, nil, b.Dex, "serve", path)
	waitHTTPVia(t, p, client, d.Issuer+"/.well-known/openid-configuration", http.StatusOK, 30*time.Second)
	return &dexServer{Issuer: d.Issuer}
}
