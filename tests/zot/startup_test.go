package zot

import (
	"strings"
	"testing"
	"time"
)

// Sizing of registry.startupTimeout's default (docs/operations.md,
// "Start-up"): the registry it must cover, and the round trip of one S3
// request to a real store from the cluster (loopback here answers in well
// under a millisecond).
const (
	sizedRepositories = 10000
	realStoreLatency  = 20 * time.Millisecond
)

// TestStartupWalk measures zot's start-up walk of the bucket (pkg/api
// controller Init, MaybeParseStorage, before the listener opens): the S3
// requests per repository with an empty and with a kept metadata DB, and
// with storage.fastRestart on. It fails when the default startupTimeout
// would not cover a registry of sizedRepositories on a store answering in
// realStoreLatency, were the walk's requests made one after another (zot
// walks repositories one by one), or when fastRestart does not skip the walk.
func TestStartupWalk(t *testing.T) {
	const repos = 100
	r := named(t, "dev")
	c := setUp(t, r, withFastRestart(false))
	c.seedRepositories(t, repos)
	_, base, _ := c.restartMeasured(t, true) // the seeded repositories enter the metadata DB
	empty, cold, by := c.restartMeasured(t, true)
	warm, kept, _ := c.restartMeasured(t, false)
	perRepo := float64(cold) / float64(repos+1)
	t.Logf("start-up walk of %d repositories on loopback S3: empty rootDirectory %v, %d S3 requests (%.1f per repository: %v); metadata kept %v, %d requests (first start %d)",
		repos+1, empty.Round(time.Millisecond), cold, perRepo, by, warm.Round(time.Millisecond), kept, base)

	need := time.Duration(perRepo * sizedRepositories * float64(realStoreLatency))
	// What the kubelet allows: the startup probe the program renders for
	// dev with the default registry.startupTimeout.
	p := func(k string) time.Duration {
		n, _ := r.StartupProbe[k].(float64)
		return time.Duration(n) * time.Second
	}
	def := p("initialDelaySeconds") + p("periodSeconds")*time.Duration(p("failureThreshold")/time.Second)
	t.Logf("%d repositories × %.1f requests × %v = %v; dev's startup probe allows %v (%.1f× that)", sizedRepositories, perRepo, realStoreLatency, need.Round(time.Second), def, float64(def)/float64(need))
	if def < need*3/2 {
		t.Errorf("the default startup probe allows %v, not enough for %d repositories with headroom: the walk makes %.1f S3 requests per repository, at %v each that is %v; raise spec.DefaultStartupTimeout to at least %v",
			def, sizedRepositories, perRepo, realStoreLatency, need.Round(time.Second), (need * 3 / 2).Round(time.Minute))
	}

	// fastRestart: the walk is skipped while the binary and the storage
	// config are unchanged, judged by a stamp of the binary's version and
	// the storage config kept in the metadata DB (pkg/meta/parse.go
	// MaybeParseStorage, FastRestartStamp; pkg/meta/version/binary.go). A
	// build without version ldflags has no stamp and always walks.
	for _, z := range c.Zots {
		z.Stop()
	}
	fast := setUpAgain(t, c, withFastRestart(true))
	fast.restartMeasured(t, false) // the walk that writes the stamp
	tookFast, skipped, _ := fast.restartMeasured(t, false)
	log := fast.Zots[0].Log()
	switch {
	case strings.Contains(log, fastRestartSkipped):
		t.Logf("fastRestart: %d S3 requests at a restart (%v), %d with the walk", skipped, tookFast.Round(time.Millisecond), kept)
		if skipped*4 > kept {
			t.Errorf("fastRestart skipped the walk but the restart made %d S3 requests (the walk with kept metadata makes %d)", skipped, kept)
		}
	case strings.Contains(log, fastRestartNoStamp):
		t.Logf("fastRestart: this zot binary has no version stamp (built without the release ldflags), so zot walks anyway (%q); the release binary and image carry one", fastRestartNoStamp)
	default:
		t.Errorf("fastRestart on: zot logged neither %q nor %q; the key did not reach zot's start-up", fastRestartSkipped, fastRestartNoStamp)
	}
}

// What zot v2.1.20 logs at start with storage.fastRestart
// (pkg/meta/parse.go MaybeParseStorage).
const (
	fastRestartSkipped = "metaDB fast-restart stamp matches, skipping full storage parse"
	fastRestartNoStamp = "fast-restart enabled but no stamp is available; falling back to full parse"
)

// setUpAgain starts the variant's members again with another rewrite,
// keeping the S3 server, Redis, provider and each member's folder.
func setUpAgain(t *testing.T, c *cluster, rewrite func(map[string]any)) *cluster {
	t.Helper()
	again := *c
	again.Zots = nil
	for _, z := range c.Zots {
		l := z.local
		l.Rewrite = rewrite
		again.Zots = append(again.Zots, startZot(t, c.b, l, localize(t, c.r, l)))
	}
	return &again
}
