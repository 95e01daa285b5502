#!/usr/bin/env bash
# Benchmark: `proctor doctor` against `proctor top --once` and the bare scan
# loop (examples/bare_top: stat + status + a stat() of fd/ for every
# process), in CPU (user + system of the whole process, all threads, from
# wait4), interleaved IN ONE RUN (bench/cpu-compare.py), release build.
#
# Two hosts, one after the other:
#   A. the host as it is ("ordinary host"), plus N_PROCS idle children
#      (bench/many-procs.py; default 0: the host alone).
#      Requirement (issue 15): doctor <= 2x `top --once` in CPU.
#   B. the same with bench/fd-holder.py holding BENCH_SOCKETS descriptors
#      (default 19,000: RLIMIT_NOFILE's hard limit here is 20,000), nearly
#      all established loopback TCP sockets (both ends in the holder), and
#      CLOSE_WAIT sockets (BENCH_CLOSE_WAIT, default 50; made by
#      bench/close-wait-holder.py) that doctor must find.
#      Requirement: doctor <= 3x `top --once` in CPU.
#
# Usage: bench/doctor.sh [--no-build] [--only A|B]
# Knobs: RUNS (default 15), WARMUP (3), N_PROCS (0), BENCH_SOCKETS (19000),
#   BENCH_CLOSE_WAIT (50), CARGO_TARGET_DIR.
# Exit: 0 both met, 1 one not met or a command failed, 2 bad usage.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=1
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) BUILD=0 ;;
        --only) ONLY=${2:?--only A or B}; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "doctor.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
RUNS=${RUNS:-15}
WARMUP=${WARMUP:-3}
N_PROCS=${N_PROCS:-0}
SOCKETS=${BENCH_SOCKETS:-19000}
CLOSE_WAIT=${BENCH_CLOSE_WAIT:-50}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && timeout 1800 cargo build --release --quiet --bin proctor --example bare_top)
fi
BIN=$TARGET_DIR/release/proctor
BARE=$TARGET_DIR/release/examples/bare_top
TMP=$(mktemp -d "${TMPDIR:-/tmp}/doctor-bench.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_ready FILE: the holder's READY line (at most 90 s).
wait_ready() {
    local i
    for i in $(seq 1 900); do
        if grep -q "^${READY_WORD:-READY}" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "doctor.sh: holder not ready: $(cat "$1" 2>/dev/null)" >&2
    exit 1
}

if [ "$N_PROCS" -gt 0 ]; then
    python3 "$ROOT/bench/many-procs.py" "$N_PROCS" 1800 >"$TMP/procs.out" 2>"$TMP/procs.err" &
    pids+=($!)
    READY_WORD=ready wait_ready "$TMP/procs.out"
fi

compare() {
    python3 "$ROOT/bench/cpu-compare.py" --runs "$RUNS" --warmup "$WARMUP" \
        "doctor=$BIN doctor" "top-once=$BIN top --once" "bare-scan=$BARE" \
        -- "doctor/top-once<=$1" "doctor/bare-scan" "top-once/bare-scan"
}

rc=0
echo "processes on the host: $(ls /proc | grep -c '^[0-9]')"
if [ -z "$ONLY" ] || [ "$ONLY" = A ]; then
    echo "== A: the host as it is (+${N_PROCS} idle children)"
    compare 2 || rc=1
fi
if [ -z "$ONLY" ] || [ "$ONLY" = B ]; then
    python3 "$ROOT/bench/fd-holder.py" --max "$SOCKETS" >"$TMP/holder.out" 2>"$TMP/holder.err" &
    pids+=($!)
    wait_ready "$TMP/holder.out"
    python3 "$ROOT/bench/close-wait-holder.py" --count "$CLOSE_WAIT" >"$TMP/cw.out" 2>"$TMP/cw.err" &
    pids+=($!)
    wait_ready "$TMP/cw.out"
    echo "== B: $(cat "$TMP/holder.out") (fd-holder: pid, descriptors); $(cat "$TMP/cw.out") (CLOSE_WAIT holder)"
    cw_pid=$(awk '{print $2}' "$TMP/cw.out")
    found=$("$BIN" doctor --json 2>/dev/null | python3 -c "
import json, sys
d = json.load(sys.stdin)
print(sum(f.get('close_wait', 0) for f in d.get('findings', []) if f.get('pid') == $cw_pid) or
      [f for f in d.get('findings', []) if f.get('pid') == $cw_pid])" || true)
    echo "doctor's CLOSE_WAIT finding on the holder ($CLOSE_WAIT made): $found"
    compare 3 || rc=1
fi
exit "$rc"
