#!/usr/bin/env bash
# Benchmark: `proctor top` and `proctor doctor` on a host with N extra
# processes (bench/many-procs.py, 2,000 sleeping children by default).
#
#  1. Wall time, one hyperfine run side by side: `proctor top --once --sort
#     fds`, `ps -eo pid,ppid,user,stat,rss,nlwp,comm,args`, `procs` (if
#     installed) and the bare loop examples/bare_top.rs (stat + status +
#     stat() of /proc/PID/fd for every process). Targets on medians:
#     proctor/ps <= 0.7, procs/proctor >= 4, proctor/bare <= 1.5.
#  2. Peak RSS (/usr/bin/time -f %M), median of RSS_RUNS runs each.
#     Target: proctor/ps <= 2.
#  3. `proctor doctor`: median wall time of DOCTOR_RUNS runs (hyperfine -i:
#     exit 1 means findings) and `strace -c -f` of one run. Reported as
#     "doctor not available" while the command says "not built yet".
#  4. The interactive `proctor top` in a detached 200x50 tmux pane: its
#     utime+stime between t=TUI_SETTLE s and t=TUI_SETTLE+TUI_SECONDS s as a
#     share of one core (default refresh, 1 s). No target; "TUI not
#     available" while it says "not built yet".
#
# Usage: bench/top.sh [--no-build] [--no-doctor] [--no-tui]
#   --no-build   use the binaries already in the target directory
#
# Environment:
#   N                    extra processes to hold (default 2000)
#   RUNS, WARMUP         hyperfine runs for step 1 (default 20, 3)
#   RSS_RUNS             /usr/bin/time runs per command (default 5)
#   DOCTOR_RUNS          hyperfine runs for doctor (default 5)
#   TUI_SETTLE           seconds before the TUI's first reading (default 5)
#   TUI_SECONDS          seconds between the TUI's two readings (default 30)
#   PROCS                path of the `procs` binary (default: PATH, then
#                        ~/.cargo/bin/procs)
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#   BENCH_BUILD_TIMEOUT  seconds allowed for cargo build (default 1200)
#
# Exit: 0 every measured target met, 1 a target not met or a command failed,
# 2 missing tool or usage error, 130/143 interrupted. See bench/README.md.
set -euo pipefail

BENCH_NAME=top
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-2000}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-5}
DOCTOR_RUNS=${DOCTOR_RUNS:-5}
TUI_SETTLE=${TUI_SETTLE:-5}
TUI_SECONDS=${TUI_SECONDS:-30}
HYPERFINE_TIMEOUT=180  # one hyperfine run
CHECK_TIMEOUT=60       # one run of one command (first run, time, strace)
READY_TIMEOUT=120      # many-procs.py starting N children
HOLDER_LIFE=600        # many-procs.py ends by itself after this (safety net)
BUILD=1
DO_DOCTOR=1
DO_TUI=1
PS_ARGS=(-eo 'pid,ppid,user,stat,rss,nlwp,comm,args')

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) BUILD=0 ;;
        --no-doctor) DO_DOCTOR=0 ;;
        --no-tui) DO_TUI=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "top: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$N$RUNS$WARMUP$RSS_RUNS$DOCTOR_RUNS$TUI_SETTLE$TUI_SECONDS" in
    *[!0-9]*) DIE_CODE=2 die "N, RUNS, WARMUP, RSS_RUNS, DOCTOR_RUNS, TUI_SETTLE and TUI_SECONDS take whole numbers" ;;
esac
[ "$RUNS" -ge 2 ] && [ "$RSS_RUNS" -ge 1 ] && [ "$DOCTOR_RUNS" -ge 2 ] ||
    DIE_CODE=2 die "RUNS and DOCTOR_RUNS must be at least 2, RSS_RUNS at least 1"

require_tools python3 cargo ps
check_time
check_strace "no syscall summaries (hint: apt-get install -y strace)"
if [ "$DO_TUI" = 1 ] && ! command -v tmux >/dev/null 2>&1; then
    DO_TUI=0
    echo "top: tmux not found; the TUI's CPU use will not be measured (hint: apt-get install -y tmux)" >&2
