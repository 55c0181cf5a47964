#!/usr/bin/env bash
# golangci-lint at the version tests/golint's go.mod pins (a module of its
# own: its ~200 dependencies stay out of the product's graph), on the main
# module with .golangci.yml.
#   scripts/lint.sh build   build it (a cache hit when nothing changed)
#   scripts/lint.sh         build it, then lint
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${XDG_CACHE_HOME:-$HOME/.cache}/zot-registry/bin/golangci-lint"
mkdir -p "$(dirname "$bin")"
(cd tests/golint && go build -o "$bin" github.com/golangci/golangci-lint/v2/cmd/golangci-lint)
if [ "${1:-}" = build ]; then exit 0; fi
"$bin" run ./...
