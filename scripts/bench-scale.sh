#!/usr/bin/env bash
# Scale (issue item 4): SWITCHES (1000) emulated switches connect at once to one FlowFall
# controller in proactive mode, every one of them a managed junction switch; report the time
# until every switch is programmed (reconciled: FLOW_STATS read, difference sent,
# BARRIER_REPLY) and the controller's RSS.
#
# A FlowFall chain has one junction switch per layer boundary and at most 64 layers, so one
# chain has at most 65 junctions. The controller serves several chains (one topology file
# each, switch-disjoint; docs/config.md "Several chains"): CHAINS (40) chains of LAYERS (24)
# layers are 40 x 25 = 1,000 junctions, dpids 1..1000 (chain k: 25k+1 .. 25k+25). Every
# connection starts at the first chain's core and is handed over to its chain's core by its
# FEATURES_REPLY. With fewer junctions than SWITCHES, the rest are switches of no chain
# (unmanaged: handshake and echoes, nothing programmed).
#
# Usage: scripts/bench-scale.sh
# Environment: SWITCHES (1000) CHAINS (40) LAYERS (24) CUSTOMERS (64) HOSTS (4)
#              OUT (target/bench/scale)
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

SWITCHES=${SWITCHES:-1000}
CHAINS=${CHAINS:-40}
LAYERS=${LAYERS:-24}
CUSTOMERS=${CUSTOMERS:-64}
HOSTS=${HOSTS:-4}
OUT=${OUT:-$ROOT/target/bench/scale}
PORT=${PORT:-16670}
mkdir -p "$OUT"
build_tools
machine_info "$OUT/machine.md"
# One socket per switch on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 2 * SWITCHES + 64)); then
    log "open-file limit $(ulimit -n) is too low for $SWITCHES switches"
    exit 1
fi

JUNCTIONS=$((CHAINS * (LAYERS + 1)))
rm -f "$OUT"/chain-*.toml
if ((CHAINS == 1)); then
    python3 scripts/gen_bench_topology.py --layers "$LAYERS" --vms-per-layer 2 --customers "$CUSTOMERS" \
        --hosts-per-customer "$HOSTS" --services mixed --mode proactive >"$OUT/chain-0.toml"
else
    python3 scripts/gen_bench_topology.py --chains "$CHAINS" --layers "$LAYERS" --vms-per-layer 2 \
        --customers "$CUSTOMERS" --hosts-per-customer "$HOSTS" --services mixed --mode proactive \
        --out "$OUT/chain" >/dev/null
fi
configs=()
for ((k = 0; k < CHAINS; k++)); do
    configs+=(--config "$OUT/chain-$k.toml")
done
"$CONTROLLER" check "${configs[@]}" >"$OUT/check.txt" 2>&1 || {
    cat "$OUT/check.txt"
    exit 1
}
tail -n 1 "$OUT/check.txt"

controller_settings "$OUT/controller-settings.toml"
"$CONTROLLER" run "${configs[@]}" --settings "$OUT/controller-settings.toml" \
    --listen "127.0.0.1:$PORT" --no-api >"$OUT/controller.log" 2>&1 &
pid=$!
STARTED_PIDS+=("$pid")
wait_port "$PORT" 120
expected=$((JUNCTIONS < SWITCHES ? JUNCTIONS : SWITCHES))
log "$SWITCHES switches ($CHAINS chains, $JUNCTIONS junctions) against flowfall-controller (pid $pid)"
"$LOADGEN" scale --controller "127.0.0.1:$PORT" --switches "$SWITCHES" "${configs[@]}" \
    --first-dpid $((JUNCTIONS + 1)) --pid "$pid" --expect-programmed "$expected" --quiet 2 \
    --json "$OUT/scale-flowfall.json" | tee "$OUT/scale-flowfall.txt"
stop_pid "$pid"

python3 scripts/bench_report.py scale "$OUT" | tee "$OUT/results.md"
