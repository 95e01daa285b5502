# Shared pieces of the benchmark scripts (inspect-fds.sh, views.sh, top.sh).
# Sourced, not run. The script sets BENCH_NAME (the prefix of its messages)
# and `set -euo pipefail` first, then:
#
#   BENCH_NAME=views
#   # shellcheck source=lib.sh source-path=SCRIPTDIR
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets SCRIPT_DIR (bench/), ROOT (the repository), TARGET_DIR and
# BUILD_TIMEOUT. Each script sets its own CHECK_TIMEOUT (one run of one
# command), HYPERFINE_TIMEOUT, READY_TIMEOUT, RUNS and WARMUP before using
# the functions that read them.
# shellcheck shell=bash
# Globals set here are read by the scripts that source this file, and
# names/cmds are theirs:
# shellcheck disable=SC2034,SC2154

: "${BENCH_NAME:?set BENCH_NAME before sourcing bench/lib.sh}"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-1200}

die() { echo "$BENCH_NAME: $*" >&2; exit "${DIE_CODE:-1}"; }
# The script's header comment, from line 2 to `set -euo pipefail`.
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# --- tools --------------------------------------------------------------------
# require_tools TOOL...: exit 2 unless hyperfine and every TOOL are on PATH.
require_tools() {
    if ! command -v hyperfine >/dev/null 2>&1; then
        echo "$BENCH_NAME: hyperfine not found" >&2
        echo "hint: apt-get install -y hyperfine" >&2
        exit 2
    fi
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || DIE_CODE=2 die "$tool not found"
    done
}

# check_time: HAVE_TIME=1 if /usr/bin/time is there, else 0 and a hint.
check_time() {
    HAVE_TIME=1
    if [ ! -x /usr/bin/time ]; then
        HAVE_TIME=0
        echo "$BENCH_NAME: /usr/bin/time not found; peak RSS will not be measured" >&2
        echo "hint: apt-get install -y time" >&2
    fi
}

