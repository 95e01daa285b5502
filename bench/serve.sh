#!/usr/bin/env bash
# Benchmark: `proctor serve` (the node agent) on a host with N extra
# processes (bench/many-procs.py, 2,000 sleeping children by default), side
# by side with the distribution's prometheus-process-exporter.
#
#  1. The agent at --interval INTERVAL (15 s): its CPU (utime+stime from
#     /proc/PID/stat) over about CPU_SECONDS (120 s), from just after one
#     scan to just after another (a new scan is seen as a changed page),
#     as a share of one core and per scan; its RSS (VmRSS, VmHWM).
#     Targets: under 1% of a core, VmHWM under 30 MiB.
#  2. Scrape latency: SCRAPES (200) sequential `curl /metrics`, Prometheus
#     text and OpenMetrics (Accept: application/openmetrics-text), median
#     and 99th percentile of curl's time_total; the page's size.
#     Target: median under 10 ms.
#  3. Series: the samples of one scrape (lines that are not comments), and
#     those about processes (with a `group` label: the agent's metrics about
#     itself left out).
#  4. CPU per collected sample, side by side: proctor's CPU per scan over
#     its samples per page, and prometheus-process-exporter's (every process
#     grouped by its name, the distribution's defaults otherwise: threads
#     and smaps on) CPU per scrape (it collects on each scrape) over its
#     samples per scrape, over PE_SCRAPES (10) scrapes after one warm-up.
#     Samples are counted the same way for both: those about processes
#     (proctor's with a `group` label, process-exporter's with a `groupname`
#     label; each exporter's metrics about itself, go_*, process_*, left
#     out); the ratio over every sample of each page is shown too.
#     Target: proctor at least 5x less per process sample.
#  5. The per-process part of a scan against `proctor top --once`: the
#     agent's CPU per scan in its `scan` (the process table read, the same
#     scanner as top's) and `classify` (each process put in its group)
#     phases, from its proctor_scan_cpu_seconds_total{phase} counter over
#     step 1's window, against the CPU (user + system, /usr/bin/time) of one
#     `proctor top --once` on the same host, median of TOP_RUNS (5): CPU
#     against CPU, for the same processes. Target: at most 1.2x. (The
#     `model` and `encode` phases are per group, not per process; every
#     phase is reported.)
#
# Usage: bench/serve.sh [--no-build] [--no-process-exporter]
#   --no-build             use the binary already in the target directory
#   --no-process-exporter  skip step 4's peer
#
# Environment:
#   N                 extra processes to hold (default 2000)
#   INTERVAL          the agent's --interval in seconds (default 15)
#   CPU_SECONDS       step 1's window, at least 2 intervals (default 120)
#   SCRAPES           step 2's scrapes per format (default 200)
#   PE_SCRAPES        step 4's process-exporter scrapes (default 10)
#   TOP_RUNS          step 5's runs (default 5)
#   SOCKET_HOLDER=1   also hold bench/fd-holder.py (about RLIMIT_NOFILE's
#                     hard limit of descriptors, nearly all TCP sockets, in
#                     one process) during the whole run
#   CARGO_TARGET_DIR  where cargo builds (default: <repo>/target)
#   BENCH_BUILD_TIMEOUT  seconds allowed for cargo build (default 1200)
#
# Every server listens on 127.0.0.1 only. Exit: 0 every target met, 1 a
# target not met or a step failed, 2 missing tool or usage error, 130/143
# interrupted. See bench/README.md.
set -euo pipefail

BENCH_NAME=serve
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-2000}
INTERVAL=${INTERVAL:-15}
CPU_SECONDS=${CPU_SECONDS:-120}
SCRAPES=${SCRAPES:-200}
PE_SCRAPES=${PE_SCRAPES:-10}
TOP_RUNS=${TOP_RUNS:-5}
SOCKET_HOLDER=${SOCKET_HOLDER:-0}
READY_TIMEOUT=120   # many-procs.py starting N children; fd-holder's setup
HOLDER_LIFE=1800    # the holders end by themselves after this (safety net)
CHECK_TIMEOUT=60    # one curl
BUILD=1
DO_PE=1

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --no-process-exporter) DO_PE=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "serve: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$N$INTERVAL$CPU_SECONDS$SCRAPES$PE_SCRAPES$TOP_RUNS$SOCKET_HOLDER" in
    *[!0-9]*) DIE_CODE=2 die "N, INTERVAL, CPU_SECONDS, SCRAPES, PE_SCRAPES, TOP_RUNS and SOCKET_HOLDER take whole numbers" ;;
