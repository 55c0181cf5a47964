# Shared by build.sh and build-eso.sh (sourced, not run).

# module_dir MODULE@VERSION WORKDIR prints the module's folder in the Go
# module cache, downloading it from the proxy if needed, and fails unless
# the folder holds a go.mod. WORKDIR is any folder outside this repository,
# so the project's go.mod stays as it is.
module_dir() {
  local dir
  dir=$(cd "$2" && GOFLAGS=-mod=mod go mod download -json "$1" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ ! -f "$dir/go.mod" ]; then
    echo "$1 has no go.mod at '$dir'" >&2
    return 1
  fi
  echo "$dir"
}
