"""Live-test helper: descriptor churn. A worker thread opens argv[2]
(default 2000) descriptors on one file in the directory argv[1], closes
them all, and repeats for at most argv[3] (default 20) seconds. Prints
`READY <baseline> <n>` where baseline is the number of descriptors held
outside the churn (the process holds between baseline and baseline + n)."""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def main():
    life.install()
    base = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    path = os.path.join(base, "churn.dat")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    stop = threading.Event()
    life.on_exit(stop.set)
    # The listing's own descriptor is counted by listdir: not ours.
    baseline = len(os.listdir("/proc/self/fd")) - 1

    def churn():
        end = time.monotonic() + secs
        held = []
        while (not stop.is_set() and time.monotonic() < end
               and not life.parent_gone() and not life.deadline_passed()):
            for _ in range(n):
                held.append(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
            while held:
                os.close(held.pop())

    threading.Thread(target=churn, daemon=True).start()
    life.serve("READY %d %d" % (baseline, n))


main()
