package zot

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// listVersionsResult is S3's ListObjectVersions answer (ListVersionsResult).
type listVersionsResult struct {
	Versions []struct {
		Key          string    `xml:"Key"`
		VersionID    string    `xml:"VersionId"`
		IsLatest     bool      `xml:"IsLatest"`
		LastModified time.Time `xml:"LastModified"`
	} `xml:"Version"`
	DeleteMarkers []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
		IsLatest  bool   `xml:"IsLatest"`
	} `xml:"DeleteMarker"`
}

// s3Call sends one signed request to the store and returns its status and
// body.
func (s *s3Server) s3Call(t testing.TB, method, path string, body []byte, amz map[string]string) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(s.signedWith(t, method, path, body, amz))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// versions lists every version and delete marker under prefix.
func (s *s3Server) versions(t testing.TB, bucket, prefix string) listVersionsResult {
	t.Helper()
	code, body := s.s3Call(t, http.MethodGet, "/"+bucket+"?prefix="+url.QueryEscape(prefix)+"&versions=", nil, nil)
	if code != http.StatusOK {
		t.Fatalf("ListObjectVersions %s: %d %s", prefix, code, body)
	}
	var out listVersionsResult
	if err := xml.Unmarshal(body, &out); err != nil {
		t.Fatalf("ListObjectVersions: %v: %s", err, body)
	}
	return out
}

// TestRestoreDrill runs docs/operations.md's "Undoing a delete" on a
// versioned store: a manifest deleted by mistake and the blobs GC then
// removed come back with the drill's S3 calls (delete the delete markers,
// copy the old index.json back), and after a restart with fastRestart off
// zot serves the image again, byte for byte. The prod fixture runs it: its
// storage.versioning is on. The store is versitygw with versioning
// (posix --versioning-dir); AWS S3's versioning is not reachable here.
func TestRestoreDrill(t *testing.T) {
	r := named(t, "prod")
	fastRestart := func(on bool) func(map[string]any) {
		return func(cfg map[string]any) {
			shortTimers(cfg)
			obj(cfg, "storage")["fastRestart"] = on
		}
	}
	c := setUpStore(t, r, fastRestart(true), true)
	z := c.Zots[0]
	admin := c.People.Admin
	if code, body := c.S3.s3Call(t, http.MethodPut, "/"+c.Bucket+"?versioning=",
		[]byte(`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`), nil); code != http.StatusOK {
		t.Fatalf("PutBucketVersioning: %d %s", code, body)
	}

	const repo = "team/app"
	keep, lost := dockerImage(t, 2048), dockerImage(t, 3072)
	for tag, img := range map[string]v1.Image{"keep": keep, "lost": lost} {
		if err := z.Registry().Push(repo+":"+tag, img, admin); err != nil {
			t.Fatalf("push %s: %s", tag, tier.Describe(err))
		}
	}
	want, _ := lost.Digest()
	layers, _ := lost.Layers()
	layer, _ := layers[0].Digest()

	// The mistake: the manifest is deleted, and GC then removes its blobs.
	if code, body := status(t, http.MethodDelete, z.URL()+"/v2/"+repo+"/manifests/"+want.String(), admin, nil); code != http.StatusAccepted {
		t.Fatalf("DELETE the manifest: %d %s", code, body)
	}
	// The blob's key as zot wrote it (zot's storage root sits under the
	// S3 driver's rootdirectory); the repository's folder holds it.
	var blob string
	for _, k := range c.S3.Keys(t, c.Bucket, c.Prefix) {
		if strings.HasSuffix(k, "/"+repo+"/blobs/sha256/"+layer.Hex) {
			blob = k
		}
	}
	if blob == "" {
		t.Fatalf("the pushed layer %s is not in the store: %v", layer, c.S3.Keys(t, c.Bucket, c.Prefix))
	}
	prefix := strings.TrimSuffix(blob, "blobs/sha256/"+layer.Hex)
	// Through S3 (HEAD), not the store's folder: a versioned delete keeps
	// the data and adds a delete marker.
	current := func() bool {
		code, _ := c.S3.s3Call(t, http.MethodHead, "/"+c.Bucket+"/"+blob, nil, nil)
		return code == http.StatusOK
	}
	if !current() {
		t.Fatalf("HEAD %s: not found, though zot wrote it", blob)
	}
	waitFor(t, 2*time.Minute, "GC to delete the lost image's layer", func() bool { return !current() })
	if _, err := z.Registry().Pull(repo+":lost", admin); err == nil {
		t.Fatal("the deleted image still pulls: the mistake did not happen")
	}

	// The drill, step 1: what changed under the repository.
	v := c.S3.versions(t, c.Bucket, prefix)
	if len(v.DeleteMarkers) == 0 {
		t.Fatalf("no delete marker under %s: the store does not keep versions; versions: %+v", prefix, v.Versions)
	}
	// Step 2: delete each current delete marker; the version before it is
	// current again.
	restored := 0
	for _, m := range v.DeleteMarkers {
		if !m.IsLatest {
			continue
		}
		if code, body := c.S3.s3Call(t, http.MethodDelete, "/"+c.Bucket+"/"+m.Key+"?versionId="+url.QueryEscape(m.VersionID), nil, nil); code != http.StatusNoContent && code != http.StatusOK {
			t.Fatalf("delete the delete marker of %s: %d %s", m.Key, code, body)
		}
		restored++
	}
	// Step 3: the index from before the mistake: the newest noncurrent
	// version that still names the lost manifest.
	index := prefix + "index.json"
	var from string
	var newest time.Time
	for _, ver := range c.S3.versions(t, c.Bucket, index).Versions {
		if ver.Key != index || ver.IsLatest {
			continue
		}
		code, body := c.S3.s3Call(t, http.MethodGet, "/"+c.Bucket+"/"+index+"?versionId="+url.QueryEscape(ver.VersionID), nil, nil)
		if code == http.StatusOK && strings.Contains(string(body), want.String()) && ver.LastModified.After(newest) {
			from, newest = ver.VersionID, ver.LastModified
		}
	}
	if from == "" {
		t.Fatalf("no old version of %s names %s", index, want)
	}
	if code, body := c.S3.s3Call(t, http.MethodPut, "/"+c.Bucket+"/"+index, nil,
		map[string]string{"x-amz-copy-source": "/" + c.Bucket + "/" + index + "?versionId=" + from}); code != http.StatusOK {
		t.Fatalf("copy %s?versionId=%s back: %d %s", index, from, code, body)
	}
	if !current() {
		t.Fatalf("the layer %s is not back after deleting %d delete markers", layer, restored)
	}

	// Step 4: restart with fastRestart off, so zot walks the bucket and
	// rebuilds its metadata; then the image pulls, byte for byte.
	z.Stop()
	cfg := z.Config
	fastRestart(false)(cfg)
	if err := os.WriteFile(z.File, mustJSON(t, cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	z.Start()
	got, err := z.Registry().Pull(repo+":lost", admin)
	if err != nil || got != want {
		t.Fatalf("after the drill: pull %s:lost: %s, digest %s want %s", repo, tier.Describe(err), got, want)
	}
	if got, err := z.Registry().Pull(repo+":keep", admin); err != nil {
		t.Errorf("after the drill the kept image does not pull: %s", tier.Describe(err))
	} else if d, _ := keep.Digest(); got != d {
		t.Errorf("after the drill the kept image is %s, want %s", got, d)
	}
	t.Logf("restored %s:lost from %d delete markers and %s?versionId=%s", repo, restored, index, from)
}
