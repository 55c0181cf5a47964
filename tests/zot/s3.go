package zot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// S3 credentials of the tier's S3 server (test values).
const (
	s3Access = "zot-tier-access"
	s3Secret = "zot-tier-secret-0123456789"
)

// s3Server is versitygw on a posix folder (a bucket is a folder), behind a
// counting proxy on 127.0.0.1 so a test can count zot's S3 requests.
type s3Server struct {
	Dir      string // versitygw's posix root: <Dir>/<bucket>/<key>
	Endpoint string // the proxy, what zot's regionendpoint becomes
	Region   string
	backend  string

	mu       sync.Mutex
	counting bool
	requests map[string]int // "METHOD kind" -> count
	total    int
}

// region is the variant's: SigV4 signs it and versitygw checks it. With
// versioned, versitygw keeps object versions (posix --versioning-dir).
// With ca, the proxy zot reaches serves TLS with a certificate from it.
func startS3(t testing.TB, b binaries, dir, region string, versioned bool, ca *testCA) *s3Server {
	t.Helper()
	root := filepath.Join(dir, "s3")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	posix := []string{"posix"}
	if versioned {
		versions := filepath.Join(dir, "s3-versions")
		if err := os.MkdirAll(versions, 0o755); err != nil {
			t.Fatal(err)
		}
		posix = append(posix, "--versioning-dir", versions)
	}
	port := tier.FreePort(t)
	p := start(t, "versitygw", dir, nil, b.S3, append([]string{
		"--access", s3Access, "--secret", s3Secret, "--region", region, "--port", fmt.Sprintf("127.0.0.1:%d", port)}, append(posix, root)...)...)
	s := &s3Server{Dir: root, Region: region, backend: fmt.Sprintf("http://127.0.0.1:%d", port), requests: map[string]int{}}
	waitHTTP(t, p, s.backend+"/", 0, 30*time.Second)

	target, _ := url.Parse(s.backend)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Director = func(r *http.Request) { // keep Host: it is signed (SigV4)
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r)
		rp.ServeHTTP(w, r)
	})
	if ca != nil {
		cert, _, _ := ca.serverCert(t, dir, "s3")
		s.Endpoint = serveTLS(t, h, cert)
		return s
	}
	s.Endpoint = serve(t, h)
	return s
}

// count records a request by method and kind (list, object, bucket).
func (s *s3Server) count(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.counting {
		return
	}
	kind := "object"
	q := r.URL.Query()
	switch {
	case q.Has("list-type") || (strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 && r.Method == http.MethodGet):
		kind = "list"
	case q.Has("uploads") || q.Has("uploadId"):
		kind = "multipart"
	}
	s.requests[r.Method+" "+kind]++
	s.total++
}

// Count starts counting from zero; Counted stops and returns the counts.
func (s *s3Server) Count() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counting, s.requests, s.total = true, map[string]int{}, 0
}

func (s *s3Server) Counted() (int, map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counting = false
	return s.total, s.requests
}

// Bucket makes a bucket (versitygw posix: a folder) and returns its folder.
func (s *s3Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	s.do(t, http.MethodPut, "/"+name, nil).Body.Close()
	return filepath.Join(s.Dir, name)
}

// Keys lists every object key under prefix in the bucket's folder.
func (s *s3Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	root := filepath.Join(s.Dir, bucket)
	var keys []string
	_ = filepath.Walk(filepath.Join(root, filepath.FromSlash(prefix)), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(keys)
	return keys
}

// Put and Get are raw S3 requests (SigV4), the baseline of the benchmarks.
func (s *s3Server) Put(t testing.TB, path string, body []byte) {
	t.Helper()
	s.do(t, http.MethodPut, path, body).Body.Close()
}

func (s *s3Server) Get(t testing.TB, path string) int64 {
	t.Helper()
	resp := s.do(t, http.MethodGet, path, nil)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return n
}

// do sends a signed request to the backend and fails the test unless it is
// answered 200; the caller closes the body.
func (s *s3Server) do(t testing.TB, method, path string, body []byte) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(s.signed(t, method, path, body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	return resp
}

// signed is a request to the backend signed with AWS Signature Version 4
// (unsigned payload).
func (s *s3Server) signed(t testing.TB, method, path string, body []byte) *http.Request {
	t.Helper()
	return s.signedWith(t, method, path, body, nil)
}

// signedWith signs extra x-amz-* headers too (lowercase names), as S3
// requires of every x-amz header a request carries. path may hold a
// query already in canonical form (sorted, encoded, "k=" for a flag).
func (s *s3Server) signedWith(t testing.TB, method, path string, body []byte, amz map[string]string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, s.backend+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = int64(len(body))
	}
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	const payload = "UNSIGNED-PAYLOAD"
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", payload)
	headers := map[string]string{"host": req.URL.Host, "x-amz-content-sha256": payload, "x-amz-date": amzDate}
	for k, v := range amz {
		req.Header.Set(k, v)
		headers[k] = v
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var lines []string
	for _, k := range names {
		lines = append(lines, k+":"+headers[k])
	}
	signedHeaders := strings.Join(names, ";")
	canonical := strings.Join([]string{method, req.URL.EscapedPath(), req.URL.RawQuery,
		strings.Join(lines, "\n"), "", signedHeaders, payload}, "\n")
	scope := day + "/" + s.Region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + s3Secret)
	for _, part := range []string{day, s.Region, "s3", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", s3Access, scope, signedHeaders, sig))
	return req
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
