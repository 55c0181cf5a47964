#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). CI runs it through
# .ci/run. It fails on the first problem.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step prints the seconds since the start, so a CI log shows where a
# cold run spends its time.
start=$SECONDS
step() { echo "== $* (at $((SECONDS - start)) s)"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go build"
go build ./...

step "golangci-lint (.golangci.yml: go vet's checks and a short set besides)"
# Its govet runs go vet's analyzers, so this module has no go vet step of
# its own; with the integration build tag, tests/kube's integration tier is
# checked even where it is not run.
bash scripts/lint.sh

step "go test"
go test -count=1 ./...

step "engine tier: the program under the real Pulumi engine (tests/engine)"
# A module of its own: pkg/v3 (the engine) requires a go.yaml.in/yaml/v4
# that actionlint in the main module cannot build with, and the program's
# dependencies stay those the program needs.
(cd tests/engine && go vet ./... && go test -count=1 ./...)

step "component package: the provider and its schema (provider/)"
# A module of its own for the same reason: pulumi-go-provider needs pkg/v3.
# Its versions are the engine tier's, so the two share compiled packages.
(cd provider && go vet ./... && go test -count=1 ./... && go build -o /dev/null .)

step "workflows: actionlint (tests/workflowlint, a module of its own)"
(cd tests/workflowlint && go vet ./... && go test -count=1 ./...)

step "TypeScript example: SDK generated from the provider's schema, tsc --noEmit (tests/typescript)"
bash tests/typescript/run.sh

step "offline render and policy check of every stack"
shopt -s nullglob # a project without stack files renders none
for f in Pulumi.*.yaml; do
  stack=${f#Pulumi.}; stack=${stack%.yaml}
  go run ./cmd/render -stack "$stack" -out "out/$stack" -check
done
step "done"
