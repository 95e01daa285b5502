"""Live-test helper for `proctor threads`.

`views_threads.py hostile`: one thread names itself with an ESC sequence,
a newline and an invalid UTF-8 byte, another `worker-1`; both block.
Prints READY once /proc/self/task shows both names.

`views_threads.py churn [SECONDS]`: a spawner thread starts short-lived
threads named `churn-<i>` (at most 32 alive, each exits within a few
milliseconds) for at most SECONDS (default 20). Prints READY at once."""
import ctypes
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_NAME = 15
HOSTILE_NAME = b"t\x1b[31m\n\xff"


def task_names():
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % tid, "rb") as f:
                names.append(f.read().rstrip(b"\n"))
        except OSError:
            pass
    return names


def main():
    life.install()
    mode = sys.argv[1] if len(sys.argv) > 1 else "hostile"
    libc = ctypes.CDLL(None, use_errno=True)
    stop = threading.Event()
    life.on_exit(stop.set)

    def set_name(name):
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)

    if mode == "hostile":
        def blocker(name):
            set_name(name)
            stop.wait(life.MAX_LIFETIME + 5)

        for name in (HOSTILE_NAME, b"worker-1"):
            threading.Thread(target=blocker, args=(name,), daemon=True).start()
        life.wait_until(lambda: HOSTILE_NAME in task_names() and b"worker-1" in task_names(),
                        "threads to name themselves")
        life.serve("READY")
        return

    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0

    def short(i):
        set_name(b"churn-%d" % i)
        stop.wait(0.002)

    def spawner():
        end = time.monotonic() + secs
        alive = []
        i = 0
        while (not stop.is_set() and time.monotonic() < end
               and not life.parent_gone() and not life.deadline_passed()):
            t = threading.Thread(target=short, args=(i,), daemon=True)
            t.start()
            alive.append(t)
            i += 1
            if len(alive) >= 32:
                alive.pop(0).join()
        for t in alive:
            t.join()

    threading.Thread(target=spawner, daemon=True).start()
    life.serve("READY")


main()
