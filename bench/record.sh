#!/usr/bin/env bash
# Benchmark: `proctor record` (the history store), on this host plus
# processes of a documented mix (examples/record_load.rs), each load in a
# v1 cpu cgroup of its own (/sys/fs/cgroup/cpu/proctor-bench-record-*).
#
#  1. Size per day, typical mix: 420 idle children (they never wake: no row
#     after their first) and 80 busy ones (each wakes about once a second,
#     spins ~3 ms, and at one wake in 5 resizes a buffer it touches and
#     opens or closes a file): recorded at --interval 1s for SCANS scans
#     (120), the busy ones changing about once a scan, as at 10 s a
#     process that does anything does. Bytes in use in the database (pages
#     not free, as a reader sees it, WAL included) after the first scan and
#     after the last: bytes per scan. Per day at 10 s: the first scan once
#     (schema, every process's identity and full row), then 8,640 scans of
#     which 96 are key scans (one each 15 minutes: a full row per process,
#     measured as the samples table after the first scan): 
#       first + 95 x key_samples + 8,544 x bytes_per_scan.
#     Target: <= 100 MiB a day for 500 processes at 10 s.
#  2. Size per day, worst case: 500 children that all change RSS, CPU,
#     descriptors and context switches at every scan (`worst`, waking every
#     500 ms: twice a scan). Same arithmetic, and scaled to exactly 500
#     changing rows a scan (bytes per changed row x 500); the file's split
#     by table (dbstat) is printed.
#  3. CPU: 2,000 idle children, `proctor record --interval 1s` for CPU_SCANS
#     (60) scans: CPU time (utime+stime, /proc/PID/stat) of each scan after
#     the 5th, median -> share of a core at 10 s. Target: <= 1%. Against
#     examples/bare_record (stat, status, io read and the fd directory
#     stat()ed for every process, at 1 s, nothing stored), same window:
#     medians and ratio.
#  4. Memory: the recorder's RSS after the 2nd (5th) scan and at the end
#     of each step.
#
# Usage: bench/record.sh [--no-build]
# Environment: SCANS (120), CPU_SCANS (60), STEPS (the steps to run, of
# "mix worst cpu"; default all), CARGO_TARGET_DIR,
# BENCH_BUILD_TIMEOUT. Needs root (cgroups), python3 with sqlite3 (dbstat).
# Every child, cgroup and temp file is removed on exit. See
# bench/README.md.
set -euo pipefail

BENCH_NAME=record
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCANS=${SCANS:-120}
STEPS=" ${STEPS:-mix worst cpu} "
CPU_SCANS=${CPU_SCANS:-60}
BUILD=1
case "${1:-}" in
    --no-build) BUILD=0 ;;
    "") ;;
    -h | --help) usage; exit 0 ;;
    *) DIE_CODE=2 die "unknown option $1" ;;
esac
command -v python3 >/dev/null || DIE_CODE=2 die "python3 not found"
[ "$(id -u)" = 0 ] || DIE_CODE=2 die "needs root (cgroups of its own)"
[ -d /sys/fs/cgroup/cpu ] || DIE_CODE=2 die "needs the v1 cpu cgroup at /sys/fs/cgroup/cpu"

if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && timeout "$BUILD_TIMEOUT" cargo build --release --quiet \
        --bin proctor --example record_load --example bare_record)
fi
PROCTOR=$TARGET_DIR/release/proctor
LOAD=$TARGET_DIR/release/examples/record_load
BARE=$TARGET_DIR/release/examples/bare_record
for b in "$PROCTOR" "$LOAD" "$BARE"; do
    [ -x "$b" ] || DIE_CODE=2 die "$b missing (build it, or drop --no-build)"
done
MEASURE=$SCRIPT_DIR/record-measure.py

