package tier

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
)

// Tail is the last n lines of a log file, each cut at 400 characters (zot
// logs JSON lines of any length), for a failure message.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 400 {
			lines[i] = l[:400] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

// Ports FreePort hands out come from below Linux's ephemeral range
// (32768-60999 by default): a port the kernel gave for :0 and the tier
// released could be taken by an outgoing connection (zot's sync retries
// make many) before the server binds it, which a cold CI run saw once as
// "bind: address already in use". Each port is handed out once per run.
const (
	firstPort = 20000
	portCount = 12000
)

var (
	portMu    sync.Mutex
	handedOut = map[int]bool{}
	nextPort  = os.Getpid() % portCount
)

// FreePort is a TCP port on 127.0.0.1 nobody listens on right now and
// nothing in this run was given before.
func FreePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range portCount {
		p := firstPort + nextPort
		nextPort = (nextPort + 1) % portCount
		if handedOut[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		handedOut[p] = true
		return p
	}
	t.Fatalf("no free port in %d-%d", firstPort, firstPort+portCount-1)
	return 0
}
