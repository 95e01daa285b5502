#!/usr/bin/env bash
# Overhead of `proctor watch`:
#  1. CPU: proctor's own user+system time over a 30 s watch of one process
#     at a 100 ms interval (default metrics), as a share of one core.
#     Requirement: < 1%.
#  2. Memory: proctor's RSS while it watches at a 10 ms interval for
#     120 s: 12,000 samples, more than the 3,600-sample window, i.e. the
#     same number of samples as a one-hour watch at 1 s / 3.3 hours at 1 s.
#     Requirement: flat once the window is full.
# Usage: bench/watch-overhead.sh [--quick]   (--quick: 10 s and 40 s)
# Needs: cargo, /usr/bin/time (apt-get install -y time).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CPU_S=30
MEM_S=120
[ "${1:-}" = "--quick" ] && { CPU_S=10; MEM_S=40; }
[ -x /usr/bin/time ] || { echo "watch-overhead: /usr/bin/time is needed" >&2; echo "hint: apt-get install -y time" >&2; exit 2; }
(cd "$ROOT" && cargo build --release --quiet --bin proctor)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/proctor"
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

"$BIN" demo-child steady --lifetime $((CPU_S + MEM_S + 60)) & target=$!; pids+=("$target")
sleep 0.5

/usr/bin/time -f "%U %S %M" -o "$TMP/cpu" "$BIN" watch "$target" --interval 100ms --duration "${CPU_S}s" --json > "$TMP/cpu.jsonl" || true
read -r user sys maxrss < "$TMP/cpu"
samples=$(grep -c '"type":"sample"' "$TMP/cpu.jsonl" || true)
pct=$(python3 -c "print(f'{($user+$sys)/$CPU_S*100:.2f}')")
echo "CPU: ${samples} samples in ${CPU_S}s at 100ms: user ${user}s + system ${sys}s = ${pct}% of one core (requirement < 1%), peak RSS ${maxrss} KiB"

"$BIN" watch "$target" --interval 10ms --duration "${MEM_S}s" --json > /dev/null & w=$!; pids+=("$w")
echo "Memory: proctor watch at 10ms for ${MEM_S}s (window: 3600 samples, full after 36s):"
step=$((MEM_S / 8))
for i in $(seq 1 8); do
  sleep "$step"
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$w/status" 2>/dev/null || echo "-")
  echo "  t=$((i * step))s  samples~$((i * step * 100))  VmRSS ${rss} KiB"
done
wait "$w" 2>/dev/null || true
