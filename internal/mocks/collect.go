package mocks

import (
	"errors"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Collected holds named outputs resolved during a mocked run. Outputs made
// from plain values belong to no resource, so pulumi.RunErr does not wait
// for them: Collect gathers them all in one apply, and Wait blocks on it.
type Collected struct {
	named  map[string]pulumi.Output
	mu     sync.Mutex
	values map[string]any
	done   chan struct{}
}

// Collect starts resolving named outputs; call it inside the program.
func Collect(named map[string]pulumi.Output) *Collected {
	c := &Collected{named: named, values: map[string]any{}, done: make(chan struct{})}
	keys := make([]string, 0, len(named))
	all := make([]any, 0, len(named))
	for k, o := range named {
		keys = append(keys, k)
		all = append(all, o)
	}
	pulumi.All(all...).ApplyT(func(vs []any) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, v := range vs {
			c.values[keys[i]] = v
		}
		close(c.done)
		return nil
	})
	return c
}

// Wait returns the resolved values and which outputs are secret; call it
// after the run returned without error.
func (c *Collected) Wait() (values map[string]any, secret map[string]bool, err error) {
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		return nil, nil, errors.New("mocks: outputs did not resolve")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	secret = map[string]bool{}
	for k, o := range c.named {
		secret[k] = pulumi.IsSecret(o) // resolved by now: does not wait
	}
	values = make(map[string]any, len(c.values))
	for k, v := range c.values {
		values[k] = v
	}
	return values, secret, nil
}
