# Shared helpers of scripts/bench-*.sh (sourced, not run).
# Every process a script starts is recorded and stopped by its pid on exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LOADGEN=$TARGET/release/flowfall-loadgen
CONTROLLER=$TARGET/release/examples/flowfall-controller
STARTED_PIDS=()

log() { printf '==> %s\n' "$*" >&2; }

stop_started() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    STARTED_PIDS=()
}
trap stop_started EXIT

# stop_pid PID: stop one process this script started.
stop_pid() {
    local pid=$1 keep=() p
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${STARTED_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    STARTED_PIDS=("${keep[@]}")
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
    local port=$1 deadline=$((SECONDS + ${2:-30}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ((SECONDS > deadline)); then
            log "nothing listens on port $port"
            return 1
        fi
        sleep 0.2
    done
}

# apt_install PACKAGE...: Debian packages, installing only what is missing.
apt_install() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]}"
    local sudo=
    ((EUID == 0)) || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_osken: the os-ken Python package.
ensure_osken() {
    python3 -c 'import os_ken' 2>/dev/null && return 0
    log "installing os-ken (pip)"
    python3 -m pip install --quiet os-ken
}

# build_tools: release builds of the generator and the FlowFall controller.
build_tools() {
    log "building flowfall-loadgen and flowfall-controller (release)"
    (cd "$ROOT" && cargo build --release --quiet -p flowfall-loadgen &&
        cargo build --release --quiet --example flowfall-controller)
}

# machine_info FILE: the machine the figures were measured on (Markdown).
machine_info() {
    {
        echo "| | |"
        echo "|---|---|"
        echo "| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1) |"
        echo "| cores (online) | $(nproc) |"
        echo "| memory | $(free -g | awk '/^Mem:/ {print $2 " GiB"}') |"
        echo "| kernel | $(uname -sr) |"
        echo "| OS | $(. /etc/os-release && echo "$PRETTY_NAME") |"
        echo "| rustc | $(rustc --version 2>/dev/null || echo -) |"
        echo "| Open vSwitch | $(ovs-vswitchd --version 2>/dev/null | head -1 | awk '{print $NF}') |"
        echo "| Python / os-ken | $(python3 --version 2>&1 | awk '{print $2}') / $(python3 -c 'import importlib.metadata as m; print(m.version("os-ken"))' 2>/dev/null || echo -) |"
    } >"$1"
}

# controller_settings FILE: flowfall-controller settings for benchmarks. VM health probes
# are off: they travel through the VNFs, which neither the emulated switches nor the bare
# benchmark bridge have, so every VM would be declared down and its customers moved. The
# outbound bound per switch is raised to 1 GiB: a reactive topology of a million addresses
# sends a million punt entries (~100 MB) to each switch at connect, more than the default
# 64 MiB a switch may lag behind before it counts as stalled.
controller_settings() {
    printf '[openflow]\noutbound_buffer = 1073741824\n\n[health]\nenabled = false\n' >"$1"
}
