#!/usr/bin/env python3
"""Turns the JSON reports of scripts/bench-*.sh into Markdown tables with ratios.

    scripts/bench_report.py controllers DIR   # bench-controllers.sh output
    scripts/bench_report.py install DIR       # bench-install.sh output
    scripts/bench_report.py scale DIR         # bench-scale.sh output
"""

import json
import os
import sys

OURS = "flowfall"  # FlowFall with its addresses active: PACKET_IN -> PACKET_OUT
OURS_NEW = "flowfall-new"  # FlowFall with a new address per PACKET_IN: path setup
PEERS = ["ovs-testcontroller", "os-ken"]
LABELS = {
    OURS: "FlowFall (reactive, addresses active)",
    OURS_NEW: "FlowFall (reactive, new address per PACKET_IN)",
    "ovs-testcontroller": "ovs-testcontroller (learning switch)",
    "os-ken": "os-ken simple_switch_13 (learning switch)",
}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return "-" if not a or not b else f"{a / b:.2f}x"


def machine(d):
    text = open(os.path.join(d, "machine.md")).read() if os.path.exists(os.path.join(d, "machine.md")) else ""
    return text.strip()


def loadavg(d, name, kind):
    """The 1-minute load average before/after a run (bench-controllers.sh writes NAME-KIND.load)."""
    j = load(os.path.join(d, f"{name}-{kind}.load"))
    if not j:
        return "-"
    return f"{j.get('load_before', 0):.1f} / {j.get('load_after', 0):.1f}"


