"""Live-test helper: holds N regular files (in the directory given as
argv[1]), one O_DIRECTORY descriptor, one TCP listener on 127.0.0.1 and one
on ::1. Prints `READY <port4> <port6>`."""
import os
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

N_FILES = 50


def main():
    life.install()
    base = sys.argv[1]
    fds = []

    life.close_on_exit(fds)
    for i in range(N_FILES):
        fds.append(os.open(os.path.join(base, "f%d" % i), os.O_RDWR | os.O_CREAT, 0o600))
    fds.append(os.open(base, os.O_RDONLY | os.O_DIRECTORY))

    s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s4.bind(("127.0.0.1", 0))
    s4.listen(8)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::1", 0))
    s6.listen(8)
    life.on_exit(s4.close)
    life.on_exit(s6.close)
    life.serve("READY %d %d" % (s4.getsockname()[1], s6.getsockname()[1]))


main()
