"""Live-test helper: forks a child that exits at once and is not reaped
(a zombie). Prints `READY <zombie_pid>`; reaps the zombie on SIGTERM (or
parent death, or deadline) before exiting."""
import os
import signal
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402


def state(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2:][:1]


def main():
    life.install()
    # Hold SIGTERM off until the reaper is registered, so a SIGTERM that
    # lands right after fork() cannot leave the zombie to PID 1 (which does
    # not reap here).
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    pid = os.fork()
    if pid == 0:
        os._exit(0)

    def reap():
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    life.on_exit(reap)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    life.wait_until(lambda: state(pid) == b"Z", "the child to become a zombie")
    life.serve("READY %d" % pid)


main()
