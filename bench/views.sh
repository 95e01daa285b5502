#!/usr/bin/env bash
# Benchmark: proctor's per-process views (`fds`, `net`, `maps`, `threads`) on
# big workloads, side by side with bare loops doing the same reads
# (examples/bare_views.rs) and with the peers people use for the same question.
#
# Requirements measured (ratios of hyperfine medians, one run per workload):
#   fds      ~19,940 descriptors (bench/fd-holder.py)
#            proctor fds PID          <= 0.25x `lsof -p PID` (4x faster)
#            proctor fds PID          <= 1.5x  `bare_views fds PID`
#            proctor fds PID --long   <= 0.5x  `lsof -p PID` (2x faster)
#            proctor fds PID --count  one stat of /proc/PID/fd, no listing and
#                                     no readlink, whatever the count (checked
#                                     with strace on kernels >= 6.2); timed
#                                     next to `ls /proc/PID/fd | wc -l`
#   net      ~9,960 loopback connections, 19,919 sockets (the same holder)
#            proctor net PID          <= 1/3x  `ss -tanp | grep pid=PID,` (3x faster)
#            proctor net PID          <= 1.5x  `bare_views net PID`
#            (`ss -tan`, the netlink dump without -p, is timed for context)
#   maps     20,000 mappings (bench/maps-holder.py)
#            proctor maps PID         <= 0.7x  `pmap -x PID`
#   threads  2,001 threads (bench/threads-holder.py)
#            proctor threads PID      <= 1/3x  `ps -L -p PID` (3x faster)
# Also timed without a requirement: `--json` of fds and net. Peak RSS of every
# command comes from one run under /usr/bin/time -v, its syscall count from
# one run under `strace -f -c` (if strace is installed).
#
# Usage: bench/views.sh [--no-proctor] [--runs N] [--warmup N]
#                       [--export-dir DIR] [fds|net|maps|threads]...
#   workloads     any of fds, net, maps, threads (default: all four, in order)
#   --no-proctor  build and time only the baselines and the peers (for use
#                 before the proctor subcommands exist); no verdict is given.
#   --export-dir  keep hyperfine's JSON and each workload's summary in DIR.
#
# Environment:
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#   BENCH_MAX_FDS        cap on the fd holder's descriptors (default 20000)
#   BENCH_MAPS           lines of /proc/PID/maps the maps holder reaches (20000)
#   BENCH_THREADS        threads the threads holder starts (default 2000)
#   BENCH_BUILD_TIMEOUT  seconds allowed for cargo build (default 1200)
#   BENCH_TIMEOUT        seconds allowed for each hyperfine run (default 900)
#
# Exit: 0 every requirement met (or --no-proctor and every baseline ran), 1 a
# requirement not met or not measurable, or a timed command failed, 2 missing
# tool or usage error, 130 interrupted. See bench/README.md.
set -euo pipefail

BENCH_NAME=views
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAX_FDS=${BENCH_MAX_FDS:-20000}
N_MAPS=${BENCH_MAPS:-20000}
N_THREADS=${BENCH_THREADS:-2000}
HYPERFINE_TIMEOUT=${BENCH_TIMEOUT:-900}
CHECK_TIMEOUT=120   # one run of one command (first check, time -v, strace)
READY_TIMEOUT=90    # the holders give up after 60 s of setup by themselves
RUNS=15
WARMUP=3
WITH_PROCTOR=1
EXPORT_DIR=
WORKLOADS=()

while [ $# -gt 0 ]; do
    case $1 in
        --no-proctor) WITH_PROCTOR=0 ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --warmup) WARMUP=${2:?--warmup needs a number}; shift ;;
        --export-dir) EXPORT_DIR=${2:?--export-dir needs a directory}; shift ;;
        fds|net|maps|threads)
            case " ${WORKLOADS[*]} " in *" $1 "*) ;; *) WORKLOADS+=("$1") ;; esac ;;
        -h|--help) usage; exit 0 ;;
        *) echo "views: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$RUNS$WARMUP" in *[!0-9]*) DIE_CODE=2 die "--runs and --warmup take whole numbers" ;; esac
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(fds net maps threads)
if [ -n "$EXPORT_DIR" ]; then
    mkdir -p "$EXPORT_DIR" || DIE_CODE=2 die "cannot create --export-dir $EXPORT_DIR"
    EXPORT_DIR=$(cd "$EXPORT_DIR" && pwd)
fi

require_tools python3 cargo timeout
check_time
check_strace "no syscall counts, and the fds --count requirement cannot be checked" \
    "hint: apt-get install -y strace"
