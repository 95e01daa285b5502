#!/usr/bin/env python3
"""Hold ~20,000 separate memory mappings, for benchmarking proctor.

Maps small regions one after another with the C library's mmap (through
ctypes, so no descriptor is kept per mapping, which Python's mmap module
would do for file mappings):

- anonymous private regions whose protections alternate between
  read-write and read-only, so that the kernel cannot merge a region with
  its neighbour (neighbours differ in their flags); one page of every
  read-write region is written, so RSS and PSS are not zero;
- every `--file-every`-th region (default 8) is instead a read-only private
  mapping of this script's own file, so some lines carry a path, as
  libraries do (mappings of the same file at the same offset cannot merge).

It stops when /proc/self/maps has `--count` lines (default 20000, counting
the interpreter's own mappings) and never goes above vm.max_map_count
(/proc/sys/vm/max_map_count, default 65530) minus `--margin` (default 1000:
the interpreter, a thread or a library loaded later needs a few more).

Bounded: setup stops at the target or after `--setup-timeout` seconds
(default 60). When ready it prints one line on stdout:

    READY <pid> <n_mappings>

(<n_mappings> is the number of lines of /proc/self/maps) then sleeps until
killed. It exits by itself after `--lifetime` seconds (default 1800) or
within a second of its parent dying. Diagnostics go to stderr as
`maps-holder: ...` lines.

Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
import mmap
import os
import sys
import time

MAX_MAP_COUNT_PATH = "/proc/sys/vm/max_map_count"
MAP_FAILED = ctypes.c_void_p(-1).value


def log(msg):
    print(f"maps-holder: {msg}", file=sys.stderr, flush=True)


def count_maps():
    with open("/proc/self/maps", "rb") as f:
        return f.read().count(b"\n")


def read_int_file(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20000,
                    help="lines of /proc/self/maps to reach (default 20000)")
    ap.add_argument("--margin", type=int, default=1000,
                    help="stay this many mappings below vm.max_map_count (default 1000)")
    ap.add_argument("--pages", type=int, default=1,
                    help="pages per region (default 1)")
    ap.add_argument("--file-every", type=int, default=8,
                    help="every Nth region maps this script's file; 0 = none (default 8)")
    ap.add_argument("--setup-timeout", type=float, default=60.0,
                    help="stop mapping after this many seconds (default 60)")
    ap.add_argument("--lifetime", type=float, default=1800.0,
                    help="exit by itself after this many seconds (default 1800)")
    args = ap.parse_args()
    if args.count < 1 or args.pages < 1 or args.file_every < 0:
        ap.error("--count and --pages must be positive, --file-every >= 0")

    t0 = time.monotonic()
    parent = os.getppid()
    page = mmap.PAGESIZE
    size = args.pages * page

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]

    max_map_count = read_int_file(MAX_MAP_COUNT_PATH)
    target = args.count
    if max_map_count is None:
        log(f"cannot read {MAX_MAP_COUNT_PATH}; assuming 65530")
        max_map_count = 65530
    ceiling = max_map_count - args.margin
    if target > ceiling:
        log(f"vm.max_map_count {max_map_count}: capping the target at {ceiling} "
            f"(asked for {args.count})")
        target = ceiling
    else:
        log(f"vm.max_map_count {max_map_count}: target {target} is under it "
            f"(margin {args.margin})")

    # The file mapped by every --file-every-th region: this script, opened
    # once; the descriptor is closed after setup (mappings outlive it).
    file_fd = -1
    file_len = 0
    if args.file_every:
        file_fd = os.open(os.path.abspath(__file__), os.O_RDONLY | os.O_CLOEXEC)
        file_len = max(1, min(os.fstat(file_fd).st_size, size))

    stop_reason = "target reached"
    deadline = t0 + args.setup_timeout
    i = anon = files = touched = 0
    n = count_maps()
    while n < target:
        if time.monotonic() > deadline:
            stop_reason = f"setup timeout ({args.setup_timeout:.0f} s)"
            break
        # Map in batches, then recount: a batch never overshoots, since
        # each mmap adds at most one line.
        for _ in range(min(1000, target - n)):
            i += 1
            if args.file_every and i % args.file_every == 0:
                addr = libc.mmap(None, file_len, mmap.PROT_READ, mmap.MAP_PRIVATE,
                                 file_fd, 0)
                kind = "file"
            else:
                writable = i % 2 == 0
                prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
                addr = libc.mmap(None, size, prot,
                                 mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
                kind = "rw" if writable else "ro"
            if addr is None or addr == MAP_FAILED:
                err = ctypes.get_errno()
                stop_reason = f"stopped by mmap error {err}: {os.strerror(err)}"
                break
            if kind == "rw":
                ctypes.memset(addr, 0x5A, 1)  # one dirty page: RSS/PSS > 0
                touched += 1
            if kind == "file":
                files += 1
            else:
                anon += 1
        else:
            n = count_maps()
            continue
        break  # mmap failed
    if file_fd >= 0:
        os.close(file_fd)

    n = count_maps()
    setup = time.monotonic() - t0
    log(f"{n} mappings (target {target}, vm.max_map_count {max_map_count}): "
        f"{anon} anonymous ({touched} touched), {files} of {os.path.basename(__file__)}, "
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
