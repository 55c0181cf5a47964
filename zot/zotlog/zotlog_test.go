package zotlog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/zot-registry/zot-registry/zot/zotlog"
)

func TestLastError(t *testing.T) {
	for name, c := range map[string]struct{ log, want string }{
		// zot v2.1.20 with an issuer it cannot reach (the cluster tier's
		// broken start): the error line, then the Go panic it raises.
		"error then panic": {
			log: `{"time":"2026-12-07T00:32:52Z","level":"info","message":"loaded htpasswd file"}
{"time":"2026-12-07T00:32:52Z","level":"error","message":"failed to initialize new relying party oidc","error":"Get \"https://auth/.well-known/openid-configuration\": dial tcp: connection refused"}
panic: failed to initialize new relying party oidc

goroutine 1 [running]:
main.main()`,
			want: `failed to initialize new relying party oidc: Get "https://auth/.well-known/openid-configuration": dial tcp: connection refused`,
		},
		"panic only":  {log: "starting\npanic: runtime error: index out of range\n\ngoroutine 1", want: "panic: runtime error: index out of range"},
		"fatal level": {log: `{"level":"fatal","message":"failed to load config"}`, want: "failed to load config"},
		"plain":       {log: "line one\nlast words\n", want: "last words"},
		"info only":   {log: `{"level":"info","message":"ok"}`, want: `{"level":"info","message":"ok"}`},
	} {
		assert.Equal(t, c.want, zotlog.LastError(c.log), name)
	}
}

// TestMemberNotResolved: the exit of a scale-out member whose name the
// cluster's DNS has not published yet, as zot v2.1.20 logs it on a node,
// and not other exits.
func TestMemberNotResolved(t *testing.T) {
	for _, c := range []struct {
		log  string
		want bool
	}{
		{`{"level":"error","message":"failed to get member socket","error":"lookup zot-0.zot-headless.zot.svc.zot-cluster.internal on 198.18.0.1:53: no such host"}
panic: failed to get member socket`, true},
		{`{"level":"error","message":"failed to get member socket","error":"dial udp 198.18.0.1:53: connect: network is unreachable"}`, false},
		{`{"level":"panic","message":"failed to initialize new relying party oidc","error":"OpenID Provider Configuration Discovery has failed"}`, false},
		{`panic: failed to determine the local cluster socket`, false},
	} {
		assert.Equal(t, c.want, zotlog.MemberNotResolved(zotlog.LastError(c.log)), c.log)
	}
}
