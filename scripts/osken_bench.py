#!/usr/bin/env python3
"""Decode throughput: os-ken's OpenFlow 1.3 parser vs flowfall-ofp, on the Ryu test vectors.

os-ken (the maintained Ryu fork, `pip install os-ken`) only has parsers for the messages a
switch sends (plus FLOW_MOD and a few symmetric types); requests it can only serialize. Both
decoders are therefore timed on the same subset: every vector whose message type os-ken
registers a parser for and that it parses without error. flowfall-ofp's figure over the whole
corpus is printed as well.

Usage:
    scripts/osken_bench.py --ours target/release/examples/codec-corpus-bench \
        [--vectors DIR] [--seconds 3]

The vectors directory defaults to $FLOWFALL_RYU_VECTORS, else ../shared/testdata/ryu-of13 next
to the repository. `--ours` is the release build of examples/codec-corpus-bench.rs; it is run
with `--seconds S --files LIST` and must print a line `messages_per_sec=<float>`.
"""

import argparse
import logging
import os
import struct
import subprocess
import sys
import tempfile
import time

# Messages above this size are left out of the "small messages" comparison.
SMALL = 4096


def default_vectors():
    env = os.environ.get("FLOWFALL_RYU_VECTORS")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for cand in (
        os.path.join(repo, "..", "shared", "testdata", "ryu-of13"),
        os.path.join(repo, "..", "..", "shared", "testdata", "ryu-of13"),
    ):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return os.path.normpath(os.path.join(repo, "..", "shared", "testdata", "ryu-of13"))


def load_vectors(directory):
    pkt_dir = os.path.join(directory, "packet")
    names = sorted(n for n in os.listdir(pkt_dir) if n.endswith(".packet"))
    if not names:
        sys.exit(f"no .packet files in {pkt_dir}")
    out = []
    for n in names:
        with open(os.path.join(pkt_dir, n), "rb") as f:
            out.append((os.path.join(pkt_dir, n), f.read()))
    return out


def osken_subset(vectors):
    """The vectors os-ken can parse, as (path, parse-thunk args)."""
    from os_ken.ofproto import ofproto_parser, ofproto_v1_3, ofproto_v1_3_parser

    class Datapath:  # what os-ken's parsers read from a datapath
        ofproto = ofproto_v1_3
        ofproto_parser = ofproto_v1_3_parser

    dp = Datapath()
    # os-ken logs a stack trace for every message it fails on; the subset excludes those.
    logging.disable(logging.CRITICAL)
    subset = []
    for path, buf in vectors:
        version, msg_type, msg_len, xid = struct.unpack_from("!BBHI", buf)
        if msg_type not in ofproto_v1_3_parser._MSG_PARSERS:
            continue
        try:
            msg = ofproto_parser.msg(dp, version, msg_type, msg_len, xid, buf)
        except Exception:  # noqa: BLE001 - anything os-ken raises excludes the vector
            continue
        if msg is not None:
            subset.append((path, (dp, version, msg_type, msg_len, xid, buf)))
    return ofproto_parser.msg, subset


def time_osken(parse, subset, seconds):
    args = [a for _, a in subset]
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for a in args:
            parse(*a)
        n += len(args)
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start), n


def run_ours(binary, paths, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        listfile = f.name
    try:
        out = subprocess.run(
            [binary, "--seconds", str(seconds), "--files", listfile],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(listfile)
    for line in out.splitlines():
        if line.startswith("messages_per_sec="):
            return float(line.split("=", 1)[1]), out
    sys.exit(f"{binary} printed no messages_per_sec= line:\n{out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", default=default_vectors())
    ap.add_argument("--ours", required=True, help="codec-corpus-bench binary (release)")
    ap.add_argument("--seconds", type=float, default=3.0)
    a = ap.parse_args()

    vectors = load_vectors(a.vectors)
    parse, subset = osken_subset(vectors)
    if not subset:
        sys.exit("os-ken parsed none of the vectors")
    import os_ken

    osken_rate, osken_n = time_osken(parse, subset, a.seconds)
    ours_rate, ours_out = run_ours(a.ours, [p for p, _ in subset], a.seconds)
    ours_all_rate, _ = run_ours(a.ours, [p for p, _ in vectors], a.seconds)
    sub_bytes = sum(len(args[-1]) for _, args in subset)
    # The 11 KB TABLE_FEATURES reply takes about two thirds of os-ken's time; the ratio
    # without it shows the typical (small message) case.
    small = [(p, args) for p, args in subset if len(args[-1]) <= SMALL]
    osken_small, _ = time_osken(parse, small, a.seconds)
    ours_small, _ = run_ours(a.ours, [p for p, _ in small], a.seconds)

    print(f"corpus: {a.vectors}: {len(vectors)} vectors; os-ken parses {len(subset)} "
          f"({sub_bytes} bytes), timed {a.seconds:g} s each")
    print(f"os-ken {getattr(os_ken, '__version__', '?')} (Python {sys.version.split()[0]}): "
          f"{osken_rate:,.0f} msg/s ({osken_n} decodes)")
    print(f"flowfall-ofp, same {len(subset)} vectors: {ours_rate:,.0f} msg/s")
    print(f"flowfall-ofp, all {len(vectors)} vectors: {ours_all_rate:,.0f} msg/s")
    ratio = ours_rate / osken_rate
    print(f"ratio (flowfall-ofp / os-ken, same vectors): {ratio:,.1f}x (target >= 100x)")
    print(f"without messages > {SMALL} bytes ({len(small)} vectors): os-ken {osken_small:,.0f} "
          f"msg/s, flowfall-ofp {ours_small:,.0f} msg/s, ratio {ours_small / osken_small:,.1f}x")
    for line in ours_out.splitlines():
        if line.startswith("#"):
            print(line)
    return 0 if ratio >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
