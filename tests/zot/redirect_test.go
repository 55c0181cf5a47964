package zot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// redirects is whether a config has zot redirect blob pulls to the store
// (storage.redirectPulls).
func redirects(cfg map[string]any) bool {
	return getPath(cfg, "storage", "redirectBlobURL") == true
}

// blobClient follows no redirect, so the test sees zot's answer itself.
var blobClient = &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// blobGet is GET url as u, with extra headers; it returns the response and
// the first KiB of its body (for messages and short ranged reads).
func blobGet(t testing.TB, url string, u tier.User, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	var h head
	resp := blobCopy(t, url, u, header, &h)
	return resp, h.b
}

// head keeps the first KiB written to it and discards the rest.
type head struct{ b []byte }

func (h *head) Write(p []byte) (int, error) {
	if room := 1024 - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// blobCopy is GET url as u, the body streamed into w.
func blobCopy(t testing.TB, url string, u tier.User, header map[string]string, w io.Writer) *http.Response {
	t.Helper()
	resp, err := blobClient.Do(request(t, http.MethodGet, url, u, header))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp
}

// pullBlob is a client's blob pull into w: zot's answer, and with a
// redirect the presigned URL fetched without the registry's credentials
// (docker drops them on a redirect to another host). It says whether the
// bytes came from the store.
func pullBlob(t testing.TB, url string, u tier.User, w io.Writer) bool {
	t.Helper()
	resp := blobCopy(t, url, u, nil, w) // a 307's body is empty
	switch resp.StatusCode {
	case http.StatusOK:
		return false
	case http.StatusTemporaryRedirect:
		r2 := blobCopy(t, resp.Header.Get("Location"), tier.User{}, nil, w)
		if r2.StatusCode != http.StatusOK {
			t.Fatalf("GET of the presigned URL: %s", r2.Status)
		}
		return true
	}
	t.Fatalf("GET %s: %s", url, resp.Status)
	return false
}

// TestPullsRedirectToTheStore: with storage.redirectPulls (on in mode aws)
// zot authorizes a blob GET and answers 307 with a presigned URL of the S3
// server, which serves the exact bytes without the registry's credentials;
// a GET without the right gets no URL, a ranged GET stays on zot, and a
// client pull (go-containerregistry) follows the redirect. Without the
// setting zot serves the bytes itself.
func TestPullsRedirectToTheStore(t *testing.T) {
	var on, off *rendered
	for _, r := range renders {
		if dynamoDB(r.Config) {
			continue
		}
		if redirects(r.Config) && on == nil {
			on = r
		}
		if !redirects(r.Config) && off == nil {
			off = r
		}
	}
	if on == nil || off == nil {
		t.Fatal("the variants have no config with redirectBlobURL and one without")
	}
	layer, err := random.Layer(1<<20, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := layer.Digest()
	for _, r := range []*rendered{on, off} {
		t.Run(r.Name, func(t *testing.T) {
			c := setUp(t, r, nil)
			z := c.Zots[0]
			img := imageOf(t, layer)
			if err := z.Registry().Push("team/redirect:1", img, c.People.Admin); err != nil {
				t.Fatalf("push: %s", tier.Describe(err))
			}
			url := z.URL() + "/v2/team/redirect/blobs/" + d.String()

			resp, _ := blobGet(t, url, c.People.Admin, nil)
			if !redirects(r.Config) {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("blob GET without redirectBlobURL: %s, want 200 from zot", resp.Status)
				}
				return
			}
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, c.S3.Endpoint+"/") {
				t.Fatalf("blob GET: %s to %q, want 307 to the store %s", resp.Status, loc, c.S3.Endpoint)
			}
			if got := resp.Header.Get("Docker-Content-Digest"); got != d.String() {
				t.Errorf("Docker-Content-Digest %q, want %s", got, d)
			}
			h := sha256.New()
			fromStore := pullBlob(t, url, c.People.Admin, h)
			if sum := hex.EncodeToString(h.Sum(nil)); !fromStore || sum != d.Hex {
				t.Errorf("the pull gave sha256:%s (from the store: %v), want %s", sum, fromStore, d)
			}

			for _, tc := range []struct {
				who  string
				u    tier.User
				want int
			}{{"anonymous", tier.User{}, 401}, {"a user with no rights", c.People.Outsider, 403}} {
				if anonymousRead(r.Config) && tc.u.Name == "" {
					continue
				}
				resp, _ := blobGet(t, url, tc.u, nil)
				if resp.StatusCode != tc.want || resp.Header.Get("Location") != "" {
					t.Errorf("blob GET by %s: %s, Location %q; want %d and no URL", tc.who, resp.Status, resp.Header.Get("Location"), tc.want)
				}
			}
			resp, part := blobGet(t, url, c.People.Admin, map[string]string{"Range": "bytes=0-9"})
			if resp.StatusCode != http.StatusPartialContent || len(part) != 10 {
				t.Errorf("ranged blob GET: %s with %d bytes, want 206 with 10 from zot", resp.Status, len(part))
			}
			if got, err := z.Registry().Pull("team/redirect:1", c.People.Admin); err != nil {
				t.Errorf("client pull through the redirect: %s", tier.Describe(err))
			} else if want, _ := img.Digest(); got != want {
				t.Errorf("client pull: digest %s, want %s", got, want)
			}
		})
	}
}

