#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). CI runs it through
# .ci/run. It fails on the first problem.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go build + go vet"
go build ./...
go vet ./...
# The integration tier compiles here even where it is not run.
go vet -tags integration ./tests/kube/

echo "== go test"
go test -count=1 ./...

echo "== offline render and policy check of every stack"
for f in Pulumi.*.yaml; do
  stack=${f#Pulumi.}; stack=${stack%.yaml}
  go run ./cmd/render -stack "$stack" -out "out/$stack" -check
done
