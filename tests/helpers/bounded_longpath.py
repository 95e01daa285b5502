"""Live-test helper: one descriptor whose path is longer than PATH_MAX
(4,096 bytes), next to real trouble that must still be seen.

Usage: bounded_longpath.py BASE SOFT CLOSE_WAIT

  * opens BASE/d.../d.../file, a path of more than 5,000 bytes, built with
    relative opens (dir_fd) since no path-based call accepts it whole:
    readlink of its /proc/self/fd link fails with ENAMETOOLONG;
  * holds CLOSE_WAIT TCP connections in CLOSE_WAIT (a listener on
    127.0.0.1 whose clients are closed);
  * lowers its soft RLIMIT_NOFILE to SOFT and opens /dev/null until it
    holds 98% of it.

Prints `READY <soft> <fds> <long fd> <port>`. The test removes BASE.
Lifecycle as live_lifecycle.
"""
import os
import resource
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402



def deep_file(base):
    name = "d" * 200
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    length = len(base)
    while length < 5000:
        os.mkdir(name, dir_fd=fd)
        nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
        length += len(name) + 1
    f = os.open("file", os.O_RDWR | os.O_CREAT, 0o600, dir_fd=fd)
    os.close(fd)
    return f


def main():
    life.install()
    base, soft, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    held = []
    life.close_on_exit(held)
    long_fd = deep_file(base)
    held.append(long_fd)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(n + 8)
    port = srv.getsockname()[1]
    held.append(srv.fileno())
    accepted = []
    srv.settimeout(10)
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        a, _addr = srv.accept()
        accepted.append(a)
        c.close()
    life.on_exit(lambda: [a.close() for a in accepted])
    life.wait_until(lambda: life.close_wait_count(port) == n, "CLOSE_WAIT sockets")

    _old, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    want = soft * 98 // 100
    while life.fd_count() < want:
        held.append(os.open("/dev/null", os.O_RDONLY))
    life.serve("READY %d %d %d %d" % (soft, life.fd_count(), long_fd, port))


main()
