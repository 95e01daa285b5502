#!/usr/bin/env bash
# Benchmark: `proctor fds PID` (plain and --long) on a process holding
# ~20,000 mixed descriptors (regular files, pipes, directories, loopback TCP
# sockets), side by side in ONE hyperfine run with `lsof -p PID` and a bare
# loop that lists /proc/PID/fd and readlinks every entry
# (examples/bare_views.rs `fds`).
#
# Requirement measured: `proctor fds PID` median <= 1.3x the bare loop of
# the same syscalls (`bare_views fds-diag`: the readlinks, plus the one
# sock_diag TCP dump that names the sockets' endpoints when there are
# sockets), whatever the descriptor types. The readlink-only loop
# (`bare_views fds`), `--long` (fdinfo read for every descriptor) and lsof
# are timed beside it; with BENCH_MIX="7500 2500 7400" about 40 sockets
# are left (the dump is then a short one).
#
# Usage: bench/fds.sh [--runs N] [--warmup N]
#
# Environment:
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#   BENCH_MAX_FDS        cap on the holder's descriptors (default 20000)
#   BENCH_MIX            "FILES PIPES DIRS" opened before the sockets fill
#                        the rest (default "5000 2500 5000": 5,000 files,
#                        5,000 pipe ends, 5,000 directories, ~5,000 sockets)
#   BENCH_MAX_RATIO      allowed proctor/bare ratio of medians (default 1.3)
#   BENCH_BUILD_TIMEOUT  seconds allowed for cargo build (default 1200)
#   BENCH_TIMEOUT        seconds allowed for the hyperfine run (default 900)
#
# Exit: 0 requirement met, 1 not met or a timed command failed, 2 missing
# tool or usage error, 130 interrupted. See bench/README.md.
set -euo pipefail

BENCH_NAME=fds
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAX_FDS=${BENCH_MAX_FDS:-20000}
MAX_RATIO=${BENCH_MAX_RATIO:-1.3}
read -r MIX_FILES MIX_PIPES MIX_DIRS <<<"${BENCH_MIX:-5000 2500 5000}"
HYPERFINE_TIMEOUT=${BENCH_TIMEOUT:-900}
CHECK_TIMEOUT=120
READY_TIMEOUT=90
RUNS=15
WARMUP=3

while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --warmup) WARMUP=${2:?--warmup needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "fds: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$RUNS$WARMUP$MIX_FILES$MIX_PIPES$MIX_DIRS" in
    *[!0-9]*) DIE_CODE=2 die "--runs, --warmup and BENCH_MIX take whole numbers" ;;
esac

require_tools python3 cargo timeout hyperfine
check_time
start_cleanup fds

# --- build --------------------------------------------------------------------
cargo_build --bin proctor --example bare_views
check_rc "cargo build" "$BUILD_RC" "$BUILD_TIMEOUT"
PROCTOR=$TARGET_DIR/release/proctor
BARE=$TARGET_DIR/release/examples/bare_views
[ -x "$PROCTOR" ] && [ -x "$BARE" ] || die "built, but $PROCTOR or $BARE is missing"

# --- the descriptor holder ----------------------------------------------------
if ! launch_holder '^READY ' fd-holder.py --max "$MAX_FDS" \
    --files "$MIX_FILES" --pipes "$MIX_PIPES" --dirs "$MIX_DIRS"; then
    cat "$TMP/holder.err" >&2
    die "fd-holder did not get ready within ${READY_TIMEOUT} s"
fi
read -r _ PID NFDS <"$TMP/holder.out"
sed 's/^/  /' "$TMP/holder.err" >&2
echo "fds: holder pid $PID ready with $NFDS descriptors in ${SETUP_MS} ms" >&2

# --- first run of each command ------------------------------------------------
names=()
cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }

