"""Live-test helper for `watch --cgroup`: a process that grows in its cgroup.

Usage: cgwatch_child.py MODE PER_S MAX

  memory PER_S MAX
        print `READY`, then allocate and touch PER_S MiB a second (paced by
        the clock, in tenths), at most MAX MiB in all; then hold them.
  threads PER_S MAX
        print `READY`, then start PER_S sleeping threads a second, at most
        MAX in all; then hold them.

Every mode is bounded (live_lifecycle.MAX_LIFETIME), exits when its parent
dies, and exits 0 on SIGTERM.
"""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def grow(per_s, most, add):
    """Call add() per_s times a second (caught up by the clock), at most
    `most` times."""
    start = time.monotonic()
    done = 0
    while done < most and not life.deadline_passed() and not life.parent_gone():
        due = min(most, int((time.monotonic() - start) * per_s) + 1)
        while done < due:
            add()
            done += 1
        time.sleep(0.1 / max(per_s, 1) if per_s > 10 else 0.05)


def main():
    life.install()
    mode, per_s, most = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    held = []
    stop = threading.Event()
    life.on_exit(stop.set)
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    if mode == "memory":
        def add():
            b = bytearray(1 << 20)
            for i in range(0, len(b), 4096):
                b[i] = 1
            held.append(b)
        grow(per_s, most, add)
    elif mode == "threads":
        def add():
            t = threading.Thread(target=stop.wait, daemon=True)
            t.start()
            held.append(t)
        grow(per_s, most, add)
    else:
        sys.exit(2)
    life.idle()


if __name__ == "__main__":
    main()
