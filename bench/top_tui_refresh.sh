#!/usr/bin/env bash
# Benchmark: the interactive `proctor top --interval 500ms` on a host with N
# extra processes (bench/many-procs.py, 8,000 sleeping children by default,
# in a session and process group of their own), in a detached 200x50 tmux
# pane. For each binary (the current one, and with --before REV the one
# built from commit REV, side by side in the same run):
#
#  1. The real refresh period: the status line's "rates over X.Xs" is the
#     time between the starts of the last two scans. Sampled every 100 ms
#     for PERIOD_SECONDS s: median, min and max of the samples. Also the
#     header's "refresh ... (asked ...)" line if the binary shows one.
#  2. Key latency: KEYS times, at a random moment (0-2 s after the last
#     one, so keys land at every phase of the scan cycle), send a sort key
#     (p, then c, alternately) and poll `tmux capture-pane` until the status
#     line shows the new sort. Median, 90th percentile and max, in ms. The
#     polling itself (one tmux client per capture) is in every figure.
#
# Usage: bench/top_tui_refresh.sh [--no-build] [--before REV]
#   --no-build     use the binary already in the target directory (the
#                  --before binary is always built)
#   --before REV   also measure the binary built from commit REV (git
#                  archive into a temporary directory, built in
#                  TARGET/bench-before, kept so that its dependencies are
#                  built once)
#
# Environment:
#   N                    extra processes (default 8000; lowered, with a
#                        message, to what RLIMIT_NPROC, pid_max, threads-max
#                        and the pids cgroup leave with a margin of 500)
#   INTERVAL             top's --interval (default 500ms)
#   PERIOD_SECONDS       seconds of refresh sampling (default 20)
#   KEYS                 key presses per binary (default 15)
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#   BENCH_BUILD_TIMEOUT  seconds allowed for each cargo build (default 1200)
#
# Cleanup: proctor is ended by PID and reaped by the tmux server, which is
# our child (tmux -D) and is ended and waited for; the holder is killed by PID and waited for (it kills and reaps its
# sleepers itself); any sleeper left in its session is then killed by PID.
#
# Exit: 0 measured, 1 a command failed, 2 missing tool or usage error,
# 130/143 interrupted. Results: bench/README.md.
set -euo pipefail

BENCH_NAME=top_tui_refresh
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-8000}
INTERVAL=${INTERVAL:-500ms}
PERIOD_SECONDS=${PERIOD_SECONDS:-20}
KEYS=${KEYS:-15}
READY_TIMEOUT=600   # many-procs.py starting N children
HOLDER_LIFE=1800    # many-procs.py ends by itself after this (safety net)
START_TIMEOUT=120   # top's first refresh
KEY_TIMEOUT=30      # one key's effect
BUILD=1
BEFORE=

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --before) [ $# -ge 2 ] || DIE_CODE=2 die "--before takes a commit"; BEFORE=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$BENCH_NAME: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$N$PERIOD_SECONDS$KEYS" in
    *[!0-9]*) DIE_CODE=2 die "N, PERIOD_SECONDS and KEYS take whole numbers" ;;
esac
[ "$KEYS" -ge 1 ] && [ "$PERIOD_SECONDS" -ge 1 ] || DIE_CODE=2 die "KEYS and PERIOD_SECONDS must be at least 1"
for tool in tmux python3 cargo git setsid pgrep; do
    command -v "$tool" >/dev/null 2>&1 || DIE_CODE=2 die "$tool not found"
done

# --- cleanup --------------------------------------------------------------------
TMUX_SERVER=
start_cleanup top-tui-bench
SOCK=$TMP/tmux.sock
tmux_() { tmux -S "$SOCK" "$@"; }
# The TUI is a child of our tmux server, which reaps it: end it first (by
# PID) and let the server reap it (the pane stays, dead: remain-on-exit),
# then end the server, our child, and wait for it.
TUI_PID=
stop_tmux() {
    local k
    if [ -n "$TUI_PID" ]; then
        kill -TERM "$TUI_PID" 2>/dev/null || true
        for k in $(seq 1 30); do
            [ "$(tmux_ list-panes -t top -F '#{pane_dead}' 2>/dev/null || echo 1)" = 1 ] && break
            [ "$k" = 20 ] && kill -KILL "$TUI_PID" 2>/dev/null
            sleep 0.1
        done
        TUI_PID=
    fi
    if [ -n "$TMUX_SERVER" ]; then
        tmux_ kill-server 2>/dev/null || true
        kill -TERM "$TMUX_SERVER" 2>/dev/null || true
        wait "$TMUX_SERVER" 2>/dev/null || true
        TMUX_SERVER=
    fi
}
# Sleepers left in the holder's session (the holder was killed before it
# could end them): killed by PID; they are not our children, so their
# exit is polled for, bounded.
SESSION=
end_session() {
    [ -n "$SESSION" ] || return 0
    local left k
    for k in $(seq 1 100); do
        left=$(pgrep -s "$SESSION" || true)
        [ -z "$left" ] && break
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
        sleep 0.1
    done
    SESSION=
}
cleanup_hook() { stop_tmux; }
trap 'rc=$?; stop_tmux; stop_holder; end_session; (exit $rc); cleanup' EXIT