esac
[ "$INTERVAL" -ge 1 ] && [ "$CPU_SECONDS" -ge $((2 * INTERVAL)) ] && [ "$SCRAPES" -ge 2 ] &&
    [ "$PE_SCRAPES" -ge 1 ] && [ "$TOP_RUNS" -ge 1 ] ||
    DIE_CODE=2 die "INTERVAL >= 1, CPU_SECONDS >= 2 intervals, SCRAPES >= 2, PE_SCRAPES >= 1, TOP_RUNS >= 1"
for tool in curl python3 cargo md5sum getconf; do
    command -v "$tool" >/dev/null 2>&1 || DIE_CODE=2 die "$tool not found"
done
PE_BIN=$(command -v prometheus-process-exporter || true)
if [ "$DO_PE" = 1 ] && [ -z "$PE_BIN" ]; then
    DO_PE=0
    echo "serve: prometheus-process-exporter not found; step 4 compares nothing" \
        "(hint: apt-get install -y prometheus-process-exporter)" >&2
fi
HZ=$(getconf CLK_TCK)

# --- cleanup: the agent, the peer and the socket holder, by PID -----------------
AGENT_PID=
PE_PID=
SOCK_PID=
cleanup_hook() {
    local pid
    for pid in $AGENT_PID $PE_PID $SOCK_PID; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $AGENT_PID $PE_PID $SOCK_PID; do wait "$pid" 2>/dev/null || true; done
    AGENT_PID= PE_PID= SOCK_PID=
}
start_cleanup serve-bench

