package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// The checks below read a delivered file the way zot reads it and say
// what zot would get wrong, quoting the content (the values in these
// tests are stand-ins, never real credentials).

// CheckOIDCCredentials: zot's credentials file (.json) must hold exactly
// clientid and clientsecret, equal to the client the provider knows.
func CheckOIDCCredentials(content, wantID, wantSecret string) error {
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&got); err != nil {
		return fmt.Errorf("oidc-credentials.json is not a JSON object (%w): %q", err, content)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "clientid,clientsecret" {
		return fmt.Errorf("oidc-credentials.json has keys %v, zot reads exactly clientid and clientsecret: %q", keys, content)
	}
	if got["clientid"] != wantID {
		return fmt.Errorf("oidc-credentials.json clientid is %q, the provider's client is %q", got["clientid"], wantID)
	}
	if got["clientsecret"] != wantSecret {
		return fmt.Errorf("oidc-credentials.json clientsecret is not the secret the provider holds (got %q)", got["clientsecret"])
	}
	return nil
}

// CheckHtpasswd: one user:bcrypt line per user, each verifying against
// that user's password, and nothing else.
func CheckHtpasswd(content string, passwords map[string]string) error {
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimRight(content, "\n"), "\n") {
		user, hash, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(hash, "$2") {
			return fmt.Errorf("htpasswd line %d is not user:bcrypt-hash; zot's htpasswd file is: %q", i+1, content)
		}
		pw, known := passwords[user]
		if !known {
			return fmt.Errorf("htpasswd has user %q nobody expects; the file is: %q", user, content)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)); err != nil {
			return fmt.Errorf("htpasswd: %s's password does not verify (%w)", user, err)
		}
		seen[user] = true
	}
	for user := range passwords {
		if !seen[user] {
			return fmt.Errorf("htpasswd has no line for %s; the file is: %q", user, content)
		}
	}
	return nil
}

// CheckSessionKeys: exactly hashKey (64 characters, signs) and encryptKey
// (32 characters: zot's AES key must be 16, 24 or 32 bytes, or every login
// fails), equal to the values meant for zot.
func CheckSessionKeys(content, wantHash, wantEncrypt string) error {
	var got struct {
		HashKey    string `json:"hashKey"`
		EncryptKey string `json:"encryptKey"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(content)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		return fmt.Errorf("session-keys.json is not {hashKey, encryptKey} (%w): %q", err, content)
	}
	switch {
	case len(got.HashKey) != 64:
		return fmt.Errorf("session-keys.json hashKey has %d characters, want 64", len(got.HashKey))
	case len(got.EncryptKey) != 32:
		return fmt.Errorf("session-keys.json encryptKey has %d characters, want 32 (AES-256)", len(got.EncryptKey))
	case got.HashKey != wantHash || got.EncryptKey != wantEncrypt:
		return fmt.Errorf("session-keys.json does not hold the session keys meant for zot")
	}
	return nil
}

// CheckBare: a value zot reads as it is (the S3 keys, through env) must be
// exactly the value, not wrapped in the store's JSON.
func CheckBare(name, got, want string) error {
	if got != want {
		return fmt.Errorf("%s is %q, want the bare value %q", name, got, want)
	}
	return nil
}
