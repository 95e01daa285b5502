#!/usr/bin/env python3
"""Hold --count TCP sockets in CLOSE_WAIT on 127.0.0.1, for bench/doctor.sh.

A listener accepts --count connections from clients in this same process;
each client end is then closed, so every accepted end (kept open, never
closed: the leak doctor looks for) sits in CLOSE_WAIT. When ready it
prints one line on stdout:

    READY <pid> <count>

then sleeps until killed; it exits by itself after --lifetime seconds
(default 1800) or within a second of its parent dying. Python 3 standard
library only.
"""

import argparse
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--lifetime", type=float, default=1800.0)
    a = ap.parse_args()
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(max(a.count, 16))
    held = []
    for _ in range(a.count):
        c = socket.create_connection(lst.getsockname())
        s, _ = lst.accept()
        c.close()
        held.append(s)
    lst.close()
    print(f"READY {os.getpid()} {len(held)}", flush=True)
    parent = os.getppid()
    end = time.monotonic() + a.lifetime
    while time.monotonic() < end and os.getppid() == parent:
        time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