# From here on every process started is killed by PID and waited for, on
# exit, error, Ctrl-C or SIGTERM, and TMP is removed (lib.sh).
start_cleanup views

# --- build --------------------------------------------------------------------
build_args=(--example bare_views)
[ "$WITH_PROCTOR" = 1 ] && build_args+=(--bin proctor)
cargo_build "${build_args[@]}"
PROCTOR=$TARGET_DIR/release/proctor
BARE=$TARGET_DIR/release/examples/bare_views
if [ "$BUILD_RC" != 0 ] && [ "$WITH_PROCTOR" = 0 ] && command -v rustc >/dev/null 2>&1; then
    # The example needs nothing from the crate, but cargo builds the library
    # first; while the library is being edited that can fail. The baselines
    # are std-only, so build the one file directly.
    echo "views: cargo build failed (exit $BUILD_RC); building examples/bare_views.rs" \
        "alone with rustc" >&2
    BARE=$TMP/bare_views
    BUILD_RC=0
    run_bounded "$BUILD_TIMEOUT" rustc --edition 2024 -C opt-level=3 \
        -o "$BARE" "$ROOT/examples/bare_views.rs" || BUILD_RC=$?
fi
check_rc build "$BUILD_RC" "$BUILD_TIMEOUT"
[ -x "$BARE" ] || die "built, but $BARE is missing (is CARGO_TARGET_DIR right?)"
[ "$WITH_PROCTOR" = 0 ] || [ -x "$PROCTOR" ] || die "built, but $PROCTOR is missing"

# --- holders --------------------------------------------------------------------
PID=
COUNT=
SETUP_MS=
start_holder() { # SCRIPT ARGS...; sets HOLDER, PID, COUNT, SETUP_MS
    local script=$1
    if ! launch_holder '^READY ' "$@"; then
        cat "$TMP/holder.err" >&2
        echo "views: $script did not get ready within ${READY_TIMEOUT} s" >&2
        stop_holder
        return 1
    fi
    read -r _ PID COUNT <"$TMP/holder.out"
    sed 's/^/  /' "$TMP/holder.err" >&2
    if [ "$PID" != "$HOLDER" ]; then
        echo "views: $script reported pid $PID, expected $HOLDER" >&2
        stop_holder
        return 1
    fi
    echo "views: holder pid $PID ready with $COUNT in ${SETUP_MS} ms" >&2
}

# --- per-workload command list ------------------------------------------------------
# names[i] is a short id, labels[i] what is shown, cmds[i] the argv quoted
# with printf %q (what hyperfine -N splits again, and eval undoes).
names=()
labels=()
cmds=()
W=
add() { names+=("$1"); labels+=("$2"); shift 2; cmds+=("$(printf '%q ' "$@")"); }
fail_note() { printf '%s\t%s\n' "$1" "$2" >>"$TMP/$W.failed"; }

# Escaped first line of a command's output (it may contain anything).
first_line() { head -n 1 "$1" | cut -c 1-160 | cat -v; }

add_proctor() { # NAME SUBCOMMAND ARGS...
    local name=$1 sub=$2
    shift 2
    [ "$WITH_PROCTOR" = 1 ] || return 0
    local label="proctor $sub $PID${*:+ $*}"
    if ! "$PROCTOR" "$sub" --help >/dev/null 2>&1; then
        echo "views: '$PROCTOR $sub --help' failed: the $sub subcommand is missing" >&2
        fail_note "$name" "subcommand $sub missing"
        return 0
    fi
    first_run "$W.$name" "$PROCTOR" "$sub" "$PID" "$@"
    # Exit 1 means "a problem was found" (the fd holder sits at 99.7% of its
    # descriptor limit, which proctor should flag); 2 and above are errors.
    if [ "$FIRST_RC" != 0 ] && [ "$FIRST_RC" != 1 ]; then
        echo "views: '$label' failed (exit $FIRST_RC); its stderr:" >&2
        head -c 4000 "$TMP/$W.$name.err" >&2
        echo >&2
        fail_note "$name" "exit $FIRST_RC: $(head -n 1 "$TMP/$W.$name.err" | cut -c 1-200)"
        return 0
    fi
    local lines
    lines=$(wc -l <"$TMP/$W.$name.out")
    echo "views: $label: exit $FIRST_RC, $lines lines; first: $(first_line "$TMP/$W.$name.out")" >&2
    case " $* " in
        *" --json "*)
            if ! python3 -c 'import json, sys; json.load(sys.stdin)' <"$TMP/$W.$name.out" 2>/dev/null; then
                echo "views: warning: '$label' did not print one valid JSON document" >&2
            fi ;;
    esac
    add "$name" "$label" "$PROCTOR" "$sub" "$PID" "$@"
}

