#!/usr/bin/env bash
# Detection quality on synthetic series: every scenario of
# src/analysis/leak/suite.rs (leaks and controls), SEEDS seeds each, judged
# exactly as `proctor watch` judges; prints the Markdown table of
# docs/leak-detection.md (detection rate, running and final false alarms,
# median time to detection, rate error).
#
# Usage: bench/leak-suite.sh [SEEDS (default 200)] [FILTER]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo build --release --quiet --example leak_suite
"${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/leak_suite" "$@"
