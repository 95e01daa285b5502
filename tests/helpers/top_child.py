"""Live-test helper for `proctor top`: one process of a known shape.

Usage: top_child.py MODE MARKER [ARGS]. MARKER is only there so the test
can find the process by its command line; it is not used otherwise.

  hold MARKER N T  open N extra descriptors (on /dev/null) and start T
                   extra threads that block; prints `READY <baseline> <N> <T>`
                   (baseline: descriptors held before the N were opened).
  idle MARKER      sleep; prints `READY`.
  busy MARKER S    print `READY`, then spin on the CPU for at most S seconds
                   (then idle).
  grow MARKER N [STEP_S]
                   print `READY`, then open one descriptor every STEP_S
                   seconds (0.01), at most N in all and 64 below the soft
                   limit (then idle).
  nofds MARKER     print `READY`, then close every descriptor and sleep.
  dropuid MARKER   print `READY`; on SIGUSR1 switch to uid 65534 (nobody),
                   as a daemon dropping privileges does. Then idle.
  churn MARKER S   print `READY`, then for at most S seconds start and reap
                   short-lived children (`true` via fork+exec, and plain
                   forks that exit after a millisecond); every child is
                   reaped here, also on SIGTERM. Then idle.

Every mode is bounded (live_lifecycle.MAX_LIFETIME), exits when its parent
dies, and exits 0 on SIGTERM.
"""
import os
import resource
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def hold(n, t):
    baseline = life.fd_count()
    held = [os.open("/dev/null", os.O_RDONLY) for _ in range(n)]
    stop = threading.Event()
    life.on_exit(stop.set)
    for _ in range(t):
        threading.Thread(
            target=lambda: stop.wait(life.MAX_LIFETIME + 5), daemon=True
        ).start()
    life.wait_until(
        lambda: len(os.listdir("/proc/self/task")) == t + 1, "threads to start"
    )
    life.serve("READY %d %d %d" % (baseline, len(held), t))


def busy(secs):
    print("READY", flush=True)
    end = time.monotonic() + secs
    x = 0
    while True:
        for _ in range(20000):
            x += 1
        if (time.monotonic() > end or life.parent_gone()
                or life.deadline_passed()):
            break
    life.idle()


def grow(n, step=0.01):
    # Stay well below the soft limit: the process must live on.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        n = min(n, soft - 64)
    print("READY", flush=True)
    held = []
    while (len(held) < n and not life.parent_gone()
           and not life.deadline_passed()):
        held.append(os.open("/dev/null", os.O_RDONLY))
        time.sleep(step)
    life.idle()


def nofds():
    print("READY", flush=True)
    os.closerange(0, 65536)
    life.idle()


def churn(secs):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("READY", flush=True)
    end = time.monotonic() + secs
    while (not stop and time.monotonic() < end and not life.parent_gone()
           and not life.deadline_passed()):
        kids = [subprocess.Popen(["true"]) for _ in range(10)]
        forks = []
        for _ in range(10):
            pid = os.fork()
            if pid == 0:
                time.sleep(0.001)
                os._exit(0)
            forks.append(pid)
        for p in kids:
            p.wait()
        for pid in forks:
            os.waitpid(pid, 0)
    if stop:
        os._exit(0)
    life.install()
    life.idle()


def main():
    mode = sys.argv[1]
    args = sys.argv[3:]
    if mode == "hold":
        life.install()
        hold(int(args[0]), int(args[1]))
    elif mode == "idle":
        life.install()
        life.serve("READY")
    elif mode == "busy":
        life.install()
        busy(float(args[0]))
    elif mode == "grow":
        life.install()
        grow(int(args[0]), *(float(a) for a in args[1:2]))
    elif mode == "nofds":
        life.install()
        nofds()
    elif mode == "dropuid":
        life.install()
        signal.signal(signal.SIGUSR1, lambda *_: os.setuid(65534))
        life.serve("READY")
    elif mode == "churn":
        churn(float(args[0]))
    else:
        sys.exit("unknown mode %r" % mode)


if __name__ == "__main__":
    main()
