#!/usr/bin/env bash
# Benchmark: `proctor watch` on a process holding BENCH_FDS descriptors
# (default 19,000: RLIMIT_NOFILE's hard limit here is 20,000), nearly all
# established loopback TCP sockets (bench/fd-holder.py), for WATCH_S
# seconds (default 30) at a 1 s interval with the default metrics.
# Requirement (issue 15): sockets and close_wait judged (at least 8 fresh
# samples each: the detector's minimum, so "healthy" or a leak, not
# "undecided") within 30 s, at under 2% of one core.
#
# Prints the watch's CPU (user + system from /usr/bin/time) as a share of a
# core, its verdict's healthy and undecided lists (an undecided metric
# says how many samples it had), and peak RSS.
# Usage: bench/watch-sockets.sh [--no-build]
# Needs: /usr/bin/time (apt-get install -y time), python3.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WATCH_S=${WATCH_S:-30}
FDS=${BENCH_FDS:-19000}
[ -x /usr/bin/time ] || { echo "watch-sockets: /usr/bin/time is needed" >&2; echo "hint: apt-get install -y time" >&2; exit 2; }
if [ "${1:-}" != "--no-build" ]; then
    (cd "$ROOT" && timeout 1800 cargo build --release --quiet --bin proctor)
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/proctor"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/watch-sockets.XXXXXX")
holder=
cleanup() {
    if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
python3 "$ROOT/bench/fd-holder.py" --max "$FDS" >"$TMP/holder.out" 2>"$TMP/holder.err" &
holder=$!
for _ in $(seq 1 900); do grep -q '^READY' "$TMP/holder.out" && break; sleep 0.1; done
grep -q '^READY' "$TMP/holder.out" || { echo "watch-sockets: holder not ready" >&2; exit 1; }
read -r _ pid nfds <"$TMP/holder.out"
echo "holder: pid $pid, $nfds descriptors"
/usr/bin/time -f "%U %S %M" -o "$TMP/time" "$BIN" watch "$pid" --interval 1s --duration "${WATCH_S}s" --json >"$TMP/watch.jsonl" || true
read -r user sys maxrss < <(tail -n 1 "$TMP/time")
python3 - "$TMP/watch.jsonl" "$user" "$sys" "$WATCH_S" "$maxrss" <<'PY'
import json, sys
path, user, sys_, secs, rss = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
lines = [json.loads(l) for l in open(path) if l.strip()]
samples = [l for l in lines if l.get("type") == "sample"]
verdict = next((l for l in lines if l.get("type") == "verdict"), {})
cpu = (user + sys_) / secs * 100
print(f"watch: {len(samples)} samples in {secs:.0f} s; CPU user {user:.2f} s + system {sys_:.2f} s = {cpu:.2f}% of one core (requirement < 2%); peak RSS {rss} KiB")
print("healthy:", verdict.get("healthy"), " leaks:", [l.get("metric") for l in verdict.get("leaks", [])])
print("undecided:", verdict.get("undecided"))
judged = set(verdict.get("healthy", [])) | {l.get("metric") for l in verdict.get("leaks", [])} | {r.get("metric") for r in verdict.get("rising", [])}
ok = {"sockets", "close_wait"} <= judged and cpu < 2
print("requirement:", "met" if ok else "NOT met")
sys.exit(0 if ok else 1)
PY
