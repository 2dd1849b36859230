#!/usr/bin/env bash
# The fuzz suites, longer than the short form `npm test` runs: CAMQ_FUZZ_RUNS_SCALE multiplies every property's case
# count (default here 20). Set CAMQ_FUZZ_SEED to replay a printed seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAMQ_FUZZ_RUNS_SCALE="${CAMQ_FUZZ_RUNS_SCALE:-20}"
npm run build --silent
exec npx vitest run --project fuzz --testTimeout=0 "$@"
