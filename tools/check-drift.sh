#!/usr/bin/env bash
# Fails when schema.graphql or the generated typed documents differ from what the code produces.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent schema:emit >/dev/null
npx graphql-codegen --config codegen.yml --silent >/dev/null
if ! git diff --quiet --exit-code -- schema.graphql test/generated || [ -n "$(git status --porcelain -- schema.graphql test/generated)" ]; then
  echo "schema.graphql or test/generated/ is out of date: run 'npm run schema:emit && npm run codegen' and commit the result." >&2
  git --no-pager diff --stat -- schema.graphql test/generated >&2
  exit 1
fi
echo "schema.graphql and generated documents are up to date"
