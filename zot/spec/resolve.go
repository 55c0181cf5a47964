package spec

import (
	"errors"
	"net/url"
	"slices"
	"time"
)

// Resolved is settings that passed Validate, with what they imply filled
// in: what the components take. Prepare (or Validate, then Resolve) makes
// one; each section says it came from one (Resolved()), and a component
// given a section that did not refuses it.
type Resolved struct{ Settings }

// ErrUnresolved is a component's answer to a section that Resolve did not
// make: its derived values would be missing.
var ErrUnresolved = errors.New("settings are not resolved: pass them through spec.Prepare (config.Load does for a stack)")

// Resolve fills in what validated settings imply: the defaults that depend
// on other settings (the client id, the bucket prefix, the remote keys,
// fastRestart, the addressing style) and the parsed values the components
// read (externalUrl's URL, durations, S3 endpoints, mirror hosts, the
// Authentik URL from env). Validate first: Resolve assumes every value
// parses. The given settings are not changed.
func Resolve(given Settings, src Source) *Resolved {
	cfg := &given
	// Lists Resolve fills in are copied, so the caller's stay as given.
	cfg.Secrets.Users = slices.Clone(cfg.Secrets.Users)
	cfg.Registry.Mirrors = slices.Clone(cfg.Registry.Mirrors)
	resolveRegistry(&cfg.Registry)
	resolveStorage(&cfg.Storage, cfg.Environment)
	resolveIdentity(&cfg.Identity, src, cfg.Environment)
	resolveSecrets(cfg)
	resolveMirrors(&cfg.Registry, cfg.Secrets.RemoteProperty)
	if d := &cfg.Registry.Cache.DynamoDB; cfg.Registry.Cache.Driver == CacheDynamoDB {
		d.TablePrefix = tablePrefix(cfg.Environment, *d)
	}
	cfg.Registry.resolved, cfg.Storage.resolved, cfg.Identity.resolved, cfg.Secrets.resolved = true, true, true, true
	return &Resolved{*cfg}
}

// Resolved says Resolve made the section.
func (r Registry) Resolved() bool { return r.resolved }

// Resolved says Resolve made the section.
func (s Storage) Resolved() bool { return s.resolved }

// Resolved says Resolve made the section.
func (id Identity) Resolved() bool { return id.resolved }

// Resolved says Resolve made the section.
func (s Secrets) Resolved() bool { return s.resolved }

func resolveRegistry(r *Registry) {
	r.URL, _ = parseExternalURL(r.ExternalURL)
	if r.URL != nil {
		r.ExternalURL = r.URL.String()
	}
	r.ReadDuration, _ = time.ParseDuration(r.ReadTimeout)
	r.WriteDuration, _ = time.ParseDuration(r.WriteTimeout)
	r.Route.TimeoutDuration = max(r.ReadDuration, r.WriteDuration)
	if d, err := time.ParseDuration(r.Route.Timeout); err == nil && r.Route.Timeout != "" {
		r.Route.TimeoutDuration = d
	}
	r.StartupDuration, _ = time.ParseDuration(r.StartupTimeout)
	if r.FastRestart == nil {
		// On wherever zot's stamp survives a restart and zot has it.
		r.FastRestart = ptr(r.MetadataSurvives() && zotAtLeast(r.Image.Tag, MinZotForFastRestart))
	}
	if r.Metrics.Enabled == nil {
		r.Metrics.Enabled = ptr(r.Metrics.On())
	}
}

// resolveStorage: the endpoint is the one source of zot's regionendpoint
// and secure; the addressing follows the store.
func resolveStorage(s *Storage, stack string) {
	if s.RedirectPulls == nil {
		s.RedirectPulls = ptr(s.Redirects())
	}
	if s.Bucket == "" && s.Mode != StorageExisting {
		s.BucketPrefix = defaultBucketPrefix(stack, s.Mode == StorageAWS)
	}
	if s.Region == "" {
		s.Region = DefaultRegion // S3-compatible stores take any region name
	}
	if s.AWS.Credentials == "" {
		s.AWS.Credentials = CredentialsAccessKey
	}
	if m := oidcProviderARN.FindStringSubmatch(s.AWS.OIDCProviderArn); m != nil {
		s.AWS.OIDCIssuer = m[2]
	}
	if s.Versioning.KeepDays == 0 {
		s.Versioning.KeepDays = DefaultVersioningKeepDays
	}
	s.Secure = true
	if s.Endpoint == "" {
		if s.ForcePathStyle == nil {
			s.ForcePathStyle = ptr(false) // AWS S3: virtual-hosted addressing
		}
		return
	}
	u, _ := url.Parse(s.Endpoint)
	s.Secure = u.Scheme == "https"
	s.RegionEndpoint = u.Scheme + "://" + u.Host
	s.ProvisionURL = s.RegionEndpoint
	if s.ProvisionEndpoint != "" {
		p, _ := url.Parse(s.ProvisionEndpoint)
		s.ProvisionURL = p.Scheme + "://" + p.Host
	}
	if s.ForcePathStyle == nil {
		// MinIO, RustFS, Ceph RGW and Garage serve path-style addressing.
		s.ForcePathStyle = ptr(true)
	}
}

func resolveIdentity(id *Identity, src Source, stack string) {
	if id.Mode == IdentityNone {
		return
	}
	id.ClientID = id.clientID(stack)
	if id.Label == "" {
		id.Label = DefaultOIDCLabel
		if id.Mode == IdentityAuthentik {
			id.Label = DefaultAuthentikLabel
		}
	}
	if id.Scopes == nil {
		id.Scopes = append([]string(nil), DefaultScopes...)
	}
	if id.Mode == IdentityAuthentik {
		raw, _ := src.Config(AuthentikURLKey)
		if u, err := url.Parse(raw); err == nil {
			u.Path = ""
			id.AuthentikURL = u
		}
	}
}

// resolveSecrets gives each user the push role when it names none and,
// with ESO, each remote key its default key and property.
func resolveSecrets(cfg *Settings) {
	s := &cfg.Secrets
	for i := range s.Users {
		if s.Users[i].Role == "" {
			s.Users[i].Role = RolePush
		}
	}
	if !s.UsesESO() {
		return
	}
	for _, r := range s.RemoteKeys.All() {
		*r.RemoteKey = r.withDefaults(DefaultRemoteKey(cfg.Environment, r.Value), s.RemoteProperty)
	}
	s.WaitDuration, _ = time.ParseDuration(s.WaitTimeout)
}

// resolveMirrors: each upstream in one spelling with its host, the sync
// schedule of mirrors with content, logins with secrets.remoteProperty
// where they name no property.
func resolveMirrors(r *Registry, remoteProperty string) {
	for i := range r.Mirrors {
		m := &r.Mirrors[i]
		if u, _, _ := upstream(*m); u != nil {
			m.Host, m.URL = u.Host, u.Scheme+"://"+u.Host
		}
		if m.TLSVerify == nil {
			m.TLSVerify = ptr(true)
		}
		if len(m.Content) > 0 {
			if m.PollInterval == "" {
				m.PollInterval = DefaultPollInterval
			}
			m.PollDuration, _ = time.ParseDuration(m.PollInterval)
		}
		if m.Credentials != nil {
			creds := *m.Credentials
			m.Credentials = &creds
			c := m.Credentials
			c.Username = c.Username.withDefaults("", remoteProperty)
			c.Password = c.Password.withDefaults("", remoteProperty)
		}
	}
}
