package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// registry.mirrors: pull-through caches of other registries (zot's sync
// extension, on demand), and who may pull from them.

// Mirror is one upstream registry served under a local prefix:
// <externalUrl>/<prefix>/library/alpine pulls docker.io's library/alpine
// through zot, which keeps what it fetched.
type Mirror struct {
	Name string `json:"name" pulumi:"name"`
	// URL is the upstream's registry API, e.g. https://registry-1.docker.io.
	URL string `json:"url" pulumi:"url"`
	// Prefix is the local repository prefix: one or more path segments,
	// by convention the name images give the upstream (docker.io, ghcr.io).
	Prefix string `json:"prefix" pulumi:"prefix"`
	// Content are upstream repositories (globs, e.g. library/alpine) zot
	// also syncs every PollInterval, ahead of any pull.
	Content      []string `json:"content" pulumi:"content,optional"`
	PollInterval string   `json:"pollInterval" pulumi:"pollInterval,optional"`
	// TLSVerify checks the upstream's certificate (default true).
	TLSVerify *bool `json:"tlsVerify" pulumi:"tlsVerify,optional"`
	// Insecure allows an http:// URL (a registry on a trusted network).
	Insecure bool `json:"insecure" pulumi:"insecure,optional"`
	// Credentials are the upstream login (Docker Hub's pull limit is higher
	// for an account): two remote keys in secrets.store.
	Credentials *MirrorCredentials `json:"credentials,omitempty" pulumi:"credentials,optional"`
	// KeepPulledWithin makes the mirror a cache: at each GC pass zot
	// deletes its tags that nobody pulled (or synced) for that long.
	KeepPulledWithin string `json:"keepPulledWithin" pulumi:"keepPulledWithin,optional"`

	// Derived by Resolve; not config keys.
	Host         string        `json:"-"` // the upstream's host[:port]
	PollDuration time.Duration `json:"-"`
}

// MirrorCredentials name where a mirror's upstream login lives in the
// secret store, each a key or {key, property} as in secrets.remoteKeys.
type MirrorCredentials struct {
	Username RemoteKey `json:"username" pulumi:"username"`
	Password RemoteKey `json:"password" pulumi:"password"`
}

// HasCredentials reports whether any mirror logs in to its upstream.
func (r Registry) HasCredentials() bool {
	for _, m := range r.Mirrors {
		if m.Credentials != nil {
			return true
		}
	}
	return false
}

// validateMirrorCredentials checks the remote keys of the mirrors' logins.
func validateMirrorCredentials(cfg *Settings, c Collector) {
	for i, m := range cfg.Registry.Mirrors {
		if m.Credentials == nil {
			continue
		}
		if !cfg.Secrets.UsesESO() {
			c.Add(fmt.Sprintf("mirrors[%d].credentials", i), "names keys in a secret store, but secrets mode kubernetes reads none", "remove it (a public upstream needs no login), or use secrets mode store or push")
			continue
		}
		for _, k := range []struct {
			field string
			key   RemoteKey
		}{{"username", m.Credentials.Username}, {"password", m.Credentials.Password}} {
			field := fmt.Sprintf("mirrors[%d].credentials.%s", i, k.field)
			fix := fmt.Sprintf("name the key in secrets.store that holds the upstream's %s", k.field)
			if strings.TrimSpace(k.key.Key) == "" {
				c.Add(field, "is empty", "%s", fix)
				continue
			}
			k.key.check(c, field, fix)
		}
	}
}

// MirrorReaders may pull from every mirror; nobody but the admins may push
// under a mirror's prefix. The global readers read there too.
type MirrorReaders struct {
	Users     []string `json:"users" pulumi:"users,optional"`
	Groups    []string `json:"groups" pulumi:"groups,optional"`
	Anonymous bool     `json:"anonymous" pulumi:"anonymous,optional"`
}

// DefaultMirrorDownloadSize bounds the staging folder: an image is staged
// whole before it moves to the bucket.
const DefaultMirrorDownloadSize = "10Gi"

// DefaultPollInterval is how often a mirror's content is synced.
const DefaultPollInterval = "6h"

// MinPollInterval keeps a periodic sync from hammering the upstream (Docker
// Hub counts every manifest request against the pull limit).
const MinPollInterval = 10 * time.Minute

// A repository path: lowercase segments of letters, digits and separators
// (the distribution spec's path component grammar).
var repoPath = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

// dockerHubHosts are the names Docker Hub's registry API answers at;
// images name the registry docker.io.
var dockerHubHosts = map[string]bool{"registry-1.docker.io": true, "index.docker.io": true, "docker.io": true}

// DockerHub reports whether the mirror's upstream is Docker Hub.
func (m Mirror) DockerHub() bool { return dockerHubHosts[m.Host] }

// ImageRegistry is the registry name images carry for the mirror's
// upstream (docker.io/library/alpine, ghcr.io/org/app): containerd's
// folder /etc/containerd/certs.d/<it>/ and CRI-O's prefix.
func (m Mirror) ImageRegistry() string {
	if m.DockerHub() {
		return "docker.io"
	}
	return m.Host
}

