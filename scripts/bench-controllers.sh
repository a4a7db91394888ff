#!/usr/bin/env bash
# Controller comparison (PACKET_IN handling), on this machine, in one go, with the same
# generator settings for every controller:
#   - FlowFall in reactive mode, twice (J0 sends customer traffic upstream, J1 return traffic
#     downstream: 2 sending switches):
#       flowfall      examples/configs/bench-reactive.toml, 256 customer addresses: all are
#                     active after the warm-up, so this measures PACKET_IN -> PACKET_OUT
#       flowfall-new  a generated topology with NEW_ADDRESSES (65,536) addresses: nearly every
#                     PACKET_IN is an address without flows, so this measures path setup
#   - ovs-testcontroller (Debian package openvswitch-testcontroller; C learning switch)
#   - os-ken learning switch (PyPI os-ken; scripts/osken_simple_switch_13.py)
# The learning switches get the cbench-style learning workload on 2 switches, so all three
# see the same number of switches, the same window, duration and timeout.
#
# Runs per controller (each on a freshly started controller): throughput, latency (one
# PACKET_IN in flight per switch), and throughput paced at half of FlowFall's peak rate.
# Writes JSON reports and results.md (tables with ratios) to $OUT.
#
# Usage: scripts/bench-controllers.sh
# Environment: DURATION (10) WARMUP (2) WINDOW (64) HOSTS (100) TIMEOUT_MS (5000)
#              NEW_ADDRESSES (65536) OUT (target/bench/controllers)
#              ONLY ("flowfall flowfall-new ovs-testcontroller os-ken")
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
WINDOW=${WINDOW:-64}
HOSTS=${HOSTS:-100}
TIMEOUT_MS=${TIMEOUT_MS:-5000}
OUT=${OUT:-$ROOT/target/bench/controllers}
NEW_ADDRESSES=${NEW_ADDRESSES:-65536}
ONLY=${ONLY:-flowfall flowfall-new ovs-testcontroller os-ken}
PORT=${PORT:-16653}
CONFIG=examples/configs/bench-reactive.toml
mkdir -p "$OUT"
NEW_CONFIG=$OUT/bench-reactive-new.toml
python3 scripts/gen_bench_topology.py --layers 1 --vms-per-layer 2 --customers 64 \
    --hosts-per-customer $(((NEW_ADDRESSES + 63) / 64)) --mode reactive >"$NEW_CONFIG"

apt_install openvswitch-testcontroller
ensure_osken
build_tools
machine_info "$OUT/machine.md"
controller_settings "$OUT/controller-settings.toml"

config_of() { if [[ $1 == flowfall-new ]]; then echo "$NEW_CONFIG"; else echo "$CONFIG"; fi; }

# start NAME: starts controller NAME on $PORT; sets CTRL_PID.
start() {
    case $1 in
    flowfall | flowfall-new)
        "$CONTROLLER" run --config "$(config_of "$1")" --settings "$OUT/controller-settings.toml" \
            --listen "127.0.0.1:$PORT" --no-api \
            >"$OUT/$1.log" 2>&1 &
        ;;
    ovs-testcontroller)
        ovs-testcontroller -O OpenFlow13 --unixctl="$OUT/ovs-testcontroller.ctl" \
            "ptcp:$PORT:127.0.0.1" >"$OUT/ovs-testcontroller.log" 2>&1 &
        ;;
    os-ken)
        python3 scripts/osken_simple_switch_13.py --port "$PORT" >"$OUT/os-ken.log" 2>&1 &
        ;;
    esac
    CTRL_PID=$!
    STARTED_PIDS+=("$CTRL_PID")
    wait_port "$PORT" 60
}

# run NAME KIND ARGS...: one generator run against a fresh controller NAME.
run() {
    local name=$1 kind=$2
    shift 2
    local workload=(--workload learning --switches "${SWITCHES_OVERRIDE:-2}" --hosts "$HOSTS")
    [[ $name == flowfall* ]] && workload=(--workload flowfall --config "$(config_of "$name")" --downstream)
    start "$name"
    log "$name: $kind"
    "$LOADGEN" bench --controller "127.0.0.1:$PORT" "${workload[@]}" --window "$WINDOW" \
        --duration "$DURATION" --warmup "$WARMUP" --timeout-ms "$TIMEOUT_MS" \
        --label "$name" --json "$OUT/$name-$kind.json" "$@" | tee "$OUT/$name-$kind.txt"
    stop_pid "$CTRL_PID"
}

for name in $ONLY; do
    run "$name" throughput --mode throughput
    run "$name" latency --mode latency
done

# Reference: the learning switches with cbench's default of 16 switches (FlowFall cannot have
# more than its two edge junctions sending), throughput only.
for name in $ONLY; do
    [[ $name == flowfall* ]] && continue
    SWITCHES_OVERRIDE=16 run "$name" throughput-16 --mode throughput
done

# Half of FlowFall's peak, offered to every controller.
peak=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["responses_per_sec"])' \
    "$OUT/flowfall-throughput.json" 2>/dev/null || echo 0)
half=$(python3 -c "print(max(1, round(float('$peak') / 2)))")
for name in $ONLY; do
    run "$name" half-rate --mode throughput --rate "$half"
done

python3 scripts/bench_report.py controllers "$OUT" | tee "$OUT/results.md"
