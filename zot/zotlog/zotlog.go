// Package zotlog reads zot's own log: the line that says why zot stopped,
// for an error a user can act on (the rollout watch quotes it when zot
// exits at start).
package zotlog

import (
	"encoding/json"
	"strings"
)

// LastError is what zot's log says last about a failure: the message and
// error of the last line at level error, fatal or panic (zot logs JSON,
// pkg/log), else the Go runtime's own "panic: …" line, else the last line.
func LastError(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	var panicLine string
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		var entry struct {
			Level   string `json:"level"`
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil {
			switch entry.Level {
			case "error", "fatal", "panic":
				if entry.Error != "" {
					return entry.Message + ": " + entry.Error
				}
				return entry.Message
			}
			continue
		}
		if strings.HasPrefix(line, "panic: ") && panicLine == "" {
			panicLine = line
		}
	}
	if panicLine != "" {
		return panicLine
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// MemberNotResolved says whether zot exited because a scale-out member's
// name did not resolve (why is LastError's answer). zot v2.1.20 resolves
// every member up to its own at start and panics when one does not
// (pkg/api/controller.go, "failed to get member socket"); a new pod's own
// headless name resolves only once the cluster's DNS has published it, so
// the first starts of a member may exit this way until then. A wrong
// cluster domain makes it exit this way for good.
func MemberNotResolved(why string) bool {
	return strings.HasPrefix(why, memberSocketMessage) && strings.Contains(why, "no such host")
}

// memberSocketMessage is zot's message when a member's name does not resolve.
const memberSocketMessage = "failed to get member socket"
