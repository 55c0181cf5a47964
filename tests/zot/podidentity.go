package zot

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// podIdentity stands in for the EKS Pod Identity agent on loopback: the
// container credentials endpoint the AWS SDKs read when a pod has no key
// (AWS_CONTAINER_CREDENTIALS_FULL_URI, with the projected token in
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as the Authorization header;
// aws-sdk-go v1.55 aws/defaults/defaults.go httpCredProvider, aws-sdk-go-v2
// config resolve_credentials.go resolveHTTPCredProvider, both allowing
// loopback hosts). It hands out the local store's key pair, as the agent
// hands out the role's session. The agent's session token is left empty:
// the local store has no STS and refuses a token it did not issue
// ("InvalidToken"), where AWS S3 checks the role's.
type podIdentity struct {
	URL, TokenFile string

	mu    sync.Mutex
	calls int // requests with the right token
	wrong int // requests without it
}

const podIdentityToken = "tier-projected-service-account-token"

func startPodIdentity(t testing.TB, dir string) *podIdentity {
	t.Helper()
	p := &podIdentity{TokenFile: filepath.Join(dir, "eks-pod-identity-token")}
	if err := os.WriteFile(p.TokenFile, []byte(podIdentityToken), 0o600); err != nil {
		t.Fatal(err)
	}
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.Header.Get("Authorization") != podIdentityToken {
			p.wrong++
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		p.calls++
		_ = json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": s3Access, "SecretAccessKey": s3Secret, "Token": "",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	p.URL = base + "/v1/credentials"
	return p
}

// Env is the environment EKS Pod Identity gives a pod: the endpoint and
// the token file, no key.
func (p *podIdentity) Env() []string {
	return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + p.URL, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + p.TokenFile}
}

// Calls are the authorized and the refused requests so far.
func (p *podIdentity) Calls() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls, p.wrong
}

// keyEnv is the key pair in zot's environment, as the Helm values give it.
func keyEnv() []string {
	return []string{layout.EnvAccessKeyID + "=" + s3Access, layout.EnvSecretAccessKey + "=" + s3Secret}
}