add_bare() { # NAME VIEW
    local name=$1 view=$2
    first_run "$W.$name" "$BARE" "$view" "$PID"
    if [ "$FIRST_RC" != 0 ]; then
        echo "views: 'bare_views $view $PID' failed (exit $FIRST_RC); its stderr:" >&2
        head -c 4000 "$TMP/$W.$name.err" >&2
        fail_note "$name" "exit $FIRST_RC"
        return 0
    fi
    echo "views: bare_views: $(first_line "$TMP/$W.$name.out")" >&2
    add "$name" "bare_views $view $PID" "$BARE" "$view" "$PID"
}

add_peer() { # NAME TOOL PACKAGE LABEL CMD...
    local name=$1 tool=$2 pkg=$3 label=$4
    shift 4
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "views: $tool not installed; '$label' left out" >&2
        echo "hint: apt-get install -y $pkg" >&2
        fail_note "$name" "$tool not installed"
        return 0
    fi
    first_run "$W.$name" "$@"
    if [ "$FIRST_RC" != 0 ]; then
        echo "views: '$label' failed (exit $FIRST_RC); left out. stderr:" >&2
        head -c 1000 "$TMP/$W.$name.err" >&2
        fail_note "$name" "exit $FIRST_RC"
        return 0
    fi
    add "$name" "$label" "$@"
}

# strace of `proctor fds PID --count` on the holder and on a small process
# (this script): the summary compares what each does with /proc/PID/fd.
trace_count() {
    [ "$HAVE_STRACE" = 1 ] && [ "$WITH_PROCTOR" = 1 ] || return 0
    case " ${names[*]} " in *" proctor-fds-count "*) ;; *) return 0 ;; esac
    local which target
    for which in big small; do
        if [ "$which" = big ]; then target=$PID; else target=$$; fi
        echo "$target" >"$TMP/$W.count.$which.pid"
        run_quiet strace -f -c -o "$TMP/$W.count.$which.c" "$PROCTOR" fds "$target" --count
        run_quiet strace -f -y -o "$TMP/$W.count.$which.y" "$PROCTOR" fds "$target" --count
    done
}

