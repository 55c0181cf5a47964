package zot

import (
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// seedRepositories makes n repositories in the bucket by copying one pushed
// repository's objects on the S3 server's disk (versitygw posix keeps an
// object as a file, its metadata in xattrs: cp -a keeps both), so a large
// registry costs seconds to set up instead of n pushes.
func (c *cluster) seedRepositories(t testing.TB, n int) {
	t.Helper()
	z := c.Zots[0]
	if err := z.Registry().Push("seed/template:1", dockerImage(t, 512), c.People.Admin); err != nil {
		t.Fatalf("push template: %s", tier.Describe(err))
	}
	// zot keeps the key prefix twice on S3 (pkg/storage/storage.go RootDir).
	base := filepath.Join(c.S3.Dir, c.Bucket, filepath.FromSlash(c.storeRoot()))
	template := filepath.Join(base, "seed", "template")
	for i := 0; i < n; i++ {
		dst := filepath.Join(base, "seed", fmt.Sprintf("repo-%04d", i))
		if out, err := exec.Command("cp", "-a", template, dst).CombinedOutput(); err != nil {
			t.Fatalf("seed %s: %v %s", dst, err, out)
		}
	}
}

// storeRoot is where zot keeps repositories in the bucket.
func (c *cluster) storeRoot() string {
	if c.Prefix == "" {
		return ""
	}
	return path.Join(c.Prefix, c.Prefix)
}

// restartMeasured restarts the first member, optionally with an empty
// rootDirectory, and returns the time to /startupz and the S3 requests
// zot made until then.
func (c *cluster) restartMeasured(t testing.TB, emptyRoot bool) (time.Duration, int, map[string]int) {
	t.Helper()
	z := c.Zots[0]
	z.Stop()
	if emptyRoot {
		z.emptyRoot(t)
	}
	c.S3.Count()
	took := z.Start()
	n, by := c.S3.Counted()
	return took, n, by
}

// withFastRestart sets zot's storage.fastRestart in a config.
func withFastRestart(on bool) func(map[string]any) {
	return func(cfg map[string]any) { obj(cfg, "storage")["fastRestart"] = on }
}
