"""Review helper: holds argv[1] unix sockets (socket pairs; no network) and
prints READY <count>. Raises its soft RLIMIT_NOFILE to the hard limit
first; prints REFUSED when the hard limit is too low. Lifecycle as
live_lifecycle."""
import resource
import socket
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def main():
    life.install()
    n = int(sys.argv[1])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 64:
        life.serve("REFUSED hard limit %d" % hard)
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keep = [socket.socketpair() for _ in range(n // 2)]
    life.serve("READY %d" % (2 * len(keep)))


main()
