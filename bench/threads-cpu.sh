#!/usr/bin/env bash
# Benchmark: `proctor threads PID` (context-switch columns shown, the
# default) against the bare loop of the same reads
# (`examples/bare_views threads PID`: stat and status of every
# /proc/PID/task/TID), in CPU (user + system, all threads, from wait4),
# interleaved in one run (bench/cpu-compare.py), on bench/threads-holder.py
# with BENCH_THREADS threads (default 2,000). Release build.
# Requirement (issue 15): proctor <= 1.5x the bare loop in CPU.
# Usage: bench/threads-cpu.sh [--no-build]   Knobs: RUNS (15), WARMUP (3).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_THREADS:-2000}
if [ "${1:-}" != "--no-build" ]; then
    (cd "$ROOT" && timeout 1800 cargo build --release --quiet --bin proctor --example bare_views)
fi
T="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/threads-cpu.XXXXXX")
holder=
cleanup() {
    if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$ROOT/bench/threads-holder.py" --threads "$N" >"$TMP/holder.out" 2>"$TMP/holder.err" &
holder=$!
for _ in $(seq 1 900); do grep -q '^READY' "$TMP/holder.out" && break; sleep 0.1; done
read -r _ pid n <"$TMP/holder.out" || { echo "threads-cpu: holder not ready" >&2; exit 1; }
echo "holder: pid $pid, $n threads"
python3 "$ROOT/bench/cpu-compare.py" --runs "${RUNS:-15}" --warmup "${WARMUP:-3}" \
    "threads=$T/proctor threads $pid" "bare-threads=$T/examples/bare_views threads $pid" \
    -- "threads/bare-threads<=1.5"
