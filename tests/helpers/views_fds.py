"""Live-test helper for `proctor fds`: holds one descriptor of each kind in
the directory given as argv[1]: a regular file, a file opened
O_WRONLY|O_APPEND after 100 bytes were written through it, the directory
itself (O_DIRECTORY), a pipe (two ends), an eventfd, an epoll instance, a
memfd, a deleted-but-open file, a file whose name holds an ESC sequence, a
newline and an invalid UTF-8 byte, a TCP listener on 127.0.0.1, a bound
UDP socket on 127.0.0.1 and a unix socket pair.
Prints `READY <append_fd> <deleted_fd> <hostile_fd> <dir_fd> <memfd>
<eventfd> <epoll_fd>`."""
import os
import select
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

HOSTILE_NAME = b"evil\x1b[31m\nname\xff"


def main():
    life.install()
    base = os.fsencode(sys.argv[1])
    fds = []
    objs = []

    # Cleanups run newest first: the objects, then the descriptors.
    life.close_on_exit(fds)

    def close_objs():
        for o in objs:
            try:
                o.close()
            except OSError:
                pass

    life.on_exit(close_objs)

    def keep(fd):
        fds.append(fd)
        return fd

    keep(os.open(base + b"/plain.txt", os.O_RDWR | os.O_CREAT, 0o600))
    append = keep(os.open(base + b"/append.log",
                          os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    os.write(append, b"x" * 100)
    dir_fd = keep(os.open(base, os.O_RDONLY | os.O_DIRECTORY))
    r, w = os.pipe()
    keep(r)
    keep(w)
    ev = keep(os.eventfd(0))
    ep = select.epoll()
    objs.append(ep)
    ep.register(ev, select.EPOLLIN)
    memfd = keep(os.memfd_create("views-memfd"))
    doomed = base + b"/doomed.log"
    deleted = keep(os.open(doomed, os.O_RDWR | os.O_CREAT, 0o600))
    os.unlink(doomed)
    hostile = keep(os.open(base + b"/" + HOSTILE_NAME, os.O_RDWR | os.O_CREAT, 0o600))

    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    objs.append(lst)
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    objs.append(udp)
    udp.bind(("127.0.0.1", 0))
    a, b = socket.socketpair()
    objs.extend([a, b])

    life.serve("READY %d %d %d %d %d %d %d"
               % (append, deleted, hostile, dir_fd, memfd, ev, ep.fileno()))


main()
