#!/usr/bin/env bash
# The project's test command (README): unit, property, doc and integration tests of every
# crate. Tests that need Open vSwitch / network namespaces run when they are available
# (root, OVS installed) and print a skip note otherwise; with CI=true they must run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-features "$@"
