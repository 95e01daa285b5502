#!/usr/bin/env bash
# Runs the test suite under load, as a busy shared host would: 2,000 extra
# processes (sleepers) and a CPU-busy loop on every core, then the README's
# test command (`cargo test`) N times in a row, reporting pass or fail per
# run. A test that waits for a condition is slower here, never red.
#
# Usage: tests/load.sh [N]        (N runs, default 3)
# Environment: LOAD_SLEEPERS (2000), LOAD_BUSY (one per core),
#   LOAD_BOUND_S (7200: the load processes end by themselves after this
#   many seconds even if this script is killed with SIGKILL),
#   LOAD_LOG_DIR (a new temp dir): each run's output is kept there,
#   LOAD_CMD (`cargo test`): the command run N times, e.g. `.ci/run`.
#
# Cleanup: every load process is killed by its PID (and waited for) on
# any exit of this script (normal end, error, Ctrl-C, SIGTERM).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
sleepers=${LOAD_SLEEPERS:-2000}
busy=${LOAD_BUSY:-$(nproc)}
bound=${LOAD_BOUND_S:-7200}
logs=${LOAD_LOG_DIR:-$(mktemp -d /tmp/proctor-load.XXXXXX)}
mkdir -p "$logs"
case $runs in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac

pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    echo "load: stopping ${#pids[@]} load processes" >&2
    kill -- "${pids[@]}" 2>/dev/null || true
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Build first, unloaded: the runs measure the tests, not the compiler.
echo "load: building the tests" >&2
cargo test --no-run >"$logs/build.log" 2>&1 || { cat "$logs/build.log" >&2; exit 2; }

echo "load: starting $sleepers sleepers and $busy busy loops (bounded to ${bound}s)" >&2
for _ in $(seq "$sleepers"); do
  sleep "$bound" &
  pids+=($!)
done
for _ in $(seq "$busy"); do
  # Bounded: ends after $bound seconds whatever happens to this script.
  bash -c 'end=$((SECONDS + $1)); while [ "$SECONDS" -lt "$end" ]; do :; done' busy "$bound" &
  pids+=($!)
done
echo "load: $(ls /proc | grep -c '^[0-9]') processes on the host; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

failed=0
for i in $(seq "$runs"); do
  start=$SECONDS
  # The README's test command (or LOAD_CMD).
  if ${LOAD_CMD:-cargo test} >"$logs/run-$i.log" 2>&1; then
    verdict=pass
  else
    verdict=FAIL
    failed=$((failed + 1))
  fi
  summary=$(grep -E '^test result:' "$logs/run-$i.log" | tr '\n' ' ' || true)
  echo "run $i/$runs: $verdict in $((SECONDS - start))s; $summary"
  grep -E '^test .* FAILED$|^SKIPPED: ' "$logs/run-$i.log" | sed 's/^/  /' || true
done
echo "load: $((runs - failed)) of $runs runs passed; logs in $logs"
[ "$failed" -eq 0 ]
