package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStartErrorQuotesTheRunThatExited: the error names what the zot that
// exited logged, not the run the kubelet started after it.
func TestStartErrorQuotesTheRunThatExited(t *testing.T) {
	const (
		exited  = "panic: runtime error: invalid memory address or nil pointer dereference"
		running = `{"level":"info","message":"gc successfully completed for /zot/app"}`
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("previous") == "true" {
			_, _ = w.Write([]byte(`{"level":"info","message":"starting"}` + "\n" + exited + "\n"))
			return
		}
		_, _ = w.Write([]byte(running + "\n"))
	}))
	defer api.Close()
	c := &cluster{host: api.URL, client: api.Client()}
	for _, tc := range []struct {
		name string
		f    failure
		want string
	}{
		// CrashLoopBackOff: the kubelet keeps the exited container as the current one.
		{"waiting to restart", failure{Pod: "zot-2", Problem: "zot exited", Exited: true}, running},
		// Started again: the exited one is the previous container.
		{"running again", failure{Pod: "zot-2", Problem: "zot exited", Exited: true, Running: true}, exited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := startError("zot", &tc.f, c.exitReason(context.Background(), "zot", &tc.f))
			assert.Contains(t, err.Error(), "zot's log ends with: ")
			if tc.want == exited {
				assert.Contains(t, err.Error(), exited)
			} else {
				assert.NotContains(t, err.Error(), exited)
			}
		})
	}
}
