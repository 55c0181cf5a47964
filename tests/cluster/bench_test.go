package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/zot-registry/zot-registry/internal/render"
)

// BenchmarkFigures reports what a platform team waits for on the tier's
// node, each as a ratio to a baseline measured in the same run (a
// `pulumi up` of a program with no resource through the same CLI: the
// engine's own cost): the first up from an empty cluster to zot ready, an
// up with no change, a rolling update (a log level), and destroy. Run it
// once: -test.bench Figures -test.benchtime 1x (run.sh does).
func BenchmarkFigures(b *testing.B) {
	for range b.N {
		baseline := emptyUp(b)
		x := deploy(b, variant{name: "figures"})
		first := x.lastUp
		x.up(b, "up-again")
		noChange := x.lastUp
		x.reconfigure(b, render.Edit{Key: registryKey, Path: "logLevel", Value: "debug"})
		x.up(b, "up-rolling")
		rolling := x.lastUp
		begin := time.Now()
		x.destroy(b)
		destroyed := time.Since(begin)
		for _, f := range []struct {
			unit string
			d    time.Duration
		}{{"first-up/baseline", first}, {"no-change-up/baseline", noChange}, {"rolling-update/baseline", rolling}, {"destroy/baseline", destroyed}} {
			b.ReportMetric(f.d.Seconds()/baseline.Seconds(), f.unit)
		}
		b.ReportMetric(baseline.Seconds(), "baseline-s")
		b.Logf("baseline (empty program) %s; first up %s; no-change up %s; rolling update %s; destroy %s",
			baseline.Round(time.Millisecond), first.Round(time.Second), noChange.Round(time.Second), rolling.Round(time.Second), destroyed.Round(time.Second))
	}
}

// emptyUp is the baseline: pulumi up of a program that registers nothing.
func emptyUp(b *testing.B) time.Duration {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(work, "stacks", "baseline")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	ws, err := auto.NewLocalWorkspace(ctx,
		auto.Program(func(*pulumi.Context) error { return nil }),
		auto.Project(workspace.Project{Name: "baseline", Runtime: workspace.NewProjectRuntimeInfo("go", nil)}),
		auto.WorkDir(dir), auto.PulumiHome(penv.home), auto.EnvVars(penv.vars()), auto.Pulumi(penv.cmd))
	if err != nil {
		b.Fatal(err)
	}
	st, err := auto.UpsertStack(ctx, "baseline", ws)
	if err != nil {
		b.Fatal(err)
	}
	begin := time.Now()
	if _, err := st.Up(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(begin)
}
