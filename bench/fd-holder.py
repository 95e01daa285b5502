#!/usr/bin/env python3
"""Hold (almost) RLIMIT_NOFILE open descriptors, for benchmarking proctor.

Raises its own soft RLIMIT_NOFILE to the hard limit, then opens descriptors
until it is `--margin` (default 60) below that limit: a few regular files
and pipes (`--files`, `--pipes`), directories (`--dirs`), then established TCP connections on 127.0.0.1 (one listening
socket, then connect + accept pairs, both ends held by this process).

Bounded: setup stops at the target count or after `--setup-timeout`
seconds (default 60). When ready it prints one line on stdout:

    READY <pid> <nfds>

then sleeps until killed. It exits by itself after `--lifetime` seconds
(default 1800) or within a second of its parent dying. Diagnostics
(limits, port range, setup time) go to stderr as `fd-holder: ...` lines.

Python 3 standard library only.
"""

import argparse
import errno
import os
import resource
import socket
import struct
import sys
import time

# linux/in.h; not exported by the socket module on every Python version.
IP_BIND_ADDRESS_NO_PORT = 24
NR_OPEN_PATH = "/proc/sys/fs/nr_open"
PORT_RANGE_PATH = "/proc/sys/net/ipv4/ip_local_port_range"
LINGER_ABORT = struct.pack("ii", 1, 0)  # struct linger {l_onoff=1, l_linger=0}


def log(msg):
    print(f"fd-holder: {msg}", file=sys.stderr, flush=True)


def count_fds():
    # listdir's own directory descriptor is open while it lists, so it
    # appears in the listing: subtract it.
    return len(os.listdir("/proc/self/fd")) - 1


