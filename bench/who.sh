#!/usr/bin/env bash
# bench/who.sh: `proctor who` side by side with lsof, ss and fuser.
#
#   bench/who.sh [--runs N] [--warmup N]
#
# Starts one python3 holder (a TCP listener on 127.0.0.1 with one accepted
# connection, and a 3 MiB file held open and deleted), then times with
# hyperfine, on the same machine and in one run:
#
#   proctor who :PORT          vs  lsof -nP -i :PORT   and  ss -ltnp 'sport = :PORT'
#   proctor who --deleted      vs  lsof -nP +L1
#
# and prints each command's median with its ratio to proctor's. Needs
# hyperfine, lsof, ss, python3; builds the release binary first (bounded by
# BENCH_BUILD_TIMEOUT, 1200 s). CARGO_TARGET_DIR is honoured. Exit 0 when
# every command ran, 1 when one failed, 2 when a tool is missing.
set -euo pipefail

RUNS=20
WARMUP=3
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "who.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
for t in hyperfine lsof ss python3 timeout; do
    command -v "$t" >/dev/null 2>&1 || { echo "who.sh: $t not found (apt-get install -y $t)" >&2; exit 2; }
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/proctor
(cd "$ROOT" && CARGO_INCREMENTAL=0 timeout "${BENCH_BUILD_TIMEOUT:-1200}" cargo build --release --bin proctor >&2)

WORK=$(mktemp -d /tmp/proctor-bench-who.XXXXXX)
HOLDER=
cleanup() {
    if [ -n "$HOLDER" ]; then kill "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
python3 - "$WORK" > "$WORK/ready" <<'PY' &
import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
p = os.path.join(sys.argv[1], "deleted")
f = open(p, "wb"); f.write(b"x" * (3 << 20)); f.flush(); os.unlink(p)
print(s.getsockname()[1], flush=True)
end = time.monotonic() + 600
while time.monotonic() < end and os.getppid() != 1:
    time.sleep(0.5)
PY
HOLDER=$!
for _ in $(seq 100); do [ -s "$WORK/ready" ] && break; sleep 0.1; done
PORT=$(head -1 "$WORK/ready")
[ -n "$PORT" ] || { echo "who.sh: the holder did not start" >&2; exit 1; }

hf() { # hf NAME CMD...: hyperfine with the commands, JSON to $WORK/NAME.json
    local name=$1; shift
    timeout 900 hyperfine -N --runs "$RUNS" --warmup "$WARMUP" -i --export-json "$WORK/$name.json" "$@" >&2
}
hf port "$BIN who :$PORT" "lsof -nP -i :$PORT" "ss -ltnp 'sport = :$PORT'"
hf deleted "$BIN who --deleted" "lsof -nP +L1"

python3 - "$WORK" <<'PY'
import json, os, sys
w = sys.argv[1]
print("| lookup | command | median | ratio to proctor |")
print("|---|---|---:|---:|")
for name, what in (("port", "a port"), ("deleted", "deleted files")):
    rs = json.load(open(os.path.join(w, name + ".json")))["results"]
    base = rs[0]["median"]
    for r in rs:
        cmd = r["command"].replace(os.path.dirname(r["command"].split()[0]) + "/", "") if r["command"].startswith("/") else r["command"]
        print("| %s | `%s` | %.1f ms | %.2fx |" % (what, cmd, r["median"] * 1000, r["median"] / base))
PY