# --- limits ---------------------------------------------------------------------
# How many more tasks this user and this host may start, with a margin.
room() {
    local uid best v tasks mine cg d
    uid=$(id -u)
    tasks=$(ps -eLo uid= | wc -l)
    mine=$(ps -eLo uid= | awk -v u="$uid" '$1 == u' | wc -l)
    best=$(( $(cat /proc/sys/kernel/pid_max) - tasks ))
    v=$(( $(cat /proc/sys/kernel/threads-max) - tasks )); [ "$v" -lt "$best" ] && best=$v
    v=$(ulimit -u)
    if [ "$v" != unlimited ]; then v=$(( v - mine )); [ "$v" -lt "$best" ] && best=$v; fi
    # The pids cgroup of this shell (v2 "0::PATH" or v1 "N:pids:PATH").
    cg=$(awk -F: '$2 == "pids" || ($1 == 0 && $2 == "") {print $3; exit}' /proc/self/cgroup)
    for d in "/sys/fs/cgroup/pids$cg" "/sys/fs/cgroup$cg"; do
        if [ -r "$d/pids.max" ] && [ -r "$d/pids.current" ]; then
            v=$(cat "$d/pids.max")
            if [ "$v" != max ]; then
                v=$(( v - $(cat "$d/pids.current") )); [ "$v" -lt "$best" ] && best=$v
            fi
            break
        fi
    done
    echo $(( best - 500 ))
}
ROOM=$(room)
if [ "$N" -gt "$ROOM" ]; then
    echo "$BENCH_NAME: N=$N is more than the limits leave (RLIMIT_NPROC, pid_max, threads-max, pids cgroup, margin 500): N=$ROOM" >&2
    N=$ROOM
fi
[ "$N" -ge 1 ] || die "no room for extra processes"

# --- build ----------------------------------------------------------------------
# The current binary first (copied out of the target directory), then the
# one of --before, into the same target directory.
PROCTOR=$TARGET_DIR/release/proctor
if [ "$BUILD" = 1 ]; then
    cargo_build
    check_rc "cargo build" "$BUILD_RC" "$BUILD_TIMEOUT"
fi
[ -x "$PROCTOR" ] || die "$PROCTOR not found (build it, or drop --no-build)"
NOW=$TMP/proctor-now
cp "$PROCTOR" "$NOW"
OLD=
if [ -n "$BEFORE" ]; then
    rev=$(git -C "$ROOT" rev-parse --verify "$BEFORE^{commit}") || DIE_CODE=2 die "--before: no commit $BEFORE"
    mkdir "$TMP/before"
    git -C "$ROOT" archive "$rev" | tar -x -C "$TMP/before"
    # Its own target directory (kept: the dependencies are built once):
    # cargo names a workspace's package by its path relative to the
    # workspace, so in the same directory the two trees would share one
    # artifact. The sources are touched: git archive gives them the
    # commit's time, older than an artifact of another commit.
    find "$TMP/before" -type f -exec touch {} +
    echo "$BENCH_NAME: building $rev in $TARGET_DIR/bench-before" >&2
    BUILD_RC=0
    CARGO_TARGET_DIR=$TARGET_DIR/bench-before run_bounded "$BUILD_TIMEOUT" \
        cargo build --release --manifest-path "$TMP/before/Cargo.toml" || BUILD_RC=$?
    check_rc "cargo build of $rev" "$BUILD_RC" "$BUILD_TIMEOUT"
    OLD=$TMP/proctor-before
    cp "$TARGET_DIR/bench-before/release/proctor" "$OLD"
    cmp -s "$OLD" "$NOW" && die "the --before binary is the current one"
fi

# --- the holder -------------------------------------------------------------------
# setsid: the holder and its sleepers in a session (and process group) of
# their own. A background job of this script is not a group leader, so
# setsid runs python3 in place: HOLDER is python's PID and the session id.
BASE=$(ps -e --no-headers | wc -l)
echo "$BENCH_NAME: starting $N sleeping processes ($BASE running now)" >&2
t0=$(now_ms)
setsid python3 "$SCRIPT_DIR/many-procs.py" "$N" "$HOLDER_LIFE" >"$TMP/holder.out" 2>"$TMP/holder.err" &
HOLDER=$!
SESSION=$HOLDER
ready=
while [ $(( $(now_ms) - t0 )) -lt $(( READY_TIMEOUT * 1000 )) ]; do
    if grep -q ready "$TMP/holder.out"; then ready=1; break; fi
    kill -0 "$HOLDER" 2>/dev/null || break
    sleep 0.2
done
[ -n "$ready" ] || die "many-procs.py did not get ready in $READY_TIMEOUT s: $(head -c 300 "$TMP/holder.err")"
TOTAL=$(ps -e --no-headers | wc -l)
echo "$BENCH_NAME: $TOTAL processes after $(( ($(now_ms) - t0) / 1000 )) s" >&2