WORK=$(mktemp -d /tmp/proctor-bench-record.XXXXXX)
LOADS=()      # "pid fd" of each running load
CGROUPS=()
cleanup() {
    local l
    for l in "${LOADS[@]}"; do
        # Closing its stdin ends a load: it kills and reaps its children.
        eval "exec ${l#* }>&-" 2>/dev/null || true
        wait "${l%% *}" 2>/dev/null || true
    done
    LOADS=()
    local cg
    for cg in "${CGROUPS[@]}"; do
        for _ in $(seq 50); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_load KIND N PERIOD_MS: the load in a cpu cgroup of its own, ready.
start_load() {
    local cg=/sys/fs/cgroup/cpu/proctor-bench-record-$1-$$-${#CGROUPS[@]}
    mkdir "$cg"
    CGROUPS+=("$cg")
    local fifo=$WORK/ready-$1
    mkfifo "$fifo"
    local fd
    exec {fd}> >(sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" "$3" "$4" "$5"' \
        sh "$cg" "$LOAD" "$1" "$2" "$3" >"$fifo")
    LOADS+=("$! $fd")
    local line
    read -r line <"$fifo"
    echo "$BENCH_NAME: $line $1 children (period $3 ms)" >&2
}

stop_loads() {
    local l
    for l in "${LOADS[@]}"; do
        eval "exec ${l#* }>&-"
    done
    # The loads reap their children; wait until the cgroups are empty.
    local cg
    for cg in "${CGROUPS[@]}"; do
        for _ in $(seq 300); do [ -s "$cg/cgroup.procs" ] || break; sleep 0.1; done
    done
    LOADS=()
}

per_day() {
    python3 - "$1" "$2" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
label = sys.argv[2]
day = r["bytes_after_first"] + 95 * r["key_samples_bytes"] + 8544 * r["bytes_per_scan"]
mib = day / 2**20
per500 = mib * 500 / r["processes"]
print(f"{label}: {r['processes']} processes, {r['scans']} scans; first scan "
      f"{r['bytes_after_first']/1024:.0f} KiB (key rows {r['key_samples_bytes']/1024:.0f} KiB, "
      f"{r['rows_first']} rows); then {r['bytes_per_scan']:.0f} B/scan "
      f"({r['rows_per_scan_mean']:.1f} rows/scan)")
print(f"{label}: per day at 10 s: {mib:.1f} MiB ({per500:.1f} MiB scaled to 500 processes); "
      f"target <= 100 MiB: {'met' if per500 <= 100 else 'NOT met'}")
split = sorted(r["split"].items(), key=lambda kv: -kv[1])
row = r["bytes_per_scan"] / max(r["rows_per_scan_mean"], 1)
day500 = (r["bytes_after_first"] + 95 * r["key_samples_bytes"] + 8544 * row * 500) / 2**20
print(f"{label}: {row:.1f} B per changed row; with 500 changed rows a scan: {day500:.1f} MiB a day")
print(f"{label}: file by table at the end: " +
      ", ".join(f"{k} {v/1024:.0f} KiB" for k, v in split[:6]))
print(f"{label}: recorder RSS {r['rss_kb_scan2']} KiB after scan 2, "
      f"{r['rss_kb_end']} KiB after scan {r['scans']}")
PY
}

echo "$BENCH_NAME: host $(uname -r), $(nproc) cores, $(ls /proc | grep -c '^[0-9]') processes before the load" >&2

# 1. typical mix
if [[ $STEPS == *" mix "* ]]; then
    start_load idle 420 1000
    start_load busy 80 1000
    python3 "$MEASURE" size "$PROCTOR" "$WORK/mix.db" 1s "$SCANS" >"$WORK/mix.json"
    stop_loads
    per_day "$WORK/mix.json" "mix (420 idle + 80 busy)"
fi

# 2. worst case
if [[ $STEPS == *" worst "* ]]; then
    start_load worst 500 500
    python3 "$MEASURE" size "$PROCTOR" "$WORK/worst.db" 1s "$SCANS" >"$WORK/worst.json"
    stop_loads
    per_day "$WORK/worst.json" "worst (500 changing every scan)"
fi

[[ $STEPS == *" cpu "* ]] || exit 0
# 3. CPU
start_load idle 2000 1000
python3 "$MEASURE" cpu-proctor "$PROCTOR" "$WORK/cpu.db" "$CPU_SCANS" >"$WORK/cpu.json"
python3 "$MEASURE" cpu-bare "$BARE" "$CPU_SCANS" >"$WORK/bare.json"
stop_loads
python3 - "$WORK/cpu.json" "$WORK/bare.json" <<'PY'
import json, sys
p = json.loads(open(sys.argv[1]).read())
b = json.loads(open(sys.argv[2]).read())
share = p["cpu_ms_median"] / 10000 * 100
print(f"cpu: {p['processes']} processes; proctor record: median {p['cpu_ms_median']:.0f} ms "
      f"(mean {p['cpu_ms_mean']:.1f}) CPU per scan over {p['scans_measured']} scans "
      f"-> {share:.2f}% of a core at 10 s (target <= 1%: {'met' if share <= 1 else 'NOT met'})")
print(f"cpu: bare loop (stat+status+io+fd dir): median {b['cpu_ms_median']:.0f} ms "
      f"(mean {b['cpu_ms_mean']:.1f}) per scan; ratio of medians "
      f"{p['cpu_ms_median'] / max(b['cpu_ms_median'], 1e-9):.2f}x, of means "
      f"{p['cpu_ms_mean'] / max(b['cpu_ms_mean'], 1e-9):.2f}x")
print(f"memory: recorder RSS {p['rss_kb_scan5']} KiB after scan 5, {p['rss_kb_end']} KiB "
      f"after scan {p['scans_measured'] + 5}; bare loop {b['rss_kb_scan5']} -> {b['rss_kb_end']} KiB")
PY
