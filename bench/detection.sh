#!/usr/bin/env bash
# Detection quality on live children: runs every `proctor demo` scenario
# (the leaks and the controls; the same code path as `proctor watch`) with
# --json and prints, per scenario: what is expected (the leaking metric and
# its true rate, or none), the final verdicts, the first time the running
# verdict said LEAK for the expected metric (median over the runs), the
# rate error of the final verdict against the child's true rate (median),
# whether the LEAK then stayed in every later sample line, and for a
# control how many runs had a sample line flag any leak. When the sample
# lines carry a `rising` list, the first time the expected metric was
# rising is shown too.
#
# As expected: a leak is in a sample line's `leaking` list by 4 s for the
# fast ones read at every sample (fd-leak, memory-leak, thread-leak) and by
# the end of the run for the others (socket-leak's CLOSE_WAIT is an
# expensive metric, re-read less often on a loaded host), stays there in
# every later sample line, and is in the final `leaks` with a rate within
# 25% of the truth; a control is never flagged, in any sample line or in
# the verdict.
#
# Usage: bench/detection.sh [--duration 30s] [--interval 250ms] [--runs N]
#                           [--seed S] [--jobs J] [--markdown] [SCENARIO...]
#   --runs N    N runs per scenario, seeds S, S+1, ... (default 1, seed 1):
#               rates over several seeds of the children's noise
#   --jobs J    demos run at once (default 16: every scenario of a seed)
#   --markdown  the table as Markdown (for docs and bench/README.md)
#
# Needs: cargo, python3 (to read the JSON lines), timeout. Exit 0 when every
# run of every scenario is as expected, 1 when one is not, 2 on a usage
# error or a missing tool.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=30s
INTERVAL=250ms
RUNS=1
SEED=1
JOBS=16
MARKDOWN=0
SCENARIOS=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }
need_value() { [ $# -ge 2 ] || { echo "detection: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case $1 in
    --duration) need_value "$@"; DURATION=$2; shift ;;
    --interval) need_value "$@"; INTERVAL=$2; shift ;;
    --runs) need_value "$@"; RUNS=$2; shift ;;
    --seed) need_value "$@"; SEED=$2; shift ;;
    --jobs) need_value "$@"; JOBS=$2; shift ;;
    --markdown) MARKDOWN=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "detection: unknown option $1" >&2; echo "hint: bench/detection.sh --help" >&2; exit 2 ;;
    *) SCENARIOS+=("$1") ;;
  esac
  shift
done
for n in "$RUNS" "$SEED" "$JOBS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "detection: not a whole number: $n" >&2; exit 2; }
done
[ "$RUNS" -ge 1 ] && [ "$JOBS" -ge 1 ] || { echo "detection: --runs and --jobs are at least 1" >&2; exit 2; }
for tool in python3 timeout cargo; do
  command -v "$tool" >/dev/null || { echo "detection: $tool is needed" >&2; echo "hint: apt-get install -y python3 coreutils" >&2; exit 2; }