# --- measuring one binary ---------------------------------------------------------
# The status line of the screen on stdin.
status_of() { grep -m 1 '^sort ' || true; }

# measure LABEL BIN: one line of results in TMP/LABEL.result.
measure() {
    local label=$1 bin=$2 k s t0 t1 deadline key want
    tmux -S "$SOCK" -f /dev/null -D </dev/null >/dev/null 2>"$TMP/tmux.err" &
    TMUX_SERVER=$!
    for k in $(seq 1 50); do
        tmux_ set-option -gw remain-on-exit on 2>/dev/null && break
        sleep 0.1
    done
    tmux_ new-session -d -s top -x 200 -y 50 \
        "exec $(printf %q "$bin") top --interval $INTERVAL 2>$(printf %q "$TMP/$label.stderr")"
    TUI_PID=$(tmux_ list-panes -t top -F '#{pane_pid}')
    # The first refresh: the status line says "rates over".
    deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
    until tmux_ capture-pane -p -t top | status_of | grep -q 'rates over'; do
        [ "$(now_ms)" -lt "$deadline" ] || die "$label: no refresh in $START_TIMEOUT s: $(head -c 300 "$TMP/$label.stderr")"
        sleep 0.1
    done
    # 1. The refresh period.
    : >"$TMP/$label.periods"
    : >"$TMP/$label.late"
    t1=$(( $(now_ms) + PERIOD_SECONDS * 1000 ))
    while [ "$(now_ms)" -lt "$t1" ]; do
        s=$(tmux_ capture-pane -p -t top)
        printf '%s\n' "$s" | status_of | grep -o 'rates over [0-9.]*s' |
            tr -dc '0-9.\n' >>"$TMP/$label.periods" || true
        # One line per sample: the header's refresh line, or "-".
        { printf '%s\n' "$s" | grep -m 1 '^refresh ' || echo -; } >>"$TMP/$label.late"
        sleep 0.1
    done
    # 2. Key latency: p (PID) and c (CPU%) alternately.
    : >"$TMP/$label.keys"
    for k in $(seq 1 "$KEYS"); do
        sleep "$(( RANDOM % 2000 / 1000 )).$(printf %03d $(( RANDOM % 1000 )))"
        key=p want='sort PID '
        if [ $(( k % 2 )) = 0 ]; then key=c; want='sort CPU% '; fi
        t0=$(now_ms)
        deadline=$(( t0 + KEY_TIMEOUT * 1000 ))
        tmux_ send-keys -t top "$key"
        until tmux_ capture-pane -p -t top | status_of | grep -q "^$want"; do
            [ "$(now_ms)" -lt "$deadline" ] || die "$label: key $key had no effect in $KEY_TIMEOUT s"
            sleep 0.01
        done
        echo $(( $(now_ms) - t0 )) >>"$TMP/$label.keys"
    done
    tmux_ send-keys -t top q
    deadline=$(( $(now_ms) + KEY_TIMEOUT * 1000 ))
    until [ "$(tmux_ list-panes -t top -F '#{pane_dead}' 2>/dev/null || echo 1)" = 1 ]; do
        [ "$(now_ms)" -lt "$deadline" ] || die "$label: q did not end top in $KEY_TIMEOUT s"
        sleep 0.05
    done
    TUI_PID=  # exited and reaped by the server
    stop_tmux
}

LABELS=(now)
[ -n "$OLD" ] && LABELS=(before now)
for label in "${LABELS[@]}"; do
    bin=$NOW
    [ "$label" = before ] && bin=$OLD
    echo "$BENCH_NAME: $label: top --interval $INTERVAL, $PERIOD_SECONDS s of refreshes, $KEYS keys" >&2
    measure "$label" "$bin"
done
stop_holder
end_session

# --- summary ------------------------------------------------------------------------
echo
echo "proctor top --interval $INTERVAL, $TOTAL processes ($N extra), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$TMP" "${LABELS[@]}" <<'EOF'
import statistics, sys
tmp, labels = sys.argv[1], sys.argv[2:]
def nums(path):
    with open(path) as f:
        return [float(l) for l in f if l.strip()]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print(f"{'binary':<8} {'refresh s: median (min-max)':<30} {'key ms: median / p90 / max (n)':<34} header (share of samples)")
for l in labels:
    per = nums(f"{tmp}/{l}.periods")
    keys = nums(f"{tmp}/{l}.keys")
    samples = [x.strip() for x in open(f"{tmp}/{l}.late") if x.strip()]
    late = [x for x in samples if x != "-"]
    r = f"{statistics.median(per):.1f} ({min(per):.1f}-{max(per):.1f})" if per else "?"
    k = f"{statistics.median(keys):.0f} / {pct(keys, 90):.0f} / {max(keys):.0f} ({len(keys)})"
    if late:
        common = max(set(late), key=late.count).split(":")[0]
        h = f"{common} ({100 * len(late) / len(samples):.0f}% of {len(samples)})"
    else:
        h = f"no refresh line (0% of {len(samples)})"
    print(f"{l:<8} {r:<30} {k:<34} {h}")
EOF
