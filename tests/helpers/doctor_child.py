"""Live-test helper for `proctor doctor`: one process with one planted
problem (or none).

Usage: doctor_child.py MODE [ARGS]

  nofile SOFT        lower its own soft RLIMIT_NOFILE to SOFT (the hard
                     limit is kept: lowering needs no privilege), then open
                     /dev/null until it holds SOFT - 2 descriptors; prints
                     `READY <held> <soft>`.
  deleted DIR        create DIR/doctor-deleted.dat (4 KiB written, 65 MiB
                     long), keep it open and unlink
                     it; prints `READY <fd>`.
  idle               a healthy process: prints `READY` and sleeps.
  grow PER_S MAX S   print `READY <baseline>`, then open PER_S descriptors a
                     second (in steps every 100 ms), at most MAX in all and
                     for at most S seconds; then hold them.
  rss PER_S MAX S    print `READY`, then allocate and touch PER_S MiB a
                     second (steps every 100 ms), at most MAX MiB and for at
                     most S seconds; then hold them.
  fds-on-usr1 N      print `READY`, then open N descriptors at each SIGUSR1
                     (growth exactly when the test says), and hold them.
  rss-on-usr1 MIB    print `READY`, then allocate and touch MIB MiB at each
                     SIGUSR1 (growth exactly when the test says), and hold
                     them.
  join PROCS MIB     write its own pid to the cgroup file PROCS, then
                     allocate and touch MIB MiB; prints `READY`.
  hog PROCS MAX      write its own pid to the cgroup file PROCS, print
                     `READY`, then allocate and touch 1 MiB at a time, at
                     most MAX MiB (so it is OOM-killed in a smaller cgroup;
                     exits 3 if it never is).

Every mode is bounded (live_lifecycle.MAX_LIFETIME), exits when its parent
dies, and exits 0 on SIGTERM (closing what it holds).
"""
import os
import resource
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

MIB = 1 << 20
PAGE = os.sysconf("SC_PAGE_SIZE")


def touched(mib):
    b = bytearray(mib * MIB)
    for off in range(0, len(b), PAGE):
        b[off] = 1
    return b


def nofile(soft):
    _old, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    held = []
    life.close_on_exit(held)
    while life.fd_count() < soft - 2:
        held.append(os.open("/dev/null", os.O_RDONLY))
    life.serve("READY %d %d" % (life.fd_count(), soft))


def hold(n):
    """Hold n more descriptors, leave the limit alone (the test lowers it
    from outside with prlimit(1))."""
    held = []
    life.close_on_exit(held)
    for _ in range(n):
        held.append(os.open("/dev/null", os.O_RDONLY))
    life.serve("READY %d" % life.fd_count())


def deleted(base):
    path = os.path.join(base, "doctor-deleted.dat")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"x" * 4096)
    # 65 MiB long (sparse): fds.deleted_open warns from 64 MiB held.
    os.ftruncate(fd, 65 << 20)
    os.unlink(path)
    life.close_on_exit([fd])
    life.serve("READY %d" % fd)


def ready_then_idle(line, start):
    """Report readiness, run start(), then idle like life.serve (which
    would print a second line: the test has closed its end by then)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    start()
    life.idle()


def stepper(per_s, limit, secs, step):
    """Call step(n) every 100 ms with this step's share of per_s, until
    limit units in all or secs seconds; in a thread, so the main thread
    idles."""
    stop = threading.Event()
    life.on_exit(stop.set)

    def run():
        end = time.monotonic() + secs
        done = 0
        per_step = max(1, per_s // 10)
        while done < limit and time.monotonic() < end and not stop.is_set():
            n = min(per_step, limit - done)
            step(n)
            done += n
            stop.wait(0.1)

    threading.Thread(target=run, daemon=True).start()


def grow(per_s, limit, secs):
    held = []
    life.close_on_exit(held)
    baseline = life.fd_count()

    def step(n):
        for _ in range(n):
            held.append(os.open("/dev/null", os.O_RDONLY))

    ready_then_idle("READY %d" % baseline,
                    lambda: stepper(per_s, limit, secs, step))


def rss(per_s, limit, secs):
    held = []

    def step(n):
        held.append(touched(n))

    ready_then_idle("READY", lambda: stepper(per_s, limit, secs, step))


def join(procs):
    with open(procs, "w") as f:
        f.write("%d\n" % os.getpid())


def main():
    life.install()
    mode = sys.argv[1]
    args = sys.argv[2:]
    if mode == "nofile":
        nofile(int(args[0]))
    elif mode == "hold":
        hold(int(args[0]))
    elif mode == "deleted":
        deleted(args[0])
    elif mode == "idle":
        life.serve("READY")
    elif mode == "grow":
        grow(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "rss":
        rss(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "fds-on-usr1":
        held = []
        life.close_on_exit(held)
        signal.signal(signal.SIGUSR1, lambda *_: held.extend(
            os.open("/dev/null", os.O_RDONLY) for _ in range(int(args[0]))))
        life.serve("READY")
    elif mode == "rss-on-usr1":
        held = []
        signal.signal(signal.SIGUSR1,
                      lambda *_: held.append(touched(int(args[0]))))
        life.serve("READY")
    elif mode == "join":
        join(args[0])
        keep = touched(int(args[1]))  # noqa: F841 (held until exit)
        life.serve("READY")
    elif mode == "hog":
        join(args[0])
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        held = []
        for _ in range(int(args[1])):
            if life.parent_gone() or life.deadline_passed():
                break
            held.append(touched(1))
        os._exit(3)
    else:
        sys.stderr.write("helper: unknown mode %r\n" % mode)
        sys.exit(2)


main()
