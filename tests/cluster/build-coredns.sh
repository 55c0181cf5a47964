#!/usr/bin/env bash
# Builds CoreDNS (github.com/coredns/coredns, the cluster DNS the cluster
# tier runs) from the Go module proxy into a cache folder, and reuses it when
# present. Prints the binary's folder on its last line of stdout.
#
# CoreDNS chooses its plugins at compile time (plugin.cfg, compiled into
# core/plugin). A wrapper module builds CoreDNS's own coremain.Run with only
# the plugins the tier's Corefile names imported, the way CoreDNS documents
# for a custom build: the full set pulls in every cloud SDK (route53, azure,
# clouddns, dnstap, ...). The module's own go.mod resolves the rest.
set -euo pipefail

COREDNS_VERSION=${COREDNS_VERSION:-v1.12.4}
CACHE=${ZOT_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zot-registry/cluster}
BIN="$CACHE/bin-coredns-$COREDNS_VERSION"
# The Corefile's plugins (tests/cluster/dns.go); `coredns -plugins` lists them.
PLUGINS="kubernetes errors health ready cache log bind loop reload"

log() { echo "[coredns build] $*" >&2; }

if [ -x "$BIN/coredns" ] && "$BIN/coredns" -version >/dev/null 2>&1; then
  log "reusing $BIN/coredns ($("$BIN/coredns" -version | head -1))"
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
work="$CACHE/wrapper-coredns-$COREDNS_VERSION"
mkdir -p "$work" "$BIN"
{
  echo "// Command coredns is CoreDNS's own coremain with the cluster tier's plugins."
  echo "package main"
  echo
  echo "import ("
  echo "	\"github.com/coredns/coredns/coremain\""
  echo
  for p in $PLUGINS; do echo "	_ \"github.com/coredns/coredns/plugin/$p\""; done
  echo ")"
  echo
  echo "func main() { coremain.Run() }"
} >"$work/main.go"
cat >"$work/go.mod" <<MOD
module zot-registry.local/coredns

go 1.24.0

require github.com/coredns/coredns $COREDNS_VERSION
MOD
cd "$work"
log "resolving the module graph"
go mod tidy -e >&2
log "building coredns $COREDNS_VERSION with plugins: $PLUGINS (cold: about 3 minutes on 2 cores)"
go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$BIN/coredns.tmp" .
mv "$BIN/coredns.tmp" "$BIN/coredns"
log "built in $(( $(date +%s) - start )) s"
echo "$BIN"
