"""Live-test helper for doctor's slow-leak and busy-thread findings.

Usage: growers_child.py MODE [ARGS]

  leak SOFT START PER_S SECS
        lower its own soft RLIMIT_NOFILE to SOFT (the hard limit is kept:
        lowering needs no privilege), open /dev/null until it holds START
        descriptors, print `READY <held>`, then open PER_S more a second
        (paced by the clock, so a starved process catches up), for at most
        SECS seconds and never past SOFT - 16; then hold them.
  spin NAME SECS
        start three threads: one named NAME (prctl PR_SET_NAME) spinning
        on the CPU for at most SECS seconds, two sleeping; print
        `READY <tid of the spinning thread>`.

Every mode is bounded (live_lifecycle.MAX_LIFETIME), exits when its parent
dies, and exits 0 on SIGTERM.
"""
import ctypes
import os
import resource
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_NAME = 15


def leak(soft, start, per_s, secs):
    _old, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    held = []
    life.close_on_exit(held)
    while life.fd_count() < start:
        held.append(os.open("/dev/null", os.O_RDONLY))
    base = life.fd_count()
    stop = threading.Event()
    life.on_exit(stop.set)

    def run():
        t0 = time.monotonic()
        opened = 0
        cap = soft - 16 - base
        while not stop.is_set():
            elapsed = time.monotonic() - t0
            if elapsed > secs or opened >= cap:
                return
            want = min(cap, int(elapsed * per_s))
            while opened < want:
                held.append(os.open("/dev/null", os.O_RDONLY))
                opened += 1
            stop.wait(0.05)

    sys.stdout.write("READY %d\n" % base)
    sys.stdout.flush()
    threading.Thread(target=run, daemon=True).start()
    life.idle()


def spin(name, secs):
    libc = ctypes.CDLL(None, use_errno=True)
    started = threading.Event()
    stop = threading.Event()
    life.on_exit(stop.set)
    tid = []

    def hot():
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0)
        tid.append(threading.get_native_id())
        started.set()
        end = time.monotonic() + secs
        n = 0
        while time.monotonic() < end and not stop.is_set():
            n += 1

    def sleeper():
        stop.wait(secs + 5)

    for target in (sleeper, sleeper, hot):
        threading.Thread(target=target, daemon=True).start()
    life.wait_until(started.is_set, "the spinning thread")
    sys.stdout.write("READY %d\n" % tid[0])
    sys.stdout.flush()
    life.idle()


def main():
    life.install()
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "leak":
        leak(*(int(a) for a in args))
    elif mode == "spin":
        spin(args[0], float(args[1]))
    else:
        sys.stderr.write("unknown mode %r\n" % mode)
        sys.exit(2)


if __name__ == "__main__":
    main()
