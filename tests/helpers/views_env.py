"""Live-test helper for `proctor env`.

Without arguments: reports READY and idles (the test controls the
environment it is started with).
With arguments: each one is the hex encoding of one environment entry;
the helper re-executes the same interpreter on this script (no arguments)
through libc execve(2) with exactly those entries as its environment, so
duplicated names, entries without '=' and non-UTF-8 bytes reach the kernel
as given (os.execve takes a mapping and cannot do that). The re-executed
helper reports READY."""
import ctypes
import os
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def reexec(entries):
    libc = ctypes.CDLL(None, use_errno=True)
    exe = os.fsencode(sys.executable)
    argv = [exe, os.fsencode(os.path.abspath(__file__))]
    c_argv = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    c_env = (ctypes.c_char_p * (len(entries) + 1))(*entries, None)
    libc.execve(exe, c_argv, c_env)
    sys.stderr.write("helper: execve failed, errno %d\n" % ctypes.get_errno())
    sys.exit(1)


def main():
    if len(sys.argv) > 1:
        reexec([bytes.fromhex(a) for a in sys.argv[1:]])
    life.install()
    life.serve("READY")


main()
