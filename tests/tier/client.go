// Package tier is what the test tiers share (tests/zot runs zot as a
// process, tests/cluster deploys it with pulumi up): a registry client that
// speaks as docker does (go-containerregistry), the web UI's OpenID login
// as a browser walks it, the configs of the tiers' OpenID provider, a log
// file's tail and loopback ports.
// It imports no Pulumi SDK, so the zot tier's module stays without one.
package tier

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
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

// User is a basic-auth identity (an htpasswd user, or an SSO user with an
// API key as password); the zero User is anonymous.
type User struct{ Name, Password string }

func (u User) auth() authn.Authenticator {
	if u.Name == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: u.Name, Password: u.Password}
}

// DockerImage is a random Docker schema 2 image of one layer (what
// `docker push` sends; zot refuses it without http.compat docker2s2).
func DockerImage(layerBytes int64) (v1.Image, error) {
	img, err := random.Image(layerBytes, 1)
	if err != nil {
		return nil, err
	}
	if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
		return nil, errors.New("random image is " + string(mt) + ", want a Docker schema 2 manifest")
	}
	return img, nil
}

// OCIImage is a random OCI image of one layer.
func OCIImage(layerBytes int64) (v1.Image, error) {
	layer, err := random.Layer(layerBytes, types.OCILayer)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.AppendLayers(img, layer)
}

// Registry is a registry at Host (host[:port]), reached over Transport
// (nil: the default one); Insecure speaks plain http.
type Registry struct {
	Host      string
	Insecure  bool
	Transport http.RoundTripper
	// Timeout bounds each operation; default 5 minutes.
	Timeout time.Duration
}

func (r Registry) nameOpts() []name.Option {
	if r.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (r Registry) opts(ctx context.Context, u User) []remote.Option {
	o := []remote.Option{remote.WithAuth(u.auth()), remote.WithContext(ctx)}
	if r.Transport != nil {
		o = append(o, remote.WithTransport(r.Transport))
	}
	return o
}

func (r Registry) ctx() (context.Context, context.CancelFunc) {
	d := r.Timeout
	if d == 0 {
		d = 5 * time.Minute
	}
	return context.WithTimeout(context.Background(), d)
}

// Ref is a reference to repoTag (repo:tag or repo@digest) in the registry.
func (r Registry) Ref(repoTag string) (name.Reference, error) {
	return name.ParseReference(r.Host+"/"+repoTag, r.nameOpts()...)
}

// Push writes img as repoTag.
func (r Registry) Push(repoTag string, img v1.Image, u User) error {
	ref, err := r.Ref(repoTag)
	if err != nil {
		return err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	return remote.Write(ref, img, r.opts(ctx, u)...)
}

// Pull reads the manifest and every layer of repoTag (go-containerregistry
// checks each digest while reading) and returns the manifest digest.
func (r Registry) Pull(repoTag string, u User) (v1.Hash, error) {
	ref, err := r.Ref(repoTag)
	if err != nil {
		return v1.Hash{}, err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	img, err := remote.Image(ref, r.opts(ctx, u)...)
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

// Catalog lists the repositories u can see.
func (r Registry) Catalog(u User) ([]string, error) {
	reg, err := name.NewRegistry(r.Host, r.nameOpts()...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	return remote.Catalog(ctx, reg, r.opts(ctx, u)...)
}

// Tags lists a repository's tags.
func (r Registry) Tags(repo string, u User) ([]string, error) {
	rr, err := name.NewRepository(r.Host+"/"+repo, r.nameOpts()...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	return remote.List(rr, r.opts(ctx, u)...)
}

// Delete deletes a tag or manifest.
func (r Registry) Delete(repoTag string, u User) error {
	ref, err := r.Ref(repoTag)
	if err != nil {
		return err
	}
	ctx, cancel := r.ctx()
	defer cancel()
	return remote.Delete(ref, r.opts(ctx, u)...)
}

// Code is the HTTP status of a registry error (0 when none, or not one).
func Code(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

// Describe is an error's first 300 characters ("ok" for nil).
func Describe(err error) string {
	if err == nil {
		return "ok"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSpace(s)
}
