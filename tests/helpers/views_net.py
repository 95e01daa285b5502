"""Live-test helper for `proctor net`: a TCP listener on 127.0.0.1 and one
on ::1; 5 established loopback connections it made to itself (both ends
held); 3 connections in CLOSE_WAIT (client end closed, accepted end kept);
a UDP socket bound on 127.0.0.1; a unix socket pair; a unix listener at
argv[1]/views.sock. Prints `READY <port4> <port6> <udp_port> <cw_fds>`
(cw_fds comma-separated) once /proc/self/net/tcp shows the CLOSE_WAITs.

`views_net.py DIR odd` holds other sockets instead: a unix listener whose
path (in DIR) and one whose abstract name hold an ESC sequence, a newline
and an invalid UTF-8 byte, and an IPv6 socket pair over the IPv4-mapped
address ::ffff:127.0.0.1 (listener, client, accepted end). Prints
`READY <port>` (the mapped listener's port)."""
import os
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

N_ESTABLISHED = 5
N_CLOSE_WAIT = 3


HOSTILE_PATH = b"s\x1b[31m\n\xff.sock"
HOSTILE_ABSTRACT = b"\0views\x1b[31m\n\xff"


def odd(base, keep):
    hp = keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    hp.bind(os.path.join(os.fsencode(base), HOSTILE_PATH))
    hp.listen(4)
    ha = keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    ha.bind(HOSTILE_ABSTRACT)
    ha.listen(4)
    srv = keep(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::ffff:127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)
    port = srv.getsockname()[1]
    c = keep(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
    c.settimeout(10)
    c.connect(("::ffff:127.0.0.1", port))
    a, _addr = srv.accept()
    keep(a)
    life.serve("READY %d" % port)


def main():
    life.install()
    base = sys.argv[1]
    socks = []

    def close_all():
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    life.on_exit(close_all)

    def keep(s):
        socks.append(s)
        return s

    if len(sys.argv) > 2 and sys.argv[2] == "odd":
        odd(base, keep)
        return

    srv = keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    srv.bind(("127.0.0.1", 0))
    srv.listen(32)
    srv.settimeout(10)
    port = srv.getsockname()[1]
    srv6 = keep(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
    srv6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    srv6.bind(("::1", 0))
    srv6.listen(4)
    port6 = srv6.getsockname()[1]

    for _ in range(N_ESTABLISHED):
        keep(socket.create_connection(("127.0.0.1", port), timeout=10))
        a, _addr = srv.accept()
        keep(a)
    cw = []
    for _ in range(N_CLOSE_WAIT):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        a, _addr = srv.accept()
        cw.append(keep(a))
        c.close()

    udp = keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    udp.bind(("127.0.0.1", 0))
    a, b = socket.socketpair()
    keep(a)
    keep(b)
    us = keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    us.bind(os.path.join(base, "views.sock"))
    us.listen(4)

    life.wait_until(lambda: life.close_wait_count(port) == N_CLOSE_WAIT, "CLOSE_WAIT sockets")
    life.serve("READY %d %d %d %s" % (port, port6, udp.getsockname()[1],
                                      ",".join(str(s.fileno()) for s in cw)))


main()
