#!/usr/bin/env bash
# Compare flowfall-ofp's decode throughput with os-ken's (Python) on the Ryu OF1.3 vectors.
#   scripts/codec-compare.sh [SECONDS]
# Needs: python3 with os-ken (`pip install os-ken`), the vectors (FLOWFALL_RYU_VECTORS or
# ../shared/testdata/ryu-of13 next to the repository). Exits non-zero below the 100x target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
cargo build --release --quiet --example codec-corpus-bench
target_dir="${CARGO_TARGET_DIR:-target}"
exec python3 scripts/osken_bench.py --ours "$target_dir/release/examples/codec-corpus-bench" \
    --seconds "$seconds"