// BenchmarkPull: a 64 MiB blob pulled through zot with and without
// storage.redirectPulls, each as a ratio to a raw S3 GET of the same blob
// on the same S3 server in the same run (1: as fast as the store itself).
//
//	cd tests/zot && go test -run '^$' -bench Pull -benchtime 3x
func BenchmarkPull(b *testing.B) {
	const size = 64 << 20
	var base *rendered
	for _, r := range renders {
		if redirects(r.Config) && !dynamoDB(r.Config) {
			base = r
			break
		}
	}
	if base == nil {
		b.Fatal("no variant with redirectBlobURL")
	}
	layer, err := random.Layer(size, types.DockerLayer)
	if err != nil {
		b.Fatal(err)
	}
	d, _ := layer.Digest()
	blobSize, _ := layer.Size() // the compressed blob: a little over size
	for _, redirect := range []bool{false, true} {
		b.Run(fmt.Sprintf("redirectPulls=%v", redirect), func(b *testing.B) {
			c := setUp(b, base, func(cfg map[string]any) { obj(cfg, "storage")["redirectBlobURL"] = redirect })
			z := c.Zots[0]
			if err := z.Registry().Push("bench/pull:1", imageOf(b, layer), c.People.Admin); err != nil {
				b.Fatalf("push: %s", tier.Describe(err))
			}
			// The blob's own key in the bucket: the raw GET reads the same object.
			var key string
			for _, k := range c.S3.Keys(b, c.Bucket, c.Prefix) {
				if strings.HasSuffix(k, "/blobs/sha256/"+d.Hex) {
					key = "/" + c.Bucket + "/" + k
				}
			}
			if key == "" {
				b.Fatal("the blob is not in the bucket")
			}
			url := z.URL() + "/v2/bench/pull/blobs/" + d.String()
			var raw, through time.Duration
			for b.Loop() {
				t0 := time.Now()
				c.S3.Get(b, key)
				t1 := time.Now()
				var n counter
				fromStore := pullBlob(b, url, c.People.Admin, &n)
				t2 := time.Now()
				if int64(n) != blobSize || fromStore != redirect {
					b.Fatalf("pulled %d bytes (from the store: %v)", n, fromStore)
				}
				raw, through = raw+t1.Sub(t0), through+t2.Sub(t1)
			}
			b.ReportMetric(float64(through)/float64(raw), "pull/s3get")
			b.ReportMetric(float64(blobSize)/(1<<20)*float64(b.N)/through.Seconds(), "pull-MiB/s")
		})
	}
}

// counter counts what is written to it and keeps nothing, like the raw
// GET's io.Discard.
type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }
