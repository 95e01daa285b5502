#!/usr/bin/env python3
"""Hold ~2,000 threads, for benchmarking proctor.

Starts `--threads` threads (default 2000) that each name themselves with
prctl(PR_SET_NAME) after `--name` (default `pool-1-thread-{n}`, n from 1,
the way a Java executor names its workers) and then block on one Event.
The kernel keeps at most 15 bytes of a thread name, so
`pool-1-thread-1234` is seen in /proc as `pool-1-thread-1`, exactly what
happens to a JVM's pool threads.

Thread stacks are `--stack-kib` KiB (default 64) so that 2,000 threads
cost little memory. Before starting, it checks RLIMIT_NPROC (which counts
every thread of the user; root is exempt), kernel.threads-max and
kernel.pid_max (every thread takes a PID) and stays `--margin` (default
200) below the smallest.

Bounded: setup stops at the target or after `--setup-timeout` seconds
(default 60). When ready it prints one line on stdout:

    READY <pid> <n_threads>

(<n_threads> is the number of entries of /proc/self/task, the main thread
included) then sleeps until killed. It exits by itself after `--lifetime`
seconds (default 1800) or within a second of its parent dying (the
threads are daemon threads and end with it). Diagnostics go to stderr as
`threads-holder: ...` lines.

Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
import os
import resource
import sys
import threading
import time

PR_SET_NAME = 15
THREADS_MAX_PATH = "/proc/sys/kernel/threads-max"
PID_MAX_PATH = "/proc/sys/kernel/pid_max"


def log(msg):
    print(f"threads-holder: {msg}", file=sys.stderr, flush=True)


def count_tasks():
    return len(os.listdir("/proc/self/task"))


def read_int_file(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def user_tasks():
    """Threads of every process of this real UID (what RLIMIT_NPROC counts)."""
    uid = os.getuid()
    n = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                n += int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue  # gone, or a kernel thread without those lines
    return n


def all_tasks():
    """Threads on the machine: the total in /proc/loadavg ("1/234")."""
    try:
        with open("/proc/loadavg") as f:
            return int(f.read().split()[3].split("/")[1])
    except (OSError, ValueError, IndexError):
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2000,
                    help="threads to start besides the main one (default 2000)")
    ap.add_argument("--name", default="pool-1-thread-{n}",
                    help="thread name pattern, {n} = 1, 2, ... (default pool-1-thread-{n}; "
                         "the kernel keeps 15 bytes)")
    ap.add_argument("--stack-kib", type=int, default=64,
                    help="stack size of each thread in KiB (default 64, minimum 32)")
    ap.add_argument("--margin", type=int, default=200,
                    help="stay this many threads below RLIMIT_NPROC, threads-max "
                         "and pid_max (default 200)")
    ap.add_argument("--setup-timeout", type=float, default=60.0,
                    help="stop starting threads after this many seconds (default 60)")
    ap.add_argument("--lifetime", type=float, default=1800.0,
                    help="exit by itself after this many seconds (default 1800)")
    args = ap.parse_args()
    if args.threads < 0 or args.stack_kib < 32:
        ap.error("--threads must be >= 0 and --stack-kib >= 32")

    t0 = time.monotonic()
    parent = os.getppid()
    target = args.threads

    # Limits: RLIMIT_NPROC counts the user's threads (root is not limited),
    # threads-max and pid_max the whole machine's.
    soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    caps = []
    if os.geteuid() != 0 and soft != resource.RLIM_INFINITY:
        caps.append(("RLIMIT_NPROC", soft - user_tasks()))
    for name, path in (("threads-max", THREADS_MAX_PATH), ("pid_max", PID_MAX_PATH)):
        value = read_int_file(path)
        if value is not None:
            caps.append((name, value - all_tasks()))
    for name, room in caps:
        if target > room - args.margin:
            log(f"{name} leaves room for about {room} more threads: capping the target "
                f"at {max(0, room - args.margin)}")
            target = max(0, room - args.margin)
    log(f"RLIMIT_NPROC soft {'unlimited' if soft == resource.RLIM_INFINITY else soft}"
        f"{' (root: not enforced)' if os.geteuid() == 0 else ''}, "
        f"threads-max {read_int_file(THREADS_MAX_PATH)}, pid_max {read_int_file(PID_MAX_PATH)}; "
        f"target {target} threads, stack {args.stack_kib} KiB")

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int

    threading.stack_size(args.stack_kib * 1024)
    release = threading.Event()
    started = threading.Semaphore(0)
    name_errors = []

    def worker(n):
        name = args.name.format(n=n).encode()[:15]
        if prctl(PR_SET_NAME, name, 0, 0, 0) != 0:
            name_errors.append(ctypes.get_errno())
        started.release()
        release.wait()

    stop_reason = "target reached"
    deadline = t0 + args.setup_timeout
    threads = []
    for n in range(1, target + 1):
        if time.monotonic() > deadline:
            stop_reason = f"setup timeout ({args.setup_timeout:.0f} s)"
            break
        t = threading.Thread(target=worker, args=(n,), name=f"worker-{n}", daemon=True)
        try:
            t.start()
        except RuntimeError as e:  # "can't start new thread"
            stop_reason = f"stopped: {e}"
            break
        threads.append(t)
    # Wait until every started thread has named itself.
    for _ in threads:
        if not started.acquire(timeout=max(0.1, deadline - time.monotonic())):
            stop_reason = f"setup timeout ({args.setup_timeout:.0f} s) waiting for threads"
            break
    if name_errors:
        log(f"prctl(PR_SET_NAME) failed in {len(name_errors)} threads "
            f"(errno {name_errors[0]})")

    n = count_tasks()
    setup = time.monotonic() - t0
    log(f"{n} threads (target {target} + main), names like "
        f"{args.name.format(n=1).encode()[:15].decode(errors='replace')!r}, "
        f"{stop_reason}, setup {setup:.2f} s")
    print(f"READY {os.getpid()} {n}", flush=True)

    end = time.monotonic() + args.lifetime
    while time.monotonic() < end:
        if os.getppid() != parent:
            log("parent died; exiting")
            return 0
        time.sleep(0.5)
    log(f"lifetime ({args.lifetime:.0f} s) over; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
