#!/usr/bin/env bash
# Renders every stack on this checkout (with the policy check) and on a base
# commit, and writes the difference for review:
#
#   bash scripts/render-diff.sh <base-ref> <out-dir>
#
# <out-dir>/render.diff   unified diff of the two renders (base -> head)
# <out-dir>/comment.md    the pull-request comment (summary + diff, trimmed)
# Needs no credentials: both renders run under mocks. Exits non-zero when the
# head render fails or violates a policy rule; a base that cannot render
# (older code, a stack added by this change) shows as an empty side.
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref=${1:?usage: render-diff.sh <base-ref> <out-dir>}
out=$(mkdir -p "${2:?usage: render-diff.sh <base-ref> <out-dir>}" && cd "$2" && pwd)
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

status=0
mkdir -p "$work/head" "$work/render-base"
for f in Pulumi.*.yaml; do
  [ -e "$f" ] || continue # a project without stack files
  stack=${f#Pulumi.}; stack=${stack%.yaml}
  if ! go run ./cmd/render -stack "$stack" -out "$work/head/$stack" -check >"$work/head-$stack.log" 2>&1; then
    status=1
  fi
done

git worktree add --detach "$work/base" "$base_ref" >/dev/null 2>&1
for f in "$work"/base/Pulumi.*.yaml; do
  [ -e "$f" ] || continue
  stack=$(basename "$f"); stack=${stack#Pulumi.}; stack=${stack%.yaml}
  (cd "$work/base" && go run ./cmd/render -stack "$stack" -out "$work/render-base/$stack") \
    >"$work/base-$stack.log" 2>&1 || echo "base: stack $stack does not render" >>"$work/base-failures"
done

# Paths relative to the two render roots, no timestamps: the diff is stable.
(cd "$work" && diff -ruN render-base head || true) \
  | sed -e "s#$work/##g" -e 's#^\(---\|+++\) \([^\t]*\)\t.*#\1 \2#' >"$out/render.diff"

{
  echo "<!-- zot-registry render diff -->"
  echo "### Offline render: \`$base_ref\` → this pull request"
  echo
  for log in "$work"/head-*.log; do
    stack=$(basename "$log" .log); stack=${stack#head-}
    if grep -q '^policy: ' "$log"; then
      echo "- **$stack**: $(grep '^rendered' "$log" | head -1 | sed "s# in $work/head/[^ ]*##"); $(grep '^policy: ' "$log")"
    else
      echo "- **$stack**: :x: render or policy check failed"
      echo '```'; tail -20 "$log"; echo '```'
    fi
  done
  [ -f "$work/base-failures" ] && sed 's/^/- /' "$work/base-failures"
  echo
  lines=$(wc -l <"$out/render.diff")
  if [ "$lines" -eq 0 ]; then
    echo "No change in what any stack would deploy."
  else
    echo "<details><summary>Diff of the render ($lines lines)</summary>"
    echo
    echo '```diff'
    head -c 60000 "$out/render.diff"
    echo '```'
    [ "$(wc -c <"$out/render.diff")" -gt 60000 ] && echo "(trimmed; the full diff is in the run's artifact)"
    echo "</details>"
  fi
} >"$out/comment.md"
echo "render diff: $(wc -l <"$out/render.diff") lines; comment in $out/comment.md"
exit "$status"
