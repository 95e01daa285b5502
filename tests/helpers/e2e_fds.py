"""Live-test helper for the Prometheus end-to-end test: a process named
NAME (its comm, at most 15 bytes) with a soft RLIMIT_NOFILE of SOFT.

Usage: e2e_fds.py NAME SOFT leak PER_S MAX
           print `READY <fds>`, then open /dev/null PER_S times a second
           (paced by the clock), at most MAX descriptors in all; then hold.
       e2e_fds.py NAME SOFT steady N
           open N descriptors, print `READY <fds>`, hold them.

Bounded (live_lifecycle.MAX_LIFETIME), exits when its parent dies, and
exits 0 on SIGTERM.
"""
import os
import resource
import sys
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def main():
    life.install()
    name, soft, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open("/proc/self/comm", "w") as f:
        f.write(name[:15])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    held = []
    life.close_on_exit(held)
    if mode == "steady":
        for _ in range(int(sys.argv[4])):
            held.append(os.open("/dev/null", os.O_RDONLY))
        sys.stdout.write("READY %d\n" % life.fd_count())
        sys.stdout.flush()
        life.idle()
    elif mode == "leak":
        per_s, most = float(sys.argv[4]), int(sys.argv[5])
        sys.stdout.write("READY %d\n" % life.fd_count())
        sys.stdout.flush()
        start = time.monotonic()
        while len(held) < most and not life.deadline_passed() and not life.parent_gone():
            due = min(most, int((time.monotonic() - start) * per_s) + 1)
            while len(held) < due:
                held.append(os.open("/dev/null", os.O_RDONLY))
            time.sleep(0.05)
        life.idle()
    else:
        sys.exit(2)


main()
