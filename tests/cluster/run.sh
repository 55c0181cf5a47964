#!/usr/bin/env bash
# The cluster tier (docs/development.md: "Cluster tier"): a one-node
# Kubernetes v1.34.2 on this machine (etcd, kube-apiserver, controller
# manager, scheduler, kubelet on containerd and runc, kube-proxy, CoreDNS),
# and the real `pulumi up` of the program onto it with the real Pulumi CLI
# and Kubernetes provider, then pushes and pulls through zot's Service.
#
# Needs root. Everything runs in namespaces of its own (network, mount,
# pid): the node's addresses, iptables rules, mounts and processes vanish
# with them, also when a test fails or the run is killed. The cgroups under
# /zot-cluster outlive them; this script removes them, then checks that the
# machine's iptables rules, interfaces, mounts and kernel settings are as
# they were.
#
# Binaries, each built or unpacked into a cache on the first run:
#   kube-apiserver, etcd, kubelet, kube-controller-manager, kube-scheduler,
#   kube-proxy   tests/kube/build.sh (k8s.io/kubernetes v1.34.2)
#   coredns      tests/cluster/build-coredns.sh (CoreDNS v1.12.4)
#   ESO          tests/kube/build-eso.sh
#   pause        Kubernetes' build/pause/linux/pause.c, gcc -static
#   zot, dex, pulumi, pulumi-resource-kubernetes, pulumi-language-yaml
#                ../shared/bin/unpack (or ZOT_BIN, DEX_BIN, PULUMI_BIN,
#                PULUMI_KUBERNETES_BIN, PULUMI_LANGUAGE_YAML_BIN from their
#                release assets)
#   pulumi-resource-zot-registry
#                go build ./provider (the component package)
#   versitygw    go install (as the zot tier)
#   containerd, runc, CNI plugins, iptables, redis-server: Debian packages
#
# --build-only builds the Go programs (the Kubernetes binaries, CoreDNS, the
# test binary, the stand-in and the component package's provider) and
# exits: .ci/run runs it beside the zot tier, which waits on its servers
# more than it computes. It leaves out what the zot tier also fetches
# (Debian packages, ../shared/bin, versitygw) so the two never write the
# same files.
set -euo pipefail
build_only=
if [ "${1:-}" = --build-only ]; then
  build_only=1
  shift
fi
cd "$(dirname "$0")/../.."
root=$PWD
cache=${ZOT_CLUSTER_CACHE:-$HOME/.cache/zot-registry/cluster}
zotcache=${ZOT_TIER_CACHE:-$HOME/.cache/zot-registry/zot-tier}
mkdir -p "$cache" "$zotcache"
if [ "$(id -u)" != 0 ]; then
  echo "cluster tier: needs root (containerd, the kubelet, namespaces); run it as root or skip it" >&2
  exit 1
fi
start=$(date +%s)
step() { echo "== cluster tier: $* (at $(( $(date +%s) - start )) s)"; }

build_programs() {
  step "binaries"
  kube=$(bash tests/kube/build.sh | tail -1)
  coredns=$(bash tests/cluster/build-coredns.sh | tail -1)/coredns
  eso=$(bash tests/kube/build-eso.sh | tail -1)
  step "the test binary, the stand-in provider and the component package's provider"
  (cd tests/cluster && go vet ./... && go test -c -o "$cache/cluster.test" . \
    && go build -o "$cache/standins/pulumi-resource-random" ./standins/random)
  # The YAML example names the provider's folder (plugins.providers), where
  # the CLI looks for pulumi-resource-zot-registry.
  (cd provider && go build -o "$cache/package/pulumi-resource-zot-registry" .)
}
if [ -n "$build_only" ]; then
  build_programs
  step "built"
  exit 0
fi

step "Debian packages"
missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build_programs # cache hits after --build-only
if [ -z "${ZOT_BIN:-}" ] || [ -z "${DEX_BIN:-}" ] || [ -z "${PULUMI_BIN:-}" ] || [ -z "${PULUMI_KUBERNETES_BIN:-}" ] || [ -z "${PULUMI_LANGUAGE_YAML_BIN:-}" ]; then
  unpack=../shared/bin/unpack
  if [ ! -x "$unpack" ]; then
    echo "cluster tier: ZOT_BIN, DEX_BIN, PULUMI_BIN, PULUMI_KUBERNETES_BIN and PULUMI_LANGUAGE_YAML_BIN are not all set and $unpack is missing." >&2
    echo "  Take zot v2.1.20, dex v2.45.1, the Pulumi CLI v3.274.1, pulumi-resource-kubernetes and pulumi-language-yaml v1.25.0 from their releases." >&2
    exit 1
  fi
  shared=$(bash "$unpack" "$zotcache/bin" | tail -1)
  ZOT_BIN=${ZOT_BIN:-$shared/zot} DEX_BIN=${DEX_BIN:-$shared/dex}
  PULUMI_BIN=${PULUMI_BIN:-$shared/pulumi}
  PULUMI_KUBERNETES_BIN=${PULUMI_KUBERNETES_BIN:-$shared/pulumi-resource-kubernetes}
  PULUMI_LANGUAGE_YAML_BIN=${PULUMI_LANGUAGE_YAML_BIN:-$shared/pulumi-language-yaml}
