#!/usr/bin/env bash
# The integration tier (docs/development.md: "Integration tier"): builds or reuses
# kube-apiserver, etcd and the External Secrets Operator controller, then
# runs the Go integration tests against them.
# Nothing but 127.0.0.1 is used; the tests start and stop the server.
set -euo pipefail
cd "$(dirname "$0")/../.."

start=$(date +%s)
bin=$(bash tests/kube/build.sh | tail -1)
echo "== kube binaries ready in $(( $(date +%s) - start )) s: $bin"
start=$(date +%s)
eso=$(bash tests/kube/build-eso.sh | tail -1)
echo "== ESO controller ready in $(( $(date +%s) - start )) s: $eso"

ZOT_KUBE_BIN="$bin" ZOT_ESO_BIN="$eso" go test -tags integration -count=1 -v ./tests/kube/
