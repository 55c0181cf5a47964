package zot

import (
	"io"
	"net/http"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// dockerImage is tier.DockerImage, failing the test on an error.
func dockerImage(t testing.TB, layerBytes int64) v1.Image {
	t.Helper()
	img, err := tier.DockerImage(layerBytes)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ociImage is tier.OCIImage, failing the test on an error.
func ociImage(t testing.TB, layerBytes int64) v1.Image {
	t.Helper()
	img, err := tier.OCIImage(layerBytes)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// request is a plain request as u (basic auth unless anonymous) with
// extra headers.
func request(t testing.TB, method, url string, u tier.User, header map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "" {
		req.SetBasicAuth(u.Name, u.Password)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

// status is the HTTP status of a plain request as u.
func status(t testing.TB, method, url string, u tier.User, header map[string]string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(request(t, method, url, u, header))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// uiGet is a GET in a web UI session.
func uiGet(t testing.TB, s *tier.SSOSession, url string) (int, []byte) {
	t.Helper()
	code, body, err := s.Do(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

func wantCode(t testing.TB, what string, err error, code int) {
	t.Helper()
	if got := tier.Code(err); got != code {
		t.Errorf("%s: got %s (status %d), want status %d", what, tier.Describe(err), got, code)
	}
}

// imageOf is a Docker schema 2 image of one layer.
func imageOf(t testing.TB, layer v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
