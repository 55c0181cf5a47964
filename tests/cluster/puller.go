package cluster

import (
	"sync"
	"time"

	"github.com/zot-registry/zot-registry/tests/tier"
)

// puller pulls one image in a loop, as a cluster's nodes and CI do while
// the registry changes, and counts what failed. Bounded: at most maxPulls,
// every interval, until stopped.
type puller struct {
	reg      tier.Registry
	repoTag  string
	user     tier.User
	interval time.Duration

	mu       sync.Mutex
	ok, fail int
	lastErr  string
	errs     []string // the first 50 failures of the current count, with their time
	stop     chan struct{}
	done     chan struct{}
}

// maxPulls bounds one puller.
const maxPulls = 5000

func startPuller(reg tier.Registry, repoTag string, u tier.User) *puller {
	reg.Timeout = 30 * time.Second
	p := &puller{reg: reg, repoTag: repoTag, user: u, interval: 200 * time.Millisecond,
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *puller) run() {
	defer close(p.done)
	for range maxPulls {
		_, err := p.reg.Pull(p.repoTag, p.user)
		p.mu.Lock()
		if err != nil {
			p.fail++
			p.lastErr = tier.Describe(err)
			if len(p.errs) < 50 {
				p.errs = append(p.errs, time.Now().Format("15:04:05.000")+" "+p.lastErr)
			}
		} else {
			p.ok++
		}
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-time.After(p.interval):
		}
	}
}

// counts are the pulls so far: succeeded, failed, the last error and the
// first 50 with their time.
type counts struct {
	OK, Failed int
	LastError  string
	Errors     []string
}

// Reset starts counting from zero.
func (p *puller) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ok, p.fail, p.lastErr, p.errs = 0, 0, "", nil
}

// Counts reads the counts.
func (p *puller) Counts() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return counts{OK: p.ok, Failed: p.fail, LastError: p.lastErr, Errors: append([]string{}, p.errs...)}
}

// Stop ends the loop and returns the counts.
func (p *puller) Stop() counts {
	close(p.stop)
	<-p.done
	return p.Counts()
}
