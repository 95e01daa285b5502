"""Review helper: puts terminal escape sequences and bidi overrides in every
field of itself that proctor shows: the process name, a thread's name
(task/N/comm), the cwd link, an open file's link, a mapped file's name (maps),
a unix socket's path (net), an environment variable's name and value.
argv[1] is a directory the helper may create files in (the test removes it).
Prints READY <tid-of-named-thread> when all is in place."""
import ctypes
import mmap
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

PR_SET_NAME = 15
# ESC ] 0 ; title BEL (sets the window title), CSI 2J (clears the screen),
# U+202E (right-to-left override), a raw CR and a C1 CSI (U+009B).
EVIL = b"\x1b]0;PWNED\x07\x1b[2J\xe2\x80\xae\r\xc2\x9bX"


def main():
    life.install()
    base = sys.argv[1].encode()
    d = os.path.join(base, b"d" + EVIL)
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    f = open(os.path.join(d, b"f" + EVIL), "w+b")
    f.write(b"\0" * 8192)
    f.flush()
    m = mmap.mmap(f.fileno(), 8192)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, b"s" + EVIL[:20]))
    s.listen(1)
    libc = ctypes.CDLL(None, use_errno=True)
    ready = threading.Event()
    tid = []

    def named():
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(b"T\x1b[2J\xe2\x80\xae"), 0, 0, 0)
        tid.append(threading.get_native_id())
        ready.set()
        threading.Event().wait()

    threading.Thread(target=named, daemon=True).start()
    ready.wait()
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(b"m\x1b[2J\xe2\x80\xae"), 0, 0, 0)
    life.on_exit(lambda: (m, s, f))
    life.serve("READY %d" % tid[0])


main()
