"""Lifecycle shared by the live-test helpers (stdlib only).

Every helper:
  * lives at most MAX_LIFETIME seconds (counted from import),
  * exits when its parent dies (os.getppid() changes),
  * on SIGTERM runs its cleanup callbacks and exits 0.

Usage: call install() first, do the setup, then serve("READY ...") (or
print the line itself and idle()). Also here: close_on_exit(fds) and
fd_count() and close_wait_count(port), which several helpers need.
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True

MAX_LIFETIME = 110.0

_START = time.monotonic()
_PPID = os.getppid()
_CLEANUPS = []


def deadline_passed():
    return time.monotonic() - _START > MAX_LIFETIME


def parent_gone():
    return os.getppid() != _PPID


def _finish(*_ignored):
    # Run cleanups once, newest first; never raise out of here.
    while _CLEANUPS:
        fn = _CLEANUPS.pop()
        try:
            fn()
        except Exception:
            pass
    try:
        sys.stdout.flush()
    except Exception:
        pass
    os._exit(0)


def on_exit(fn):
    """Register a cleanup callback (run on SIGTERM, parent death, deadline)."""
    _CLEANUPS.append(fn)


def install():
    signal.signal(signal.SIGTERM, _finish)


def wait_until(pred, what, timeout=20.0):
    """Poll pred() (bounded); exit cleanly (status 1) if it never holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if parent_gone() or deadline_passed():
            _finish()
        time.sleep(0.02)
    sys.stderr.write("helper: timed out waiting for %s\n" % what)
    while _CLEANUPS:
        try:
            _CLEANUPS.pop()()
        except Exception:
            pass
    os._exit(1)


def close_on_exit(fds):
    """Close the descriptors in the list fds (as it is then) at exit."""
    def close_all():
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    on_exit(close_all)


def close_wait_count(port):
    """Sockets in CLOSE_WAIT on local port `port`, from /proc/self/net/tcp."""
    n = 0
    with open("/proc/self/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "08":
                n += 1
    return n


def fd_count():
    """Descriptors this process holds (not counting listdir's own)."""
    return len(os.listdir("/proc/self/fd")) - 1


def idle():
    """Idle until SIGTERM, parent death or deadline; stdout is not written
    again."""
    while not deadline_passed() and not parent_gone():
        time.sleep(0.1)
    _finish()


def serve(ready_line):
    """Report readiness, then idle until SIGTERM, parent death or deadline."""
    try:
        sys.stdout.write(ready_line + "\n")
        sys.stdout.flush()
    except Exception:
        _finish()
    idle()
