#!/usr/bin/env bash
# Switch programming speed (issue item 3): a proactive install of FLOWS (100,000) entries
# into a private userspace-datapath Open vSwitch, timed
#   - ovs-ofctl -O OpenFlow13 add-flows FILE            (start to exit; it ends on a barrier)
#   - ovs-ofctl -O OpenFlow13 --bundle add-flows FILE
#   - flowfall-loadgen install [--bundle]               (TCP connect to BARRIER_REPLY)
#   - the FlowFall controller in proactive mode on a generated topology with about FLOWS
#     entries on J0 (set-controller until the bridge holds them all), unless NO_CONTROLLER=1
# on the same entries (flowfall-loadgen flows writes the file the installer sends), each
# into an empty bridge; the dumps of the ovs-ofctl and flowfall-loadgen installs are
# compared. Writes JSON per installer and results.md to $OUT.
#
# Usage: scripts/bench-install.sh      Environment: FLOWS (100000) OUT (target/bench/install)
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
cd "$ROOT"

FLOWS=${FLOWS:-100000}
OUT=${OUT:-$ROOT/target/bench/install}
PORT=${PORT:-16660}
mkdir -p "$OUT"
apt_install openvswitch-switch
build_tools
machine_info "$OUT/machine.md"

# A private Open vSwitch (docs: shared/ovs-lab-notes): its own run/db/log directory.
OVSDIR=$(mktemp -d /tmp/flowfall-bench-ovs.XXXXXX)
export OVS_RUNDIR=$OVSDIR OVS_LOGDIR=$OVSDIR OVS_DBDIR=$OVSDIR OVS_SYSCONFDIR=$OVSDIR
DB=unix:$OVSDIR/db.sock
stop_ovs() {
    local f pid
    for f in "$OVSDIR/ovs-vswitchd.pid" "$OVSDIR/ovsdb-server.pid"; do
        [[ -f $f ]] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    cp "$OVSDIR"/*.log "$OUT/" 2>/dev/null || true
    rm -rf "$OVSDIR"
}
# Its own network namespace too: a userspace datapath creates tap devices (ovs-netdev and one
# per bridge) that would clash with another Open vSwitch running on the machine. The
# installers run there as well, so the switch reaches them on that namespace's loopback.
NS=flowfall-bench-$$
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
trap 'stop_started; stop_ovs; ip netns del "$NS" 2>/dev/null || true' EXIT
ovsdb-tool create "$OVSDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
in_ns ovsdb-server "$OVSDIR/conf.db" --remote="punix:$OVSDIR/db.sock" --pidfile="$OVSDIR/ovsdb-server.pid" \
    --detach -vconsole:off --log-file="$OVSDIR/ovsdb-server.log"
ovs-vsctl --db="$DB" --no-wait init
in_ns ovs-vswitchd "$DB" --pidfile="$OVSDIR/ovs-vswitchd.pid" --detach -vconsole:off --log-file="$OVSDIR/ovs-vswitchd.log"
BR=bench
ovs-vsctl --db="$DB" add-br $BR -- set bridge $BR datapath_type=netdev protocols=OpenFlow13 \
    fail_mode=secure other-config:datapath-id=0000000000000001

ofctl() { ovs-ofctl -O OpenFlow13 "$@"; }
count() { ofctl dump-aggregate $BR | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p'; }
canonical_dump() { ofctl dump-flows --no-stats $BR | sed 's/^ *//' | sort; }
clear_bridge() {
    ovs-vsctl --db="$DB" del-controller $BR
    ofctl del-flows $BR
    [[ $(count) == 0 ]] || { log "bridge not empty"; exit 1; }
}
now() { date +%s.%N; }
json_result() { # NAME SECONDS
    printf '{"flows": %d, "connect_to_barrier_s": %s, "flows_in_switch": %d}\n' \
        "$FLOWS" "$2" "$(count)" >"$OUT/$1.json"
}

"$LOADGEN" flows --flows "$FLOWS" >"$OUT/flows.txt"

for variant in ofctl ofctl-bundle; do
    clear_bridge
    bundle=()
    [[ $variant == ofctl-bundle ]] && bundle=(--bundle)
    log "$variant: $FLOWS flows"
    t0=$(now)
    ofctl "${bundle[@]}" add-flows $BR "$OUT/flows.txt"
    t1=$(now)
    json_result "$variant" "$(python3 -c "print($t1 - $t0)")"
    [[ $variant == ofctl ]] && canonical_dump >"$OUT/dump-ofctl.txt"
done

for variant in loadgen loadgen-bundle; do
    clear_bridge
    bundle=()
    [[ $variant == loadgen-bundle ]] && bundle=(--bundle)
    log "$variant: $FLOWS flows"
    # `ip netns exec` execs the program, so $! is its pid (a shell function would fork).
    ip netns exec "$NS" "$LOADGEN" install --listen "127.0.0.1:$PORT" --flows "$FLOWS" "${bundle[@]}" \
        --json "$OUT/$variant.json" >"$OUT/$variant.txt" &
    pid=$!
    STARTED_PIDS+=("$pid")
    in_ns bash -c "source scripts/bench-lib.sh; wait_port $PORT"
    ovs-vsctl --db="$DB" set-controller $BR "tcp:127.0.0.1:$PORT"
    wait "$pid"
    STARTED_PIDS=()
    cat "$OUT/$variant.txt"
    canonical_dump >"$OUT/dump-$variant.txt"
    if ! cmp -s "$OUT/dump-ofctl.txt" "$OUT/dump-$variant.txt"; then
        log "$variant: the bridge holds different flows than after ovs-ofctl (see $OUT/dump-*.txt)"
        exit 1
    fi
done

if [[ ${NO_CONTROLLER:-0} != 1 ]]; then
    # About FLOWS entries on J0: one per customer address plus a few (`check` reports them).
    hosts=$(((FLOWS + 99) / 100))
    python3 scripts/gen_bench_topology.py --layers 1 --vms-per-layer 2 --customers 100 \
        --hosts-per-customer "$hosts" --mode proactive >"$OUT/proactive.toml"
    clear_bridge
    log "flowfall-controller (proactive): $(( 100 * hosts )) customer addresses"
    controller_settings "$OUT/controller-settings.toml"
    ip netns exec "$NS" "$CONTROLLER" run --config "$OUT/proactive.toml" --settings "$OUT/controller-settings.toml" \
        --listen "127.0.0.1:$PORT" --no-api \
        >"$OUT/controller.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    in_ns bash -c "source scripts/bench-lib.sh; wait_port $PORT 120"
    t0=$(now)
    ovs-vsctl --db="$DB" set-controller $BR "tcp:127.0.0.1:$PORT"
    # Programmed when the entry count stops growing for 1 s after it first rose.
    last=-1 stable_since=
    deadline=$((SECONDS + 300))
    while ((SECONDS < deadline)); do
        n=$(count)
        if [[ $n == "$last" && $n -gt 0 ]]; then
            [[ -n $stable_since ]] && (($(python3 -c "print(int($(now) - $stable_since >= 1))"))) && break
        else
            last=$n stable_since=$(now) t1=$stable_since
        fi
        sleep 0.05
    done
    printf '{"flows": %d, "connect_to_barrier_s": %s, "flows_in_switch": %d}\n' \
        "$last" "$(python3 -c "print($t1 - $t0)")" "$last" >"$OUT/controller.json"
    stop_pid "$pid"
fi

python3 scripts/bench_report.py install "$OUT" | tee "$OUT/results.md"
