#!/usr/bin/env bash
# Runs the convergence simulation (sync-server/test/sim/convergence-sim.test.ts) on seeds FROM..TO, far more
# than CI's, e.g. nightly: scripts/sim-seeds.sh 1 20000. Each seed replays exactly, so a failure printed
# here fails the same way under SIM_SEEDS=<seed>; keep it as a named regression seed in the test file.
# SIM_FULL=1 runs the smoke test's longer mix (40 actions per device) instead of the short one.
# SIM_CLOSE=1 has people close the app mid-run and open it again (a new engine over the same device store);
# SIM_STORE and SIM_FAULTS change the store's delays and the network's faults (sim/simulate.ts).
# Seeds go in chunks, one vitest process per chunk, two at a time (the machine's two cores).
set -euo pipefail
from=${1:?usage: scripts/sim-seeds.sh FROM TO [CHUNK]}
to=${2:?usage: scripts/sim-seeds.sh FROM TO [CHUNK]}
chunk=${3:-250}
cd "$(dirname "$0")/.."
log=$(mktemp -d /tmp/sim-seeds.XXXXXX)
pids=()
for ((a = from; a <= to; a += chunk)); do
  b=$((a + chunk - 1 < to ? a + chunk - 1 : to))
  SIM_SEEDS="$a-$b" npx vitest run --project main sync-server/test/sim/convergence-sim.test.ts \
    >"$log/$a-$b.txt" 2>&1 &
  pids+=($!)
  if ((${#pids[@]} >= 2)); then
    wait "${pids[0]}" || true
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || true; done
failed=$(grep -h '×' "$log"/*.txt | grep -oE 'seed [0-9]+' | sort -u -k2n || true)
echo "seeds $from..$to: logs in $log"
if [[ -n $failed ]]; then
  echo "$failed"
  exit 1
fi
echo "all passed"
