#!/usr/bin/env bash
# Runs the convergence test's seeds with the CPU taken by busy processes, as on a shared CI machine, where
# timing races show that an idle machine hides. Not part of `npm test` (it is slow and exploratory).
#
#   scripts/convergence-under-load.sh [busy-processes=2] [seeds=1-40] [slow-store=0|1]
#
# Failing seeds write their traces to /tmp/convergence-<seed>-client<n>.txt; the failure message says
# which documents differ between devices and what each holds that the other does not.
set -euo pipefail
cd "$(dirname "$0")/.."
busy=${1:-2}
seeds=${2:-1-40}
slow=${3:-0}
pids=()
for _ in $(seq 1 "$busy"); do (while :; do :; done) & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
CONVERGENCE_SEEDS="$seeds" CONVERGENCE_SLOW_STORAGE="$slow" CONVERGENCE_TRACE=1 \
  npx vitest run sync-server/test/convergence.test.ts
