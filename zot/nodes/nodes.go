// Package nodes writes what a cluster's nodes need to pull through zot's
// mirrors: containerd's hosts.toml and CRI-O's registries.conf entry, one
// per mirror, from typed values.
package nodes

import (
	"bytes"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/zot-registry/zot-registry/zot/spec"
)

// hostsFile is containerd's hosts.toml (containerd docs/hosts.md): the
// upstream as server, and zot as a host tried first. With override_path
// containerd sends /v2/<prefix>/<repository>/… as the host URL says,
// instead of adding /v2 itself.
type hostsFile struct {
	Server string               `toml:"server"`
	Host   map[string]hostEntry `toml:"host"`
}

type hostEntry struct {
	Capabilities []string `toml:"capabilities"`
	OverridePath bool     `toml:"override_path"`
}

// HostsToml is /etc/containerd/certs.d/<m.ImageRegistry()>/hosts.toml for the
// mirror, served by zot at externalURL (https://registry.example.com).
func HostsToml(externalURL string, m spec.Mirror) (string, error) {
	return encode(hostsFile{
		Server: upstream(m),
		Host: map[string]hostEntry{
			MirrorURL(externalURL, m): {Capabilities: []string{"pull", "resolve"}, OverridePath: true},
		},
	})
}

// MirrorURL is the mirror's registry API as containerd's host entry names
// it: <externalUrl>/v2/<prefix>.
func MirrorURL(externalURL string, m spec.Mirror) string {
	return strings.TrimSuffix(externalURL, "/") + "/v2/" + m.Prefix
}

// upstream is where a node pulls from without the mirror.
func upstream(m spec.Mirror) string {
	if m.DockerHub() {
		return "https://registry-1.docker.io"
	}
	return m.URL
}

// registriesConf is CRI-O's containers-registries.conf(5), version 2: the
// upstream's prefix, and zot as its mirror (location host/path: CRI-O
// pulls <location>/<repository>, i.e. /v2/<prefix>/<repository>).
type registriesConf struct {
	Registry []crioRegistry `toml:"registry"`
}

type crioRegistry struct {
	Prefix   string       `toml:"prefix"`
	Location string       `toml:"location"`
	Mirror   []crioMirror `toml:"mirror"`
}

type crioMirror struct {
	Location string `toml:"location"`
}

// RegistriesConf is the mirror's entry for /etc/containers/registries.conf
// (or a drop-in under registries.conf.d/).
func RegistriesConf(externalURL string, m spec.Mirror) (string, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(externalURL, "/"), "https://"), "http://")
	location := strings.TrimPrefix(strings.TrimPrefix(upstream(m), "https://"), "http://")
	return encode(registriesConf{Registry: []crioRegistry{{
		Prefix: m.ImageRegistry(), Location: location,
		Mirror: []crioMirror{{Location: host + "/" + m.Prefix}},
	}}})
}

func encode(v any) (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(v); err != nil {
		return "", err
	}
	return b.String(), nil
}