fi
PROCS_BIN=${PROCS:-}
if [ -z "$PROCS_BIN" ]; then
    if command -v procs >/dev/null 2>&1; then
        PROCS_BIN=$(command -v procs)
    elif [ -x "$HOME/.cargo/bin/procs" ]; then
        PROCS_BIN=$HOME/.cargo/bin/procs
    fi
fi
if [ -z "$PROCS_BIN" ]; then
    echo "top: procs not installed; left out (Debian 12 has no package:" \
        "cargo install procs --locked)" >&2
fi

# --- cleanup: every process started here is killed by PID and waited for -----
# The trap (lib.sh) ends the run_bounded wrapper, then cleanup_hook (the TUI
# and the tmux server), then the holder, and removes TMP.
TMUX_SERVER=
TUI_PID=
start_cleanup top-bench
SOCK=$TMP/tmux.sock
# The TUI is a child of our tmux server, which reaps it: end it first and
# give the server time to reap it, then end the server, our child (tmux -D:
# not a daemon) and wait for it.
stop_tui() {
    local k
    if [ -n "$TUI_PID" ]; then
        kill -TERM "$TUI_PID" 2>/dev/null || true
        for k in $(seq 1 30); do
            [ -e "/proc/$TUI_PID" ] || break
            [ "$k" = 20 ] && kill -KILL "$TUI_PID" 2>/dev/null
            sleep 0.1
        done
        TUI_PID=
    fi
    if [ -n "$TMUX_SERVER" ]; then
        tmux -S "$SOCK" kill-server 2>/dev/null || true
        kill -TERM "$TMUX_SERVER" 2>/dev/null || true
        wait "$TMUX_SERVER" 2>/dev/null || true
        TMUX_SERVER=
    fi
}
cleanup_hook() { stop_tui; }

# The runner of run_bounded (lib.sh: SECS CMD..., in the background so that a
# signal reaches the traps at once; redirections apply to the command).
# Not coreutils `timeout`: killing hyperfine mid-run would leave the command
# it was timing to PID 1, which does not reliably reap here. This wrapper is a
# child subreaper (prctl PR_SET_CHILD_SUBREAPER): the command runs in its own
# process group; at the limit (exit 124) or on SIGTERM/SIGINT/SIGHUP the group
# gets SIGTERM, then SIGKILL 10 s later, and every descendant, orphaned or
# not, is reaped before the wrapper exits.
BOUNDED_PY='
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
limit = float(sys.argv[1])
stop = []
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, lambda n, f: stop.append(n))
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as e:
        print(f"{sys.argv[2]}: {e.strerror}", file=sys.stderr)
        os._exit(127)
try:
    os.setpgid(pid, pid)
except OSError:
    pass
deadline = time.monotonic() + limit
rc, killed, kill_at = None, None, None
while True:
    try:
        got, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if got == pid:
        rc = os.waitstatus_to_exitcode(status)
        rc = 128 - rc if rc < 0 else rc
    if got:
        continue
    now = time.monotonic()
    if killed is None and (stop or now > deadline):
        killed = 124 if not stop else 128 + stop[0]
        kill_at = now + 10
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
    elif kill_at is not None and now > kill_at:
        kill_at = None
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    signal.sigtimedwait({signal.SIGCHLD}, 0.1)
sys.exit(killed if killed is not None else rc)
'
# The wrapper is not a group leader: the trap signals its PID only, and it
# ends its command's group itself.
RUNNER=(python3 -c "$BOUNDED_PY")
RUNNER_GROUP=0

count_procs() { set -- /proc/[0-9]*; echo "$#"; }

# --- build --------------------------------------------------------------------
PROCTOR=$TARGET_DIR/release/proctor
BARE=$TARGET_DIR/release/examples/bare_top
if [ "$BUILD" = 1 ]; then
    cargo_build --bin proctor --example bare_top
    check_rc "cargo build" "$BUILD_RC" "$BUILD_TIMEOUT"
