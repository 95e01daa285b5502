#!/usr/bin/env python3
"""Compare the CPU time (user + system, all threads, from wait4's rusage:
microsecond resolution) and wall time of commands IN ONE RUN, for
bench/doctor.sh and bench/threads.sh.

Usage: cpu-compare.py [--runs N] [--warmup N] [--timeout S] [--json FILE]
                      NAME=COMMAND... [-- RATIO...]

Each NAME=COMMAND is run through `sh -c` with stdout and stderr sent to
/dev/null; the commands are interleaved round by round (A B C, A B C, ...)
so a change in the machine's load falls on all of them alike. Any exit
code is accepted (proctor exits 1 on findings); a command killed by a
signal or past --timeout seconds stops the run (exit 1).

After `--`, each RATIO is `A/B` (or `A/B<=LIMIT`): the ratio of the medians
of A and B in CPU is printed, and with a LIMIT the exit code is 1 when one
is not met. Prints one line per command (median, min, max of CPU and wall,
in ms) and one per ratio. Python 3 standard library only.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time


def run_once(cmd, timeout):
    t0 = time.monotonic()
    p = subprocess.Popen(["sh", "-c", "exec " + cmd], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            raise SystemExit(f"cpu-compare: {cmd!r} ran past {timeout}s")
        time.sleep(0.002)
    wall = time.monotonic() - t0
    if os.WIFSIGNALED(status):
        raise SystemExit(f"cpu-compare: {cmd!r} killed by signal {os.WTERMSIG(status)}")
    return (ru.ru_utime + ru.ru_stime) * 1000.0, wall * 1000.0, ru.ru_utime * 1000.0, ru.ru_stime * 1000.0


def main():
    argv = sys.argv[1:]
    ratios = []
    if "--" in argv:
        i = argv.index("--")
        argv, ratios = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--json")
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args(argv)
    cmds = []
    for c in a.commands:
        name, _, cmd = c.partition("=")
        if not cmd:
            raise SystemExit(f"cpu-compare: {c!r} is not NAME=COMMAND")
        cmds.append((name, cmd))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for _ in range(a.warmup):
        for _, cmd in cmds:
            run_once(cmd, a.timeout)
    res = {name: [] for name, _ in cmds}
    for _ in range(a.runs):
        for name, cmd in cmds:
            res[name].append(run_once(cmd, a.timeout))
    med = {}
    for name, _ in cmds:
        cpu = [r[0] for r in res[name]]
        wall = [r[1] for r in res[name]]
        usr = statistics.median(r[2] for r in res[name])
        sys_ = statistics.median(r[3] for r in res[name])
        med[name] = statistics.median(cpu)
        print(f"{name:24} CPU median {med[name]:8.1f} ms (min {min(cpu):.1f}, max {max(cpu):.1f};"
              f" user {usr:.1f} sys {sys_:.1f})  wall median {statistics.median(wall):8.1f} ms")
    ok = True
    for r in ratios:
        expr, _, limit = r.partition("<=")
        x, _, y = expr.partition("/")
        ratio = med[x] / med[y] if med[y] > 0 else float("inf")
        verdict = ""
        if limit:
            met = ratio <= float(limit)
            ok &= met
            verdict = f"  (<= {limit}: {'met' if met else 'NOT met'})"
        print(f"ratio {x}/{y} in CPU: {ratio:.2f}x{verdict}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": {n: res[n] for n in res}, "median_cpu_ms": med}, f)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
