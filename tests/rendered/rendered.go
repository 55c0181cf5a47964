// Package rendered is the file tests/render-variants writes for each
// variant and the zot tier (tests/zot) reads. It imports the standard
// library only: the zot tier's module compiles no Pulumi SDK.
package rendered

// Variant is one stack or mode variant as the program generates it.
type Variant struct {
	Index           int            `json:"index"`
	Name            string         `json:"name"`
	ConfigJSON      string         `json:"configJson"` // exactly what zot reads
	OIDCClientID    string         `json:"oidcClientId"`
	OIDCRedirectURI string         `json:"oidcRedirectUri"`
	StartupProbe    map[string]any `json:"startupProbe"`
	SecretMarker    string         `json:"secretMarker"`
	// MirrorHostsToml is containerd's hosts.toml per mirror.
	MirrorHostsToml map[string]string `json:"mirrorHostsToml"`
	// ZotEnv names the environment variables the Helm values give zot's
	// container: the S3 key pair, or none with an IAM role.
	ZotEnv []string `json:"zotEnv"`
}
