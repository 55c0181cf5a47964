#!/usr/bin/env bash
# The workflows' stack list: one matrix entry per Pulumi.<stack>.yaml in the
# project folder (the working directory, or $1), so a new environment is one
# file and no workflow edit. Printed as a JSON array of
#   {"stack": "<stack>", "prefix": "<STACK>"}
# where prefix is the stack name as the start of a secret or variable name
# (upper case, '-' and '.' as '_': <PREFIX>_KUBECONFIG).
#
# Order: the names in DEPLOY_ORDER (a repository variable, space-separated),
# which must then name every stack; without it, by name. deploy.yml runs
# them one at a time in this order.
set -euo pipefail
dir=${1:-.}
shopt -s nullglob
declare -A have=()
names=()
for f in "$dir"/Pulumi.*.yaml; do
  s=${f##*/Pulumi.}; s=${s%.yaml}
  # Pulumi's stack names: letters, digits, '-', '_', '.'.
  if [[ ! $s =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]]; then
    echo "stacks.sh: ${f##*/} does not name a Pulumi stack (letters, digits, '-', '_', '.')" >&2
    exit 1
  fi
  have[$s]=1
  names+=("$s")
done
if [ ${#names[@]} -eq 0 ]; then
  echo "stacks.sh: no Pulumi.<stack>.yaml in $dir" >&2
  exit 1
fi
ordered=()
declare -A placed=()
# Words, not globs: a '*' in the variable must not become file names.
read -ra order <<<"${DEPLOY_ORDER:-}"
for s in "${order[@]}"; do
  if [ -z "${have[$s]:-}" ]; then
    echo "stacks.sh: DEPLOY_ORDER names $s, but there is no Pulumi.$s.yaml; remove it from the variable or add the file" >&2
    exit 1
  fi
  if [ -z "${placed[$s]:-}" ]; then ordered+=("$s"); placed[$s]=1; fi
done
while IFS= read -r s; do
  if [ -n "${placed[$s]:-}" ]; then continue; fi
  # With an order set, a stack it leaves out would deploy last, after
  # production: the variable must name every stack.
  if [ ${#order[@]} -gt 0 ]; then
    echo "stacks.sh: DEPLOY_ORDER does not name $s (Pulumi.$s.yaml); add it where it belongs in the order" >&2
    exit 1
  fi
  ordered+=("$s")
done < <(printf '%s\n' "${names[@]}" | LC_ALL=C sort)
out=""
declare -A prefixes=()
for s in "${ordered[@]}"; do
  prefix=$(printf '%s' "$s" | tr 'a-z.-' 'A-Z__')
  if [ -n "${prefixes[$prefix]:-}" ]; then
    echo "stacks.sh: stacks ${prefixes[$prefix]} and $s share the secret prefix $prefix; rename one" >&2
    exit 1
  fi
  prefixes[$prefix]=$s
  out+="${out:+,}{\"stack\":\"$s\",\"prefix\":\"$prefix\"}"
done
echo "[$out]"