fi
[ -x "$PROCTOR" ] || die "$PROCTOR is missing (build it, or check CARGO_TARGET_DIR)"
[ -x "$BARE" ] || die "$BARE is missing (build it, or check CARGO_TARGET_DIR)"
BUILD_T=$(now_ms)

# --- the process holder -------------------------------------------------------
BASE_PROCS=$(count_procs)
echo "top: $BASE_PROCS processes before the holder" >&2
if [ "$BASE_PROCS" -gt 1000 ]; then
    echo "top: warning: already $BASE_PROCS processes on this host (another holder?):" \
        "the run will see about $((BASE_PROCS + N + 1)), not $N + a few hundred" >&2
fi
if ! launch_holder '^ready' many-procs.py "$N" "$HOLDER_LIFE"; then
    cat "$TMP/holder.err" >&2
    die "many-procs.py did not get ready within ${READY_TIMEOUT} s"
fi
PROCS_START=$(count_procs)
echo "top: holder pid $HOLDER ready with $N children in $SETUP_MS ms; $PROCS_START processes now" >&2

# --- first run of each command: fail loudly, or drop an optional peer ----------
names=()
cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }
show_first() { # NAME: one line about the first run
    local lines first
    lines=$(wc -l <"$TMP/$1.out")
    first=$(head -n 1 "$TMP/$1.out" | cut -c 1-150 | tr -d '\033')
    echo "top: $1: exit $FIRST_RC, $lines lines; first: $first" >&2
}

first_run proctor "$PROCTOR" top --once --sort fds
if [ "$FIRST_RC" != 0 ] && [ "$FIRST_RC" != 1 ]; then
    echo "top: 'proctor top --once --sort fds' failed (exit $FIRST_RC); its stderr:" >&2
    head -c 4000 "$TMP/proctor.err" >&2
    exit 1
fi
show_first proctor
add proctor "$PROCTOR" top --once --sort fds

first_run ps ps "${PS_ARGS[@]}"
[ "$FIRST_RC" = 0 ] || die "'ps ${PS_ARGS[*]}' failed (exit $FIRST_RC)"
show_first ps
add ps ps "${PS_ARGS[@]}"

if [ -n "$PROCS_BIN" ]; then
    # Print the whole table once: no pager, no colour (whatever the terminal).
    procs_args=()
    help=$("$PROCS_BIN" --help 2>&1 || true)
    case $help in *--pager*) procs_args+=(--pager disable) ;; esac
    case $help in *--color*) procs_args+=(--color disable) ;; esac
    first_run procs "$PROCS_BIN" "${procs_args[@]}"
    if [ "$FIRST_RC" = 0 ]; then
        show_first procs
        "$PROCS_BIN" --version >"$TMP/procs.version" 2>&1 || true
        add procs "$PROCS_BIN" "${procs_args[@]}"
        # Context: procs sleeps --interval (100 ms by default) between two
        # reads to compute throughput; the same without that sleep.
        case $help in
            *--interval*)
                first_run procs0 "$PROCS_BIN" "${procs_args[@]}" --interval 0
                [ "$FIRST_RC" = 0 ] && add procs0 "$PROCS_BIN" "${procs_args[@]}" --interval 0
                ;;
        esac
    else
        echo "top: 'procs ${procs_args[*]}' failed (exit $FIRST_RC); left out. stderr:" >&2
        head -c 1000 "$TMP/procs.err" >&2
    fi
fi

first_run bare "$BARE"
[ "$FIRST_RC" = 0 ] || die "'bare_top' failed (exit $FIRST_RC): $(head -c 500 "$TMP/bare.err")"
show_first bare
add bare "$BARE"
for i in "${!names[@]}"; do printf '%s\t%s\n' "${names[$i]}" "${cmds[$i]}"; done >"$TMP/names"

# --- 1. hyperfine: all commands in one run, side by side -----------------------
cut -d ' ' -f 1-3 /proc/loadavg >"$TMP/load.before"
run_hyperfine "$TMP/top.json"
check_rc hyperfine "$HF_RC" "$HYPERFINE_TIMEOUT"
PROCS_END=$(count_procs)
cut -d ' ' -f 1-3 /proc/loadavg >"$TMP/load.after"

