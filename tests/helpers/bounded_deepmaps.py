"""Live-test helper: one file with a path of ~3,800 bytes, used COUNT
times by an unprivileged process:

Usage: bounded_deepmaps.py BASE COUNT [maps|fds]

  maps (default)  mapped COUNT times (a page each, private, protections
                  alternating so that neighbours never merge): COUNT smaps
                  entries that each carry the long path; prints
                  `READY <mappings in /proc/self/maps>`.
  fds             opened COUNT times (the soft RLIMIT_NOFILE raised to the
                  hard limit first): COUNT descriptor links that each carry
                  the long path; prints `READY <descriptors held>`.

The path is built under BASE with relative opens (dir_fd). The test
removes BASE. Lifecycle as live_lifecycle.
"""
import ctypes
import ctypes.util
import os
import resource
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PROT_READ = 0x1
PROT_WRITE = 0x2
MAP_PRIVATE = 0x02
PAGE = os.sysconf("SC_PAGE_SIZE")


def main():
    life.install()
    base, count = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "maps"
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    length = len(base)
    name = "d" * 250
    while length < 3800:
        os.mkdir(name, dir_fd=fd)
        nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
        length += len(name) + 1
    f = os.open("mapped", os.O_RDWR | os.O_CREAT, 0o600, dir_fd=fd)
    os.close(fd)
    if mode == "fds":
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        held = [f]
        life.close_on_exit(held)
        while len(held) < count:
            held.append(os.dup(f))
        life.serve("READY %d" % life.fd_count())
        return
    os.ftruncate(f, count * PAGE)
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    failed = ctypes.c_void_p(-1).value
    for i in range(count):
        prot = PROT_READ if i % 2 else PROT_READ | PROT_WRITE
        if libc.mmap(None, PAGE, prot, MAP_PRIVATE, f, i * PAGE) == failed:
            sys.stderr.write("helper: mmap %d failed: %d\n" % (i, ctypes.get_errno()))
            os._exit(1)
    os.close(f)
    with open("/proc/self/maps") as m:
        n = sum(1 for _ in m)
    life.serve("READY %d" % n)


main()
