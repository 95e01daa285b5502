"""Live-test helper for forged unix socket records (/proc/net/unix writes
socket names raw, so a name holding a newline can write a whole record).

`unix_forge.py victim` holds a unix socket pair and a netlink socket and
prints `READY <unix_inode> <netlink_inode>`.

`unix_forge.py forge INODE...` binds, for each INODE, a listening abstract
socket whose name is a newline followed by a fake LISTEN record for INODE
at /run/docker.sock, waits until /proc/self/net/unix shows every fake
record, and prints `READY <n>`."""
import os
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def inode_of(sock):
    link = os.readlink("/proc/self/fd/%d" % sock.fileno())
    return int(link[len("socket:["):-1])


def forged_name(inode):
    return ("\0x\n0000000000000000: 00000002 00000000 00010000 0001 01 %d /run/docker.sock"
            % inode).encode()


def main():
    life.install()
    if sys.argv[1] == "victim":
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        keep = [a, b, nl]
        life.on_exit(lambda: [s.close() for s in keep])
        life.serve("READY %d %d" % (inode_of(a), inode_of(nl)))
        return
    inodes = [int(x) for x in sys.argv[2:]]
    keep = []
    for i in inodes:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(forged_name(i))
        s.listen(1)
        keep.append(s)
    life.on_exit(lambda: [s.close() for s in keep])

    def shown():
        with open("/proc/self/net/unix", "rb") as f:
            text = f.read()
        return all((b" %d /run/docker.sock\n" % i) in text for i in inodes)

    life.wait_until(shown, "the forged records in /proc/self/net/unix")
    life.serve("READY %d" % len(inodes))


main()