# --- 2. peak RSS (RSS_RUNS runs each) and syscalls (one strace -c -f run each) --
for i in "${!names[@]}"; do
    cmd_argv "$i"
    if [ "$HAVE_TIME" = 1 ]; then
        for k in $(seq 1 "$RSS_RUNS"); do
            run_quiet /usr/bin/time -f %M -o "$TMP/rss.${names[$i]}.$k" "${argv[@]}"
        done
    fi
    if [ "$HAVE_STRACE" = 1 ]; then
        run_quiet strace -f -c -o "$TMP/sc.${names[$i]}" "${argv[@]}"
    fi
done

# --- 3. doctor ------------------------------------------------------------------
echo "unavailable	--no-doctor" >"$TMP/doctor.state"
if [ "$DO_DOCTOR" = 1 ]; then
    # Zombies change doctor's time: it rechecks them after a pause.
    zombies() { local z; z=$(ps -eo stat= | grep -c '^Z' || true); echo "$z"; }
    zombies >"$TMP/doctor.zombies"
    first_run doctor "$PROCTOR" doctor
    if grep -q 'not built yet' "$TMP/doctor.err" "$TMP/doctor.out"; then
        echo "top: doctor not available: $(head -n 1 "$TMP/doctor.err")" >&2
        printf 'unavailable\t%s\n' "$(head -n 1 "$TMP/doctor.err" | cut -c 1-200)" >"$TMP/doctor.state"
    elif [ "$FIRST_RC" != 0 ] && [ "$FIRST_RC" != 1 ]; then
        echo "top: 'proctor doctor' failed (exit $FIRST_RC); its stderr:" >&2
        head -c 2000 "$TMP/doctor.err" >&2
        printf 'failed\texit %s: %s\n' "$FIRST_RC" "$(head -n 1 "$TMP/doctor.err" | cut -c 1-200)" >"$TMP/doctor.state"
    else
        show_first doctor
        printf 'ok\texit %s, %s lines\n' "$FIRST_RC" "$(wc -l <"$TMP/doctor.out")" >"$TMP/doctor.state"
        rc=0
        run_bounded "$HYPERFINE_TIMEOUT" hyperfine -N -i --warmup 1 --runs "$DOCTOR_RUNS" \
            --export-json "$TMP/doctor.json" --command-name doctor "$PROCTOR doctor" || rc=$?
        [ "$rc" = 0 ] || printf 'failed\thyperfine exit %s\n' "$rc" >"$TMP/doctor.state"
        zombies >>"$TMP/doctor.zombies"
        if [ "$HAVE_STRACE" = 1 ]; then
            run_quiet strace -f -c -o "$TMP/sc.doctor" "$PROCTOR" doctor
        fi
        if [ "$HAVE_TIME" = 1 ]; then
            run_quiet /usr/bin/time -f %M -o "$TMP/rss.doctor.1" "$PROCTOR" doctor
        fi
    fi
fi