// A host as a URL names it: DNS labels or an IPv4 address, and an
// optional port.
var (
	hostName = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$`)
	portNum  = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// Pattern is the mirror's prefix as a repository pattern.
func (m Mirror) Pattern() string { return m.Prefix + "/**" }

// overlaps reports whether path a lies in b or b in a, segment-wise.
func overlaps(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func validateMirrors(r *Registry, c Collector) {
	names := map[string]int{}
	hosts := make([]string, len(r.Mirrors)) // each mirror's upstream host, "" when its URL is bad
	for i, m := range r.Mirrors {
		field := fmt.Sprintf("mirrors[%d]", i)
		switch j, dup := names[m.Name]; {
		case len(m.Name) > 63 || !dnsLabel.MatchString(m.Name):
			c.Add(field+".name", fmt.Sprintf("%q is not a mirror name", m.Name), "use lowercase letters, digits and '-', e.g. docker-hub")
		case dup:
			c.Add(field+".name", fmt.Sprintf("%q is also mirrors[%d]", m.Name, j), "give each mirror its own name")
		default:
			names[m.Name] = i
		}
		hosts[i] = validateMirrorURL(r.Mirrors, hosts, i, field, c)
		validateMirrorPrefix(r, i, field, c)
		validateMirrorSync(r, m, field, c)
	}
	validNames(c, "mirrorReaders.users", r.MirrorReaders.Users)
	validNames(c, "mirrorReaders.groups", r.MirrorReaders.Groups)
	if !quantity.MatchString(r.MirrorDownloadSize) {
		c.Add("mirrorDownloadSize", fmt.Sprintf("%q is not a size", r.MirrorDownloadSize), "use a Kubernetes quantity at least as large as the largest image, e.g. %s", DefaultMirrorDownloadSize)
	}
	mr := r.MirrorReaders
	if len(r.Mirrors) == 0 && (len(mr.Users)+len(mr.Groups) > 0 || mr.Anonymous) {
		c.Add("mirrorReaders", "is set, but there are no mirrors", "add registry.mirrors, or remove mirrorReaders")
	}
}

// upstream is a mirror's URL in one spelling (scheme://host[:port]), or
// what is wrong with it and what to do (with the URL as parsed, if it
// parses).
func upstream(m Mirror) (u *url.URL, problem, fix string) {
	u, err := url.Parse(m.URL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") ||
		!hostName.MatchString(u.Hostname()) || u.Port() != "" && !portNum.MatchString(u.Port()) || strings.Contains(m.URL, "%"):
		return u, fmt.Sprintf("%q is not a registry URL", m.URL), "use the upstream's https URL, e.g. https://registry-1.docker.io"
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil:
		return u, fmt.Sprintf("%q has a path, query or credentials", m.URL), "use scheme://host[:port] only; credentials come from mirrors[].credentials"
	case u.Scheme == "http" && !m.Insecure:
		return u, fmt.Sprintf("%q is not https: zot would fetch images in clear", m.URL), "use https, or set insecure: true for a registry on a trusted network"
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, "", ""
}

// validateMirrorURL checks mirror i's upstream, alone and against the
// mirrors before it (hosts), and returns its host ("" when unusable).
func validateMirrorURL(mirrors []Mirror, hosts []string, i int, field string, c Collector) string {
	m := mirrors[i]
	u, problem, fix := upstream(m)
	if problem != "" {
		c.Add(field+".url", problem, "%s", fix)
	}
	if m.Insecure && u != nil && u.Scheme == "https" {
		c.Add(field+".insecure", "is set, but the URL is https", "remove insecure (tlsVerify: false skips certificate checks)")
	}
	if u == nil || problem != "" {
		return ""
	}
	m.Host = u.Host
	for j := range i {
		o := mirrors[j]
		o.Host = hosts[j]
		switch {
		case o.Host == m.Host:
			c.Add(field+".url", fmt.Sprintf("%q is also mirrors[%d]'s upstream: zot keys logins by host, and nodes would get two configs for it", m.Host, j), "serve one upstream through one mirror")
		case o.Host != "" && o.ImageRegistry() == m.ImageRegistry():
			c.Add(field+".url", fmt.Sprintf("names the same registry as mirrors[%d] (%s): nodes would get two configs for it", j, m.ImageRegistry()), "serve one upstream through one mirror")
		}
	}
	return m.Host
}

// validateMirrorPrefix: mirror i's prefix is a repository path no other
// mirror and no access rule shares.
func validateMirrorPrefix(r *Registry, i int, field string, c Collector) {
	m := r.Mirrors[i]
	if !repoPath.MatchString(m.Prefix) {
		c.Add(field+".prefix", fmt.Sprintf("%q is not a repository prefix", m.Prefix), "use lowercase path segments without a leading or trailing '/', e.g. docker.io")
		return
	}
	for j := range i {
		if o := r.Mirrors[j]; overlaps(o.Prefix, m.Prefix) {
			c.Add(field+".prefix", fmt.Sprintf("%q overlaps mirrors[%d].prefix %q: a repository would belong to two upstreams", m.Prefix, j, o.Prefix), "give each mirror a prefix of its own")
		}
	}
	for j, rule := range r.AccessControl.Repositories {
		// A rule that can match anything under the prefix may win there
		// by pattern length and let its pushers in.
		if doublestar.ValidatePattern(rule.Pattern) && MayIntersect(rule.Pattern, m.Pattern()) {
			c.Add(field+".prefix", fmt.Sprintf("%q overlaps accessControl.repositories[%d].pattern %q: zot would apply one of the two by pattern length", m.Prefix, j, rule.Pattern),
				"move the rule off the mirror's prefix; mirrorReaders says who pulls from mirrors")
		}
	}
}

// validateMirrorSync checks what a mirror syncs ahead of pulls and keeps.
func validateMirrorSync(r *Registry, m Mirror, field string, c Collector) {
	for j, p := range m.Content {
		if strings.TrimSpace(p) == "" || strings.HasPrefix(p, "/") || !doublestar.ValidatePattern(p) || p == "**" {
			c.Add(fmt.Sprintf("%s.content[%d]", field, j), fmt.Sprintf("%q is not an upstream repository pattern", p),
				"name upstream repositories, e.g. library/alpine or library/*; ** would copy the whole upstream (pulls through need no content)")
		}
	}
	if m.KeepPulledWithin != "" {
		if d, err := time.ParseDuration(m.KeepPulledWithin); err != nil || d <= 0 {
			c.Add(field+".keepPulledWithin", fmt.Sprintf("%q is not a duration", m.KeepPulledWithin), "use e.g. 720h (30 days)")
		} else if !r.GC.Enabled {
			c.Add(field+".keepPulledWithin", "is set, but gc.enabled is false: zot applies retention only in its GC pass", "enable gc, or remove keepPulledWithin")
		}
	}
	switch {
	case len(m.Content) == 0 && m.PollInterval != "":
		c.Add(field+".pollInterval", "is set, but content is empty: there is nothing to sync ahead of pulls", "list the repositories in content, or remove pollInterval")
	case len(m.Content) > 0 && m.PollInterval != "":
		if d, err := time.ParseDuration(m.PollInterval); err != nil || d < MinPollInterval {
			c.Add(field+".pollInterval", fmt.Sprintf("%q is not a duration of at least %s", m.PollInterval, MinPollInterval), "use e.g. %s", DefaultPollInterval)
		}
	}
}

// MayIntersect reports whether some repository could match both globs
// (doublestar, as zot's accessControl and retention use them). It compares
// path segments: "**" matches any number of them, two literal segments must
// be equal, a literal and a glob segment must match, and two glob segments
// are taken to meet. {a,b} alternatives are expanded first. It may answer
// true where no repository matches both, never false where one does.
func MayIntersect(a, b string) bool {
	for _, x := range expandBraces(a) {
		for _, y := range expandBraces(b) {
			if segmentsMeet(strings.Split(x, "/"), strings.Split(y, "/")) {
				return true
			}
		}
	}
	return false
}

func segmentsMeet(a, b []string) bool {
	switch {
	case len(a) > 0 && a[0] == "**":
		return segmentsMeet(a[1:], b) || len(b) > 0 && segmentsMeet(a, b[1:])
	case len(b) > 0 && b[0] == "**":
		return segmentsMeet(a, b[1:]) || len(a) > 0 && segmentsMeet(a[1:], b)
	case len(a) == 0 || len(b) == 0:
		return len(a) == len(b)
	}
	return segmentMeets(a[0], b[0]) && segmentsMeet(a[1:], b[1:])
}

func segmentMeets(x, y string) bool {
	const wild = "*?[\\"
	xw, yw := strings.ContainsAny(x, wild), strings.ContainsAny(y, wild)
	switch {
	case !xw && !yw:
		return x == y
	case !xw:
		ok, _ := doublestar.Match(y, x)
		return ok
	case !yw:
		ok, _ := doublestar.Match(x, y)
		return ok
	}
	return true
}

// expandBraces turns the first {a,b} group (and then the rest) into one
// pattern per alternative.
func expandBraces(p string) []string {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		return []string{p}
	}
	depth, end := 0, -1
	var alts []string
	start := open + 1
	for i := open; i < len(p) && end < 0; i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				alts, end = append(alts, p[start:i]), i
			}
		case ',':
			if depth == 1 {
				alts, start = append(alts, p[start:i]), i+1
			}
		}
	}
	if end < 0 {
		return []string{p} // unbalanced: ValidatePattern refuses it
	}
	var out []string
	for _, a := range alts {
		out = append(out, expandBraces(p[:open]+a+p[end+1:])...)
	}
	return out
}

// mirrorSettings declare the settings whose fields this file holds (declare.go).
var mirrorSettings = []Setting{
	{Keys: []string{"registry.mirrorReaders.users", "registry.mirrorReaders.groups"},
		Doc: "Who may pull from the mirrors, besides the global readers, the pull robots and the admins; only admins push under a mirror's prefix."},
	{Keys: []string{"registry.mirrorReaders.anonymous"},
		Doc: "Let anonymous clients (a node's container runtime without credentials) pull from the mirrors."},
}
