"""Live-test helper for `proctor who`. Modes:

  net PORT      a TCP listener on 127.0.0.1:PORT (0: any free port), a UDP
                socket bound to the same port, and a connected TCP pair (the
                client's end and the accepted end). Prints
                `READY <port> <client_port>`.
  deleted DIR MIB NAME...
                for each NAME, writes MIB MiB (the first) or 0 bytes (the
                others) into DIR/NAME, keeps it open and unlinks it. Prints
                `READY`.
  mapped DIR MIB NAME FORGED
                writes MIB MiB into DIR/NAME, maps it (mmap(2) through
                ctypes: no descriptor kept, unlike Python's mmap module),
                closes it and unlinks it; and keeps DIR/FORGED open, a file
                that exists (name it `x (deleted)`). Prints `READY`.
  hold DIR NAME...
                chdir to DIR and keeps DIR/NAME open for each NAME (names
                may hold any byte but / and NUL, given as hex). Prints
                `READY`.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def net(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    port = s.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", port))
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = s.accept()
    for x in (s, u, c, a):
        life.on_exit(x.close)
    life.serve("READY %d %d" % (port, c.getsockname()[1]))


def deleted(base, mib, names):
    fds = []
    life.close_on_exit(fds)
    for i, name in enumerate(names):
        p = os.path.join(base, name)
        fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o600)
        if i == 0:
            chunk = b"x" * (1 << 20)
            for _ in range(mib):
                os.write(fd, chunk)
            os.fsync(fd)
        os.unlink(p)
        fds.append(fd)
    life.serve("READY")


def mapped(base, mib, name, forged):
    import ctypes
    import mmap as mm

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
    ]
    p = os.path.join(base, name)
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o600)
    chunk = b"m" * (1 << 20)
    for _ in range(mib):
        os.write(fd, chunk)
    os.fsync(fd)
    size = mib << 20
    addr = libc.mmap(None, size, mm.PROT_READ, mm.MAP_SHARED, fd, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        sys.exit("mmap failed: errno %d" % ctypes.get_errno())
    os.close(fd)
    os.unlink(p)
    held = [os.open(os.path.join(base, forged), os.O_RDWR | os.O_CREAT, 0o600)]
    life.close_on_exit(held)
    life.serve("READY")


def hold(base, names):
    os.chdir(base)
    fds = []
    life.close_on_exit(fds)
    for h in names:
        name = bytes.fromhex(h)
        fds.append(os.open(os.path.join(base.encode(), name), os.O_RDWR | os.O_CREAT, 0o600))
    life.serve("READY")


def main():
    life.install()
    mode = sys.argv[1]
    if mode == "net":
        net(int(sys.argv[2]))
    elif mode == "deleted":
        deleted(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif mode == "mapped":
        mapped(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif mode == "hold":
        hold(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("unknown mode")


main()
