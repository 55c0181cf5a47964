// Package zot is the zot tier: every config.json the program generates is
// run in the real zot v2.1.20, next to a real S3 server (versitygw), a real
// OpenID provider (dex) and a real Redis, all on 127.0.0.1, and checked for
// what users rely on (docs/development.md, "Zot tier").
package zot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// Binaries the tier runs, from the environment (or PATH), with what to do
// when one is missing.
type binaries struct {
	Zot, Dex, S3, Redis, RedisCLI string
}

var binHelp = map[string]string{
	"ZOT_BIN":       "zot v2.1.20: `../shared/bin/unpack DIR` then ZOT_BIN=DIR/zot (.ci/run does this), or the release asset zot-linux-amd64 of v2.1.20 checked against its published checksum",
	"DEX_BIN":       "dex v2.45.1: `../shared/bin/unpack DIR` then DEX_BIN=DIR/dex, or dex's release build",
	"VERSITYGW_BIN": "an S3 server: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (then it is in $(go env GOPATH)/bin)",
	"REDIS_SERVER":  "Redis: apt-get install redis-server (redis-server and redis-cli on PATH)",
}

func findBin(env, name string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v; %s", env, p, err, binHelp[env])
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s is not set and %s is not on PATH; %s", env, name, binHelp[env])
}

var (
	binsOnce sync.Once
	bins     binaries
	binsErr  error
)

// needBins returns the tier's binaries, or fails the test saying which one
// is missing and how to get it. The tier never skips silently: run it only
// where it can run (.ci/run sets everything up).
func needBins(t testing.TB) binaries {
	t.Helper()
	binsOnce.Do(func() {
		var errs []error
		get := func(env, name string) string {
			p, err := findBin(env, name)
			errs = append(errs, err)
			return p
		}
		bins = binaries{
			Zot: get("ZOT_BIN", "zot"), Dex: get("DEX_BIN", "dex"),
			S3: get("VERSITYGW_BIN", "versitygw"), Redis: get("REDIS_SERVER", "redis-server"),
		}
		if bins.Redis != "" {
			bins.RedisCLI = filepath.Join(filepath.Dir(bins.Redis), "redis-cli")
		}
		binsErr = errors.Join(errs...)
	})
	if binsErr != nil {
		t.Fatalf("zot tier: missing binaries:\n%v", binsErr)
	}
	return bins
}

// proc is a server process of the tier; its output goes to a log file that
// a failing test prints.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// hostEnv is this machine's environment less AWS_CA_BUNDLE: the AWS SDK
// in zot's S3 driver trusts that file alone when it is set, which would
// hide registry.caBundle's SSL_CERT_DIR; a pod has no such variable.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	return env
}

// start runs bin with args; the process dies with the test binary
// (Pdeathsig) and is stopped at the end of the test.
func start(t testing.TB, name, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(hostEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- %s log (%s), last lines:\n%s", name, logPath, tier.Tail(logPath, 15))
		}
	})
	return p
}

// stop ends the process (SIGTERM, then SIGKILL after 10 s) and waits.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP polls url until it answers want (or any status when want is 0),
// the process exits, or the timeout passes.
func waitHTTP(t testing.TB, p *proc, url string, want int, timeout time.Duration) time.Duration {
	t.Helper()
	return waitHTTPVia(t, p, http.DefaultTransport, url, want, timeout)
}

// waitHTTPVia is waitHTTP through transport (one that trusts a test CA).
func waitHTTPVia(t testing.TB, p *proc, transport http.RoundTripper, url string, want int, timeout time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	client := &http.Client{Timeout: 2 * time.Second, Transport: transport}
	for {
		if p != nil && p.exited() {
			t.Fatalf("%s exited before %s answered (%v); its log:\n%s", p.name, url, p.err, tier.Tail(p.log, 40))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				cancel()
				return time.Since(begin)
			}
		}
		cancel()
		if time.Since(begin) > timeout {
			t.Fatalf("%s did not answer %d within %v (last: %v)", url, want, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
