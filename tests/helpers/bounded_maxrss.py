"""Run a command and report its peak memory: the test's meter for
"proctor stays below 64 MiB".

Usage: bounded_maxrss.py OUTFILE CMD [ARGS...]

Forks CMD (stdin, stdout and stderr inherited; killed by the kernel if
this script dies first: PR_SET_PDEATHSIG), waits for it with wait4(2) and
writes `<ru_maxrss in KiB> <exit code or -signal>` to OUTFILE; exits with
CMD's exit code (1 when killed by a signal). The rusage is CMD's own (it
starts no children of its own), not this script's. CMD is killed after
LIMIT seconds (a hang is reported as -9, never waited for).
"""
import ctypes
import ctypes.util
import os
import signal
import sys
import time

sys.dont_write_bytecode = True

PR_SET_PDEATHSIG = 1
LIMIT = 50.0


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(127)
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    end = time.monotonic() + LIMIT
    while True:
        wpid, status, usage = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            break
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            _pid, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
    else:
        code = -os.WTERMSIG(status)
    with open(out, "w") as f:
        f.write("%d %d\n" % (usage.ru_maxrss, code))
    sys.exit(code if code >= 0 else 1)


main()