for spec in "proctor-fds:" "proctor-fds-long:--long"; do
    name=${spec%%:*}
    extra=${spec#*:}
    # shellcheck disable=SC2086 # extra is one word or none
    first_run "$name" "$PROCTOR" fds "$PID" $extra
    [ "$FIRST_RC" = 0 ] || { head -c 2000 "$TMP/$name.err" >&2; die "proctor fds $extra failed (exit $FIRST_RC)"; }
    echo "fds: $name: $(wc -l <"$TMP/$name.out") lines; $(sed -n 2p "$TMP/$name.out")" >&2
    # shellcheck disable=SC2086
    add "$name" "$PROCTOR" fds "$PID" $extra
done
first_run bare "$BARE" fds "$PID"
[ "$FIRST_RC" = 0 ] || die "bare_views fds failed (exit $FIRST_RC)"
echo "fds: bare_views: $(head -n 1 "$TMP/bare.out")" >&2
add bare "$BARE" fds "$PID"
first_run bare-diag "$BARE" fds-diag "$PID"
[ "$FIRST_RC" = 0 ] || die "bare_views fds-diag failed (exit $FIRST_RC)"
echo "fds: bare_views: $(head -n 1 "$TMP/bare-diag.out")" >&2
add bare-diag "$BARE" fds-diag "$PID"
if command -v lsof >/dev/null 2>&1; then
    first_run lsof lsof -p "$PID"
    if [ "$FIRST_RC" = 0 ]; then add lsof lsof -p "$PID"; else echo "fds: lsof failed; left out" >&2; fi
else
    echo "fds: lsof not installed; left out (apt-get install lsof)" >&2
fi

# --- hyperfine: all commands in one run, side by side --------------------------
run_hyperfine "$TMP/hyperfine.json"
check_rc hyperfine "$HF_RC" "$HYPERFINE_TIMEOUT"

# --- peak RSS, one run each under /usr/bin/time -v -----------------------------
if [ "$HAVE_TIME" = 1 ]; then
    for i in "${!names[@]}"; do
        cmd_argv "$i"
        run_quiet /usr/bin/time -v -o "$TMP/rss.${names[$i]}" "${argv[@]}"
    done
fi

# --- summary ------------------------------------------------------------------
python3 - "$TMP" "$MAX_RATIO" "$PID" "$NFDS" "$TMP/proctor-fds.out" "${names[@]}" <<'PY'
import json, os, re, sys

tmp, max_ratio, pid, nfds, plain_out = sys.argv[1:6]
names = sys.argv[6:]
max_ratio = float(max_ratio)
with open(os.path.join(tmp, "hyperfine.json")) as f:
    results = json.load(f)["results"]
labels = {
    "proctor-fds": f"proctor fds {pid}",
    "proctor-fds-long": f"proctor fds {pid} --long",
    "bare": f"bare_views fds {pid}",
    "bare-diag": f"bare_views fds-diag {pid}",
    "lsof": f"lsof -p {pid}",
}

def rss_mib(name):
    try:
        with open(os.path.join(tmp, f"rss.{name}")) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return f"{int(m.group(1)) / 1024:.1f}" if m else "?"
    except OSError:
        return "-"

with open(plain_out) as f:
    kinds = f.read().splitlines()[1].strip()
print()
print(f"holder: pid {pid}, {nfds} descriptors ({kinds})")
print(f"{'command':<32} {'median ms':>10} {'mean ms':>10} {'sd ms':>8} "
      f"{'user ms':>8} {'sys ms':>8} {'peak RSS MiB':>13}")
median = {}
for name, r in zip(names, results):
    median[name] = r["median"] * 1000
    print(f"{labels.get(name, name):<32} {r['median'] * 1000:>10.1f} {r['mean'] * 1000:>10.1f} "
          f"{r['stddev'] * 1000:>8.1f} {r['user'] * 1000:>8.1f} {r['system'] * 1000:>8.1f} "
          f"{rss_mib(name):>13}")
# The floor is the same syscalls: the readlinks, and the one TCP table
# dump that names the sockets' endpoints when there are sockets.
ratio = median["proctor-fds"] / median["bare-diag"]
verdict = "PASS" if ratio <= max_ratio else "FAIL"
print(f"ratio proctor-fds/bare-diag (the same syscalls): {ratio:.2f} "
      f"(requirement <= {max_ratio:g}): {verdict}")
print(f"ratio proctor-fds/bare (readlinks only): {median['proctor-fds'] / median['bare']:.2f}")
print(f"ratio bare-diag/bare (the TCP dump's share): {median['bare-diag'] / median['bare']:.2f}")
print(f"ratio proctor-fds-long/bare: {median['proctor-fds-long'] / median['bare']:.2f}")
if "lsof" in median:
    print(f"ratio proctor-fds/lsof: {median['proctor-fds'] / median['lsof']:.2f}")
    print(f"ratio proctor-fds-long/lsof: {median['proctor-fds-long'] / median['lsof']:.2f}")
sys.exit(0 if verdict == "PASS" else 1)
PY
