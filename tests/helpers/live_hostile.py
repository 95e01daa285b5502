"""Live-test helper: renames its main thread (the process name) to bytes
with an ESC sequence, a ')', a newline and an invalid UTF-8 byte, then
prints READY. Its arguments are whatever the test passes (non-UTF-8, empty,
escape sequences); they are not used."""
import ctypes
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_NAME = 15
NAME = b"evil\x1b[31m)\n:\xff"


def main():
    life.install()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(NAME), 0, 0, 0) != 0:
        sys.stderr.write("helper: prctl failed, errno %d\n" % ctypes.get_errno())
        sys.exit(1)
    life.serve("READY")


main()
