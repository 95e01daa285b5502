"""Live-test helper for `proctor fds` socket details and `net` listeners.

`fds_sockets.py DIR`: holds, all on 127.0.0.1 (or in DIR):
  tcp_listen   a TCP listener, backlog 16
  tcp_client   a client connected to it, and
  tcp_server   the accepted end
  udp          a UDP socket bound on 127.0.0.1
  udp_conn     a UDP socket connected to `udp`
  unix_listen  a unix stream listener at DIR/<hostile name> (ESC, newline,
               an invalid UTF-8 byte)
  unix_a/b     a unix socket pair
Prints `READY <json>`: for each name its fd and what the socket says of
itself (getsockname, getpeername; unix paths as hex).

`fds_sockets.py DIR queue BACKLOG CLIENTS accept|hold`: a TCP listener
with backlog BACKLOG and CLIENTS non-blocking connects to it from this
process; `hold` never accepts (the accept queue fills), `accept` accepts
in a thread as connections come. Prints `READY <port> <listen_fd>`.
"""
import json
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

HOSTILE = b"u\x1b[31m\n\xff.sock"


def addr(a):
    if isinstance(a, tuple):
        return "%s:%d" % (a[0], a[1])
    if isinstance(a, str):
        a = os.fsencode(a)
    return a.hex()


def details(base, keep):
    out = {}

    def note(name, s):
        peer = None
        try:
            peer = addr(s.getpeername())
        except OSError:
            pass
        out[name] = {"fd": s.fileno(), "local": addr(s.getsockname()), "remote": peer}

    lst = keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    lst.settimeout(10)
    cli = keep(socket.create_connection(lst.getsockname(), timeout=10))
    srv, _ = lst.accept()
    keep(srv)
    udp = keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    udp.bind(("127.0.0.1", 0))
    udpc = keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    udpc.connect(udp.getsockname())
    path = os.path.join(os.fsencode(base), HOSTILE)
    ul = keep(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    ul.bind(path)
    ul.listen(4)
    a, b = socket.socketpair()
    keep(a)
    keep(b)
    for name, s in [("tcp_listen", lst), ("tcp_client", cli), ("tcp_server", srv),
                    ("udp", udp), ("udp_conn", udpc), ("unix_listen", ul),
                    ("unix_a", a), ("unix_b", b)]:
        note(name, s)
    life.serve("READY " + json.dumps(out))


def queue(backlog, clients, accept, keep):
    lst = keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    lst.bind(("127.0.0.1", 0))
    lst.listen(backlog)
    port = lst.getsockname()[1]
    if accept:
        def loop():
            while True:
                try:
                    c, _ = lst.accept()
                except OSError:
                    return
                keep(c)
        threading.Thread(target=loop, daemon=True).start()
    for _ in range(clients):
        c = keep(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
    life.serve("READY %d %d" % (port, lst.fileno()))


def main():
    life.install()
    socks = []

    def keep(s):
        socks.append(s)
        return s

    def close_all():
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    life.on_exit(close_all)
    base = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "queue":
        queue(int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "accept", keep)
    else:
        details(base, keep)


if __name__ == "__main__":
    main()
