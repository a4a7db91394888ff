#!/usr/bin/env bash
# Controller comparison (PACKET_IN handling), on this machine, in one go, with the same
# generator settings for every controller:
#   - FlowFall in reactive mode, twice (J0 sends customer traffic upstream, J1 return traffic
#     downstream: 2 sending switches):
#       flowfall      examples/configs/bench-reactive.toml, 256 customer addresses: all are
#                     active after the warm-up, so this measures PACKET_IN -> PACKET_OUT
#       flowfall-new  a generated topology with NEW_ADDRESSES (524,288) addresses: nearly every
#                     PACKET_IN is an address without flows, so this measures path setup
#   - ovs-testcontroller (Debian package openvswitch-testcontroller; C learning switch)
#   - os-ken learning switch (PyPI os-ken; scripts/osken_simple_switch_13.py)
# The learning switches get the cbench-style learning workload on 2 switches, so all three
# see the same number of switches, the same window, duration and timeout.
#
# Runs per controller (each on a freshly started controller): throughput, latency (one
# PACKET_IN in flight per switch), and throughput paced at half of a peak rate: FlowFall
# (addresses active) and the learning switches at half of FlowFall's (addresses active) peak;
# FlowFall (new address per PACKET_IN) at half of its own peak, and ovs-testcontroller again
# at that rate for comparison (half-rate-new).
# Every run waits until the controller has stopped programming the switches (SETTLE_MS
# without a FLOW_MOD: FlowFall installs a punt entry per address at connect) before sending.
# CPU pinning (PIN=1, default on 2+ cores): every controller runs under `taskset -c
# $CTRL_CPUS` (0) and the generator under `taskset -c $GEN_CPUS` (1), so they never share a
# core with each other (other processes of the machine still may). The 1-minute load average
# before and after each run goes to NAME-KIND.load and into results.md.
# Writes JSON reports and results.md (tables with ratios) to $OUT.
#
# Usage: scripts/bench-controllers.sh
# Environment: DURATION (10) WARMUP (2) WINDOW (64) HOSTS (100) TIMEOUT_MS (5000)
#              NEW_ADDRESSES (524288) SETTLE_MS (1500) PIN (1) CTRL_CPUS (0) GEN_CPUS (1)
#              OUT (target/bench/controllers)
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
NEW_ADDRESSES=${NEW_ADDRESSES:-524288}
SETTLE_MS=${SETTLE_MS:-1500}
PIN=${PIN:-1}
CTRL_CPUS=${CTRL_CPUS:-0}
GEN_CPUS=${GEN_CPUS:-1}
CTRL_PIN=()
GEN_PIN=()
if [[ $PIN == 1 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    CTRL_PIN=(taskset -c "$CTRL_CPUS")
    GEN_PIN=(taskset -c "$GEN_CPUS")
fi
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
        "${CTRL_PIN[@]}" "$CONTROLLER" run --config "$(config_of "$1")" --settings "$OUT/controller-settings.toml" \
            --listen "127.0.0.1:$PORT" --no-api \
            >"$OUT/$1.log" 2>&1 &
        ;;
    ovs-testcontroller)
        "${CTRL_PIN[@]}" ovs-testcontroller -O OpenFlow13 --unixctl="$OUT/ovs-testcontroller.ctl" \
            "ptcp:$PORT:127.0.0.1" >"$OUT/ovs-testcontroller.log" 2>&1 &
        ;;
    os-ken)
        "${CTRL_PIN[@]}" python3 scripts/osken_simple_switch_13.py --port "$PORT" >"$OUT/os-ken.log" 2>&1 &
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
    # Each FlowFall switch holds a punt entry per address and two entries per active one.
    [[ $name == flowfall* ]] && workload=(--workload flowfall --config "$(config_of "$name")" --downstream
        --max-flows $((4 * NEW_ADDRESSES)))
    start "$name"
    log "$name: $kind"
    local before
    before=$(cut -d' ' -f1 /proc/loadavg)
    "${GEN_PIN[@]}" "$LOADGEN" bench --controller "127.0.0.1:$PORT" "${workload[@]}" --window "$WINDOW" \
        --duration "$DURATION" --warmup "$WARMUP" --timeout-ms "$TIMEOUT_MS" --settle-ms "$SETTLE_MS" \
        --setup-timeout 120 --label "$name" --json "$OUT/$name-$kind.json" "$@" | tee "$OUT/$name-$kind.txt"
    printf '{"load_before": %s, "load_after": %s, "pinned": %s}\n' "$before" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$([[ ${#CTRL_PIN[@]} -gt 0 ]] && echo true || echo false)" \
        >"$OUT/$name-$kind.load"
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

# half_of NAME: half of NAME's peak responses/s (throughput run), at least 1.
half_of() {
    python3 -c 'import json,sys
try: print(max(1, round(json.load(open(sys.argv[1]))["responses_per_sec"] / 2)))
except (OSError, ValueError, KeyError): print(1)' "$OUT/$1-throughput.json"
}
# Half of FlowFall's peak (addresses active) offered to the learning switches too; FlowFall
# setting up paths at half of its own peak, and ovs-testcontroller at that rate as well.
half=$(half_of flowfall)
half_new=$(half_of flowfall-new)
for name in $ONLY; do
    case $name in
    flowfall-new) run "$name" half-rate --mode throughput --rate "$half_new" ;;
    *) run "$name" half-rate --mode throughput --rate "$half" ;;
    esac
done
[[ " $ONLY " == *" flowfall-new "* && " $ONLY " == *" ovs-testcontroller "* ]] &&
    run ovs-testcontroller half-rate-new --mode throughput --rate "$half_new"

python3 scripts/bench_report.py controllers "$OUT" | tee "$OUT/results.md"
