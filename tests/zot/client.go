package zot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// user is a basic-auth identity (htpasswd user, or an SSO user with an API
// key as password); the zero user is anonymous.
type user struct{ Name, Password string }

func (u user) auth() authn.Authenticator {
	if u.Name == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: u.Name, Password: u.Password}
}

// dockerImage is a Docker schema 2 image (what `docker push` sends; zot
// refuses it without http.compat docker2s2), ociImage an OCI one.
func dockerImage(t testing.TB, layerBytes int64) v1.Image {
	t.Helper()
	img, err := random.Image(layerBytes, 1)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		t.Fatalf("random image is %s, want a Docker schema 2 manifest", mt)
	}
	return img
}

func ociImage(t testing.TB, layerBytes int64) v1.Image {
	t.Helper()
	layer, err := random.Layer(layerBytes, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func ref(t testing.TB, host, repoTag string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func opts(u user) []remote.Option {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	_ = cancel // bounded by the deadline; the option keeps the context
	return []remote.Option{remote.WithAuth(u.auth()), remote.WithContext(ctx)}
}

// push writes img as repoTag.
func push(host, repoTag string, img v1.Image, u user) error {
	r, err := name.ParseReference(host+"/"+repoTag, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(r, img, opts(u)...)
}

// pull reads the manifest and every layer of repoTag (go-containerregistry
// checks each digest while reading) and returns the manifest digest.
func pull(host, repoTag string, u user) (v1.Hash, error) {
	r, err := name.ParseReference(host+"/"+repoTag, name.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := remote.Image(r, opts(u)...)
	if err != nil {
		return v1.Hash{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return v1.Hash{}, err
		}
	}
	return img.Digest()
}

// catalog lists the repositories u can see.
func catalog(host string, u user) ([]string, error) {
	reg, err := name.NewRegistry(host, name.Insecure)
	if err != nil {
		return nil, err
	}
	return remote.Catalog(context.Background(), reg, opts(u)[:1]...)
}

func tags(host, repo string, u user) ([]string, error) {
	r, err := name.NewRepository(host+"/"+repo, name.Insecure)
	if err != nil {
		return nil, err
	}
	return remote.List(r, opts(u)...)
}

func deleteTag(host, repoTag string, u user) error {
	r, err := name.ParseReference(host+"/"+repoTag, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Delete(r, opts(u)...)
}

// request is a plain request as u (basic auth unless anonymous) with
// extra headers.
func request(t testing.TB, method, url string, u user, header map[string]string) *http.Request {
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
func status(t testing.TB, method, url string, u user, header map[string]string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(request(t, method, url, u, header))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// transportCode is the HTTP status of a registry error (0 when none).
func transportCode(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

func describe(err error) string {
	if err == nil {
		return "ok"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSpace(s)
}

func wantCode(t testing.TB, what string, err error, code int) {
	t.Helper()
	if got := transportCode(err); got != code {
		t.Errorf("%s: got %s (status %d), want status %d", what, describe(err), got, code)
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
