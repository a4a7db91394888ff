#!/usr/bin/env bash
# Scale (issue item 4): SWITCHES (1000) emulated switches connect at once to one FlowFall
# controller in proactive mode; report the time until every junction switch is programmed
# (reconciled: FLOW_STATS read, difference sent, BARRIER_REPLY) and the controller's RSS.
#
# A FlowFall topology has one junction switch per layer boundary and at most 64 layers, so
# one controller manages at most 65 junctions: the generated topology has 64 layers (65
# junctions, dpids 1..65, service set from the config since 64 layers exceed the DSCP bits)
# and the other switches are switches the controller does not manage (it completes their
# handshake and keeps their channels alive, but programs nothing on them).
#
# Usage: scripts/bench-scale.sh
# Environment: SWITCHES (1000) LAYERS (64) CUSTOMERS (64) HOSTS (16) OUT (target/bench/scale)
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

SWITCHES=${SWITCHES:-1000}
LAYERS=${LAYERS:-64}
CUSTOMERS=${CUSTOMERS:-64}
HOSTS=${HOSTS:-16}
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

python3 scripts/gen_bench_topology.py --layers "$LAYERS" --vms-per-layer 2 --customers "$CUSTOMERS" \
    --hosts-per-customer "$HOSTS" --services mixed --mode proactive >"$OUT/scale.toml"
"$CONTROLLER" check --config "$OUT/scale.toml" >"$OUT/check.txt" 2>&1 || {
    cat "$OUT/check.txt"
    exit 1
}

controller_settings "$OUT/controller-settings.toml"
"$CONTROLLER" run --config "$OUT/scale.toml" --settings "$OUT/controller-settings.toml" \
    --listen "127.0.0.1:$PORT" --no-api >"$OUT/controller.log" 2>&1 &
pid=$!
STARTED_PIDS+=("$pid")
wait_port "$PORT" 120
log "$SWITCHES switches ($((LAYERS + 1)) junctions) against flowfall-controller (pid $pid)"
"$LOADGEN" scale --controller "127.0.0.1:$PORT" --switches "$SWITCHES" --config "$OUT/scale.toml" \
    --first-dpid 1001 --pid "$pid" --expect-programmed "$((LAYERS + 1))" --quiet 2 \
    --json "$OUT/scale-flowfall.json" | tee "$OUT/scale-flowfall.txt"
stop_pid "$pid"

python3 scripts/bench_report.py scale "$OUT" | tee "$OUT/results.md"
