#!/usr/bin/env bash
# Benchmark: scrape latency of `proctor serve`'s HTTP server
# (src/cmd/serve/http.rs) with a ~500 KiB page, alone and under load:
# SLOW slow clients (half connected and silent, half sending one byte a
# second) plus PARALLEL threads scraping back to back on fresh connections.
# Issue 13 asks that the load delay a normal scrape by under 1 s; no
# verdict here (a script, not a test): it prints the figures.
#
#  1. examples/serve_http_load.rs measures itself: SCRAPES sequential
#     scrapes (connect, request, whole body read) on fresh connections and
#     on one kept connection, alone, then under load. Medians, p90, max.
#  2. The server alone in its own process (`--hold`), loaded twice by step
#     1's clients from another process (`--target PORT`): the server
#     process's VmRSS before, after the first and after the second round
#     (flat means memory does not grow with scrapes or slow clients), and
#     its CPU time per scrape.
#  3. If curl is installed: the same server held (`--hold`), alone and then
#     with the load running, scraped CURL_RUNS times by curl on fresh
#     connections; the median of curl's own `time_total` (which leaves out
#     curl's process start-up).
#
# Usage: bench/serve-http.sh [--no-build] [--no-curl]
#   --no-build   use the example already built in the target directory
#
# Environment:
#   PAGE_KIB      size of the page (default 500)
#   SCRAPES       sequential scrapes per measurement in step 1 (default 200)
#   SLOW          slow clients (default 50)
#   PARALLEL      parallel scrapers (default 100)
#   CURL_RUNS     curl scrapes per condition in step 2 (default 100)
#   CARGO_TARGET_DIR, BENCH_BUILD_TIMEOUT (see bench/lib.sh)
#
# Exit code: 0 measured, 1 a step failed or timed out, 2 bad usage,
# 130/143 interrupted. Every process it starts is ended by PID on exit.
set -euo pipefail
BENCH_NAME=serve-http
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=1
CURL=1
for arg in "$@"; do
    case $arg in
    --no-build) BUILD= ;;
    --no-curl) CURL= ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; DIE_CODE=2 die "unknown argument $arg" ;;
    esac
done
PAGE_KIB=${PAGE_KIB:-500}
SCRAPES=${SCRAPES:-200}
SLOW=${SLOW:-50}
PARALLEL=${PARALLEL:-100}
CURL_RUNS=${CURL_RUNS:-100}
READY_TIMEOUT=30
LOAD=(--page-kib "$PAGE_KIB" --slow "$SLOW" --parallel "$PARALLEL")

start_cleanup serve-http
if [ -n "$BUILD" ]; then
    cargo_build --example serve_http_load
    [ "$BUILD_RC" = 0 ] || die "cargo build failed (exit $BUILD_RC)"
fi
EXAMPLE="$TARGET_DIR/release/examples/serve_http_load"
[ -x "$EXAMPLE" ] || DIE_CODE=2 die "$EXAMPLE not built (run without --no-build)"

echo "== 1. in-process client: $SCRAPES scrapes each way"
rc=0
run_bounded 600 "$EXAMPLE" "${LOAD[@]}" --scrapes "$SCRAPES" || rc=$?
check_rc "serve_http_load" "$rc" 600

# hold [--load]: start the example holding the server for 300 s (HOLDER,
# killed by the cleanup) and set PORT from its READY line.
hold() {
    "$EXAMPLE" "${LOAD[@]}" --hold 300 "$@" >"$TMP/hold.out" 2>"$TMP/hold.err" &
    HOLDER=$!
    local deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
    PORT=
    while [ "$(now_ms)" -lt "$deadline" ]; do
        PORT=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$TMP/hold.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$HOLDER" 2>/dev/null || break
        sleep 0.1
    done
    cat "$TMP/hold.err" >&2
    die "the server did not get ready within $READY_TIMEOUT s"
}

unhold() {
    kill -TERM "$HOLDER" 2>/dev/null || true
    wait "$HOLDER" 2>/dev/null || true
    HOLDER=
}

# curl_median LABEL: CURL_RUNS scrapes; prints the median and max time_total.
curl_median() {
    local i
    : >"$TMP/times"
    for i in $(seq "$CURL_RUNS"); do
        timeout 30 curl -sS -o /dev/null --max-time 20 -w '%{time_total}\n' \
            "http://127.0.0.1:$PORT/metrics" >>"$TMP/times" || die "curl failed (scrape $i)"
    done
    sort -g "$TMP/times" | awk -v label="$1" '{ t[NR] = $1 } END {
        printf "%-28s median %7.2f ms  max %7.2f ms  (%d scrapes)\n",
            label, t[int((NR + 1) / 2)] * 1000, t[NR] * 1000, NR }'
}

# rss_kib PID, cpu_ticks PID: the server process's resident memory and
# its user + system time in clock ticks.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "== 2. the server in its own process, loaded twice from another"
hold
rss=("$(rss_kib "$HOLDER")")
cpu0=$(cpu_ticks "$HOLDER")
for round in 1 2; do
    rc=0
    run_bounded 600 "$EXAMPLE" "${LOAD[@]}" --scrapes "$SCRAPES" --target "$PORT" >"$TMP/round$round" || rc=$?
    check_rc "serve_http_load --target" "$rc" 600
    sed "s/^/round $round: /" "$TMP/round$round"
    rss+=("$(rss_kib "$HOLDER")")
done
cpu2=$(cpu_ticks "$HOLDER")
unhold
# Scrapes served: 2 x (4 x SCRAPES) sequential ones plus the background ones.
served=$(awk -v s="$SCRAPES" '/^background:/ { n += $2 } END { print n + 8 * s }' "$TMP/round1" "$TMP/round2")
hz=$(getconf CLK_TCK)
echo "server VmRSS: ${rss[0]} KiB before, ${rss[1]} KiB after round 1, ${rss[2]} KiB after round 2"
awk -v c="$((cpu2 - cpu0))" -v hz="$hz" -v n="$served" 'BEGIN {
    printf "server CPU: %.2f s for %d scrapes (%.1f us a scrape)\n", c / hz, n, c / hz / n * 1e6 }'

if [ -z "$CURL" ]; then exit 0; fi
if ! command -v curl >/dev/null 2>&1; then
    echo "$BENCH_NAME: curl not found: step 3 left out" >&2
    exit 0
fi

echo "== 3. curl, fresh connection per scrape (time_total)"
hold
curl_median "alone"
unhold
hold --load
curl_median "$SLOW slow + $PARALLEL parallel"
unhold