# --- 4. the interactive TUI's CPU use --------------------------------------------
tmux_() { tmux -S "$SOCK" "$@"; }
proc_ticks() { # PID -> utime+stime in clock ticks (fields 14 and 15 of stat)
    local line rest
    read -r line <"/proc/$1/stat" || return 1
    rest=${line##*) }
    set -- $rest
    echo $(( ${12} + ${13} ))
}
tui_bench() {
    # tmux -D: the server stays in the foreground as our child (a daemon would
    # be re-parented to PID 1, which does not reap here).
    tmux -S "$SOCK" -f /dev/null -D </dev/null >/dev/null 2>"$TMP/tmux.err" &
    TMUX_SERVER=$!
    local ok='' k
    for k in $(seq 1 50); do
        if tmux_ set-option -gw remain-on-exit on 2>/dev/null; then ok=1; break; fi
        sleep 0.1
    done
    [ -n "$ok" ] || { echo "failed	tmux server did not start" >"$TMP/tui.state"; return; }
    local t_start
    t_start=$(now_ms)
    # stderr to a file: the TUI draws on stdout, and an error message would
    # otherwise be lost when the pane is cleared.
    tmux_ new-session -d -s top -x 200 -y 50 \
        "exec $(printf %q "$PROCTOR") top 2>$(printf %q "$TMP/tui.stderr")"
    TUI_PID=$(tmux_ list-panes -t top -F '#{pane_pid}')
    sleep "$TUI_SETTLE"
    tmux_ capture-pane -p -t top >"$TMP/tui.screen0" 2>/dev/null || true
    local dead comm
    dead=$(tmux_ list-panes -t top -F '#{pane_dead} #{pane_dead_status}' 2>/dev/null || echo "1 ?")
    comm=$(cat "/proc/$TUI_PID/comm" 2>/dev/null || true)
    if grep -q 'not built yet' "$TMP/tui.screen0" "$TMP/tui.stderr" 2>/dev/null ||
        [ "${dead%% *}" = 1 ] || [ "$comm" != proctor ]; then
        local why
        [ "${dead%% *}" = 1 ] && TUI_PID=  # exited and reaped by the server
        why=$( { grep -m 1 -v '^[[:space:]]*$' "$TMP/tui.stderr" ||
            grep -m 1 -v '^[[:space:]]*$' "$TMP/tui.screen0"; } 2>/dev/null | cut -c 1-200 || true)
        echo "top: TUI not available (pane dead: $dead; comm: ${comm:-gone}): $why" >&2
        printf 'unavailable\t%s\n' "${why:-pane exited (status ${dead#* })}" >"$TMP/tui.state"
    else
        local t0 c0 t1 c1 hz hwm
        hz=$(getconf CLK_TCK)
        t0=$(now_ms); c0=$(proc_ticks "$TUI_PID")
        sleep "$TUI_SECONDS"
        t1=$(now_ms); c1=$(proc_ticks "$TUI_PID" || echo "")
        hwm=$(awk '/^VmHWM/{print $2}' "/proc/$TUI_PID/status" 2>/dev/null || true)
        tmux_ capture-pane -p -t top >"$TMP/tui.screen1" 2>/dev/null || true
        if [ -z "$c1" ]; then
            echo "failed	proctor top exited during the measurement" >"$TMP/tui.state"
        else
            printf 'ok\t%s %s %s %s %s %s %s\n' "$t0" "$c0" "$t1" "$c1" "$hz" "${hwm:--}" \
                "$(( t0 - t_start ))" >"$TMP/tui.state"
        fi
        # Quit as a user would; say so if q did not work.
        tmux_ send-keys -t top q 2>/dev/null || true
        for k in $(seq 1 30); do
            dead=$(tmux_ list-panes -t top -F '#{pane_dead}' 2>/dev/null || echo 1)
            [ "$dead" = 1 ] && break
            sleep 0.1
        done
        if [ "$dead" = 1 ]; then
            TUI_PID=  # exited and reaped by the server
            echo "q: quit within $((k / 10)).$((k % 10)) s" >"$TMP/tui.quit"
        else
            echo "q: still running after 3 s; killed" >"$TMP/tui.quit"
        fi
    fi
    stop_tui
}
echo "unavailable	--no-tui or tmux missing" >"$TMP/tui.state"
if [ "$DO_TUI" = 1 ]; then
    echo "top: interactive proctor top in tmux for $((TUI_SETTLE + TUI_SECONDS)) s" >&2
    tui_bench
fi

# --- summary ------------------------------------------------------------------
python3 - "$TMP" "$N" "$BASE_PROCS" "$PROCS_START" "$PROCS_END" "$SETUP_MS" "$RUNS" \
    "$WARMUP" "$RSS_RUNS" "$(( ($(now_ms) - BUILD_T) / 1000 ))" "$(uname -r)" <<'PY'
import json, os, re, statistics, sys

(tmp, n, base, start, end, setup_ms, runs, warmup, rss_runs, elapsed,
 kernel) = sys.argv[1:12]


def read(name):
    try:
        with open(os.path.join(tmp, name), errors="replace") as f:
            return f.read()
    except OSError:
        return None


def strace_table(name):
    """strace -c table -> [(seconds, calls, syscall)], 'total' last."""
    text = read(name)
    rows = []
    for line in (text or "").splitlines():
        p = line.split()
        if len(p) in (5, 6) and re.fullmatch(r"[\d.]+", p[0]) and p[3].isdigit():
            rows.append((float(p[1]), int(p[3]), p[-1]))
    return rows


# Calls that wait (a thread joining its workers, a sleep) rather than work:
# strace -c -f counts their whole wait, so they are left out of the shares.
WAITS = {"futex", "wait4", "waitid", "clock_nanosleep", "nanosleep", "poll", "ppoll",
         "epoll_wait", "epoll_pwait", "select", "pselect6", "rt_sigtimedwait"}


def strace_line(name, top=6):
    rows = [r for r in strace_table(name) if r[2] != "total"]
    if not rows:
        return None
    work = sorted((r for r in rows if r[2] not in WAITS), key=lambda r: -r[0])
    tcalls = sum(r[1] for r in rows)
    tsec = sum(r[0] for r in work)
    parts = [f"{s} {c} ({100 * sec / tsec:.0f}%)" if tsec else f"{s} {c}"
             for sec, c, s in work[:top]]
    return (f"{tcalls} syscalls; {tsec * 1000:.0f} ms of syscall time (strace-inflated, "
            f"waits left out); by time: " + ", ".join(parts))


def rss_median(name):
    vals = []
    for k in range(1, int(rss_runs) + 1):
        t = read(f"rss.{name}.{k}")
        if t and t.strip().splitlines() and t.strip().splitlines()[-1].isdigit():
            vals.append(int(t.strip().splitlines()[-1]))
    return (statistics.median(vals) / 1024, len(vals)) if vals else (None, 0)


names = [l.split("\t", 1) for l in (read("names") or "").splitlines() if l]
results = json.loads(read("top.json"))["results"]
labels = {"proctor": "proctor top --once --sort fds",
          "ps": "ps -eo pid,ppid,user,stat,rss,nlwp,comm,args",
          "procs": "procs " + " ".join(
              a for a in next((c for nm, c in names if nm == "procs"), "").split()[1:]),
          "bare": "bare_top"}
labels["procs0"] = labels["procs"] + " --interval 0"
bare_line = (read("bare.out") or "").strip()
procs_version = (read("procs.version") or "").strip()

print()
print(f"top: {n} extra processes held (ready in {int(setup_ms) / 1000:.1f} s); "
      f"{base} before the holder, {start} at the start of the timed runs, {end} at the end; "
      f"bare_top saw: {bare_line}")
print(f"kernel {kernel}; hyperfine -N, {runs} runs after {warmup} warm-ups; "
      f"peak RSS median of {rss_runs} runs; {elapsed} s after the build"
      + (f"; {procs_version}" if procs_version else ""))
print(f"load average (1, 5, 15 min) before step 1: {(read('load.before') or '?').strip()}, "
      f"after: {(read('load.after') or '?').strip()} (other load on the host inflates "
      f"wall times: compare them with user + sys)")
print(f"{'command':<46} {'median ms':>9} {'sd ms':>6} {'min ms':>7} {'max ms':>7} "
      f"{'user ms':>8} {'sys ms':>7} {'peak RSS MiB':>12}")
median, rss, status = {}, {}, 0
for (name, _), r in zip(names, results):
    ms = {k: r[k] * 1000 for k in ("median", "stddev", "min", "max", "user", "system")}
    median[name] = ms["median"]
    rss[name], got = rss_median(name)
    rss_txt = f"{rss[name]:.1f}" if rss[name] is not None else "-"
    print(f"{labels.get(name, name):<46} {ms['median']:>9.1f} {ms['stddev']:>6.1f} "
          f"{ms['min']:>7.1f} {ms['max']:>7.1f} {ms['user']:>8.1f} {ms['system']:>7.1f} "
          f"{rss_txt:>12}")
    codes = sorted({c for c in r.get("exit_codes", []) if c != 0})
    if codes:
        print(f"  warning: {name} exited {codes} in some timed runs")
        if name == "proctor":
            status = 1

print()
for name, _ in names:
    line = strace_line(f"sc.{name}")
    if line:
        print(f"strace -c -f {labels.get(name, name)}: {line}")

verdicts = []  # (text, result, verdict)


def judge(text, value, ok, fmt="{:.2f}"):
    verdicts.append((text, fmt.format(value), "PASS" if ok else "FAIL"))


def ratio(a, b):
    return median[a] / median[b] if a in median and b in median else None


r = ratio("proctor", "ps")
judge("proctor top --once / ps (wall, median)   <= 0.7", r, r <= 0.7)
r = ratio("procs", "proctor")
if r is None:
    verdicts.append(("procs / proctor top --once (wall)       >= 4", "procs not installed", "n/a"))
else:
    judge("procs / proctor top --once (wall)       >= 4", r, r >= 4)
r = ratio("procs0", "proctor")
if r is not None:
    print(f"context: procs --interval 0 (no 100 ms throughput sleep) / proctor: {r:.2f}")
r = ratio("ps", "bare")
if r is not None:
    print(f"context: ps / bare_top: {r:.2f}")
r = ratio("proctor", "bare")
judge("proctor top --once / bare_top (wall)    <= 1.5", r, r <= 1.5)
if rss.get("proctor") and rss.get("ps"):
    r = rss["proctor"] / rss["ps"]
    judge("proctor top --once / ps (peak RSS)      <= 2", r, r <= 2)
else:
    verdicts.append(("proctor top --once / ps (peak RSS)      <= 2", "no /usr/bin/time", "n/a"))

print()
state, _, detail = (read("doctor.state") or "unavailable\t").strip().partition("\t")
doctor = "doctor not available: " + detail
if state == "ok" and read("doctor.json"):
    d = json.loads(read("doctor.json"))["results"][0]
    codes = sorted(set(d.get("exit_codes", [])))
    drss, _ = rss_median("doctor")
    doctor = (f"proctor doctor: median {d['median'] * 1000:.1f} ms (min {d['min'] * 1000:.1f}, "
              f"max {d['max'] * 1000:.1f}, user {d['user'] * 1000:.1f}, sys "
              f"{d['system'] * 1000:.1f}) over {len(d['times'])} runs, exit codes {codes}; "
              f"first run {detail}" + (f"; peak RSS {drss:.1f} MiB" if drss else "")
              + "; zombies on the host before/after: "
              + "/".join((read("doctor.zombies") or "?").split()))
    line = strace_line("sc.doctor", top=8)
    if line:
        doctor += f"\nstrace -c -f proctor doctor: {line}"
elif state == "failed":
    doctor = "proctor doctor failed: " + detail
    status = 1
print(doctor)

state, _, detail = (read("tui.state") or "unavailable\t").strip().partition("\t")
if state == "ok":
    t0, c0, t1, c1, hz, hwm, settle = detail.split()
    secs = (int(t1) - int(t0)) / 1000
    cpu = (int(c1) - int(c0)) / int(hz)
    tui = (f"interactive proctor top (tmux 200x50, default refresh): {cpu:.2f} s CPU "
           f"in {secs:.1f} s from t={int(settle) / 1000:.1f} s = {100 * cpu / secs:.2f}% of one core"
           f" (clock ticks of {1000 / int(hz):.0f} ms); VmHWM {hwm} KiB; "
           + (read("tui.quit") or "").strip())
    screen = [l.rstrip() for l in (read("tui.screen1") or "").splitlines() if l.strip()]
    if screen:
        tui += "\n  its screen's first line: " + screen[0][:150]
else:
    tui = ("TUI not available: " if state == "unavailable" else "TUI failed: ") + detail
    if state == "failed":
        status = 1
print(tui)

print()
print("Targets (medians, one run):")
for text, result, verdict in verdicts:
    print(f"  {verdict:<4} {text}: {result}")
    if verdict == "FAIL":
        status = 1
sys.exit(status)
PY