def controllers(d):
    names = [n for n in [OURS, OURS_NEW] + PEERS if load(os.path.join(d, f"{n}-throughput.json"))]
    kinds = ("throughput", "latency", "half-rate", "half-rate-new")
    r = {n: {k: load(os.path.join(d, f"{n}-{k}.json")) for k in kinds} for n in names}
    out = []
    w = out.append
    first = next(iter(r.values()), {}).get("throughput") or {}
    w("Flow setups/s: answers that were FLOW_MODs (a flow set up for the packet); the rest were "
      "PACKET_OUTs alone (FlowFall: the address already had its flows).")
    w("")
    w(f"Generator: {first.get('sending_switches', '?')} sending switches, window {first.get('window', '?')}, "
      f"{fmt(first.get('duration_s'))} s measured after a warm-up; latency mode keeps one PACKET_IN in "
      "flight per switch.")
    w("")
    pinned = load(os.path.join(d, f"{names[0]}-throughput.load")) if names else None
    if pinned:
        w("CPU pinning: " + ("controller and generator on separate cores (taskset)."
                             if pinned.get("pinned") else "none."))
        w("")
    w("| controller | responses/s | flow setups/s | throughput p50 µs | p99 µs | load avg | latency mode: responses/s | p50 µs | p99 µs | p99.9 µs | load avg |")
    w("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for n in names:
        t, l = r[n]["throughput"] or {}, r[n]["latency"] or {}
        lat = l.get("latency_us", {})
        tl = t.get("latency_us") or {}
        w(f"| {LABELS[n]} | {fmt(t.get('responses_per_sec'))} | {fmt(t.get('flow_setups_per_sec'))} | "
          f"{fmt(tl.get('p50'), 1)} | {fmt(tl.get('p99'), 1)} | {loadavg(d, n, 'throughput')} | "
          f"{fmt(l.get('responses_per_sec'))} | "
          f"{fmt(lat.get('p50'), 1)} | {fmt(lat.get('p99'), 1)} | {fmt(lat.get('p999'), 1)} | "
          f"{loadavg(d, n, 'latency')} |")
    refs = [(n, load(os.path.join(d, f"{n}-throughput-16.json"))) for n in PEERS]
    refs = [(n, j) for n, j in refs if j]
    if refs:
        w("")
        w("Reference: the learning switches with 16 switches (cbench's default), throughput mode:")
        w("")
        w("| controller | switches | responses/s | p50 µs | p99 µs |")
        w("|---|---:|---:|---:|---:|")
        for n, j in refs:
            lat = j.get("latency_us", {})
            w(f"| {LABELS[n]} | {j.get('switches')} | {fmt(j.get('responses_per_sec'))} | "
              f"{fmt(lat.get('p50'), 1)} | {fmt(lat.get('p99'), 1)} |")
    half_rows = [(n, k) for n in names for k in ("half-rate", "half-rate-new") if r[n][k]]
    if half_rows:
        w("")
        w("Paced at half of a peak: FlowFall (addresses active) and the learning switches at half of "
          "FlowFall's (addresses active) peak; FlowFall (new address per PACKET_IN) at half of its own "
          "peak, and ovs-testcontroller once more at that rate:")
        w("")
        w("| controller | offered/s | answered/s | flow setups/s | lost | p50 µs | p99 µs | p99.9 µs | load avg |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for n, k in half_rows:
            h = r[n][k]
            lat = h.get("latency_us", {})
            w(f"| {LABELS[n]} | {fmt(h.get('rate_limit'))} | {fmt(h.get('responses_per_sec'))} | "
              f"{fmt(h.get('flow_setups_per_sec'))} | {fmt(h.get('lost'))} | {fmt(lat.get('p50'), 1)} | "
              f"{fmt(lat.get('p99'), 1)} | {fmt(lat.get('p999'), 1)} | {loadavg(d, n, k)} |")
    w("")
    w("| ratio | responses/s (ours / peer) | flow setups/s (ours / peer) | latency-mode p50 (peer / ours) |")
    w("|---|---:|---:|---:|")
    for o in (OURS, OURS_NEW):
        if o not in r:
            continue
        ours_t = (r[o]["throughput"] or {}).get("responses_per_sec")
        ours_l = ((r[o]["latency"] or {}).get("latency_us") or {}).get("p50")
        ours_f = (r[o]["throughput"] or {}).get("flow_setups_per_sec")
        for n in PEERS:
            if n in r:
                peer_t = (r[n]["throughput"] or {}).get("responses_per_sec")
                peer_f = (r[n]["throughput"] or {}).get("flow_setups_per_sec")
                peer_l = ((r[n]["latency"] or {}).get("latency_us") or {}).get("p50")
                w(f"| {LABELS[o]} / {n} | {ratio(ours_t, peer_t)} | {ratio(ours_f, peer_f)} | {ratio(peer_l, ours_l)} |")
    w("")
    tc_t = r.get("ovs-testcontroller", {}).get("throughput") or {}
    for o, what, key in ((OURS, "responses/s", "responses_per_sec"),
                         (OURS_NEW, "flow setups/s", "flow_setups_per_sec")):
        if o not in r:
            continue
        ours = (r[o]["throughput"] or {}).get(key) or 0
        peer = tc_t.get(key)
        if peer:
            w(f"- Target 1 ({LABELS[o]}), {what} >= 3x ovs-testcontroller: {ours / peer:.2f}x, "
              f"{'met' if ours >= 3 * peer else 'MISSED'}.")
    for o in (OURS, OURS_NEW):
        p99 = ((((r.get(o) or {}).get("half-rate") or {}).get("latency_us")) or {}).get("p99")
        if p99 is not None:
            w(f"- Target 2 ({LABELS[o]}), p99 < 1 ms at half of its peak: {p99:,.1f} µs, "
              f"{'met' if p99 < 1000 else 'MISSED'} (load avg {loadavg(d, o, 'half-rate')}).")
    return out


def install(d):
    rows = []
    for name, label in [("ofctl", "ovs-ofctl add-flows"), ("ofctl-bundle", "ovs-ofctl --bundle add-flows"),
                        ("loadgen", "flowfall-loadgen install"), ("loadgen-bundle", "flowfall-loadgen install --bundle"),
                        ("controller", "flowfall-controller (proactive)")]:
        j = load(os.path.join(d, f"{name}.json"))
        if j:
            rows.append((label, j))
    out = []
    w = out.append
    n = rows[0][1].get("flows") if rows else None
    w(f"{fmt(n)} flow entries into a userspace-datapath (netdev) Open vSwitch bridge; time from the "
      "start (ovs-ofctl) or the TCP connect (controller side) to the BARRIER_REPLY; the entries in the "
      "switch are counted afterwards.")
    w("")
    w("| installer | seconds | flows/s | entries in switch |")
    w("|---|---:|---:|---:|")
    for label, j in rows:
        s = j.get("connect_to_barrier_s")
        w(f"| {label} | {fmt(s, 3)} | {fmt(j['flows'] / s if s else None)} | {fmt(j.get('flows_in_switch'))} |")
    by = {label: j.get("connect_to_barrier_s") for label, j in rows}
    w("")
    w("| ratio (time, lower is better) | value | target <= 1.5x |")
    w("|---|---:|---|")
    for ours, ref in [("flowfall-loadgen install", "ovs-ofctl add-flows"),
                      ("flowfall-loadgen install --bundle", "ovs-ofctl --bundle add-flows"),
                      ("flowfall-controller (proactive)", "ovs-ofctl --bundle add-flows")]:
        if by.get(ours) and by.get(ref):
            q = by[ours] / by[ref]
            w(f"| {ours} / {ref} | {q:.2f}x | {'met' if q <= 1.5 else 'MISSED'} |")
    return out


def scale(d):
    out = []
    w = out.append
    w("| controller | switches | junctions (programmed / expected) | all connected s | all programmed s | "
      "median s | reconciled | flow entries | controller RSS / peak MiB |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in sorted(f for f in os.listdir(d) if f.startswith("scale-") and f.endswith(".json")):
        j = load(os.path.join(d, name))
        if not j:
            continue
        m = j.get("controller_memory") or {}
        mem = f"{m['rss_kib'] / 1024:.1f} / {m['hwm_kib'] / 1024:.1f}" if m else "-"
        w(f"| {name[6:-5]} | {j['switches']} | {j['programmed']} / {j['expected_programmed']} | "
          f"{fmt(j['all_connected_s'], 3)} | {fmt(j.get('all_programmed_s'), 3)} | "
          f"{fmt(j.get('median_programmed_s'), 3)} | {j['reconciled']} | {fmt(j['flows_total'])} | {mem} |")
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("controllers", "install", "scale"):
        sys.exit(__doc__)
    kind, d = sys.argv[1], sys.argv[2]
    lines = {"controllers": controllers, "install": install, "scale": scale}[kind](d)
    info = machine(d)
    if info:
        lines += ["", "Machine:", "", info]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
