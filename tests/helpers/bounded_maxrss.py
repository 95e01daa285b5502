"""Run a command and report its peak memory: the test's meter for
"proctor stays below 64 MiB".

Usage: bounded_maxrss.py OUTFILE CMD [ARGS...]

Spawns CMD (stdin, stdout and stderr inherited), waits for it with
wait4(2) and writes `<ru_maxrss in KiB> <exit code or -signal>` to
OUTFILE; exits with CMD's exit code (1 when killed by a signal). The
rusage is CMD's own (it starts no children of its own), not this script's.
"""
import os
import sys

sys.dont_write_bytecode = True


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawn(cmd[0], cmd, dict(os.environ))
    _pid, status, usage = os.wait4(pid, 0)
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
    else:
        code = -os.WTERMSIG(status)
    with open(out, "w") as f:
        f.write("%d %d\n" % (usage.ru_maxrss, code))
    sys.exit(code if code >= 0 else 1)


main()
