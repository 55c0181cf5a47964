#!/usr/bin/env bash
# Builds the Kubernetes binaries the tiers run (kube-apiserver for the
# integration tier; kubelet, kube-controller-manager, kube-scheduler and
# kube-proxy for the cluster tier, all from k8s.io/kubernetes) and etcd
# (go.etcd.io/etcd/server/v3) from the Go module proxy into a cache folder,
# and reuses them when present. Prints the folder that holds the binaries on
# its last line of stdout.
#
# k8s.io/kubernetes is not meant to be used as a module: its go.mod replaces
# its 31 staging modules (k8s.io/api, k8s.io/apimachinery, ...) with folders
# inside its own repository. A wrapper module repeats those replaces with the
# published v0.<minor>.<patch> of each one, so `go build` resolves them from
# the proxy. Kubernetes already pins etcd's server module, so etcd builds from
# the same module graph (one download, one shared build cache).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

KUBE_VERSION=${KUBE_VERSION:-v1.34.2}
# The staging modules are tagged v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>.
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
ETCD_MODULE=go.etcd.io/etcd/server/v3
CACHE=${ZOT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zot-registry/kube}
BIN="$CACHE/bin-$KUBE_VERSION"

log() { echo "[kube build] $*" >&2; }

# One `go build` of all the commands shares the compiled packages between them.
KUBE_COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet"

complete() {
  local c
  for c in $KUBE_COMMANDS; do "$BIN/$c" --version >/dev/null 2>&1 || return 1; done
  "$BIN/etcd" --version >/dev/null 2>&1
}

if complete; then
  log "reusing $BIN ($("$BIN/kube-apiserver" --version), $("$BIN/etcd" --version | head -1))"
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
work="$CACHE/wrapper-$KUBE_VERSION"
mkdir -p "$work/etcd" "$BIN"

log "locating k8s.io/kubernetes@$KUBE_VERSION"
kube_dir=$(module_dir "k8s.io/kubernetes@$KUBE_VERSION" "$work")

# The staging modules, read from Kubernetes' own go.mod rather than listed here.
staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/.*#\1#p' "$kube_dir/go.mod")
[ -n "$staging" ] || { log "no staging replaces found in $kube_dir/go.mod"; exit 1; }
etcd_version=$(sed -n "s#^[[:space:]]*${ETCD_MODULE//./\\.} \(v[^ ]*\).*#\1#p" "$kube_dir/go.mod" | head -1)
[ -n "$etcd_version" ] || { log "k8s.io/kubernetes@$KUBE_VERSION does not pin $ETCD_MODULE"; exit 1; }
log "$(echo "$staging" | wc -l) staging modules at $STAGING_VERSION; etcd $etcd_version"

{
  echo "module zot-registry.local/kube-binaries"
  echo
  echo "go 1.24.0"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes $KUBE_VERSION"
  echo "	$ETCD_MODULE $etcd_version"
  echo ")"
  echo
  echo "replace ("
  for m in $staging; do echo "	$m => $m $STAGING_VERSION"; done
  echo ")"
} >"$work/go.mod"

cat >"$work/tools.go" <<'GO'
//go:build tools

// Package tools pins the commands this module builds.
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO

cat >"$work/etcd/main.go" <<'GO'
// Command etcd is etcd's own server entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO

cd "$work"
log "resolving the module graph"
go mod tidy -e >&2

# kubectl and client libraries parse the server's version: set it as
# Kubernetes' own build does (hack/lib/version.sh).
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "building $KUBE_COMMANDS (cold: 15-25 minutes on 2 cores)"
tmp="$BIN/.tmp"
rm -rf "$tmp"; mkdir -p "$tmp"
pkgs=""
for c in $KUBE_COMMANDS; do pkgs+=" k8s.io/kubernetes/cmd/$c"; done
# shellcheck disable=SC2086 # one word per package
go build -trimpath -ldflags "$ldflags" -o "$tmp/" $pkgs
log "building etcd"
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" ./etcd
mv "$tmp"/* "$BIN/"
rmdir "$tmp"
complete || { log "a binary in $BIN does not run"; exit 1; }
log "built in $(( $(date +%s) - start )) s: $("$BIN/kube-apiserver" --version), $("$BIN/etcd" --version | head -1)"
echo "$BIN"
