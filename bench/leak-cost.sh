#!/usr/bin/env bash
# The cost of a leak verdict: median and worst time of one judgement over a
# full 3,600-sample window and over a young 240-sample one (a leak, a flat
# series, a random walk, a GC sawtooth), and every running verdict of a
# 30-second watch at 250 ms. Requirement: one verdict over 3,600 samples
# in under 5 ms.
#
# Usage: bench/leak-cost.sh [REPS (default 200)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo build --release --quiet --example leak_cost
"${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/leak_cost" "$@"
