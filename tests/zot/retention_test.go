package zot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// shortTimers is the tier's one rewrite of the GC settings: a pass every
// few seconds, no delay, no time window (gcTimeWindow would hold the pass
// until night). Retention runs inside the GC pass.
func shortTimers(cfg map[string]any) {
	s := obj(cfg, "storage")
	s["gcDelay"], s["gcInterval"] = "1s", "15s"
	delete(s, "gcTimeWindow")
	obj(cfg, "log")["level"] = "debug" // the GC pass is logged at info and debug
	if r, ok := s["retention"].(map[string]any); ok {
		r["delay"] = "1s"
	}
}

// TestRetentionKeepsWhatTheDocsPromise: for each retention policy in a
// render, zot after a GC pass keeps what docs/operations.md promises: with
// keepTags {mostRecentlyPushedCount: 10, pulledWithin: 720h} and 12 tags
// pushed now, every tag stays (pulledWithin also keeps any tag pushed
// within the window, pkg/retention/rules.go DaysPull), the oldest pulled one
// too; an untagged manifest pushed now stays (keepUntagged pushedWithin).
// Before the fix prod's two entries [{mostRecentlyPushedCount: 10},
// {pulledWithin: 720h}] made zot delete the two oldest tags: zot uses the
// first keepTags entry that matches a tag (pkg/retention/retention.go
// getTagPolicy).
func TestRetentionKeepsWhatTheDocsPromise(t *testing.T) {
	b := needBins(t)
	ran := 0
	checked := map[string]bool{}
	for _, r := range renders {
		// The promise is that of a policy for every repository; a mirror's
		// own policy (TestMirrorRetention) says nothing of team/retained,
		// where zot's defaults apply (pkg/retention/retention.go
		// HasDeleteUntagged: untagged manifests go).
		if !slices.ContainsFunc(retentionPolicies(r.Config), func(p map[string]any) bool { return slices.Contains(strs(p["repositories"]), "**") }) {
			continue
		}
		// An example whose retention is a fixture's (example-prod and prod)
		// makes the same promise: checked once.
		key := string(mustJSON(t, getPath(r.Config, "storage", "retention")))
		if checked[key] {
			continue
		}
		checked[key] = true
		ran++
		t.Run(r.Name, func(t *testing.T) {
			_ = b
			c := setUp(t, r, shortTimers)
			z := c.Zots[0]
			const repo = "team/retained"
			const n = 12
			for i := 1; i <= n; i++ {
				if err := z.Registry().Push(fmt.Sprintf("%s:v%d", repo, i), dockerImage(t, 256), c.People.Admin); err != nil {
					t.Fatalf("push v%d: %s", i, tier.Describe(err))
				}
				time.Sleep(20 * time.Millisecond) // distinct push times
			}
			untagged := dockerImage(t, 256)
			d, _ := untagged.Digest()
			if err := z.Registry().Push(repo+"@"+d.String(), untagged, c.People.Admin); err != nil {
				t.Fatalf("push untagged: %s", tier.Describe(err))
			}
			if _, err := z.Registry().Pull(repo+":v1", c.People.Admin); err != nil {
				t.Fatalf("pull v1: %s", tier.Describe(err))
			}
			passes := gcPasses(z.Log())
			waitFor(t, 90*time.Second, "two GC passes after the pushes", func() bool { return gcPasses(z.Log()) >= passes+2 })

			got, err := z.Registry().Tags(repo, c.People.Admin)
			if err != nil {
				t.Fatalf("tags: %s", tier.Describe(err))
			}
			var missing []string
			for i := 1; i <= n; i++ {
				if !slices.Contains(got, fmt.Sprintf("v%d", i)) {
					missing = append(missing, fmt.Sprintf("v%d", i))
				}
			}
			if len(missing) > 0 {
				t.Errorf("retention deleted %v (pushed and pulled seconds ago) after a GC pass; docs promise the 10 most recent and anything pulled within 30 days; left: %v", missing, got)
			}
			if code, _ := status(t, http.MethodHead, z.URL()+"/v2/"+repo+"/manifests/"+d.String(), c.People.Admin, nil); code != 200 {
				t.Errorf("untagged manifest pushed seconds ago: HEAD %d after GC, keepUntagged pushedWithin keeps it", code)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no render has a retention policy; prod's should")
	}
}

// gcPasses counts the GC task runs zot has logged.
func gcPasses(log string) int {
	return strings.Count(log, gcDoneMessage)
}

// gcDoneMessage is what zot v2.1.20 logs when a GC task ends.
const gcDoneMessage = "gc successfully completed"

func waitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
