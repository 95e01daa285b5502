"""Live-test helper for bounded reads: a process whose /proc/PID/cmdline
and /proc/PID/environ are huge, made the way any unprivileged user can.

Usage: bounded_huge.py MARKER SIZE_MIB

Maps SIZE_MIB MiB twice with MAP_NORESERVE (nothing is touched but the
first page of each, so it costs no memory), writes `MARKER` and
`HUGE_MARKER=MARKER` at their start, and points arg_start/arg_end and
env_start/env_end at them with prctl(PR_SET_MM, PR_SET_MM_MAP, ...): no
capability is needed when the executable stays the same (exe_fd = -1).
The other fields of struct prctl_mm_map keep their current values, read
from /proc/self/stat (fields 26-28, 45-51) and sbrk(0).

Prints `READY <cmdline bytes> <environ bytes>` once /proc/self/stat shows
the new bounds; prints `REFUSED <errno>` and idles when the kernel refuses
(the test then fails with that errno). Lifecycle as live_lifecycle.
"""
import ctypes
import ctypes.util
import os
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_MM = 35
PR_SET_MM_MAP = 14
PROT_READ = 0x1
PROT_WRITE = 0x2
MAP_PRIVATE = 0x02
MAP_ANONYMOUS = 0x20
MAP_NORESERVE = 0x4000
MIB = 1 << 20


class PrctlMmMap(ctypes.Structure):
    # struct prctl_mm_map, include/uapi/linux/prctl.h
    _fields_ = [
        ("start_code", ctypes.c_uint64),
        ("end_code", ctypes.c_uint64),
        ("start_data", ctypes.c_uint64),
        ("end_data", ctypes.c_uint64),
        ("start_brk", ctypes.c_uint64),
        ("brk", ctypes.c_uint64),
        ("start_stack", ctypes.c_uint64),
        ("arg_start", ctypes.c_uint64),
        ("arg_end", ctypes.c_uint64),
        ("env_start", ctypes.c_uint64),
        ("env_end", ctypes.c_uint64),
        ("auxv", ctypes.c_void_p),
        ("auxv_size", ctypes.c_uint32),
        ("exe_fd", ctypes.c_uint32),
    ]


def stat_fields():
    with open("/proc/self/stat", "rb") as f:
        raw = f.read()
    # Fields after the name (which may hold spaces) start at field 3.
    rest = raw[raw.rindex(b")") + 2:].split()
    return {n: int(rest[n - 3]) for n in (26, 27, 28, 45, 46, 47, 48, 49, 50, 51)}


def main():
    life.install()
    marker = sys.argv[1].encode()
    size = int(sys.argv[2]) * MIB
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.sbrk.restype = ctypes.c_void_p
    libc.sbrk.argtypes = [ctypes.c_long]
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p,
                           ctypes.c_ulong, ctypes.c_ulong]

    def region(text):
        addr = libc.mmap(None, size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            sys.stdout.write("REFUSED mmap %d\n" % ctypes.get_errno())
            sys.stdout.flush()
            life.idle()
        ctypes.memmove(addr, text, len(text))
        return addr

    args = region(marker + b"\0")
    env = region(b"HUGE_MARKER=" + marker + b"\0")
    s = stat_fields()
    m = PrctlMmMap(
        start_code=s[26], end_code=s[27], start_data=s[45], end_data=s[46],
        start_brk=s[47], brk=libc.sbrk(0) or s[47], start_stack=s[28],
        arg_start=args, arg_end=args + size,
        env_start=env, env_end=env + size,
        auxv=None, auxv_size=0, exe_fd=0xFFFFFFFF,
    )
    rc = libc.prctl(PR_SET_MM, PR_SET_MM_MAP, ctypes.byref(m),
                    ctypes.sizeof(m), 0)
    if rc != 0:
        sys.stdout.write("REFUSED prctl %d\n" % ctypes.get_errno())
        sys.stdout.flush()
        life.idle()
    life.wait_until(lambda: stat_fields()[49] == args + size, "new arg_end")
    life.serve("READY %d %d" % (size, size))


main()