run_workload() {
    W=$1
    names=()
    labels=()
    cmds=()
    : >"$TMP/$W.failed"
    echo >&2
    echo "views: === $W ===" >&2
    local holder_args what
    case $W in
        fds) holder_args=(fd-holder.py --max "$MAX_FDS"); what=descriptors ;;
        # The issue's net workload: one process with ~19,000 connections,
        # their other ends in a peer process (as for a real server).
        net) holder_args=(fd-holder.py --max "$MAX_FDS" --peer); what=descriptors ;;
        maps) holder_args=(maps-holder.py --count "$N_MAPS"); what=mappings ;;
        threads) holder_args=(threads-holder.py --threads "$N_THREADS"); what=threads ;;
    esac
    if ! start_holder "${holder_args[@]}"; then
        fail_note holder "${holder_args[0]} did not get ready"
        return 0
    fi
    local extra=
    if [ "$what" = descriptors ]; then
        # Every reader of /proc/PID/net/tcp (and ss) pays for the whole
        # namespace's table, not only for the holder's rows.
        local rows
        rows=$(cat "/proc/$PID/net/tcp" "/proc/$PID/net/tcp6" 2>/dev/null | wc -l)
        rows=$((rows > 2 ? rows - 2 : 0))
        extra="; $rows rows in its namespace's /proc/net/tcp and tcp6"
        if [ "$rows" -gt $((COUNT * 6 / 5)) ]; then
            echo "views: warning: $rows TCP rows in the namespace for the holder's ~$COUNT" \
                "sockets: other sockets on this machine slow down every reader of" \
                "/proc/net/tcp and ss; numbers are not comparable with a quiet run" >&2
        fi
    fi
    printf 'holder %s pid %s, %s %s, ready in %s ms%s\n' "${holder_args[0]}" "$PID" "$COUNT" \
        "$what" "$SETUP_MS" "$extra" >"$TMP/$W.holder"
    case $W in
        fds)
            add_proctor proctor-fds fds
            add_proctor proctor-fds-long fds --long
            add_proctor proctor-fds-json fds --json
            add_proctor proctor-fds-count fds --count
            add_bare bare-fds fds
            add_bare bare-count count
            add_peer lsof lsof lsof "lsof -p $PID" lsof -p "$PID"
            add_peer ls-wc ls coreutils "ls /proc/$PID/fd | wc -l" \
                sh -c "ls /proc/$PID/fd | wc -l"
            ;;
        net)
            add_proctor proctor-net net
            add_proctor proctor-net-json net --json
            add_bare bare-net net
            add_peer ss-grep ss iproute2 "ss -tanp | grep pid=$PID," \
                sh -c "ss -tanp | grep pid=$PID,"
            # Context: the netlink dump of the same table without -p (no
            # process mapping), the floor for a sock_diag-based reader.
            add_peer ss-tan ss iproute2 "ss -tan (no -p; context)" ss -tan
            ;;
        maps)
            add_proctor proctor-maps maps
            add_bare bare-maps maps
            add_peer pmap pmap procps "pmap -x $PID" pmap -x "$PID"
            ;;
        threads)
            add_proctor proctor-threads threads
            add_bare bare-threads threads
            add_peer ps-L ps procps "ps -L -p $PID" ps -L -p "$PID"
            ;;
    esac
    if [ ${#names[@]} -eq 0 ]; then
        echo "views: nothing to time for $W" >&2
        stop_holder
        return 0
    fi
    for i in "${!names[@]}"; do printf '%s\t%s\n' "${names[$i]}" "${labels[$i]}"; done >"$TMP/$W.names"

    # One hyperfine run with every command of the workload side by side.
    run_hyperfine "$TMP/$W.hyperfine.json"
    if [ "$HF_RC" != 0 ]; then
        [ "$HF_RC" = 124 ] && echo "views: hyperfine took more than ${HYPERFINE_TIMEOUT} s" >&2
        echo "views: hyperfine failed for $W (exit $HF_RC)" >&2
        fail_note hyperfine "exit $HF_RC"
        rm -f "$TMP/$W.hyperfine.json"
        stop_holder
        return 0
    fi

    # Peak RSS (/usr/bin/time -v) and syscall counts (strace -f -c), one run each.
    local argv
    for i in "${!names[@]}"; do
        cmd_argv "$i"
        if [ "$HAVE_TIME" = 1 ]; then
            run_quiet /usr/bin/time -v -o "$TMP/$W.rss.${names[$i]}" "${argv[@]}"
        fi
        if [ "$HAVE_STRACE" = 1 ]; then
            run_quiet strace -f -c -o "$TMP/$W.sc.${names[$i]}" "${argv[@]}"
        fi
    done
    [ "$W" = fds ] && trace_count
    stop_holder
}

for W in "${WORKLOADS[@]}"; do
    run_workload "$W"
done

# --- summary ------------------------------------------------------------------
echo >&2
python3 - "$TMP" "$WITH_PROCTOR" "$(uname -r)" "$EXPORT_DIR" "${WORKLOADS[@]}" <<'PY'
import json, os, re, sys

tmp, with_proctor, kernel, export_dir = sys.argv[1:5]
workloads = sys.argv[5:]
with_proctor = with_proctor == "1"

# (numerator, denominator, max ratio, requirement text)
REQS = {
    "fds": [("proctor-fds", "lsof", 0.25, "proctor fds <= 0.25x lsof -p (4x faster)"),
            ("proctor-fds", "bare-fds", 1.5, "proctor fds <= 1.5x bare readlink loop"),
            ("proctor-fds-long", "lsof", 0.5, "proctor fds --long <= 0.5x lsof -p (2x faster)")],
    "net": [("proctor-net", "ss-grep", 1 / 3, "proctor net <= 1/3x ss -tanp | grep (3x faster)"),
            ("proctor-net", "bare-net", 1.5, "proctor net <= 1.5x bare readlink + net/tcp loop")],
    "maps": [("proctor-maps", "pmap", 0.7, "proctor maps <= 0.7x pmap -x")],
    "threads": [("proctor-threads", "ps-L", 1 / 3, "proctor threads <= 1/3x ps -L -p (3x faster)")],
}
# Context ratios, no requirement.
INFO = {
    "fds": [("proctor-fds-json", "lsof"), ("proctor-fds-json", "bare-fds"),
            ("proctor-fds-long", "bare-fds"), ("proctor-fds-count", "ls-wc"),
            ("proctor-fds-count", "bare-count"), ("lsof", "bare-fds"), ("ls-wc", "bare-count")],
    "net": [("proctor-net-json", "ss-grep"), ("proctor-net-json", "bare-net"),
            ("ss-grep", "bare-net"), ("proctor-net", "ss-tan"), ("bare-net", "ss-tan")],
    "maps": [("pmap", "bare-maps")],
    "threads": [("ps-L", "bare-threads")],
}


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def rss_mib(w, name):
    text = read(os.path.join(tmp, f"{w}.rss.{name}"))
    if text is None:
        return "-"
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return f"{int(m.group(1)) / 1024:.1f}" if m else "?"


def strace_counts(path):
    """strace -c table -> {syscall: calls}, with 'total'."""
    text = read(path)
    if text is None:
        return None
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) in (5, 6) and re.fullmatch(r"[\d.]+", parts[0]) and parts[3].isdigit():
            calls[parts[-1]] = int(parts[3])
    return calls or None


