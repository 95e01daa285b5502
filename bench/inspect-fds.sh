#!/usr/bin/env bash
# Benchmark: `proctor inspect PID --json` on a process holding ~20,000 open
# descriptors (almost all established loopback TCP connections), side by side
# with a bare loop doing the same reads (examples/bare_inspect.rs) and, for
# context, `lsof -p PID` and `ss -tanp`.
#
# Requirement measured: proctor's median <= 2x the bare loop's median.
#
# Usage: bench/inspect-fds.sh [--no-proctor] [--runs N] [--warmup N]
#   --no-proctor  build and time only the baseline and the peers (for use
#                 before `proctor inspect` exists); no verdict is given.
#
# Environment:
#   CARGO_TARGET_DIR     where cargo builds (default: <repo>/target)
#   BENCH_MAX_FDS        cap on the holder's descriptors (default 20000, the
#                        requirement's size; the holder also stays 60 below
#                        its hard RLIMIT_NOFILE)
#   BENCH_MAX_RATIO      allowed proctor/bare ratio of medians (default 2)
#   BENCH_BUILD_TIMEOUT  seconds allowed for cargo build (default 1200)
#   BENCH_TIMEOUT        seconds allowed for the hyperfine run (default 900)
#
# Exit: 0 requirement met (or --no-proctor), 1 requirement not met or a
# benchmarked command failed, 2 missing tool or usage error, 130 interrupted.
# See bench/README.md.
set -euo pipefail

BENCH_NAME=inspect-fds
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MAX_FDS=${BENCH_MAX_FDS:-20000}
MAX_RATIO=${BENCH_MAX_RATIO:-2}
HYPERFINE_TIMEOUT=${BENCH_TIMEOUT:-900}
CHECK_TIMEOUT=120   # one run of one command (first check, /usr/bin/time)
READY_TIMEOUT=90    # the holder gives up opening after 60 s by itself
RUNS=15
WARMUP=3
WITH_PROCTOR=1

while [ $# -gt 0 ]; do
    case $1 in
        --no-proctor) WITH_PROCTOR=0 ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --warmup) WARMUP=${2:?--warmup needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "inspect-fds: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$RUNS$WARMUP" in *[!0-9]*) DIE_CODE=2 die "--runs and --warmup take whole numbers" ;; esac

require_tools python3 cargo timeout
check_time
# From here on every process started is killed by PID and waited for, on
# exit, error, Ctrl-C or SIGTERM, and TMP is removed (lib.sh).
start_cleanup inspect-fds

# --- build --------------------------------------------------------------------
build_args=(--example bare_inspect)
[ "$WITH_PROCTOR" = 1 ] && build_args+=(--bin proctor)
cargo_build "${build_args[@]}"
check_rc "cargo build" "$BUILD_RC" "$BUILD_TIMEOUT"
PROCTOR=$TARGET_DIR/release/proctor
BARE=$TARGET_DIR/release/examples/bare_inspect
[ -x "$BARE" ] || die "built, but $BARE is missing (is CARGO_TARGET_DIR right?)"
[ "$WITH_PROCTOR" = 0 ] || [ -x "$PROCTOR" ] || die "built, but $PROCTOR is missing"

# --- the descriptor holder ----------------------------------------------------
if ! launch_holder '^READY ' fd-holder.py --max "$MAX_FDS"; then
    cat "$TMP/holder.err" >&2
    die "fd-holder did not get ready within ${READY_TIMEOUT} s"
fi
read -r _ PID NFDS <"$TMP/holder.out"
[ "$PID" = "$HOLDER" ] || die "fd-holder reported pid $PID, expected $HOLDER"
sed 's/^/  /' "$TMP/holder.err" >&2
echo "inspect-fds: holder pid $PID ready with $NFDS descriptors in ${SETUP_MS} ms" >&2
if [ "$NFDS" -lt 19000 ]; then
    echo "inspect-fds: warning: only $NFDS descriptors (the requirement is about 20,000);" \
        "check the holder's lines above" >&2
fi

# --- first run of each command: fail loudly, or drop an optional peer ----------
names=()
cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }

if [ "$WITH_PROCTOR" = 1 ]; then
    first_run proctor "$PROCTOR" inspect "$PID" --json
    # Exit 1 means "a problem was found" (this holder sits at its descriptor
    # limit, so findings are expected); 2 and above are errors.
    if [ "$FIRST_RC" != 0 ] && [ "$FIRST_RC" != 1 ]; then
        echo "inspect-fds: 'proctor inspect $PID --json' failed (exit $FIRST_RC); its stderr:" >&2
        head -c 4000 "$TMP/proctor.err" >&2
        exit 1
    fi
    if ! python3 -c 'import json, sys; json.load(sys.stdin)' <"$TMP/proctor.out" 2>/dev/null; then
        echo "inspect-fds: warning: 'proctor inspect --json' did not print one valid JSON" \
            "document; first bytes:" >&2
        head -c 400 "$TMP/proctor.out" >&2
        echo >&2
    fi
    add proctor "$PROCTOR" inspect "$PID" --json
fi

first_run bare "$BARE" "$PID"
if [ "$FIRST_RC" != 0 ]; then
    echo "inspect-fds: 'bare_inspect $PID' failed (exit $FIRST_RC); its stderr:" >&2
    head -c 4000 "$TMP/bare.err" >&2
    exit 1
fi
echo "inspect-fds: bare_inspect: $(head -n 1 "$TMP/bare.out")" >&2
add bare "$BARE" "$PID"

for peer in lsof ss; do
    if ! command -v "$peer" >/dev/null 2>&1; then
        echo "inspect-fds: $peer not installed; left out" >&2
        continue
    fi
    if [ "$peer" = lsof ]; then set -- lsof -p "$PID"; else set -- ss -tanp; fi
    first_run "$peer" "$@"
    if [ "$FIRST_RC" != 0 ]; then
        echo "inspect-fds: '$*' failed (exit $FIRST_RC); left out. stderr:" >&2
        head -c 1000 "$TMP/$peer.err" >&2
        continue
    fi
    add "$peer" "$@"
done

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
python3 - "$TMP" "$MAX_RATIO" "$WITH_PROCTOR" "$PID" "$NFDS" "$SETUP_MS" "${names[@]}" <<'PY'
import json, os, re, sys

tmp, max_ratio, with_proctor, pid, nfds, setup_ms = sys.argv[1:7]
names = sys.argv[7:]
max_ratio = float(max_ratio)
with open(os.path.join(tmp, "hyperfine.json")) as f:
    results = json.load(f)["results"]
labels = {
    "proctor": f"proctor inspect {pid} --json",
    "bare": f"bare_inspect {pid}",
    "lsof": f"lsof -p {pid}",
    "ss": "ss -tanp",
}

def rss_mib(name):
    try:
        with open(os.path.join(tmp, f"rss.{name}")) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return f"{int(m.group(1)) / 1024:.1f}" if m else "?"
    except OSError:
        return "-"

median = {}
print()
print(f"holder: pid {pid}, {nfds} descriptors, ready in {int(setup_ms) / 1000:.2f} s")
print(f"{'command':<32} {'median ms':>10} {'mean ms':>10} {'sd ms':>8} "
      f"{'min ms':>9} {'max ms':>9} {'peak RSS MiB':>13}")
for name, r in zip(names, results):
    ms = {k: r[k] * 1000 for k in ("median", "mean", "stddev", "min", "max")}
    median[name] = ms["median"]
    print(f"{labels.get(name, name):<32} {ms['median']:>10.1f} {ms['mean']:>10.1f} "
          f"{ms['stddev']:>8.1f} {ms['min']:>9.1f} {ms['max']:>9.1f} {rss_mib(name):>13}")

status = 0
if with_proctor == "1":
    ratio = median["proctor"] / median["bare"]
    verdict = "PASS" if ratio <= max_ratio else "FAIL"
    print(f"ratio proctor/bare: {ratio:.2f} (requirement <= {max_ratio:g}): {verdict}")
    if "lsof" in median:
        print(f"ratio proctor/lsof: {median['proctor'] / median['lsof']:.2f}")
    if "ss" in median:
        print(f"ratio proctor/ss:   {median['proctor'] / median['ss']:.2f}")
    status = 0 if verdict == "PASS" else 1
else:
    print("ratio proctor/bare: n/a (--no-proctor)")
    if "lsof" in median:
        print(f"ratio lsof/bare:    {median['lsof'] / median['bare']:.2f}")
    if "ss" in median:
        print(f"ratio ss/bare:      {median['ss'] / median['bare']:.2f}")
sys.exit(status)
PY