fi
versitygw=${VERSITYGW_BIN:-$zotcache/versitygw-v1.8.0/versitygw}
if [ ! -x "$versitygw" ]; then
  GOBIN=$(dirname "$versitygw") go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
# The sandbox image's program: Kubernetes' own pause, from the module
# tests/kube/build.sh downloaded (its Makefile names the version).
kube_src=$(go env GOMODCACHE)/k8s.io/kubernetes@v1.34.2/build/pause
pause=$cache/pause-$(sed -n 's/^TAG ?= //p' "$kube_src/Makefile")/pause
if [ ! -x "$pause" ]; then
  mkdir -p "$(dirname "$pause")"
  gcc -Os -static -Wall -DVERSION="v$(sed -n 's/^TAG ?= //p' "$kube_src/Makefile")" -o "$pause" "$kube_src/linux/pause.c"
fi


# What the machine looks like before: after the run it must look the same.
snapshot() {
  {
    echo "# iptables"; iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    echo "# ip6tables"; ip6tables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
    echo "# links"; ip -o link | awk '{print $2}'
    echo "# addresses"; ip -o addr | awk '{print $2, $4}'
    echo "# mounts"; awk '{print $2}' /proc/self/mounts | sort
    echo "# sysctls"
    for k in vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops \
      kernel/keys/root_maxkeys kernel/keys/root_maxbytes net/ipv4/ip_forward \
      net/bridge/bridge-nf-call-iptables; do
      [ -e "/proc/sys/$k" ] && echo "$k=$(cat "/proc/sys/$k")"
    done
  } 2>/dev/null
}
before=$(snapshot)

remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/zot-cluster /sys/fs/cgroup/unified/zot-cluster; do
    [ -d "$d" ] || continue
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$d" ] || break
      sleep 1
    done
    [ -d "$d" ] && echo "cluster tier: could not remove cgroup $d" >&2
  done
  return 0
}
remove_cgroups # a killed earlier run's

work=$cache/work
rm -rf "$work"
rc=1
# Runs however this script ends (done, failed, interrupted, killed with
# TERM): the cgroups go, and the machine must look as it did before.
tier=
finish() {
  trap - EXIT
  if [ -n "$tier" ]; then
    # unshare --fork ignores TERM and INT (its child handles them), and the
    # namespace's PID 1 takes only KILL from outside: KILL it, which ends
    # every process in the namespace; then unshare exits.
    pkill -KILL -P "$tier" 2>/dev/null
    wait "$tier" 2>/dev/null
  fi
  step "cleaning up"
  remove_cgroups
  after=$(snapshot)
  if [ "$before" != "$after" ]; then
    echo "cluster tier: the machine changed:" >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    [ "$rc" = 0 ] && rc=1
  fi
  if [ "$rc" != 0 ] && [ -d "$work" ]; then
    echo "== logs of the failed run (the ends; all in $work)"
    find "$work" -name '*.log' -size +0 2>/dev/null | sort | while read -r f; do
      echo "--- $f"; tail -n 30 "$f"
    done
  fi
  step "done (exit $rc)"
  exit "$rc"
}
trap finish EXIT
trap 'exit 143' TERM INT

step "the node and the tests, in namespaces of their own"
# PID 1 in the new pid namespace is bash: it reaps the orphans containerd's
# shims leave, and when it exits the kernel kills everything left in it.
# --kill-child: when unshare dies (KILL), so does all of it.
# In the background, so that a TERM to this script runs finish at once
# (which stops it) instead of after it.
(cd tests/cluster && exec env ZOT_CLUSTER_NAMESPACES=1 ZOT_CLUSTER_WORK="$work" \
  ZOT_KUBE_BIN="$kube" ZOT_ESO_BIN="$eso" COREDNS_BIN="$coredns" PAUSE_BIN="$pause" \
  ZOT_BIN="$ZOT_BIN" DEX_BIN="$DEX_BIN" VERSITYGW_BIN="$versitygw" REDIS_SERVER="$(command -v redis-server)" \
  PULUMI_BIN="$PULUMI_BIN" PULUMI_KUBERNETES_BIN="$PULUMI_KUBERNETES_BIN" \
  PULUMI_LANGUAGE_YAML_BIN="$PULUMI_LANGUAGE_YAML_BIN" ZOT_PROVIDER_BIN="$cache/package/pulumi-resource-zot-registry" \
  RANDOM_STANDIN_BIN="$cache/standins/pulumi-resource-random" \
  GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOFLAGS=-mod=mod \
  unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private -- \
  bash -c '"$@"; exit $?' init "$cache/cluster.test" -test.v -test.count=1 -test.timeout=50m \
    -test.bench=Figures -test.benchtime=1x "$@") &
tier=$!
set +e
wait "$tier"
rc=$?
tier=
set -e
