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

	// Derived by validation; not config keys.
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

// validateMirrorCredentials checks the remote keys of the mirrors' logins
// and gives them secrets.remoteProperty where they name no property.
func validateMirrorCredentials(cfg *Settings, c Collector) {
	for i := range cfg.Registry.Mirrors {
		m := &cfg.Registry.Mirrors[i]
		if m.Credentials == nil {
			continue
		}
		for _, k := range []struct {
			field string
			key   *RemoteKey
		}{{"username", &m.Credentials.Username}, {"password", &m.Credentials.Password}} {
			field := fmt.Sprintf("mirrors[%d].credentials.%s", i, k.field)
			switch {
			case strings.TrimSpace(k.key.Key) == "" || strings.TrimSpace(k.key.Key) != k.key.Key:
				c.Add(field, fmt.Sprintf("%q is not a remote key", k.key.Key), "name the key in secrets.store that holds the upstream's %s", k.field)
			case strings.TrimSpace(k.key.Property) != k.key.Property:
				c.Add(field+".property", fmt.Sprintf("%q has leading or trailing white space", k.key.Property), "name the field inside the remote key, e.g. value")
			}
			if k.key.Property == "" {
				k.key.Property = cfg.Secrets.RemoteProperty
			}
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

// Pattern is the mirror's prefix as a repository pattern.
func (m Mirror) Pattern() string { return m.Prefix + "/**" }

// literal is the part of a glob before its first wildcard.
func literal(pattern string) string {
	if i := strings.IndexAny(pattern, "*?[{\\"); i >= 0 {
		return pattern[:i]
	}
	return pattern
}

// overlaps reports whether path a lies in b or b in a, segment-wise.
func overlaps(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func validateMirrors(r *Registry, c Collector) {
	names := map[string]int{}
	for i := range r.Mirrors {
		m := &r.Mirrors[i]
		field := fmt.Sprintf("mirrors[%d]", i)
		if len(m.Name) > 63 || !dnsLabel.MatchString(m.Name) {
			c.Add(field+".name", fmt.Sprintf("%q is not a mirror name", m.Name), "use lowercase letters, digits and '-', e.g. docker-hub")
		} else if j, dup := names[m.Name]; dup {
			c.Add(field+".name", fmt.Sprintf("%q is also mirrors[%d]", m.Name, j), "give each mirror its own name")
		} else {
			names[m.Name] = i
		}

		u, err := url.Parse(m.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			c.Add(field+".url", fmt.Sprintf("%q is not a registry URL", m.URL), "use the upstream's https URL, e.g. https://registry-1.docker.io")
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil:
			c.Add(field+".url", fmt.Sprintf("%q has a path, query or credentials", m.URL), "use scheme://host[:port] only; credentials come from mirrors[].credentials")
		case u.Scheme == "http" && !m.Insecure:
			c.Add(field+".url", fmt.Sprintf("%q is not https: zot would fetch images in clear", m.URL), "use https, or set insecure: true for a registry on a trusted network")
		default:
			m.Host = u.Host
			m.URL = u.Scheme + "://" + u.Host
		}
		if m.Insecure && u != nil && u.Scheme == "https" {
			c.Add(field+".insecure", "is set, but the URL is https", "remove insecure (tlsVerify: false skips certificate checks)")
		}
		if m.TLSVerify == nil {
			m.TLSVerify = ptr(true)
		}

		switch {
		case !repoPath.MatchString(m.Prefix):
			c.Add(field+".prefix", fmt.Sprintf("%q is not a repository prefix", m.Prefix), "use lowercase path segments without a leading or trailing '/', e.g. docker.io")
		default:
			for j := range i {
				if o := r.Mirrors[j]; overlaps(o.Prefix, m.Prefix) {
					c.Add(field+".prefix", fmt.Sprintf("%q overlaps mirrors[%d].prefix %q: a repository would belong to two upstreams", m.Prefix, j, o.Prefix), "give each mirror a prefix of its own")
				}
			}
			for j, rule := range r.AccessControl.Repositories {
				lit := literal(rule.Pattern)
				hit := lit != "" && overlaps(lit, m.Prefix)
				if !hit {
					hit, _ = doublestar.Match(rule.Pattern, m.Prefix+"/x")
				}
				if hit {
					c.Add(field+".prefix", fmt.Sprintf("%q overlaps accessControl.repositories[%d].pattern %q: zot would apply one of the two by pattern length", m.Prefix, j, rule.Pattern),
						"move the rule off the mirror's prefix; mirrorReaders says who pulls from mirrors")
				}
			}
		}

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
		case len(m.Content) > 0:
			if m.PollInterval == "" {
				m.PollInterval = DefaultPollInterval
			}
			if d, err := time.ParseDuration(m.PollInterval); err != nil || d < MinPollInterval {
				c.Add(field+".pollInterval", fmt.Sprintf("%q is not a duration of at least %s", m.PollInterval, MinPollInterval), "use e.g. %s", DefaultPollInterval)
			} else {
				m.PollDuration = d
			}
		}
	}
	lists := []struct {
		field string
		names []string
	}{{"mirrorReaders.users", r.MirrorReaders.Users}, {"mirrorReaders.groups", r.MirrorReaders.Groups}}
	for _, l := range lists {
		seen := map[string]bool{}
		for i, n := range l.names {
			f := fmt.Sprintf("%s[%d]", l.field, i)
			switch {
			case strings.TrimSpace(n) == "" || strings.TrimSpace(n) != n:
				c.Add(f, fmt.Sprintf("%q is not a user or group name", n), "remove the spaces, or the entry")
			case seen[n]:
				c.Add(f, fmt.Sprintf("%q is listed twice", n), "remove the duplicate")
			}
			seen[n] = true
		}
	}
	if !quantity.MatchString(r.MirrorDownloadSize) {
		c.Add("mirrorDownloadSize", fmt.Sprintf("%q is not a size", r.MirrorDownloadSize), "use a Kubernetes quantity at least as large as the largest image, e.g. %s", DefaultMirrorDownloadSize)
	}
	mr := r.MirrorReaders
	if len(r.Mirrors) == 0 && (len(mr.Users)+len(mr.Groups) > 0 || mr.Anonymous) {
		c.Add("mirrorReaders", "is set, but there are no mirrors", "add registry.mirrors, or remove mirrorReaders")
	}
}