done
(cd "$ROOT" && cargo build --release --quiet --bin proctor)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/proctor"
if [ ${#SCENARIOS[@]} -eq 0 ]; then
  # Every scenario the demo lists, in its order (leaks first).
  mapfile -t SCENARIOS < <("$BIN" demo | awk '/^  [a-z]/ { print $1 }')
fi
# The duration in seconds, for the per-run time limit and the slow leaks'
# deadline.
DURATION_S=$(python3 -c '
import re, sys
s = sys.argv[1]; units = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600}
m = re.fullmatch(r"([0-9.]+)(ms|s|min|m|h)", s)
print(float(m.group(1)) * units[m.group(2)] if m else "")' "$DURATION")
[ -n "$DURATION_S" ] || { echo "detection: --duration $DURATION: use e.g. 30s, 2m" >&2; exit 2; }
LIMIT=$(python3 -c "print(int($DURATION_S) + 90)")

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

running=0
for ((seed = SEED; seed < SEED + RUNS; seed++)); do
  for s in "${SCENARIOS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    (
      rc=0
      timeout --kill-after=5 "$LIMIT" "$BIN" demo "$s" --json --seed "$seed" \
        --duration "$DURATION" --interval "$INTERVAL" >"$TMP/$s.$seed.jsonl" 2>"$TMP/$s.$seed.err" || rc=$?
      echo "$rc" >"$TMP/$s.$seed.rc"
    ) &
    PIDS+=($!)
    running=$((running + 1))
  done
done
wait || true
PIDS=()

python3 - "$TMP" "$SEED" "$RUNS" "$DURATION_S" "$MARKDOWN" "${SCENARIOS[@]}" <<'PY'
import json, statistics, sys
tmp, seed0, runs, duration, markdown = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
scenarios = sys.argv[6:]
FAST = {"fd-leak", "memory-leak", "thread-leak"}

def load(s, seed):
    recs = []
    try:
        for line in open(f"{tmp}/{s}.{seed}.jsonl"):
            if line.strip():
                recs.append(json.loads(line))
    except (OSError, ValueError) as e:
        return None, f"{s} seed {seed}: unreadable output ({e})"
    demo = next((r for r in recs if r.get("type") == "demo"), None)
    verdict = next((r for r in recs if r.get("type") == "verdict"), None)
    if demo is None or verdict is None:
        err = open(f"{tmp}/{s}.{seed}.err").read().strip().splitlines()
        rc = open(f"{tmp}/{s}.{seed}.rc").read().strip()
        return None, f"{s} seed {seed}: no verdict (exit {rc}; {err[-1] if err else 'no stderr'})"
    samples = [r for r in recs if r.get("type") == "sample"]
    return (demo, verdict, samples), None

def names(v):
    return [m if isinstance(m, str) else m.get("metric", "?") for m in (v or [])]

def judge(s, demo, verdict, samples):
    """One run: (ok, first LEAK t, rate error %, control flagged t, first rising t, why not)."""
    expected = demo["expected_leaks"]
    rates = demo.get("expected_rates_per_s", {})
    final = {l["metric"]: l.get("slope_per_s") for l in verdict["leaks"]}
    first_rising = next((r["t"] for r in samples if expected and any(m in names(r.get("rising")) for m in expected)), None)
    if not expected:
        hits = [r["t"] for r in samples if r.get("leaking")]
        flagged = (hits[0], len(hits)) if hits else None
        why = []
        if flagged is not None:
            first = next(r for r in samples if r.get("leaking"))
            why.append(f"{len(hits)} of {len(samples)} sample lines flagged a leak, first {names(first['leaking'])} at t={hits[0]:.2f}, last at t={hits[-1]:.2f}")
        if final:
            why.append(f"final leaks {sorted(final)}")
        return not why, None, None, flagged, first_rising, "; ".join(why)
    deadline = 4.0 if s in FAST else duration
    first = next((r["t"] for r in samples if all(m in r.get("leaking", []) for m in expected)), None)
    why, errs = [], []
    # Once shown, LEAK stays (a leak's trend never reverses).
    i = next((k for k, r in enumerate(samples) if all(m in r.get("leaking", []) for m in expected)), None)
    dropped = [] if i is None else [r["t"] for r in samples[i:] if not all(m in r.get("leaking", []) for m in expected)]
    if dropped:
        why.append(f"LEAK dropped at {len(dropped)} samples after {first:.2f} s (first at t={dropped[0]:.2f})")
    if first is None or first > deadline:
        why.append(f"first LEAK {'never' if first is None else f'at {first:.2f} s'} (by {deadline:g} s wanted)")
    for m in expected:
        if m not in final:
            why.append(f"{m} not in the final leaks ({', '.join(names(verdict.get('healthy')))} healthy"
                       f"{'; rising ' + json.dumps(verdict['rising']) if 'rising' in verdict else ''})")
        elif m in rates and final[m] is not None:
            err = 100.0 * (final[m] - rates[m]) / rates[m]
            errs.append(err)
            if abs(err) > 25.0:
                why.append(f"{m} rate {final[m]:.4g}/s, truth {rates[m]:.4g}/s")
    err = max(errs, key=abs) if errs else None
    return not why, first, err, len(dropped), first_rising, "; ".join(why)

def rate(m, r):
    return f"{m} {r / 1048576:.4g} MiB/s" if m in ("rss", "pss", "working_set") else f"{m} {r:.4g}/s"

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

rows, problems, ok_all = [], [], True
for s in scenarios:
    results = []
    for seed in range(seed0, seed0 + runs):
        run, err = load(s, seed)
        if run is None:
            problems.append(err)
            ok_all = False
            continue
        demo, verdict, samples = run
        r = judge(s, demo, verdict, samples)
        results.append((demo, verdict, r))
        if not r[0]:
            ok_all = False
            problems.append(f"{s} seed {seed}: {r[5]}")
    if not results:
        rows.append([s, "?", f"0/{runs}", "no run", "-", "-", "-", "-"])
        continue
    demo = results[0][0]
    exp = demo["expected_leaks"]
    rates = demo.get("expected_rates_per_s", {})
    expected = ", ".join(rate(m, rates[m]) if m in rates else m for m in exp) or "none"
    n_ok = sum(1 for _, _, r in results if r[0])
    finals = [", ".join(sorted(l["metric"] for l in v["leaks"])) or "none" for _, v, _ in results]
    if len(results) == 1:
        final = finals[0]
    else:
        counts = {}
        for f in finals:
            counts[f] = counts.get(f, 0) + 1
        final = "; ".join(f"{f} {c}/{len(results)}" for f, c in sorted(counts.items(), key=lambda kv: -kv[1]))
    if exp:
        caught = [r[1] for _, _, r in results if r[1] is not None]
        first = med(caught)
        first_s = "never" if first is None else f"{first:.2f} s" + (f" ({len(caught)}/{len(results)})" if len(results) > 1 else "")
        err = med([abs(r[2]) if r[2] is not None else None for _, _, r in results]) if len(results) > 1 else results[0][2][2]
        err_s = "-" if err is None else (f"{err:+.1f}%" if len(results) == 1 else f"{err:.1f}% (median, absolute)")
        drops = [r[3] for _, _, r in results if r[1] is not None]
        flag_s = "-" if not drops else ("kept" if not any(drops) else f"dropped in {sum(1 for d in drops if d)}/{len(drops)} runs")
    else:
        first_s, err_s = "-", "-"
        flagged = [r[3] for _, _, r in results if r[3] is not None]
        flag_s = "no" if not flagged else (f"{flagged[0][1]} samples from {flagged[0][0]:.2f} s" if len(results) == 1 else f"{len(flagged)}/{len(results)} runs")
    rising = med([r[4] for _, _, r in results])
    rising_s = "-" if rising is None else f"{rising:.2f} s"
    rows.append([s, expected, f"{n_ok}/{len(results)}", final, first_s, err_s, flag_s, rising_s])

head = ["scenario", "expected", "as expected", "final leaks", "first LEAK", "rate error", "LEAK kept / control flagged", "first rising"]
if markdown:
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
else:
    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    for r in [head] + rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
if problems:
    print("\nNot as expected:")
    for p in problems:
        print("  " + p)
sys.exit(0 if ok_all else 1)
PY
