#!/usr/bin/env bash
# Detection quality: runs every `proctor demo` scenario under the same code
# path as `proctor watch` and prints, per scenario, the expected verdict,
# the actual one, and the time to first detection of the expected leak.
# Target: every leak detected, no control flagged, each leak within 10 s at
# a 250 ms interval.
#
# Usage: bench/detection.sh [--duration 20s] [--interval 250ms] [SCENARIO...]
# Needs: cargo, python3 (to read the JSON lines). Exit 0 when every
# scenario is as expected and every leak is caught within 10 s, else 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=20s
INTERVAL=250ms
SCENARIOS=()
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) SCENARIOS+=("$1") ;;
  esac
  shift
done
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(fd-leak memory-leak thread-leak socket-leak gc-sawtooth warmup-plateau steady)
command -v python3 >/dev/null || { echo "detection: python3 is needed to read the JSON lines" >&2; echo "hint: apt-get install -y python3" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet --bin proctor)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/proctor"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for s in "${SCENARIOS[@]}"; do
  "$BIN" demo "$s" --json --duration "$DURATION" --interval "$INTERVAL" > "$TMP/$s.jsonl" || true
done
python3 - "$TMP" "${SCENARIOS[@]}" <<'PY'
import json, sys
tmp, scenarios = sys.argv[1], sys.argv[2:]
ok_all = True
print(f"{'scenario':<16}{'expected':<14}{'actual':<30}{'as expected':<13}{'first detection':>16}")
for s in scenarios:
    recs = [json.loads(l) for l in open(f"{tmp}/{s}.jsonl") if l.strip()]
    demo = next(r for r in recs if r.get("type") == "demo")
    verdict = next(r for r in recs if r.get("type") == "verdict")
    expected = demo["expected_leaks"]
    actual = [l["metric"] for l in verdict["leaks"]]
    first = None
    for r in recs:
        if r.get("type") == "sample" and expected and all(m in r.get("leaking", []) for m in expected):
            first = r["t"]
            break
    good = demo["as_expected"] and (not expected or (first is not None and first <= 10.0))
    ok_all &= good
    det = f"{first:.2f} s" if first is not None else ("-" if not expected else "never")
    print(f"{s:<16}{','.join(expected) or 'none':<14}{','.join(actual) or 'none':<30}{'yes' if good else 'NO':<13}{det:>16}")
sys.exit(0 if ok_all else 1)
PY
