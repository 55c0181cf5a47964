package chart

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/zot-registry/zot-registry/zot/layout"
	"github.com/zot-registry/zot-registry/zot/spec"
	"github.com/zot-registry/zot-registry/zot/zotconfig"
)

// ConfigDigest is the pod annotation's value for a config.json in a Secret:
// HMAC-SHA256 keyed with the generated hash key, so it changes with the
// config and reveals nothing of the credentials in it.
func ConfigDigest(key, configJSON string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(configJSON))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// Params is the pure mapping from the registry settings plus the storage and
// identity values to the zot config builder's input. pullRobots (push mode's
// role-pull users) read every repository, as reader users do.
func Params(s spec.Registry, pullRobots []string, st zotconfig.S3Driver, oidc zotconfig.OIDC) zotconfig.Params {
	readers := slices.Clone(s.AccessControl.ReaderUsers)
	for _, u := range pullRobots {
		if !slices.Contains(readers, u) {
			readers = append(readers, u)
		}
	}
	st.ChunkSize = s.Upload.ChunkSize
	st.MultipartCopyChunkSize = s.Upload.MultipartCopyChunkSize
	st.MultipartCopyMaxConcurrency = s.Upload.MultipartCopyMaxConcurrency
	st.MultipartCopyThresholdSize = s.Upload.MultipartCopyThresholdSize
	return zotconfig.Params{
		ExternalURL:  s.ExternalURL,
		LogLevel:     s.LogLevel,
		ReadTimeout:  s.ReadDuration,
		WriteTimeout: s.WriteDuration,
		Storage:      st,
		OIDC:         oidc,
		Access: zotconfig.Access{
			AdminUsers:    s.AccessControl.AdminUsers,
			AdminGroups:   s.AccessControl.AdminGroups,
			ReaderUsers:   readers,
			ReaderGroups:  s.AccessControl.ReaderGroups,
			AnonymousRead: s.AccessControl.AnonymousRead,
			Repositories:  repositoryAccess(s.AccessControl.Repositories),
			MirrorReaders: zotconfig.RepositoryAccess{
				PullUsers: s.MirrorReaders.Users, PullGroups: s.MirrorReaders.Groups, AnonymousRead: s.MirrorReaders.Anonymous,
			},
			MirrorPatterns: mirrorPatterns(s.Mirrors),
		},
		Mirrors:             mirrors(s.Mirrors),
		SyncCredentialsFile: syncCredentialsFile(s),
	}
}

// syncCredentialsFile is where zot reads the mirrors' logins, if any has one.
func syncCredentialsFile(r spec.Registry) string {
	if r.HasCredentials() {
		return layout.SyncCredentialsPath()
	}
	return ""
}

func mirrorPatterns(ms []spec.Mirror) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Pattern())
	}
	return out
}

func mirrors(ms []spec.Mirror) []zotconfig.Mirror {
	var out []zotconfig.Mirror
	for _, m := range ms {
		out = append(out, zotconfig.Mirror{URL: m.URL, Prefix: m.Prefix, TLSVerify: m.TLSVerify == nil || *m.TLSVerify, Content: m.Content, PollInterval: m.PollInterval})
	}
	return out
}

// Operations adds the day-2 parts to p: the cluster (with more than one
// replica; hashKey is the generated key), the shared metadata driver, fast
// restart, metrics, GC, retention and scrub. namespace places the members'
// names; redisPassword is empty without one.
func Operations(p *zotconfig.Params, s spec.Registry, namespace, hashKey, redisPassword string) {
	if s.Replicas > 1 {
		p.Cluster = &zotconfig.Cluster{Members: zotconfig.Members(s.ReleaseName, namespace, s.ClusterDomain, s.Replicas), HashKey: hashKey}
	}
	switch cache := s.Cache; cache.Driver {
	case spec.CacheRedis:
		r := cache.Redis
		if r.TLS {
			p.CacheDriver = zotconfig.RedisTLS(r.Addresses, r.DB, r.KeyPrefix)
		} else {
			p.CacheDriver = zotconfig.Redis(r.Addresses, r.DB, r.Username, redisPassword, r.KeyPrefix)
		}
	case spec.CacheDynamoDB:
		p.CacheDriver = zotconfig.DynamoDB(p.Storage.Region, cache.DynamoDB.TablePrefix, cache.DynamoDB.Endpoint)
	}
	p.FastRestart = s.FastRestartOn()
	p.GC = zotconfig.GC{Enabled: s.GC.Enabled, Delay: s.GC.Delay, Interval: s.GC.Interval, TimeWindow: s.GC.TimeWindow}
	ret := s.Retention
	// A mirror that is a cache goes first: zot applies the first policy
	// whose repositories match (pkg/retention/retention.go getRepoPolicy).
	ret.Policies = append(mirrorRetention(s.Mirrors), ret.Policies...)
	if ret.DryRun || ret.Delay != "" || len(ret.Policies) > 0 {
		p.Retention = &ret
	}
	if s.Metrics.On() {
		p.Metrics = &zotconfig.Metrics{Path: s.Metrics.Path, Users: s.Metrics.Users, Anonymous: s.Metrics.Anonymous}
	}
	if s.Scrub.Enabled {
		p.Scrub = &zotconfig.ScrubExt{Enable: true, Interval: s.Scrub.Interval}
	}
}

func repositoryAccess(rules []spec.RepositoryRule) []zotconfig.RepositoryAccess {
	var out []zotconfig.RepositoryAccess
	for _, r := range rules {
		out = append(out, zotconfig.RepositoryAccess{
			Pattern: r.Pattern, AnonymousRead: r.AnonymousRead,
			PullUsers: r.PullUsers, PullGroups: r.PullGroups,
			PushUsers: r.PushUsers, PushGroups: r.PushGroups,
			DeleteUsers: r.DeleteUsers, DeleteGroups: r.DeleteGroups,
		})
	}
	return out
}

// mirrorRetention is a policy per mirror with keepPulledWithin: its tags
// pulled or synced (pushed) within the window stay, the rest and the
// untagged manifests go.
func mirrorRetention(ms []spec.Mirror) []zotconfig.RetentionPolicy {
	var out []zotconfig.RetentionPolicy
	deleteUntagged := true
	for _, m := range ms {
		if m.KeepPulledWithin == "" {
			continue
		}
		out = append(out, zotconfig.RetentionPolicy{
			Repositories:    []string{m.Pattern()},
			DeleteReferrers: true,
			DeleteUntagged:  &deleteUntagged,
			KeepTags:        []zotconfig.KeepRule{{PulledWithin: m.KeepPulledWithin, PushedWithin: m.KeepPulledWithin}},
		})
	}
	return out
}
