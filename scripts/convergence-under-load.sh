#!/usr/bin/env bash
# Runs the real-socket convergence smoke test's seeds with the CPU taken by busy processes, as on a shared
# CI machine, where timing races show that an idle machine hides. Not part of `npm test` (it is slow and
# exploratory). A race found here is not replayable: look for it in the simulation instead
# (scripts/sim-seeds.sh, SIM_STORE and SIM_FAULTS in sync-server/test/sim/convergence-sim.test.ts).
#
#   scripts/convergence-under-load.sh [busy-processes=2] [seeds=1-40] [slow-store=0|1]
#
# The failure message says which documents differ between devices and what each holds that the other
# does not.
set -euo pipefail
cd "$(dirname "$0")/.."
busy=${1:-2}
seeds=${2:-1-40}
slow=${3:-0}
pids=()
for _ in $(seq 1 "$busy"); do (while :; do :; done) & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
CONVERGENCE_SEEDS="$seeds" CONVERGENCE_SLOW_STORAGE="$slow" \
  npx vitest run sync-server/test/convergence.test.ts
