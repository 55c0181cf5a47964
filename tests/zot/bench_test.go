package zot

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// BenchmarkTransfer: push and pull of one 64 MiB layer through each
// generated config that runs here, each reported as a ratio to a raw S3
// PUT and GET of the same bytes on the same S3 server in the same run
// (push/s3put, pull/s3get: 1 would be as fast as the store itself).
//
//	cd tests/zot && go test -run '^$' -bench Transfer -benchtime 3x
func BenchmarkTransfer(b *testing.B) {
	const size = 64 << 20
	layer, err := random.Layer(size, types.DockerLayer)
	if err != nil {
		b.Fatal(err)
	}
	rc, _ := layer.Compressed()
	raw, _ := io.ReadAll(rc)
	rc.Close()
	for _, r := range renders {
		if dynamoDB(r.Config) {
			continue // does not run here
		}
		b.Run(r.Name, func(b *testing.B) {
			c := setUp(b, r, nil)
			z := c.Zots[0]
			img := imageOf(b, layer)
			var rawPut, rawGet, zPush, zPull time.Duration
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("/%s/raw/%d", c.Bucket, i)
				t0 := time.Now()
				c.S3.Put(b, key, raw)
				t1 := time.Now()
				c.S3.Get(b, key)
				t2 := time.Now()
				repo := fmt.Sprintf("bench/blob-%d:1", i) // a new repository: no blob to skip
				if err := z.Registry().Push(repo, img, c.People.Admin); err != nil {
					b.Fatalf("push: %s", tier.Describe(err))
				}
				t3 := time.Now()
				if _, err := z.Registry().Pull(repo, c.People.Admin); err != nil {
					b.Fatalf("pull: %s", tier.Describe(err))
				}
				t4 := time.Now()
				rawPut, rawGet, zPush, zPull = rawPut+t1.Sub(t0), rawGet+t2.Sub(t1), zPush+t3.Sub(t2), zPull+t4.Sub(t3)
			}
			b.ReportMetric(float64(zPush)/float64(rawPut), "push/s3put")
			b.ReportMetric(float64(zPull)/float64(rawGet), "pull/s3get")
			mb := float64(size) / (1 << 20) * float64(b.N)
			b.ReportMetric(mb/zPush.Seconds(), "push-MiB/s")
			b.ReportMetric(mb/zPull.Seconds(), "pull-MiB/s")
		})
	}
}

// BenchmarkStartup: zot's time from start to /startupz with 0, 100 and
// 1,000 repositories in the bucket and an empty metadata DB (a new pod on
// an emptyDir), as a ratio to the start with none measured in the same
// run, and the S3 requests the walk makes.
//
//	cd tests/zot && go test -run '^$' -bench Startup -benchtime 3x
func BenchmarkStartup(b *testing.B) {
	var baseline time.Duration
	for _, n := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("repos-%d", n), func(b *testing.B) {
			c := setUp(b, named(b, "dev"), nil)
			if n > 0 {
				c.seedRepositories(b, n)
			} else {
				c.restartMeasured(b, true) // nothing but an empty bucket
			}
			c.restartMeasured(b, true)
			var took time.Duration
			var requests int
			for b.Loop() {
				d, r, _ := c.restartMeasured(b, true)
				took, requests = took+d, requests+r
			}
			per := took / time.Duration(b.N)
			if n == 0 {
				baseline = per
			}
			b.ReportMetric(float64(per.Milliseconds()), "ms/start")
			b.ReportMetric(float64(requests)/float64(b.N), "s3-requests/start")
			if baseline > 0 {
				b.ReportMetric(float64(per)/float64(baseline), "x-empty")
			}
		})
	}
}