def read_int_file(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def port_range():
    try:
        with open(PORT_RANGE_PATH) as f:
            lo, hi = (int(x) for x in f.read().split()[:2])
        return lo, hi
    except (OSError, ValueError):
        return None


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard
    if hard == resource.RLIM_INFINITY:
        # An unlimited hard limit is capped by fs.nr_open for real.
        limit = read_int_file(NR_OPEN_PATH) or 1048576
    if soft != limit:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    log(f"RLIMIT_NOFILE soft {soft} -> {limit}, hard {hard}")
    return limit


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--margin", type=int, default=60,
                    help="stay this many descriptors below the limit (default 60)")
    ap.add_argument("--max", type=int, default=None,
                    help="never hold more than this many descriptors (default: no cap)")
    ap.add_argument("--files", type=int, default=8,
                    help="regular files to open (default 8)")
    ap.add_argument("--pipes", type=int, default=4,
                    help="pipes to open, 2 descriptors each (default 4)")
    ap.add_argument("--dirs", type=int, default=0,
                    help="directories to open (O_DIRECTORY; default 0)")
    ap.add_argument("--setup-timeout", type=float, default=60.0,
                    help="stop opening after this many seconds (default 60)")
    ap.add_argument("--lifetime", type=float, default=1800.0,
                    help="exit by itself after this many seconds (default 1800)")
    ap.add_argument("--peer", action="store_true",
                    help="keep the client ends in a separate peer process, so this "
                         "process holds one end of ~N connections (the workload of "
                         "`proctor net`: a server with ~19,000 connections)")
    ap.add_argument("--per-source", type=int, default=None,
                    help="connections per 127.0.0.x source address (default: "
                         "one source address if the ephemeral port range allows)")
    args = ap.parse_args()

    t0 = time.monotonic()
    parent = os.getppid()
    limit = raise_nofile()
    target = limit - args.margin
    if args.max is not None:
        target = min(target, args.max)
    held = []  # keep every object referenced so nothing is closed by GC

    # A handful of regular files (this script, and a few common ones).
    candidates = [os.path.abspath(__file__), "/etc/passwd", "/etc/hostname",
                  "/etc/os-release", "/proc/self/status"]
    for i in range(args.files):
        path = candidates[i % len(candidates)]
        try:
            held.append(open(path, "rb"))
        except OSError as e:
            log(f"cannot open {path}: {e}")
    for _ in range(args.pipes):
        r, w = os.pipe()
        held.extend((r, w))
    dirs = ["/", "/etc", "/usr", "/tmp", os.path.dirname(os.path.abspath(__file__))]
    for i in range(args.dirs):
        try:
            held.append(os.open(dirs[i % len(dirs)], os.O_RDONLY | os.O_DIRECTORY))
        except OSError as e:
            log(f"cannot open directory {dirs[i % len(dirs)]}: {e}")
            break

    # Ephemeral ports: every connection to the one listener needs its own
    # (source address, source port) pair. connect() takes ports from
    # ip_local_port_range (preferring one parity first, but it falls back
    # to the other), so the range must hold all clients of one source.
    pairs_needed = max(0, (target - count_fds() - 1) // 2)
    pr = port_range()
    if pr:
        lo, hi = pr
        nports = hi - lo + 1
        log(f"ip_local_port_range {lo}-{hi} ({nports} ports) for "
            f"{pairs_needed} connections to one listener: "
            + ("enough" if nports >= pairs_needed * 1.25 else
               "too few; spreading clients over 127.0.0.x source addresses"))
    else:
        nports = None
        log(f"cannot read {PORT_RANGE_PATH}; assuming the range is big enough")
    per_source = args.per_source
    if per_source is None and nports is not None and nports < pairs_needed * 1.25:
        per_source = max(1, int(nports * 0.8))

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.settimeout(5.0)
    held.append(listener)
    addr = listener.getsockname()

    if args.peer:
        nfds = count_fds()
        want = max(0, target - nfds)
        pid = os.fork()
        if pid == 0:
            # The peer: the client ends. Dies with the holder.
            try:
                import ctypes
                ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
            except Exception:
                pass
            raise_nofile()
            clients = []
            for k in range(want):
                try:
                    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    if per_source:
                        n = 2 + k // per_source
                        c.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                        c.bind((f"127.0.{n // 256}.{n % 256}", 0))
                    c.connect(addr)
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
                    clients.append(c)
                except OSError:
                    break
            me_parent = os.getppid()
            end = time.monotonic() + args.lifetime
            while time.monotonic() < end and os.getppid() == me_parent:
                time.sleep(0.5)
            os._exit(0)
        held_peer = pid
        stop_reason = "target reached"
        i = 0
        deadline = t0 + args.setup_timeout
        while i < want and time.monotonic() < deadline:
            try:
                server, _ = listener.accept()
            except OSError as e:
                stop_reason = f"accept stopped: {e}"
                break
            server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
            held.append(server)
            i += 1
        log(f"peer process {held_peer} holds the client ends")
    else:
        nfds = count_fds()
        stop_reason = "target reached"
        deadline = t0 + args.setup_timeout
        i = 0
        while nfds + 2 <= target:
            if time.monotonic() > deadline:
                stop_reason = f"setup timeout ({args.setup_timeout:.0f} s)"
                break
            client = server = None
            try:
                client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                client.settimeout(5.0)
                if per_source:
                    n = 2 + i // per_source
                    client.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                    client.bind((f"127.0.{n // 256}.{n % 256}", 0))
                client.connect(addr)
                server, _ = listener.accept()
                # Abortive close (RST) when the holder dies: no TIME_WAIT entries
                # are left in /proc/net/tcp to skew the next run's numbers.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
                server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ABORT)
            except OSError as e:
                for s in (client, server):
                    if s is not None:
                        s.close()
                name = errno.errorcode.get(e.errno, "") if e.errno else type(e).__name__
                stop_reason = f"stopped by {name or 'error'}: {e}"
                break
            held.append(client)
            held.append(server)
            nfds += 2
            i += 1

    nfds = count_fds()
    setup = time.monotonic() - t0
    log(f"{nfds} descriptors open (target {target}, limit {limit}), "
        f"{i} connections, {stop_reason}, setup {setup:.2f} s")
    print(f"READY {os.getpid()} {nfds}", flush=True)

    end = time.monotonic() + args.lifetime
    while time.monotonic() < end:
        if os.getppid() != parent:
            log("parent died; exiting")
            return 0
        time.sleep(0.5)
    log(f"lifetime ({args.lifetime:.0f} s) over; exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
