package zot

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ssoUser is a user of the tier's OpenID provider.
type ssoUser struct {
	Email, Password string
	Groups          []string
}

// dexServer is dex on 127.0.0.1: the stand-in for Authentik (or any
// provider of identity mode external) at the protocol level, with one
// static client, the redirect URIs the program registers, and static users
// whose groups reach zot in the groups claim.
type dexServer struct {
	Issuer string
}

// dex config (https://dexidp.io/docs/configuration/): JSON is YAML.
type dexConfig struct {
	Issuer           string            `json:"issuer"`
	Storage          map[string]string `json:"storage"`
	Web              map[string]string `json:"web"`
	OAuth2           map[string]any    `json:"oauth2"`
	Logger           map[string]string `json:"logger"`
	StaticClients    []dexClient       `json:"staticClients"`
	EnablePasswordDB bool              `json:"enablePasswordDB"`
	StaticPasswords  []dexPassword     `json:"staticPasswords"`
}

type dexClient struct {
	ID           string   `json:"id"`
	Secret       string   `json:"secret"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectURIs"`
}

type dexPassword struct {
	Email    string   `json:"email"`
	Hash     string   `json:"hash"`
	Username string   `json:"username"`
	UserID   string   `json:"userID"`
	Groups   []string `json:"groups,omitempty"`
}

// startDex runs dex with one client (id, secret, the one redirect URI) and
// the users. The issuer ends in /dex, as dex serves it.
func startDex(t testing.TB, b binaries, dir, clientID, clientSecret string, redirectURIs []string, users []ssoUser) *dexServer {
	t.Helper()
	port := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	cfg := dexConfig{
		Issuer:  "http://" + addr + "/dex",
		Storage: map[string]string{"type": "memory"},
		Web:     map[string]string{"http": addr},
		OAuth2:  map[string]any{"skipApprovalScreen": true, "passwordConnector": "local"},
		Logger:  map[string]string{"level": "debug"},
		StaticClients: []dexClient{{
			ID: clientID, Secret: clientSecret, Name: "zot", RedirectURIs: redirectURIs,
		}},
		EnablePasswordDB: true,
	}
	for i, u := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost) // dex refuses a cost under 10
		if err != nil {
			t.Fatal(err)
		}
		cfg.StaticPasswords = append(cfg.StaticPasswords, dexPassword{
			Email: u.Email, Hash: string(hash), Username: u.Email, UserID: fmt.Sprintf("user-%d", i), Groups: u.Groups,
		})
	}
	body, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "dex.yaml")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, "dex", dir, nil, b.Dex, "serve", path)
	waitHTTP(t, p, cfg.Issuer+"/.well-known/openid-configuration", http.StatusOK, 30*time.Second)
	return &dexServer{Issuer: cfg.Issuer}
}
