#!/usr/bin/env python3
"""Hold N extra processes (children sleeping) for the host-wide benchmarks.

Usage: many-procs.py N [SECONDS]  (default 600 s). Prints "ready" when all
children run. On SIGTERM/SIGINT or at the deadline it kills and reaps every
child itself (PID 1 on some hosts does not reap orphans).
Optional env CHURN=1: also start and reap short-lived processes
continuously (a host with processes coming and going during a scan).
"""
import os
import signal
import subprocess
import sys
import time

n = int(sys.argv[1])
life = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
deadline = time.monotonic() + life
kids = []
stop = False


def on_signal(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
try:
    for _ in range(n):
        if stop:
            break
        kids.append(subprocess.Popen(["sleep", str(int(life) + 5)]))
    print("ready", flush=True)
    churn = os.environ.get("CHURN") == "1"
    while not stop and time.monotonic() < deadline:
        if churn:
            batch = [subprocess.Popen(["true"]) for _ in range(20)]
            for p in batch:
                p.wait()
        else:
            time.sleep(0.2)
finally:
    for p in kids:
        try:
            p.kill()
        except OSError:
            pass
    for p in kids:
        p.wait()