# check_strace WHAT [HINT]: HAVE_STRACE=1 if strace is on PATH, else 0 and
# "NAME: strace not found; WHAT" (and the line HINT, if given).
check_strace() {
    HAVE_STRACE=1
    if ! command -v strace >/dev/null 2>&1; then
        HAVE_STRACE=0
        echo "$BENCH_NAME: strace not found; $1" >&2
        if [ $# -gt 1 ]; then echo "$2" >&2; fi
    fi
}

# --- cleanup: every process started here is killed by PID and waited for -----
# Global state the EXIT trap uses: TMP (removed), CHILD (the running
# run_bounded runner), HOLDER (the workload's holder process).
#
# The runner of run_bounded: a command taking SECS CMD... . By default
# coreutils `timeout`, which puts itself and the command in a process group
# of their own (so Ctrl-C reaches only the script, whose trap then ends that
# group: it, hyperfine and the command being timed). A script may set RUNNER
# to another command after sourcing this file; with RUNNER_GROUP=0 the trap
# signals the runner's PID only (a runner that is not a group leader and
# ends its command's group itself on SIGTERM).
RUNNER=(timeout --kill-after=10)
RUNNER_GROUP=1

# Called by the trap after the runner is signalled and before the holder
# is; a script may redefine it (after sourcing) to end its own processes.
cleanup_hook() { :; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$CHILD" ]; then
        if [ "$RUNNER_GROUP" = 1 ]; then
            kill -TERM -- "-$CHILD" 2>/dev/null || true
        else
            kill -TERM "$CHILD" 2>/dev/null || true
        fi
    fi
    cleanup_hook
    if [ -n "$HOLDER" ]; then kill -TERM "$HOLDER" 2>/dev/null || true; fi
    local pid
    for pid in $CHILD $HOLDER; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
    exit "$rc"
}

# start_cleanup TMPNAME: TMP=a new ${TMPDIR:-/tmp}/TMPNAME.XXXXXX directory,
# HOLDER= and CHILD= (globals), and the traps: cleanup on exit; Ctrl-C,
# SIGTERM and SIGHUP exit 130, 143 and 129 through it.
start_cleanup() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    HOLDER=
    CHILD=
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# run_bounded SECS CMD...: runs CMD under the runner with a limit of SECS
# (exit 124 when it is reached), in the background so that a signal reaches
# the traps at once instead of after the command ends. Redirections given to
# run_bounded apply to the command.
run_bounded() {
    local secs=$1
    shift
    "${RUNNER[@]}" "$secs" "$@" &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=
    return "$rc"
}

# check_rc WHAT RC SECS: dies if RC is not 0 (124: took more than SECS s).
check_rc() {
    [ "$2" = 124 ] && die "$1 took more than $3 s"
    [ "$2" = 0 ] || die "$1 failed (exit $2)"
}

# --- build --------------------------------------------------------------------
# cargo_build ARGS...: `cargo build --release --manifest-path ROOT/Cargo.toml
# ARGS...`, bounded by BUILD_TIMEOUT; its exit code in BUILD_RC.
cargo_build() {
    local args=(build --release --manifest-path "$ROOT/Cargo.toml" "$@")
    echo "$BENCH_NAME: cargo ${args[*]}" >&2
    BUILD_RC=0
    run_bounded "$BUILD_TIMEOUT" cargo "${args[@]}" || BUILD_RC=$?
}

# --- holders ------------------------------------------------------------------
# launch_holder PATTERN SCRIPT ARGS...: starts `python3 bench/SCRIPT ARGS...`
# in the background (HOLDER=its PID; stdout in TMP/holder.out, stderr in
# TMP/holder.err) and waits up to READY_TIMEOUT s for a line matching the
# grep PATTERN on its stdout. SETUP_MS: milliseconds from the start until
# then. Returns 1 if it did not get ready or exited; HOLDER stays set.
launch_holder() {
    local pattern=$1 script=$2
    shift 2
    local t0 deadline ready=
    t0=$(now_ms)
    python3 "$SCRIPT_DIR/$script" "$@" >"$TMP/holder.out" 2>"$TMP/holder.err" &
    HOLDER=$!
    deadline=$((t0 + READY_TIMEOUT * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        if grep -q "$pattern" "$TMP/holder.out"; then ready=1; break; fi
        if ! kill -0 "$HOLDER" 2>/dev/null; then break; fi
        sleep 0.1
    done
    SETUP_MS=$(( $(now_ms) - t0 ))
    [ -n "$ready" ]
}

# stop_holder: kills the holder by PID, waits for it, removes its output.
stop_holder() {
    if [ -n "$HOLDER" ]; then
        kill -TERM "$HOLDER" 2>/dev/null || true
        wait "$HOLDER" 2>/dev/null || true
        HOLDER=
    fi
    rm -f "$TMP/holder.out" "$TMP/holder.err"
}

# --- commands and their runs ----------------------------------------------------
# names[i] is a command's short id, cmds[i] its argv quoted with printf %q
# (what hyperfine -N splits again, and cmd_argv undoes).

# first_run NAME CMD...: one bounded run (CHECK_TIMEOUT); leaves TMP/NAME.out,
# TMP/NAME.err and the exit code in FIRST_RC.
first_run() {
    local name=$1
    shift
    FIRST_RC=0
    run_bounded "$CHECK_TIMEOUT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || FIRST_RC=$?
}

# run_hyperfine JSON: one hyperfine run of every command side by side (-N -i
# --warmup WARMUP --runs RUNS), results in JSON, bounded by
# HYPERFINE_TIMEOUT; its exit code in HF_RC.
run_hyperfine() {
    local hf=(hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$1") i
    for i in "${!names[@]}"; do hf+=(--command-name "${names[$i]}" "${cmds[$i]}"); done
    HF_RC=0
    run_bounded "$HYPERFINE_TIMEOUT" "${hf[@]}" || HF_RC=$?
}

# cmd_argv I: argv=(the words of cmds[I]); cmds[I] was quoted with printf %q,
# eval only undoes that quoting.
cmd_argv() {
    argv=()
    eval "argv=(${cmds[$1]})"
}

# run_quiet CMD...: one bounded run (CHECK_TIMEOUT), output discarded, exit
# code ignored (for /usr/bin/time and strace runs that leave a file).
run_quiet() {
    run_bounded "$CHECK_TIMEOUT" "$@" >/dev/null 2>&1 || true
}
