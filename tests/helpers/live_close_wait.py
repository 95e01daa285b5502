"""Live-test helper: holds a deleted-but-open file of 65 MiB (sparse; created in the
directory given as argv[1], then unlinked) and argv[2] (default 25) TCP
connections in CLOSE_WAIT: it listens on 127.0.0.1, connects the clients
to itself, accepts them all and closes the client ends. With argv[3]
(default 0), also that many descriptors on /dev/null (its soft
RLIMIT_NOFILE raised to the hard limit first). Prints
`READY <port>` once /proc/self/net/tcp shows the CLOSE_WAIT sockets."""
import os
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402



def main():
    life.install()
    base = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    extra = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if extra:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        life.close_on_exit([os.open("/dev/null", os.O_RDONLY) for _ in range(extra)])

    path = os.path.join(base, "doomed.log")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, b"still here\n")
    # 65 MiB long (sparse: nothing written): fds.deleted_open warns from
    # 64 MiB held.
    os.ftruncate(fd, 65 << 20)
    os.unlink(path)
    life.on_exit(lambda: os.close(fd))

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(n + 8)
    port = srv.getsockname()[1]
    life.on_exit(srv.close)

    accepted = []

    def close_accepted():
        for s in accepted:
            s.close()

    life.on_exit(close_accepted)
    srv.settimeout(10)
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        a, _addr = srv.accept()
        accepted.append(a)
        c.close()

    life.wait_until(lambda: life.close_wait_count(port) == n, "CLOSE_WAIT sockets")
    life.serve("READY %d" % port)


main()
