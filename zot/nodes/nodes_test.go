package nodes

import (
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/zot/spec"
)

func TestNodeConfigs(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		m                            spec.Mirror
		wantDir, wantServer, wantCRI string
	}{
		{"docker hub", spec.Mirror{URL: "https://registry-1.docker.io", Host: "registry-1.docker.io", Prefix: "docker.io"}, "docker.io", "https://registry-1.docker.io", "registry-1.docker.io"},
		{"docker hub under another prefix", spec.Mirror{URL: "https://index.docker.io", Host: "index.docker.io", Prefix: "hub"}, "docker.io", "https://registry-1.docker.io", "registry-1.docker.io"},
		{"ghcr", spec.Mirror{URL: "https://ghcr.io", Host: "ghcr.io", Prefix: "ghcr.io"}, "ghcr.io", "https://ghcr.io", "ghcr.io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantDir, tc.m.ImageRegistry())
			text, err := HostsToml("https://registry.example.com/", tc.m)
			require.NoError(t, err)
			var hosts struct {
				Server string `toml:"server"`
				Host   map[string]struct {
					Capabilities []string `toml:"capabilities"`
					OverridePath bool     `toml:"override_path"`
				} `toml:"host"`
			}
			_, err = toml.Decode(text, &hosts)
			require.NoError(t, err, text)
			assert.Equal(t, tc.wantServer, hosts.Server)
			h, ok := hosts.Host["https://registry.example.com/v2/"+tc.m.Prefix]
			require.True(t, ok, text)
			assert.Equal(t, []string{"pull", "resolve"}, h.Capabilities, "never push to a mirror")
			assert.True(t, h.OverridePath, "the path carries /v2/<prefix>")

			text, err = RegistriesConf("https://registry.example.com", tc.m)
			require.NoError(t, err)
			var conf struct {
				Registry []struct {
					Prefix, Location string
					Mirror           []struct{ Location string }
				}
			}
			_, err = toml.Decode(text, &conf)
			require.NoError(t, err, text)
			require.Len(t, conf.Registry, 1)
			r := conf.Registry[0]
			assert.Equal(t, tc.wantDir, r.Prefix)
			assert.Equal(t, tc.wantCRI, r.Location)
			require.Len(t, r.Mirror, 1)
			assert.Equal(t, "registry.example.com/"+tc.m.Prefix, r.Mirror[0].Location)
		})
	}
}