# --- helpers ----------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# cpu_ticks PID: utime + stime (clock ticks), fields 14 and 15 of stat
# counted after the `)` that ends the name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
now_s() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }
# fetch URL [ACCEPT]: the body on stdout, bounded.
fetch() {
    if [ $# -gt 1 ]; then
        curl -sf --max-time "$CHECK_TIMEOUT" -H "Accept: $2" "$1"
    else
        curl -sf --max-time "$CHECK_TIMEOUT" "$1"
    fi
}
# wait_http URL SECS: until URL answers 200, at most SECS seconds.
wait_http() {
    local deadline=$(( $(now_ms) + $2 * 1000 ))
    until curl -sf --max-time 5 -o /dev/null "$1"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}
# wait_new_scan URL: until the page differs from what it is now (a scan
# just finished), at most three intervals.
wait_new_scan() {
    local h0 deadline=$(( $(now_ms) + 3 * INTERVAL * 1000 ))
    h0=$(fetch "$1" | md5sum)
    while [ "$(fetch "$1" | md5sum)" = "$h0" ]; do
        [ "$(now_ms)" -lt "$deadline" ] || die "no new scan within $((3 * INTERVAL)) s"
        sleep 0.1
    done
}
# latencies URL FILE [ACCEPT]: SCRAPES scrapes, curl's time_total (s) each.
latencies() {
    local i h=()
    if [ $# -gt 2 ]; then h=(-H "Accept: $3"); fi
    : >"$2"
    for i in $(seq 1 "$SCRAPES"); do
        curl -sf --max-time "$CHECK_TIMEOUT" "${h[@]}" -o /dev/null -w '%{time_total}\n' "$1" >>"$2" ||
            die "scrape $i of $1 failed"
    done
}
# quantile FILE Q: the Q quantile (0..1) of the numbers in FILE, in ms.
quantile() {
    sort -g "$1" | awk -v q="$2" '{v[NR] = $1} END {i = int(q * (NR - 1)) + 1; printf "%.2f", v[i] * 1000}'
}
samples() { grep -vc '^#' || true; }
# group_samples LABEL: the samples about processes (those with a LABEL="..."
# label: proctor's `group`, process-exporter's `groupname`), leaving out
# both exporters' metrics about themselves.
group_samples() { grep -v '^#' | grep -c "[{,]$1=\"" || true; }

# --- build and set up ---------------------------------------------------------
if [ "$BUILD" = 1 ]; then
    cargo_build --bin proctor
    check_rc "cargo build" "$BUILD_RC" "$BUILD_TIMEOUT"
fi
BIN=$TARGET_DIR/release/proctor
[ -x "$BIN" ] || DIE_CODE=2 die "$BIN not found (run without --no-build)"

echo "serve: starting $N extra processes" >&2
launch_holder '^ready' many-procs.py "$N" "$HOLDER_LIFE" || die "many-procs.py did not get ready"
if [ "$SOCKET_HOLDER" = 1 ]; then
    python3 "$SCRIPT_DIR/fd-holder.py" --lifetime "$HOLDER_LIFE" >"$TMP/sock.out" 2>"$TMP/sock.err" &
    SOCK_PID=$!
    deadline=$(( $(now_ms) + READY_TIMEOUT * 1000 ))
    until grep -q '^READY' "$TMP/sock.out"; do
        kill -0 "$SOCK_PID" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ] ||
            die "fd-holder.py did not get ready: $(cat "$TMP/sock.err")"
        sleep 0.2
    done
    echo "serve: holding $(awk '{print $3}' "$TMP/sock.out") descriptors in one process (fd-holder.py)" >&2
fi
# (A glob: `find /proc` fails on processes that vanish while it lists.)
NPROC=$(shopt -s nullglob; set -- /proc/[0-9]*; echo $#)

PORT=$(free_port)
URL=http://127.0.0.1:$PORT/metrics
"$BIN" serve --listen "127.0.0.1:$PORT" --interval "${INTERVAL}s" >"$TMP/agent.out" 2>"$TMP/agent.err" &
AGENT_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 120 || die "the agent did not serve /healthz: $(cat "$TMP/agent.err")"
echo "serve: agent PID $AGENT_PID on 127.0.0.1:$PORT, $NPROC processes on the host" >&2

# --- 1. the agent's cost at its interval --------------------------------------
echo "serve: measuring the agent's CPU over ~${CPU_SECONDS} s" >&2
wait_new_scan "$URL"
t0=$(now_s); c0=$(cpu_ticks "$AGENT_PID")
fetch "$URL" >"$TMP/page0.txt"
sleep $((CPU_SECONDS - 2))
wait_new_scan "$URL"
t1=$(now_s); c1=$(cpu_ticks "$AGENT_PID")
fetch "$URL" >"$TMP/page1.txt"
read -r WALL SCANS CPU_S CPU_PCT CPU_SCAN_MS < <(awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
    -v hz="$HZ" -v iv="$INTERVAL" 'BEGIN {
        w = t1 - t0; n = int(w / iv + 0.5); if (n < 1) n = 1; cpu = (c1 - c0) / hz;
        printf "%.1f %d %.3f %.3f %.1f\n", w, n, cpu, 100 * cpu / w, 1000 * cpu / n }')
# Per phase, from the agent's own counter (proctor_scan_cpu_seconds_total:
# the process's CPU clock read at each phase's ends), ms per scan.
phase_cpu() {
    awk -v p="proctor_scan_cpu_seconds_total{phase=\"$1\"}" '$1 == p {print $2}' "$2"
}
phase_ms() {
    awk -v a="$(phase_cpu "$1" "$TMP/page0.txt")" -v b="$(phase_cpu "$1" "$TMP/page1.txt")" \
        -v n="$SCANS" 'BEGIN {printf "%.1f", 1000 * (b - a) / n}'
}
SCAN_MS=$(phase_ms scan); CLASSIFY_MS=$(phase_ms classify)
MODEL_MS=$(phase_ms model); ENCODE_MS=$(phase_ms encode)
PER_PROC_MS=$(awk -v a="$SCAN_MS" -v b="$CLASSIFY_MS" 'BEGIN {printf "%.1f", a + b}')
RSS_KIB=$(status_kib "$AGENT_PID" VmRSS)
HWM_KIB=$(status_kib "$AGENT_PID" VmHWM)

# --- 2. scrape latency ------------------------------------------------------
echo "serve: $SCRAPES scrapes per format" >&2
latencies "$URL" "$TMP/lat-text"
latencies "$URL" "$TMP/lat-om" "application/openmetrics-text; version=1.0.0"
fetch "$URL" >"$TMP/page.txt"
fetch "$URL" "application/openmetrics-text; version=1.0.0" >"$TMP/page.om"
TEXT_MED=$(quantile "$TMP/lat-text" 0.5); TEXT_P99=$(quantile "$TMP/lat-text" 0.99)
OM_MED=$(quantile "$TMP/lat-om" 0.5); OM_P99=$(quantile "$TMP/lat-om" 0.99)

# --- 3. series -----------------------------------------------------------------
SERIES=$(samples <"$TMP/page.txt")
GSERIES=$(group_samples group <"$TMP/page.txt")
NGROUPS=$(grep -c '^proctor_processes{' "$TMP/page.txt" || true)
PAGE_BYTES=$(wc -c <"$TMP/page.txt")
PROCTOR_US_PER_SAMPLE=$(awk -v c="$CPU_SCAN_MS" -v s="$SERIES" 'BEGIN {printf "%.3f", (s ? 1000 * c / s : 0)}')
PROCTOR_US_PER_GSAMPLE=$(awk -v c="$CPU_SCAN_MS" -v s="$GSERIES" 'BEGIN {printf "%.3f", (s ? 1000 * c / s : 0)}')
kill -TERM "$AGENT_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=

# --- 4. prometheus-process-exporter ---------------------------------------------
PE_LINE="not measured"
RATIO=
RATIO_ALL=
TOP_RATIO=
if [ "$DO_PE" = 1 ]; then
    echo "serve: prometheus-process-exporter, $PE_SCRAPES scrapes" >&2
    cat >"$TMP/pe.yml" <<'EOF'
process_names:
  - name: "{{.Comm}}"
    cmdline:
      - '.+'
EOF
    PE_PORT=$(free_port)
    PE_URL=http://127.0.0.1:$PE_PORT/metrics
    "$PE_BIN" -config.path "$TMP/pe.yml" -web.listen-address "127.0.0.1:$PE_PORT" \
        >"$TMP/pe.out" 2>"$TMP/pe.err" &
    PE_PID=$!
    wait_http "$PE_URL" 120 || die "prometheus-process-exporter did not answer: $(cat "$TMP/pe.err")"
    fetch "$PE_URL" >/dev/null   # warm-up
    c0=$(cpu_ticks "$PE_PID")
    SCRAPES_SAVED=$SCRAPES; SCRAPES=$PE_SCRAPES
    latencies "$PE_URL" "$TMP/lat-pe"
    SCRAPES=$SCRAPES_SAVED
    c1=$(cpu_ticks "$PE_PID")
    fetch "$PE_URL" >"$TMP/page.pe"
    PE_SERIES=$(samples <"$TMP/page.pe")
    PE_GSERIES=$(group_samples groupname <"$TMP/page.pe")
    PE_RSS_KIB=$(status_kib "$PE_PID" VmHWM)
    kill -TERM "$PE_PID" 2>/dev/null || true
    wait "$PE_PID" 2>/dev/null || true
    PE_PID=
    PE_MED=$(quantile "$TMP/lat-pe" 0.5)
    read -r PE_CPU_MS PE_US_PER_SAMPLE PE_US_PER_GSAMPLE < <(awk -v c0="$c0" -v c1="$c1" -v hz="$HZ" \
        -v n="$PE_SCRAPES" -v s="$PE_SERIES" -v g="$PE_GSERIES" 'BEGIN {
            ms = 1000 * (c1 - c0) / hz / n
            printf "%.1f %.3f %.3f\n", ms, s ? 1000 * ms / s : 0, g ? 1000 * ms / g : 0 }')
    RATIO_ALL=$(awk -v a="$PE_US_PER_SAMPLE" -v b="$PROCTOR_US_PER_SAMPLE" 'BEGIN {printf "%.1f", ((b > 0) ? a / b : 0)}')
    RATIO=$(awk -v a="$PE_US_PER_GSAMPLE" -v b="$PROCTOR_US_PER_GSAMPLE" 'BEGIN {printf "%.1f", ((b > 0) ? a / b : 0)}')
    PE_LINE="CPU ${PE_CPU_MS} ms per scrape (= per collection), ${PE_SERIES} samples (${PE_GSERIES} about processes), ${PE_US_PER_SAMPLE} us CPU per sample (${PE_US_PER_GSAMPLE} per process sample); scrape median ${PE_MED} ms; VmHWM $((PE_RSS_KIB / 1024)) MiB"
fi

# --- 5. one `proctor top --once` on the same host, for scale -------------------------
TOP_LINE="not measured (no /usr/bin/time)"
if [ -x /usr/bin/time ]; then
    echo "serve: proctor top --once, $TOP_RUNS runs" >&2
    : >"$TMP/top-cpu"
    for i in $(seq 1 "$TOP_RUNS"); do
        run_bounded "$CHECK_TIMEOUT" /usr/bin/time -f '%U %S' -o "$TMP/top-time" \
            "$BIN" top --once >/dev/null 2>&1 || die "proctor top --once failed"
        awk '{print $1 + $2}' "$TMP/top-time" >>"$TMP/top-cpu"
    done
    TOP_MS=$(quantile "$TMP/top-cpu" 0.5)
    TOP_RATIO=$(awk -v a="$PER_PROC_MS" -v b="$TOP_MS" 'BEGIN {printf "%.2f", ((b > 0) ? a / b : 0)}')
    TOP_LINE="CPU ${TOP_MS} ms (median of ${TOP_RUNS}); the per-process part of a scan of the agent (scan + classify, ${PER_PROC_MS} ms) is ${TOP_RATIO}x that, a whole scan $(awk -v a="$CPU_SCAN_MS" -v b="$TOP_MS" 'BEGIN {printf "%.2f", ((b > 0) ? a / b : 0)}')x"
fi

# --- results -----------------------------------------------------------------------
fail=0
check() { # check WHAT OK
    if [ "$2" = 1 ]; then echo "  ok    $1"; else echo "  FAIL  $1"; fail=1; fi
}
# (Parenthesized: in awk's print, a bare `>` would be a redirection.)
lt() { awk -v a="$1" -v b="$2" 'BEGIN {print ((a < b) ? 1 : 0)}'; }
cat <<EOF

proctor serve with $NPROC processes on the host$([ "$SOCKET_HOLDER" = 1 ] && echo ", one holding $(awk '{print $3}' "$TMP/sock.out") descriptors"), $(nproc) cores, kernel $(uname -r)
  agent at --interval ${INTERVAL}s: ${CPU_S} s CPU in ${WALL} s (${SCANS} scans): ${CPU_PCT}% of a core, ${CPU_SCAN_MS} ms per scan
  agent CPU per scan by phase: scan ${SCAN_MS} ms, classify ${CLASSIFY_MS} ms, model ${MODEL_MS} ms, encode ${ENCODE_MS} ms (the rest: serving pages, the timer)
  agent memory: VmRSS $((RSS_KIB / 1024)) MiB, VmHWM $((HWM_KIB / 1024)) MiB
  scrape (Prometheus text, ${PAGE_BYTES} bytes): median ${TEXT_MED} ms, p99 ${TEXT_P99} ms over ${SCRAPES}
  scrape (OpenMetrics): median ${OM_MED} ms, p99 ${OM_P99} ms over ${SCRAPES}
  series: ${SERIES} samples (${GSERIES} about processes: with a group label), ${NGROUPS} groups
  proctor: ${PROCTOR_US_PER_SAMPLE} us CPU per sample (per scan / samples), ${PROCTOR_US_PER_GSAMPLE} us per process sample
  prometheus-process-exporter: ${PE_LINE}
  proctor top --once: ${TOP_LINE}
EOF
echo "targets:"
check "agent under 1% of a core (${CPU_PCT}%)" "$(lt "$CPU_PCT" 1)"
check "agent VmHWM under 30 MiB ($((HWM_KIB / 1024)) MiB)" "$(lt "$HWM_KIB" $((30 * 1024)))"
check "scrape median under 10 ms (${TEXT_MED} ms)" "$(lt "$TEXT_MED" 10)"
if [ -n "$TOP_RATIO" ]; then
    check "per-process part of a scan at most 1.2x top --once (${TOP_RATIO}x)" "$(lt "$TOP_RATIO" 1.2000001)"
fi
if [ -n "$RATIO" ]; then
    check "CPU per process sample at least 5x less than prometheus-process-exporter (${RATIO}x; ${RATIO_ALL}x counting every sample)" \
        "$(awk -v r="$RATIO" 'BEGIN {print ((r >= 5) ? 1 : 0)}')"
fi
exit "$fail"
