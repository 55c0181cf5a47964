package tier

import (
	"cmp"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DexClient is the one OAuth2 client of the tiers' dex.
type DexClient struct {
	ID, Secret   string
	RedirectURIs []string
}

// Dex is the tiers' OpenID provider: issuer (ending in /dex, as dex serves
// it) on Addr, over TLS when CertFile and KeyFile are set, one client,
// users whose groups reach zot in the groups claim.
type Dex struct {
	Issuer, Addr      string
	CertFile, KeyFile string
	Client            DexClient
	Users             []SSOUser
}

// Config is dex's configuration (https://dexidp.io/docs/configuration/):
// in-memory storage, the password connector, no approval screen. JSON is
// YAML.
func (d Dex) Config() ([]byte, error) {
	var passwords []any
	for i, u := range d.Users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost) // dex refuses a cost under 10
		if err != nil {
			return nil, err
		}
		p := map[string]any{"email": u.Email, "hash": string(hash), "username": cmp.Or(u.Username, u.Email), "userID": fmt.Sprintf("user-%d", i)}
		if len(u.Groups) > 0 {
			p["groups"] = u.Groups
		}
		if u.Username != "" { // dex v2.45 sends it as preferred_username
			p["preferredUsername"] = u.Username
		}
		passwords = append(passwords, p)
	}
	web := map[string]string{"http": d.Addr}
	if d.CertFile != "" {
		web = map[string]string{"https": d.Addr, "tlsCert": d.CertFile, "tlsKey": d.KeyFile}
	}
	return json.Marshal(map[string]any{
		"issuer":  d.Issuer,
		"storage": map[string]string{"type": "memory"},
		"web":     web,
		"oauth2":  map[string]any{"skipApprovalScreen": true, "passwordConnector": "local"},
		"logger":  map[string]string{"level": "debug"},
		"staticClients": []any{map[string]any{
			"id": d.Client.ID, "secret": d.Client.Secret, "name": "zot", "redirectURIs": d.Client.RedirectURIs,
		}},
		"enablePasswordDB": true,
		"staticPasswords":  passwords,
	})
}
