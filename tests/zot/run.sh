#!/usr/bin/env bash
# The zot tier (docs/development.md: "Zot tier"): every config.json the
# program generates runs in the real zot v2.1.20 beside a real S3 server
# (versitygw), OpenID provider (dex) and Redis, all on 127.0.0.1.
#
# Binaries, each from the environment when set, else set up here:
#   ZOT_BIN, DEX_BIN   ../shared/bin/unpack (this workplace), or the release
#                      assets (the GitHub workflow sets both)
#   VERSITYGW_BIN      go install …/versitygw@v1.8.0 into the cache
#   REDIS_SERVER       Debian's redis-server
# Cache: ${ZOT_TIER_CACHE:-~/.cache/zot-registry/zot-tier}.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=${ZOT_TIER_CACHE:-$HOME/.cache/zot-registry/zot-tier}
mkdir -p "$cache"

start=$(date +%s)
if [ -z "${ZOT_BIN:-}" ] || [ -z "${DEX_BIN:-}" ]; then
  unpack=../shared/bin/unpack
  if [ ! -x "$unpack" ]; then
    echo "zot tier: ZOT_BIN and DEX_BIN are not set and $unpack is missing." >&2
    echo "  Set ZOT_BIN to zot v2.1.20 (release asset zot-linux-amd64, checked against checksums.sha256.txt)" >&2
    echo "  and DEX_BIN to dex v2.45.1 (built from its tag)." >&2
    exit 1
  fi
  bin=$(bash "$unpack" "$cache/bin" | tail -1)
  export ZOT_BIN=${ZOT_BIN:-$bin/zot} DEX_BIN=${DEX_BIN:-$bin/dex}
fi
if [ -z "${VERSITYGW_BIN:-}" ]; then
  export VERSITYGW_BIN=$cache/versitygw-v1.8.0/versitygw
  if [ ! -x "$VERSITYGW_BIN" ]; then
    GOBIN=$(dirname "$VERSITYGW_BIN") go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
  fi
fi
if [ -z "${REDIS_SERVER:-}" ]; then
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
  fi
  export REDIS_SERVER=$(command -v redis-server)
fi
echo "== zot tier binaries ready in $(( $(date +%s) - start )) s: $ZOT_BIN $DEX_BIN $VERSITYGW_BIN $REDIS_SERVER"

cd tests/zot
go vet ./...
go test -count=1 -timeout 20m -v ./...
