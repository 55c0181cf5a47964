#!/usr/bin/env bash
# Builds the External Secrets Operator controller
# (github.com/external-secrets/external-secrets) from the Go module proxy into
# a cache folder, and reuses it when present. Prints the binary's folder on
# its last line of stdout.
#
# ESO's go.mod replaces one module (Masterminds/sprig with ESO's own fork); a
# replace only applies in the main module, so a wrapper module repeats it and
# builds ESO's own entry point (cmd/controller Execute, as ESO's main.go does).
# The root command is the controller alone: the webhook and the cert
# controller are separate subcommands and do not start.
#
# The build registers only the providers the tier uses (ESO_PROVIDERS,
# default kubernetes) and no generators. ESO registers them by blank imports
# in two files, pkg/provider/register/register.go and
# pkg/generator/register/register.go; the build copies ESO's module source
# into the cache folder, rewrites those two files and builds the copy. Every
# other file is ESO's own. All 33 providers pull in every cloud SDK (2016
# packages to compile, 781 s cold); the kubernetes provider alone needs 893
# (155 s cold). Set ESO_PROVIDERS="kubernetes vault" to add one.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ESO_VERSION=${ESO_VERSION:-v0.20.4}
ESO_PROVIDERS=${ESO_PROVIDERS:-kubernetes}
ESO_MODULE=github.com/external-secrets/external-secrets
CACHE=${ZOT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zot-registry/kube}
# The folder names the providers, so a build with others is never reused.
BIN="$CACHE/bin-eso-$ESO_VERSION-$(echo "$ESO_PROVIDERS" | tr -s ' /' '+_')"

log() { echo "[eso build] $*" >&2; }

if [ -x "$BIN/external-secrets" ] && "$BIN/external-secrets" --help >/dev/null 2>&1; then
  log "reusing $BIN/external-secrets ($ESO_VERSION)"
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
work="$CACHE/wrapper-eso-$ESO_VERSION"
mkdir -p "$work" "$BIN"
# An earlier run's go.mod replaces ESO with the copy, and go mod download
# skips a module replaced by a folder: locate ESO without it.
rm -f "$work/go.mod" "$work/go.sum"

log "locating $ESO_MODULE@$ESO_VERSION"
eso_dir=$(module_dir "$ESO_MODULE@$ESO_VERSION" "$work")

# ESO's replaces, read from its own go.mod rather than listed here.
replaces=$(sed -n 's#^replace \(.* => .*\)$#\1#p' "$eso_dir/go.mod")
log "replaces from ESO's go.mod: ${replaces:-none}"

# ESO's source with only the chosen providers registered.
src="$work/src"
if [ -d "$src" ]; then chmod -R u+w "$src"; rm -rf "$src"; fi
cp -r "$eso_dir" "$src"
chmod -R u+w "$src"
for p in $ESO_PROVIDERS; do
  [ -d "$src/pkg/provider/$p" ] || { log "ESO $ESO_VERSION has no provider pkg/provider/$p"; exit 1; }
done
{
  echo "// Package register registers the providers the zot-registry tier uses"
  echo "// (tests/kube/build-eso.sh rewrites ESO's file of the same name)."
  echo "package register"
  echo
  for p in $ESO_PROVIDERS; do echo "import _ \"$ESO_MODULE/pkg/provider/$p\""; done
} >"$src/pkg/provider/register/register.go"
{
  echo "// Package register registers no generators: the zot-registry tier uses"
  echo "// none (tests/kube/build-eso.sh rewrites ESO's file of the same name)."
  echo "package register"
} >"$src/pkg/generator/register/register.go"

{
  echo "module zot-registry.local/eso-controller"
  echo
  echo "go 1.24.2"
  echo
  echo "require $ESO_MODULE $ESO_VERSION"
  echo
  echo "replace $ESO_MODULE => ./src"
  while IFS= read -r r; do [ -n "$r" ] && echo "replace $r"; done <<<"$replaces"
} >"$work/go.mod"

cat >"$work/main.go" <<'GO'
// Command external-secrets is ESO's controller, built from its own package.
package main

import "github.com/external-secrets/external-secrets/cmd/controller"

func main() { controller.Execute() }
GO

cd "$work"
log "resolving the module graph"
go mod tidy -e >&2
log "building the controller with providers: $ESO_PROVIDERS (cold: 3 minutes on 2 cores)"
go build -trimpath -ldflags "-s -w" -o "$BIN/external-secrets.tmp" .
mv "$BIN/external-secrets.tmp" "$BIN/external-secrets"
log "built in $(( $(date +%s) - start )) s"
echo "$BIN"
