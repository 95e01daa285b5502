"""Live-test helper: starts argv[1] (default 30) threads, each naming
itself `pool-1-thread-<i>` with prctl(PR_SET_NAME) and blocking. Prints
READY once every thread has named itself."""
import ctypes
import os
import sys
import threading

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_NAME = 15


def main():
    life.install()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    libc = ctypes.CDLL(None, use_errno=True)
    stop = threading.Event()
    life.on_exit(stop.set)
    named = []
    lock = threading.Lock()

    def worker(i):
        name = ("pool-1-thread-%d" % i).encode()
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
        with lock:
            named.append(i)
        # Bounded: the process exits by itself within the helper lifetime.
        stop.wait(life.MAX_LIFETIME + 5)

    for i in range(1, n + 1):
        threading.Thread(target=worker, args=(i,), daemon=True).start()

    def all_named():
        with lock:
            if len(named) != n:
                return False
        return len(os.listdir("/proc/self/task")) == n + 1

    life.wait_until(all_named, "threads to name themselves")
    life.serve("READY")


main()