verdicts = []  # (workload, requirement, result, verdict)
for w in workloads:
    out = []
    failed = {}
    for line in (read(os.path.join(tmp, f"{w}.failed")) or "").splitlines():
        name, _, why = line.partition("\t")
        failed[name] = why
    names_text = read(os.path.join(tmp, f"{w}.names")) or ""
    names = [l.split("\t", 1) for l in names_text.splitlines() if l]
    hf = read(os.path.join(tmp, f"{w}.hyperfine.json"))
    results = json.loads(hf)["results"] if hf else []
    holder = read(os.path.join(tmp, f"{w}.holder")) or ""
    out.append(f"== {w}: {holder.strip()}")
    median, bad_exit = {}, {}
    if results:
        out.append(f"{'command':<40} {'median ms':>10} {'sd ms':>6} {'min ms':>7} "
                   f"{'max ms':>7} {'user ms':>8} {'sys ms':>7} {'peak RSS MiB':>13} "
                   f"{'syscalls':>9}")
        for (name, label), r in zip(names, results):
            ms = {k: r[k] * 1000 for k in ("median", "stddev", "min", "max", "user", "system")}
            median[name] = ms["median"]
            codes = sorted({c for c in r.get("exit_codes", []) if c not in (0, 1)})
            if codes:
                bad_exit[name] = codes
            sc = strace_counts(os.path.join(tmp, f"{w}.sc.{name}"))
            calls = str(sc.get("total", "?")) if sc else "-"
            out.append(f"{label:<40} {ms['median']:>10.1f} {ms['stddev']:>6.1f} {ms['min']:>7.1f} "
                       f"{ms['max']:>7.1f} {ms['user']:>8.1f} {ms['system']:>7.1f} "
                       f"{rss_mib(w, name):>13} {calls:>9}")
            for c in codes:
                out.append(f"  warning: {label} exited {c} in some timed runs")
    for name, why in failed.items():
        out.append(f"not timed: {name}: {why}")

    def ratio_line(num, den, limit=None, text=None):
        if num in median and den in median:
            r = median[num] / median[den]
            speed = f"{1 / r:.1f}x faster" if r < 1 else f"{r:.2f}x slower"
            line = f"ratio {num}/{den}: {r:.2f} ({speed})"
            if limit is None:
                return line, None
            ok = r <= limit and num not in bad_exit
            return f"{line} (requirement <= {limit:.2f}): {'PASS' if ok else 'FAIL'}", \
                ("PASS" if ok else "FAIL", f"{r:.2f} ({speed})")
        missing = [n for n in (num, den) if n not in median]
        why = "; ".join(f"{n}: {failed.get(n, 'not timed')}" for n in missing)
        return f"ratio {num}/{den}: n/a ({why})", None

    for num, den, limit, text in REQS.get(w, []):
        if not with_proctor:
            out.append(f"{text}: n/a (--no-proctor)")
            continue
        line, v = ratio_line(num, den, limit, text)
        out.append(line)
        if v is None:
            # proctor failed or is missing: FAIL; a peer or baseline missing: n/a.
            verdict = "FAIL" if num not in median else "n/a"
            verdicts.append((w, text, line.split(": ", 1)[1], verdict))
        else:
            verdicts.append((w, text, v[1], v[0]))
    for num, den in INFO.get(w, []):
        if num.startswith("proctor") and not with_proctor:
            continue
        if num in median and den in median:
            out.append(ratio_line(num, den)[0])

    # fds --count: what it does with /proc/PID/fd, on the holder and on a small process.
    if w == "fds" and with_proctor:
        text = "proctor fds --count: one stat of /proc/PID/fd whatever the count"
        km = re.match(r"(\d+)\.(\d+)", kernel)
        kver = (int(km.group(1)), int(km.group(2))) if km else (0, 0)
        big = strace_counts(os.path.join(tmp, "fds.count.big.c"))
        small = strace_counts(os.path.join(tmp, "fds.count.small.c"))
        if kver < (6, 2):
            out.append(f"{text}: n/a (kernel {kernel} < 6.2 has no count in st_size)")
            verdicts.append((w, text, f"kernel {kernel}", "n/a"))
        elif "proctor-fds-count" in failed:
            verdicts.append((w, text, failed["proctor-fds-count"], "FAIL"))
        elif not big or not small:
            out.append(f"{text}: n/a (no strace output)")
            verdicts.append((w, text, "no strace", "n/a"))
        else:
            kinds = {"stat": {"stat", "lstat", "fstat", "newfstatat", "fstatat64", "statx"},
                     "list": {"getdents", "getdents64"}, "readlink": {"readlink", "readlinkat"},
                     "open": {"open", "openat", "openat2"}}
            touch = {}
            for which in ("big", "small"):
                pid = (read(os.path.join(tmp, f"fds.count.{which}.pid")) or "").strip()
                full = re.compile(rf"/proc/{pid}/fd(?:[>\"/]|$)")
                rel = re.compile(rf"</proc/{pid}>, \"fd[\"/]")
                counts = {k: 0 for k in (*kinds, "other")}
                shown = []
                for line in (read(os.path.join(tmp, f"fds.count.{which}.y")) or "").splitlines():
                    m = re.match(r"(?:\d+\s+)?(\w+)\(", line)
                    if not m or not (full.search(line) or rel.search(line)):
                        continue
                    kind = next((k for k, s in kinds.items() if m.group(1) in s), "other")
                    counts[kind] += 1
                    shown.append(line[:150])
                touch[which] = (pid, counts, shown)
            pid_b, cb, shown_b = touch["big"]
            pid_s, cs, _ = touch["small"]
            tb, ts = big.get("total", 0), small.get("total", 0)
            out.append(f"proctor fds PID --count under strace -f: {tb} syscalls on pid {pid_b} "
                       f"(the holder), {ts} on pid {pid_s} (this script's shell)")
            out.append("  calls on the holder's /proc/PID/fd: " +
                       ", ".join(f"{k} {v}" for k, v in cb.items()))
            for line in shown_b[:6]:
                out.append(f"    {line}")
            ls = strace_counts(os.path.join(tmp, "fds.sc.ls-wc"))
            if ls:
                out.append(f"  for comparison, ls /proc/PID/fd | wc -l: {ls.get('total', '?')} "
                           f"syscalls, getdents64 {ls.get('getdents64', 0)}")
            ok = (cb["stat"] == 1 and cb["list"] == 0 and cb["readlink"] == 0
                  and abs(tb - ts) <= 5)
            result = (f"{cb['stat']} stat, {cb['list']} getdents, {cb['readlink']} readlink "
                      f"on the fd dir; {tb} syscalls at {pid_b} vs {ts} at a small process")
            out.append(f"{text}: {'PASS' if ok else 'FAIL'}")
            verdicts.append((w, text, result, "PASS" if ok else "FAIL"))
    if "holder" in failed or "hyperfine" in failed:
        verdicts.append((w, f"{w} workload ran", "; ".join(
            failed[k] for k in ("holder", "hyperfine") if k in failed), "FAIL"))

    text = "\n".join(out)
    print()
    print(text)
    if export_dir:
        with open(os.path.join(export_dir, f"views-{w}.txt"), "w") as f:
            f.write(text + "\n")
        if hf:
            with open(os.path.join(export_dir, f"views-{w}.json"), "w") as f:
                f.write(hf)

print()
status = 0
if with_proctor:
    print("Requirements:")
    for w, text, result, verdict in verdicts:
        print(f"  {verdict:<4} {w:<8} {text}: {result}")
        if verdict != "PASS":
            status = 1
else:
    print("Requirements: not judged (--no-proctor)")
    for w, text, result, verdict in verdicts:
        print(f"  {verdict:<4} {w:<8} {text}: {result}")
        status = 1
# A baseline or a peer that could not be timed is a failure of the run too.
for w in workloads:
    for line in (read(os.path.join(tmp, f"{w}.failed")) or "").splitlines():
        name = line.split("\t", 1)[0]
        if name.startswith("bare-"):
            status = 1
sys.exit(status)
PY
